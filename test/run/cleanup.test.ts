// Runners remove every temp folder they made (connection files with their HMAC key, the kernel's
// TMPDIR, pipeline notebook folders): after Ctrl-C, SIGTERM and a kernel that fails to start, as
// after a normal run. Each test runs with a private TMPDIR and expects it empty afterwards.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installSluiceKernel, notebook, startSluice, waitFor, writeNotebook } from "./helpers.js";
import { isRunning } from "../helpers/processes.js";

let dir: string;
let jupyterPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-cleanup-"));
  jupyterPath = installSluiceKernel();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(jupyterPath, "..", ".."), { recursive: true, force: true });
});

function privateTmp(name: string): string {
  const tmp = join(dir, name);
  mkdirSync(tmp);
  return tmp;
}

function start(args: string[], env: Record<string, string>) {
  return startSluice(args, { cwd: dir, env: { JUPYTER_PATH: jupyterPath, ...env } });
}

const napCell = (marker: string) => `require("node:fs").writeFileSync(${JSON.stringify(marker)}, String(process.pid));\nawait new Promise((r) => setTimeout(r, 600_000));`;

describe("runners leave nothing in TMPDIR", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 130],
  ] as const)("sluice run stopped by %s mid-cell (exit %d)", async (signal, code) => {
    const tmp = privateTmp(`run-${signal}`);
    const marker = join(dir, `marker-${signal}`);
    const nb = writeNotebook(dir, `nap-${signal}.ipynb`, notebook([napCell(marker)], { name: "sluice", language: "typescript" }));
    const run = start(["run", nb, join(dir, `nap-${signal}.out.ipynb`)], { TMPDIR: tmp });
    const kernelPid = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8"), 120_000, "the cell to run"));
    expect(readdirSync(tmp)).toHaveLength(1);
    run.child.kill(signal);
    expect(await run.exited, run.output()).toBe(code);
    expect(isRunning(kernelPid)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  }, 180_000);

  it("sluice run stopped by Ctrl-C twice (quit at once, exit 130)", async () => {
    const tmp = privateTmp("run-twice");
    const marker = join(dir, "marker-twice");
    // A cell that ignores the interrupt: the first Ctrl-C cannot end it, the second quits.
    const nb = writeNotebook(dir, "nap-twice.ipynb", notebook([napCell(marker).replace("await new Promise((r) => setTimeout(r, 600_000));", "for (;;) { try { await new Promise((r) => setTimeout(r, 600_000)); } catch {} }")], { name: "sluice", language: "typescript" }));
    const run = start(["run", nb, join(dir, "nap-twice.out.ipynb")], { TMPDIR: tmp });
    const kernelPid = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8"), 120_000, "the cell to run"));
    run.child.kill("SIGINT");
    await waitFor(() => run.output().includes("Ctrl-C again"), 30_000, "the first Ctrl-C to be seen");
    run.child.kill("SIGINT");
    expect(await run.exited, run.output()).toBe(130);
    await waitFor(() => !isRunning(kernelPid), 10_000, `kernel ${kernelPid} to be gone`);
    expect(readdirSync(tmp)).toEqual([]);
  }, 180_000);

  it("sluice run whose kernel fails to start (exit 4)", async () => {
    const tmp = privateTmp("run-start-failure");
    const kernels = join(dir, "broken", "kernels", "broken");
    mkdirSync(kernels, { recursive: true });
    writeFileSync(join(kernels, "kernel.json"), JSON.stringify({ argv: [process.execPath, "-e", "process.exit(3)", "{connection_file}"], display_name: "broken", language: "typescript" }));
    const nb = writeNotebook(dir, "broken.ipynb", notebook(["1"], { name: "broken", language: "typescript" }));
    const run = start(["run", nb, join(dir, "broken.out.ipynb")], { TMPDIR: tmp, JUPYTER_PATH: join(dir, "broken") });
    expect(await run.exited, run.output()).toBe(4);
    expect(run.output()).toContain("exited while starting");
    expect(readdirSync(tmp)).toEqual([]);
  }, 120_000);

  it("executeNotebook in a process that lives on: nothing left once it returns", async () => {
    const tmp = privateTmp("library");
    const { executeNotebook } = await import("../../src/run/index.js");
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir() reads it at each call
    try {
      const nb = writeNotebook(dir, "library.ipynb", notebook(["const { writeFileSync } = await import('node:fs'); writeFileSync(require('node:os').tmpdir() + '/scratch.txt', 'x'); 6 * 7"], { name: "sluice", language: "typescript" }));
      const { summary } = await executeNotebook(nb, { kernelSpecDirs: [jupyterPath], cwd: dir });
      expect(summary.status).toBe("succeeded");
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  }, 120_000);

  it("sluice pipeline run stopped by SIGTERM while a notebook op runs (exit 143)", async () => {
    const tmp = privateTmp("pipeline-SIGTERM");
    const marker = join(dir, "marker-pipeline");
    const nb = writeNotebook(dir, "op.ipynb", notebook([napCell(marker)], { name: "sluice", language: "typescript" }));
    writeFileSync(join(dir, "nap.ts"), `import { notebookOp, pipeline } from "sluice";\nexport default pipeline("nap", [notebookOp({ name: "op", notebook: ${JSON.stringify(nb)} })]);\n`);
    const run = start(["pipeline", "run", "nap.ts", "--store", join(dir, "store")], { TMPDIR: tmp });
    const kernelPid = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8"), 120_000, "the op's cell to run"));
    run.child.kill("SIGTERM");
    expect(await run.exited, run.output()).toBe(143);
    expect(isRunning(kernelPid)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  }, 180_000);
});
