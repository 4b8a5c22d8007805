// projectionPushdown: works out which columns each node really needs, from the output down, and has
// every scan read only those (Parquet then skips the other column chunks entirely).
import { columnsOf, outputName, type Expr } from "../expr.js";
import type { Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";
import { joinColumns, schemaOf } from "../schema.js";
import { extensionOp } from "../extensions.js";

type Needed = Set<string> | "all";

function colsOf(exprs: readonly Expr[], into = new Set<string>()): Set<string> {
  for (const e of exprs) columnsOf(e, into);
  return into;
}

function union(a: Needed, b: Set<string>): Needed {
  return a === "all" ? "all" : new Set([...a, ...b]);
}

function prune(plan: Plan, needed: Needed): Plan {
  switch (plan.kind) {
    case "scan": {
      const all = plan.source.schema.map((f) => f.name);
      if (needed === "all") return plan;
      const current = plan.columns ?? all;
      let columns = current.filter((c) => needed.has(c));
      if (columns.length === 0) columns = [current[0]]; // count(*) still needs rows to count
      return columns.length === all.length ? plan : { ...plan, columns };
    }
    case "project": {
      const exprs = needed === "all" ? plan.exprs : plan.exprs.filter((e) => needed.has(outputName(e)));
      const kept = exprs.length ? exprs : plan.exprs.slice(0, 1);
      return { ...plan, exprs: kept, input: prune(plan.input, colsOf(kept)) };
    }
    case "filter":
      return { ...plan, input: prune(plan.input, union(needed, columnsOf(plan.predicate))) };
    case "sort":
      return { ...plan, input: prune(plan.input, union(needed, colsOf(plan.keys.map((k) => k.expr)))) };
    case "limit":
    case "sample":
      return { ...plan, input: prune(plan.input, needed) };
    case "distinct":
      // DISTINCT compares whole rows: every input column matters.
      return { ...plan, input: prune(plan.input, "all") };
    case "aggregate": {
      const aggs = needed === "all" ? plan.aggs : plan.aggs.filter((a) => needed.has(outputName(a)));
      const keptAggs = aggs.length || plan.keys.length ? aggs : plan.aggs.slice(0, 1);
      return { ...plan, aggs: keptAggs, input: prune(plan.input, colsOf([...plan.keys, ...keptAggs])) };
    }
    case "union": {
      // Every side must keep the same columns (by name).
      const names = needed === "all" ? "all" : new Set(schemaOf(plan).map((f) => f.name).filter((n) => needed.has(n)));
      return { ...plan, inputs: plan.inputs.map((i) => prune(i, names === "all" || names.size ? names : "all")) };
    }
    case "extension": {
      const wants = extensionOp(plan.op).inputColumns?.(plan, needed) ?? plan.inputs.map((): Needed => "all");
      return { ...plan, inputs: plan.inputs.map((i, n) => prune(i, wants[n])) };
    }
    case "join": {
      const left = colsOf(plan.leftOn);
      const right = colsOf(plan.rightOn);
      let leftAll = false;
      let rightAll = false;
      for (const c of joinColumns(plan)) {
        if (needed !== "all" && !needed.has(c.name)) continue;
        if (c.leftName !== undefined) left.add(c.leftName);
        if (c.rightName !== undefined) right.add(c.rightName);
      }
      // Names present on both sides stay on both, so the suffixes given to right-side names do not change.
      const leftNames = new Set(schemaOf(plan.left).map((f) => f.name));
      for (const f of schemaOf(plan.right))
        if (leftNames.has(f.name)) {
          left.add(f.name);
          right.add(f.name);
        }
      if (needed === "all") (leftAll = true), (rightAll = plan.how !== "semi" && plan.how !== "anti");
      return {
        ...plan,
        left: prune(plan.left, leftAll ? "all" : left),
        right: prune(plan.right, rightAll ? "all" : right),
      };
    }
  }
}

export const projectionPushdown: Pass = {
  name: "projectionPushdown",
  description: "read only the columns the query uses",
  run: (plan) => prune(plan, "all"),
};
