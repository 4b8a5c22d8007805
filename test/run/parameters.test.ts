// Parameter typing, parsing of parameters cells (TypeScript via the compiler's parser, Python), and the
// injected cell — checked both as text and by running the values through real kernels.
import { describe, it, expect } from "vitest";
import { typescriptTranslator, pythonTranslator } from "../../src/run/translators/index.js";
import { parameterize } from "../../src/run/parameterize.js";
import { coerceParameter, describeType } from "../../src/run/parameters.js";
import { executeNotebook } from "../../src/run/executor.js";
import { ParameterError, NoTranslatorError } from "../../src/run/errors.js";
import { notebook, outputsText } from "./helpers.js";

describe("TypeScript parameters cell", () => {
  const source = [
    "// Parameters",
    "const threshold: number = 0.5; // cut-off for scores",
    "const tags: string[] = [\"a\", \"b\"];",
    "/** who to greet */",
    "let name = \"world\";",
    "const verbose: boolean = false, limit = -3; // row limit",
    "const opts: { deep: boolean } = { deep: true };",
    "const mode: \"fast\" | \"slow\" = \"fast\";",
    "const started = new Date();",
    "function notAParameter() {}",
  ].join("\n");
  const specs = typescriptTranslator.parseParameters(source);
  const byName = Object.fromEntries(specs.map((s) => [s.name, s]));

  it("reads names, declared and inferred types, defaults and comments", () => {
    expect(specs.map((s) => s.name)).toEqual(["threshold", "tags", "name", "verbose", "limit", "opts", "mode", "started"]);
    expect(byName.threshold).toMatchObject({ typeText: "number", declared: true, defaultValue: 0.5, comment: "cut-off for scores", line: 2 });
    expect(byName.tags).toMatchObject({ typeText: "string[]", defaultValue: ["a", "b"] });
    expect(byName.name).toMatchObject({ typeText: "string", declared: false, defaultValue: "world", comment: "who to greet" });
    expect(byName.limit).toMatchObject({ typeText: "number", declared: false, defaultValue: -3, comment: "row limit" });
    expect(byName.opts.type.kind).toBe("object");
    expect(describeType(byName.mode.type)).toBe('"fast" | "slow"');
    expect(byName.started).toMatchObject({ typeText: "any", defaultText: "new Date()", defaultValue: undefined });
  });

  it("types -p text by the declaration and names the parameter and type on error", () => {
    expect(coerceParameter("threshold", "0.3", byName.threshold.type, true)).toBe(0.3);
    expect(() => coerceParameter("threshold", "abc", byName.threshold.type, true)).toThrow(/parameter "threshold" expects number, got "abc"/);
    expect(coerceParameter("tags", "x,y", byName.tags.type, true)).toEqual(["x", "y"]);
    expect(coerceParameter("tags", "[x, 'y z']", byName.tags.type, true)).toEqual(["x", "y z"]);
    expect(coerceParameter("verbose", "true", byName.verbose.type, true)).toBe(true);
    expect(() => coerceParameter("verbose", "maybe", byName.verbose.type, true)).toThrow(/"verbose" expects boolean/);
    expect(coerceParameter("name", "42", byName.name.type, true)).toBe("42");
    expect(coerceParameter("mode", "slow", byName.mode.type, true)).toBe("slow");
    expect(() => coerceParameter("mode", "medium", byName.mode.type, true)).toThrow(/"mode" expects "fast" \| "slow"/);
    expect(coerceParameter("opts", { deep: false }, byName.opts.type, false)).toEqual({ deep: false });
    expect(() => coerceParameter("opts", [1], byName.opts.type, false)).toThrow(/"opts" expects object, got a list/);
    expect(() => coerceParameter("tags", ["a", 1], byName.tags.type, false)).toThrow(/"tags" expects string\[\]/);
  });

  it("injects `const name = <JSON literal>;` after the parameters cell, replacing an earlier injection", () => {
    const nb = notebook([{ source: source, tags: ["parameters"] }, "console.log(threshold)"], { name: "sluice", language: "typescript" }) as any;
    const first = parameterize(nb, "typescript", { rawParameters: [["threshold", "0.25"], ["tags", "q"]] });
    expect(first.parameters).toEqual({ threshold: 0.25, tags: ["q"] });
    expect(nb.cells[1].metadata.tags).toEqual(["injected-parameters"]);
    expect(nb.cells[1].source).toBe("// Parameters injected by sluice run\nconst threshold = 0.25;\nconst tags = [\"q\"];");
    parameterize(nb, "typescript", { parameters: { name: "again" } });
    expect(nb.cells.filter((c: any) => c.metadata.tags?.includes("injected-parameters"))).toHaveLength(1);
    expect(nb.cells[1].source).toContain('const name = "again";');
    expect(nb.cells).toHaveLength(3);
  });

  it("warns on unknown parameters (with a near name) and fails with strict", () => {
    const nb = notebook([{ source, tags: ["parameters"] }], { name: "sluice", language: "typescript" }) as any;
    const r = parameterize(nb, "typescript", { rawParameters: [["treshold", "1"]] });
    expect(r.warnings[0]).toMatch(/unknown parameter "treshold".*did you mean threshold/);
    expect(() => parameterize(nb, "typescript", { rawParameters: [["treshold", "1"]], strict: true })).toThrow(ParameterError);
  });

  it("rejects names that are not identifiers and values that are not data", () => {
    const nb = notebook([{ source, tags: ["parameters"] }], { name: "sluice", language: "typescript" }) as any;
    expect(() => parameterize(nb, "typescript", { parameters: { "x; process.exit()": 1 } })).toThrow(/not a valid typescript identifier/);
    expect(() => parameterize(nb, "typescript", { parameters: { limit: Infinity } })).toThrow(/"limit" expects number, got number Infinity/);
    expect(() => parameterize(nb, "typescript", { parameters: { opts: { f: () => 1 } } })).toThrow(/only JSON data/);
  });

  it("other languages: no translator unless no parameters are passed", () => {
    const nb = notebook(["x <- 1"], { name: "ir", language: "R" }) as any;
    expect(parameterize(nb, "R", {}).parameters).toEqual({});
    expect(() => parameterize(nb, "R", { rawParameters: [["x", "2"]] })).toThrow(NoTranslatorError);
    expect(() => parameterize(nb, "R", { rawParameters: [["x", "2"]] })).toThrow(/no translator for R/);
  });
});

