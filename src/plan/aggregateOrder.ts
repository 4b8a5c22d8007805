// first(), last() and collectList() depend on row order. DuckDB aggregates in parallel, so a sort before
// groupBy(...).agg(...) does not reach them by itself (the rows arrive in any order). Like Polars, which
// keeps row order within groups, the order of the nearest sort below the aggregation is given to these
// aggregates explicitly: `first(x ORDER BY sort keys)`.
import { children, colRef, columnsOf, mapChildren, renameColumns, stripAlias, outputName, type Expr, type WindowOrder } from "./expr.js";
import type { Plan } from "./nodes.js";

const ORDER_SENSITIVE = new Set(["first", "last", "collectList"]);

function needsOrder(e: Expr): boolean {
  if (e.kind === "agg" && ORDER_SENSITIVE.has(e.fn) && !e.orderBy) return true;
  return e.kind !== "window" && children(e).some(needsOrder);
}

/**
 * The aggregation's input and aggregates with the order of the nearest sort below attached to every
 * order-sensitive aggregate. The sort is found through the nodes that keep row order (projections,
 * filters, a limit); a projection that drops a sort key passes it through under a hidden name (the
 * aggregation's output has only its keys and aggregates, so the extra column never shows).
 */
export function orderAggregates(input: Plan, aggs: readonly Expr[]): { input: Plan; aggs: readonly Expr[] } {
  if (!aggs.some(needsOrder)) return { input, aggs };
  const chain: Array<Extract<Plan, { kind: "project" | "filter" | "limit" }>> = [];
  let node = input;
  while (node.kind === "project" || node.kind === "filter" || node.kind === "limit") {
    chain.push(node);
    node = node.input;
  }
  if (node.kind !== "sort") return { input, aggs };
  let rebuilt: Plan = node;
  let keys: WindowOrder[] = node.keys.map((k) => ({ expr: k.expr, descending: k.descending, nullsLast: k.nullsLast }));
  for (const above of chain.reverse()) {
    if (above.kind !== "project") {
      rebuilt = { ...above, input: rebuilt };
      continue;
    }
    const exprs = [...above.exprs];
    const names = new Set(exprs.map(outputName));
    const renames = new Map<string, string>();
    for (const c of new Set(keys.flatMap((k) => [...columnsOf(k.expr)]))) {
      const passed = exprs.find((e) => stripAlias(e).kind === "col" && (stripAlias(e) as { name: string }).name === c);
      if (passed) {
        renames.set(c, outputName(passed));
        continue;
      }
      let hidden = `__order_${c}`;
      while (names.has(hidden)) hidden = `_${hidden}`;
      names.add(hidden);
      exprs.push({ kind: "alias", expr: colRef(c), name: hidden });
      renames.set(c, hidden);
    }
    keys = keys.map((k) => ({ ...k, expr: renameColumns(k.expr, renames) }));
    rebuilt = { ...above, input: rebuilt, exprs };
  }
  const attach = (e: Expr): Expr => {
    if (e.kind === "window") return e;
    if (e.kind === "agg" && ORDER_SENSITIVE.has(e.fn) && !e.orderBy) return { ...e, orderBy: keys };
    return mapChildren(e, attach);
  };
  return { input: rebuilt, aggs: aggs.map(attach) };
}
