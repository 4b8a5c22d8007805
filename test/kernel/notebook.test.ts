// notebooks/kernel-tour.ipynb end to end: `jupyter nbconvert --to notebook --execute` (nbclient)
// starts the real kernel from a temporary kernelspec; the executed notebook's outputs are checked.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { run, venvBin, repoRoot, type ProcessResult } from "../helpers/python.js";

let spec: TempKernelspec;
let out: string;
let result: ProcessResult;
let cells: any[];

beforeAll(async () => {
  spec = installTempKernelspec();
  out = mkdtempSync(join(tmpdir(), "sluice-tour-"));
  result = await run(
    venvBin("jupyter"),
    ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=60", "--output-dir", out, "--output", "executed", join(repoRoot, "notebooks", "kernel-tour.ipynb")],
    { env: spec.env, timeoutMs: 120_000 },
  );
  if (result.code === 0) cells = JSON.parse(readFileSync(join(out, "executed.ipynb"), "utf8")).cells.filter((c: any) => c.cell_type === "code");
}, 150_000);
afterAll(() => {
  spec?.cleanup();
  rmSync(out, { recursive: true, force: true });
});

// nbformat may store a string as a list of lines; join them back.
const joined = (value: unknown) => (Array.isArray(value) ? value.join("") : value);
const bundle = (data: Record<string, unknown>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, joined(v)]));
const texts = (cell: any, type: string) =>
  cell.outputs
    .filter((o: any) => o.output_type === type)
    .map((o: any) => ({ ...o, ...(o.data ? { data: bundle(o.data) } : {}), ...(o.text !== undefined ? { text: joined(o.text) } : {}) }));
const plain = (cell: any) => texts(cell, "execute_result")[0]?.data["text/plain"];

describe("notebooks/kernel-tour.ipynb under nbconvert --execute", () => {
  it("executes without failing", () => {
    expect(result.stderr).not.toMatch(/CellExecutionError/);
    expect(result.code, result.stderr).toBe(0);
  });

  it("numbers the cells and keeps state across them", () => {
    expect(cells.map((c) => c.execution_count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(plain(cells[0])).toBe("6");
    expect(texts(cells[1], "stream")[0]).toMatchObject({ name: "stdout", text: "hello from Sluice\n" });
    expect(plain(cells[1])).toBe("'awaited'");
    expect(plain(cells[2])).toBe("'redeclared'");
    expect(plain(cells[3])).toBe("5");
  });

  it("keeps rich output, with the display updated in place", () => {
    const shown = texts(cells[4], "display_data").map((o: any) => o.data);
    expect(shown).toEqual([
      { "text/html": "<b>bold</b>", "text/plain": "<text/html>" },
      { "text/markdown": "**markdown**", "text/plain": "<text/markdown>" },
      { "text/plain": "step 2 of 2" },
    ]);
    expect(texts(cells[5], "execute_result")[0].data["text/html"]).toContain("<table>");
  });

  it("imports the kernel's own library and Node built-ins", () => {
    expect(plain(cells[6])).toBe("[ 'function', 'data/raw' ]");
  });

  it("records the error with the cell's line and runs on", () => {
    const [error] = texts(cells[7], "error");
    expect(error).toMatchObject({ ename: "RangeError", evalue: "negative: -1" });
    expect(error.traceback.join("\n")).toMatch(/at check \(In \[8\]:2:\d+\)/);
    expect(plain(cells[8])).toBe("[ 'redeclared', 10 ]");
  });
});
