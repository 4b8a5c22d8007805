// The function tables and the optimizer flags are checked against one typed name list each. TypeScript
// checks them at compile time (npx tsc); these tests check the same at run time, where a cast or a plan
// read back from JSON could get around the types. Pure: nothing loads DuckDB.
import { describe, expect, it } from "vitest";
import { AGGREGATE_FNS, SCALAR_FNS, WINDOW_ONLY_FNS } from "../../src/plan/names.js";
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS } from "../../src/plan/functions.js";
import { WINDOW_FUNCTIONS } from "../../src/plan/window.js";
import { AGGREGATE_SQL, SCALAR_SQL } from "../../src/engine/sql/dialect.js";
import { WINDOW_SQL } from "../../src/engine/sql/window.js";
import { PASSES, PASS_NAMES, optimize, type OptimizerFlags } from "../../src/plan/optimizer.js";
import { typeOf } from "../../src/plan/infer.js";
import type { Plan } from "../../src/plan/nodes.js";
import type { Expr } from "../../src/plan/expr.js";

const sorted = (xs: Iterable<string>) => [...xs].sort();

describe("function tables", () => {
  it("plan typing and SQL dialect have exactly the names of the list", () => {
    expect(sorted(Object.keys(SCALAR_FUNCTIONS))).toEqual(sorted(SCALAR_FNS));
    expect(sorted(Object.keys(SCALAR_SQL))).toEqual(sorted(SCALAR_FNS));
    expect(sorted(Object.keys(AGGREGATE_FUNCTIONS))).toEqual(sorted(AGGREGATE_FNS));
    expect(sorted(Object.keys(AGGREGATE_SQL))).toEqual(sorted(AGGREGATE_FNS));
    expect(sorted(Object.keys(WINDOW_FUNCTIONS))).toEqual(sorted(WINDOW_ONLY_FNS));
    expect(sorted(Object.keys(WINDOW_SQL))).toEqual(sorted(WINDOW_ONLY_FNS));
  });

  it("a name outside the list is refused by name, also one Object.prototype has", () => {
    const schema = [{ name: "a", type: "BIGINT" }];
    for (const fn of ["nope", "constructor", "toString"]) {
      const call = { kind: "call", fn, args: [{ kind: "col", name: "a" }] } as unknown as Expr;
      expect(() => typeOf(call, schema)).toThrow(`unknown function '${fn}'`);
      const agg = { kind: "agg", fn, args: [{ kind: "col", name: "a" }] } as unknown as Expr;
      expect(() => typeOf(agg, schema)).toThrow(`unknown function '${fn}'`);
    }
  });
});

describe("optimizer flags", () => {
  const plan: Plan = {
    kind: "filter",
    predicate: { kind: "call", fn: "gt", args: [{ kind: "col", name: "a" }, { kind: "lit", value: 1, type: "INTEGER" }] },
    input: { kind: "scan", filters: [], source: { kind: "ndjson", path: "/x.ndjson", schema: [{ name: "a", type: "BIGINT" }], label: "x" } },
  };

  it("every pass is named in the list, in the order it runs", () => {
    expect(PASSES.map((p) => p.name)).toEqual([...PASS_NAMES]);
  });

  it("a flag turns its pass off", () => {
    expect(optimize(plan).kind).toBe("scan"); // the filter was pushed into the scan
    expect(optimize(plan, { predicatePushdown: false }).kind).toBe("filter");
  });

  it("a misspelled flag is a compile error and refused at run time, naming the passes", () => {
    // @ts-expect-error: not a pass name
    const misspelled: OptimizerFlags = { predicatePushdwn: false };
    expect(() => optimize(plan, misspelled)).toThrow(/'predicatePushdwn' is not an optimizer pass; the passes are constantFolding, .*predicatePushdown/);
    expect(() => optimize(plan, { predicatePushdown: "no" } as unknown as OptimizerFlags)).toThrow("optimizerFlags.predicatePushdown must be true or false");
    expect(() => optimize(plan, null as unknown as OptimizerFlags)).toThrow("optimizerFlags must be an object");
  });
});
