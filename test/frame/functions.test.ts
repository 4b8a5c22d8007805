// The frame's table of functions (src/frame/functions.ts): each name of the list is built by the method or
// package function the table names. (This loads the package, hence under test/frame, not the pure plan tests.)
import { describe, expect, it } from "vitest";
import * as api from "../../src/index.js";
import { Expression, col } from "../../src/index.js";
import { FRAME_FUNCTIONS } from "../../src/frame/functions.js";
import type { Expr } from "../../src/plan/expr.js";

// Arguments that make each builder valid; the default is none.
const METHOD_ARGS: Record<string, unknown[]> = {
  add: [1], sub: [1], mul: [1], div: [1], mod: [1], eq: [1], neq: [1], lt: [1], le: [1], gt: [1], ge: [1], and: [true], or: [true],
  isIn: [[1]], fillNull: [0], contains: ["x"], startsWith: ["x"], endsWith: ["x"], replace: ["a", "b"], regexpMatch: ["x"], regexpExtract: ["x"],
  split: [","], floor: ["1h"], format: ["%Y"], parse: ["%Y"], field: ["x"], listGet: [0], mapGet: ["k"], quantile: [0.5],
};
const FN_ARGS: Record<string, () => unknown[]> = {
  coalesce: () => [col("a"), 0],
  concatStr: () => [[col("a"), col("b")]],
  textSimilarity: () => [col("a"), col("b")],
  levenshtein: () => [col("a"), col("b")],
};

/** The function names in an expression tree. */
function fns(e: Expr): string[] {
  const own = "fn" in e ? [e.fn] : [];
  const kids = "args" in e ? e.args : "expr" in e ? [e.expr] : [];
  return [...own, ...kids.flatMap(fns)];
}

describe("frame functions table", () => {
  it("every listed function is built by the method or function named for it", () => {
    for (const [name, spelling] of Object.entries(FRAME_FUNCTIONS)) {
      let built: Expression;
      if ("method" in spelling) {
        const method = (Expression.prototype as unknown as Record<string, (...a: unknown[]) => Expression>)[spelling.method];
        expect(typeof method, `Expression.${spelling.method}`).toBe("function");
        built = method.apply(col("a"), METHOD_ARGS[spelling.method] ?? []);
      } else if (name === "udf") {
        const f = api.udf((x: number) => x, { returns: "BIGINT" });
        built = f(col("a"));
      } else {
        const fn = (api as unknown as Record<string, (...a: unknown[]) => Expression>)[spelling.fn];
        expect(typeof fn, spelling.fn).toBe("function");
        const options = name === "levenshteinSimilarity" ? [{ method: "levenshtein" }] : [];
        built = fn(...(FN_ARGS[spelling.fn]?.() ?? []), ...options);
      }
      expect(fns(built.node), name).toContain(name);
    }
  });
});