describe("Python parameters cell", () => {
  const source = [
    "# Parameters",
    "threshold: float = 0.5  # cut-off",
    "count: int = 3",
    "name = 'wor#ld'  # the greeting",
    "tags: list[str] = [",
    "    'a',  # first",
    "    \"b\",",
    "]",
    "opts: dict = {'deep': True, 'n': None}",
    "flag = False",
    "when = datetime.now()",
  ].join("\n");
  const specs = pythonTranslator.parseParameters(source);
  const byName = Object.fromEntries(specs.map((s) => [s.name, s]));

  it("reads `name: type = value` and `name = value`, multi-line literals and comments", () => {
    expect(specs.map((s) => s.name)).toEqual(["threshold", "count", "name", "tags", "opts", "flag", "when"]);
    expect(byName.threshold).toMatchObject({ typeText: "float", defaultValue: 0.5, comment: "cut-off" });
    expect(byName.name).toMatchObject({ typeText: "string", declared: false, defaultValue: "wor#ld", comment: "the greeting" });
    expect(byName.tags.defaultValue).toEqual(["a", "b"]);
    expect(byName.opts.defaultValue).toEqual({ deep: true, n: null });
    expect(byName.flag.type.kind).toBe("boolean");
    expect(byName.when.defaultValue).toBeUndefined();
  });

  it("types values (int must be integral)", () => {
    expect(coerceParameter("count", "7", byName.count.type, true)).toBe(7);
    expect(() => coerceParameter("count", "7.5", byName.count.type, true)).toThrow(/"count" expects integer/);
    expect(() => coerceParameter("threshold", "abc", byName.threshold.type, true)).toThrow(/"threshold" expects number/);
  });

  it("keeps float parameters floats (declared float, or a float default)", () => {
    const cell = "a: float = 1\nb = 0.5\nc = 3\nd: int = 1";
    const types = Object.fromEntries(pythonTranslator.parseParameters(cell).map((s) => [s.name, s.type]));
    expect(pythonTranslator.renderParameters({ a: 2, b: 1e21, c: 4, d: 5 }, types)).toBe("# Parameters injected by sluice run\na = 2.0\nb = 1e+21\nc = 4\nd = 5");
  });

  it("writes Python literals from data", () => {
    const text = pythonTranslator.renderParameters({ a: null, b: true, c: [1, 2.5, "x"], d: { "k'": 'v"\n' } });
    expect(text).toBe('# Parameters injected by sluice run\na = None\nb = True\nc = [1, 2.5, "x"]\nd = {"k\'": "v\\"\\n"}');
  });
});

describe("injected values stay data in real kernels", () => {
  // Strings built to break out of a naive literal: quotes, backslashes, comment and line markers.
  const nasty = ["\"; raise SystemExit(9); \"", "'''\\n", "\\\"); process.exit(9); (\"", "line1\nline2\u2028x", "# not a comment", "🙂 ünï"];

  it("python3: values arrive exactly as given", async () => {
    const nb = notebook([{ source: "values = []\nn: int = 0", tags: ["parameters"] }, "import json; print(json.dumps({'values': values, 'n': n}))"]);
    const { summary, notebook: out } = await executeNotebook(nb as any, { parameters: { values: nasty, n: 5 } });
    expect(summary.status).toBe("succeeded");
    expect(JSON.parse(outputsText(out.cells[2]))).toEqual({ values: nasty, n: 5 });
  });
});
