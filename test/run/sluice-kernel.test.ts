// `sluice run` with the Sluice TypeScript kernel (kernel/, installed into a temp prefix): typed
// parameters from a TypeScript parameters cell, failures, timeouts on busy cells, and kill -9.
import { describe, it, expect, beforeAll } from "vitest";
import { join } from "node:path";
import { installSluiceKernel, notebook, outputsText, readJson, runCli, startCli, tempDir, waitFor, writeNotebook } from "./helpers.js";

let env: Record<string, string>;
let dir: string;
const ts = { name: "sluice", language: "typescript" };
const paramsCell = {
  source: [
    "const threshold: number = 0.5; // cut-off for scores",
    "const tags: string[] = [\"a\"];",
    "const verbose: boolean = false;",
    "const opts = { deep: true, depth: 1 };",
    "/** who to greet */",
    "const name = \"world\";",
  ].join("\n"),
  tags: ["parameters"],
};

beforeAll(() => {
  env = { JUPYTER_PATH: installSluiceKernel() };
  dir = tempDir();
});

describe("sluice run with the Sluice kernel", () => {
  it("injects typed TypeScript parameters as const JSON literals and runs the notebook", async () => {
    const input = writeNotebook(dir, "ts.ipynb", notebook([
      paramsCell,
      "console.log(name, threshold * 2, tags.join('+'), verbose, opts.deep, opts.depth)",
      "const ctx = JSON.parse(process.env.SLUICE_CONTEXT!);\nconsole.log(JSON.stringify(ctx.params))",
    ], ts));
    const output = join(dir, "ts.out.ipynb");
    const r = await runCli([input, output, "-p", "threshold", "0.25", "-p", "tags", "x,y", "-p", "verbose", "true", "-y", "opts: {deep: false, depth: 3}", "-p", "name", "Ada \"Lovelace\"; process.exit(9)"], { env });
    expect(r.stderr).toContain("succeeded");
    expect(r.code).toBe(0);
    const nb = readJson(output);
    expect(nb.cells[1].source).toBe([
      "// Parameters injected by sluice run",
      'const opts = {"deep":false,"depth":3};',
      "const threshold = 0.25;",
      'const tags = ["x","y"];',
      "const verbose = true;",
      'const name = "Ada \\"Lovelace\\"; process.exit(9)";',
    ].join("\n"));
    expect(outputsText(nb.cells[2])).toBe('Ada "Lovelace"; process.exit(9) 0.5 x+y true false 3\n');
    expect(JSON.parse(outputsText(nb.cells[3]))).toEqual({ threshold: 0.25, tags: ["x", "y"], verbose: true, opts: { deep: false, depth: 3 }, name: 'Ada "Lovelace"; process.exit(9)' });
    expect(nb.metadata.sluice.status).toBe("succeeded");
  });

  it("a value of the wrong type is refused before the kernel starts (exit 2)", async () => {
    const input = writeNotebook(dir, "bad.ipynb", notebook([paramsCell, "1"], ts));
    const r = await runCli([input, join(dir, "bad.out.ipynb"), "-p", "threshold", "abc"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('parameter "threshold" expects number, got "abc"');
    const y = await runCli([input, join(dir, "bad.out.ipynb"), "-y", "tags: [1, 2]"], { env });
    expect(y.code).toBe(2);
    expect(y.stderr).toContain('parameter "tags" expects string[], got a list [1,2]');
  });

  it("--help-notebook reads the TypeScript cell with the compiler's parser", async () => {
    const input = writeNotebook(dir, "help.ipynb", notebook([paramsCell], ts));
    const r = await runCli(["--help-notebook", input], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/threshold\s+number\s+default 0\.5\s+cut-off for scores/);
    expect(r.stdout).toMatch(/tags\s+string\[\]\s+default \["a"\]/);
    expect(r.stdout).toMatch(/name\s+string \(inferred\)\s+default "world"\s+who to greet/);
  });

  it("a throwing cell exits 1 with the error in the banner", async () => {
    const input = writeNotebook(dir, "throw.ipynb", notebook(["const a = 1;", "throw new RangeError('too far')", "console.log('never')"], ts));
    const output = join(dir, "throw.out.ipynb");
    const r = await runCli([input, output], { env });
    expect(r.code).toBe(1);
    const nb = readJson(output);
    expect(nb.metadata.sluice.error).toMatchObject({ kind: "cell", ename: "RangeError", evalue: "too far" });
    expect(nb.cells[0].source).toContain("RangeError: too far");
  });

  it("a busy cell over --cell-timeout is interrupted (interrupt_mode message) → exit 3", async () => {
    const input = writeNotebook(dir, "busy.ipynb", notebook(["console.log('start')", "while (true) {}", "console.log('never')"], ts));
    const output = join(dir, "busy.out.ipynb");
    const r = await runCli([input, output, "--cell-timeout", "1"], { env });
    expect(r.code).toBe(3);
    const nb = readJson(output);
    const cell = nb.cells.find((c: any) => c.id === "cell-1");
    expect(cell.metadata.sluice.status).toBe("timeout");
    expect(cell.outputs.some((o: any) => o.output_type === "error")).toBe(true);
  });

  it("the kernel killed with SIGKILL mid-cell → exit 4", async () => {
    const input = writeNotebook(dir, "kill.ipynb", notebook(["console.log(process.pid)", "await new Promise((r) => setTimeout(r, 120_000))"], ts));
    const output = join(dir, "kill.out.ipynb");
    const { done } = startCli([input, output], { env });
    const partial = await waitFor(() => {
      const nb = readJson(output);
      return nb.cells[1].metadata.sluice?.status === "running" ? nb : undefined;
    }, 30_000, "cell 2 running");
    process.kill(Number(outputsText(partial.cells[0]).trim()), "SIGKILL");
    const r = await done;
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/kernel sluice \(pid \d+\) died: killed by SIGKILL/);
    expect(readJson(output).metadata.sluice.status).toBe("kernel-died");
  });
});
