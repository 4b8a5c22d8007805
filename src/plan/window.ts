// Window functions: what each accepts and returns (the SQL spelling is in src/engine/sql/window.ts).
// A window expression is computed per row, over the rows of its partition, in its order and frame.
import { TypeMismatchError } from "./errors.js";
import { exprToString, type Expr, type WindowExpr } from "./expr.js";
import { AGGREGATE_FUNCTIONS, argKindMatches, type FunctionSpec } from "./functions.js";
import type { DataType, Schema } from "./types.js";

const bigint = () => "BIGINT";
const same = (t: readonly DataType[]) => t[0];

/** Functions that only exist over a window; aggregates from AGGREGATE_FUNCTIONS are allowed too. */
export const WINDOW_FUNCTIONS: Record<string, FunctionSpec & { needsOrder?: boolean }> = {
  rowNumber: { args: [], result: bigint },
  rank: { args: [], result: bigint, needsOrder: true },
  denseRank: { args: [], result: bigint, needsOrder: true },
  lag: { args: ["any"], result: same, needsOrder: true },
  lead: { args: ["any"], result: same, needsOrder: true },
};

/** Aggregates usable over a window (cumulative and rolling forms). */
export const WINDOW_AGGREGATES = ["sum", "mean", "min", "max", "count", "count_star", "first", "last", "std", "median"];

export function windowSpec(fn: string): (FunctionSpec & { needsOrder?: boolean }) | undefined {
  return WINDOW_FUNCTIONS[fn] ?? (WINDOW_AGGREGATES.includes(fn) ? AGGREGATE_FUNCTIONS[fn] : undefined);
}

export function windowType(e: WindowExpr, schema: Schema, typeOf: (e: Expr, s: Schema) => DataType): DataType {
  const spec = windowSpec(e.fn);
  if (!spec) throw new TypeMismatchError(`'${e.fn}' cannot be used over a window; use one of ${[...Object.keys(WINDOW_FUNCTIONS), ...WINDOW_AGGREGATES].join(", ")}`);
  for (const p of e.partitionBy) typeOf(p, schema);
  for (const o of e.orderBy) typeOf(o.expr, schema);
  const types = e.args.map((a) => typeOf(a, schema));
  e.args.forEach((a, i) => {
    const kind = spec.args[Math.min(i, spec.args.length - 1)];
    if (kind && !argKindMatches(kind, types[i])) throw new TypeMismatchError(`${exprToString(e)}: '${e.fn}' cannot take ${exprToString(a)} (${types[i]})`);
  });
  if (spec.needsOrder && e.orderBy.length === 0)
    throw new TypeMismatchError(`${exprToString(e)}: '${e.fn}' needs an order; pass over({ orderBy: "column" })`);
  if (e.frame && e.orderBy.length === 0)
    throw new TypeMismatchError(`${exprToString(e)}: cumulative and rolling windows need an order; pass over({ orderBy: "column" })`);
  if (e.frame?.unit === "range" && e.orderBy.length !== 1)
    throw new TypeMismatchError(`${exprToString(e)}: a range frame needs exactly one orderBy column (the frame is measured in its values)`);
  // Sums as grouped: integers stay BIGINT (as a cumulative sum does in Polars), a DECIMAL stays DECIMAL(38, s).
  return spec.result(types, e.options);
}
