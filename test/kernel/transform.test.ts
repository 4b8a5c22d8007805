// The cell rewrite on its own: compiled cells run in a fresh VM context and give the value a
// notebook user expects from the last expression.
import { describe, it, expect } from "vitest";
import vm from "node:vm";
import { compileCell } from "../../kernel/runner/transform.js";

async function lastValue(source: string): Promise<unknown> {
  const context = vm.createContext({});
  return await vm.runInContext(compileCell(source).code, context);
}

describe("cell rewrite", () => {
  it("returns a parenthesized last expression whole", async () => {
    expect(await lastValue("const a = 1, b = 2;\n({ a, b })")).toEqual({ a: 1, b: 2 });
    expect(await lastValue("({ a: 1 });")).toEqual({ a: 1 });
    expect(await lastValue("(1 + 2) * 3")).toBe(9);
    expect(await lastValue("const xs: number[] = [1, 2];\n(xs).length")).toBe(2);
  });

  it("keeps the line count so tracebacks point at the cell's own lines", () => {
    const source = "const a = 1;\n\n({\n  a,\n})";
    const { code } = compileCell(source);
    expect(code.split("\n").length).toBe(source.split("\n").length + 1); // + the wrapper's closing line
  });
});
