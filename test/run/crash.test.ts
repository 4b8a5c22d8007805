// Crash drill: `sluice run` and `sluice pipeline run` are killed with SIGKILL while a cell runs, ten
// times each. Their kernel must not outlive them and nothing of the run may stay in TMPDIR (a private
// one per test, so "nothing" means an empty folder); the next run must succeed. A Python kernel
// (ipykernel exits by itself when its parent dies) gets its folder removed by the next run.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installSluiceKernel, notebook, python, startSluice, waitFor, writeNotebook } from "./helpers.js";
import { isRunning, sluiceKernelPids } from "../helpers/processes.js";

const KILLS = 10;
let dir: string;
let jupyterPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-crash-"));
  jupyterPath = installSluiceKernel();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(jupyterPath, "..", ".."), { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string>) {
  return startSluice(args, { cwd: dir, env });
}

/** A cell that tells us its kernel's pid (in `marker`), then stays busy: awaiting, or spinning on the CPU. */
function busyCell(marker: string, spin: boolean): string {
  const busy = spin ? "for (;;) {}" : "await new Promise((r) => setTimeout(r, 600_000));";
  return `require("node:fs").writeFileSync(${JSON.stringify(marker)}, String(process.pid));\n${busy}`;
}

/**
 * Starts a run, waits until its cell runs, SIGKILLs the runner and waits until neither the kernel nor
 * anything in `tmp` is left; returns how long that took (ms).
 */
async function killMidCell(args: string[], env: Record<string, string>, marker: string, tmp: string): Promise<number> {
  const run = start(args, env);
  const kernelPid = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8"), 120_000, `the cell to run (${args.join(" ")}): ${run.output()}`));
  expect(isRunning(kernelPid)).toBe(true);
  expect(readdirSync(tmp)).toHaveLength(1); // the run's folder
  // Once the kernel answered, its connection file (with the HMAC key) is no longer on disk.
  expect(readdirSync(tmp, { recursive: true }).filter((f) => String(f).endsWith(".json"))).toEqual([]);
  const killedAt = Date.now();
  run.child.kill("SIGKILL");
  await run.exited;
  await waitFor(() => !isRunning(kernelPid) && sluiceKernelPids(tmp).length === 0 && readdirSync(tmp).length === 0, 20_000, `kernel ${kernelPid} to exit and ${tmp} to be empty (left: ${readdirSync(tmp).join(", ")})`);
  rmSync(marker);
  return Date.now() - killedAt;
}

describe("kill -9 of the runner mid-cell leaves no kernel and no temp folder", () => {
  it(`sluice run, ${KILLS} times; then a run succeeds`, async () => {
    const tmp = join(dir, "tmp-run");
    mkdirSync(tmp);
    const env = { TMPDIR: tmp, JUPYTER_PATH: jupyterPath };
    const marker = join(dir, "run-marker");
    const cleanups: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      // Every other kernel spins in a loop when its runner dies: its main thread cannot see that.
      const nb = writeNotebook(dir, `busy-${i}.ipynb`, notebook([busyCell(marker, i % 2 === 1)], { name: "sluice", language: "typescript" }));
      cleanups.push(await killMidCell(["run", nb, join(dir, `busy-${i}.out.ipynb`)], env, marker, tmp));
    }
    console.log(`sluice run: kernel gone and TMPDIR empty ${Math.min(...cleanups)}–${Math.max(...cleanups)} ms after kill -9`);

    const ok = writeNotebook(dir, "ok.ipynb", notebook(["console.log(6 * 7)"], { name: "sluice", language: "typescript" }));
    const after = start(["run", ok, join(dir, "ok.out.ipynb")], env);
    expect(await after.exited, after.output()).toBe(0);
    expect(readFileSync(join(dir, "ok.out.ipynb"), "utf8")).toContain("42");
    expect(readdirSync(tmp)).toEqual([]);
  }, 300_000);

  it(`sluice pipeline run with a notebook op, ${KILLS} times; then a run succeeds`, async () => {
    const tmp = join(dir, "tmp-pipeline");
    mkdirSync(tmp);
    const store = join(dir, "store");
    const env = { TMPDIR: tmp, JUPYTER_PATH: jupyterPath };
    const marker = join(dir, "pipeline-marker");
    const busy = writeNotebook(dir, "op.ipynb", notebook([busyCell(marker, false)], { name: "sluice", language: "typescript" }));
    const done = writeNotebook(dir, "done.ipynb", notebook(["console.log('done')"], { name: "sluice", language: "typescript" }));
    for (const [name, nb] of [["busy", busy], ["done", done]]) {
      writeFileSync(join(dir, `${name}.ts`), `import { notebookOp, pipeline } from "sluice";\nexport default pipeline(${JSON.stringify(name)}, [notebookOp({ name: "op", notebook: ${JSON.stringify(nb)} })]);\n`);
    }
    const cleanups: number[] = [];
    for (let i = 0; i < KILLS; i++) cleanups.push(await killMidCell(["pipeline", "run", "busy.ts", "--store", store, "--force"], env, marker, tmp));
    console.log(`sluice pipeline run: kernel gone and TMPDIR empty ${Math.min(...cleanups)}–${Math.max(...cleanups)} ms after kill -9`);

    const after = start(["pipeline", "run", "done.ts", "--store", store], env);
    expect(await after.exited, after.output()).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  }, 300_000);

  it("a Python kernel exits by itself; the next run removes the folder of the killed one", async () => {
    if (!existsSync(python)) throw new Error(`${python} missing: the venv with ipykernel is part of the test setup`);
    const tmp = join(dir, "tmp-python");
    mkdirSync(tmp);
    const env = { TMPDIR: tmp, SLUICE_PYTHON: python };
    const marker = join(dir, "python-marker");
    const cell = `import os, time\nopen(${JSON.stringify(marker)}, "w").write(str(os.getpid()))\ntime.sleep(600)`;
    const nb = writeNotebook(dir, "py.ipynb", notebook([cell]));
    const run = start(["run", nb, join(dir, "py.out.ipynb")], env);
    const kernelPid = Number(await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8"), 120_000, `the Python cell to run: ${run.output()}`));
    const [killedFolder] = readdirSync(tmp);
    expect(killedFolder).toMatch(/^sluice-run-\d+-/);
    run.child.kill("SIGKILL");
    await run.exited;
    await waitFor(() => !isRunning(kernelPid), 20_000, `ipykernel ${kernelPid} to exit`);

    const ok = writeNotebook(dir, "py-ok.ipynb", notebook(["print(6 * 7)"]));
    const after = start(["run", ok, join(dir, "py-ok.out.ipynb")], env);
    expect(await after.exited, after.output()).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  }, 180_000);
});
