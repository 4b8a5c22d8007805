// Window functions: what each accepts and returns (the SQL spelling is in src/engine/sql/window.ts).
// A window expression is computed per row, over the rows of its partition, in its order and frame.
import { InvalidArgumentError, TypeMismatchError } from "./errors.js";
import { exprToString, type Expr, type WindowExpr } from "./expr.js";
import { AGGREGATE_FUNCTIONS, argKindMatches, type FunctionSpec } from "./functions.js";
import type { AggregateFn, WindowOnlyFn } from "./names.js";
import { integerRange, isBoolean, isInteger, isNull, isNumeric, isString, isTemporal, type DataType, type Schema } from "./types.js";

const bigint = () => "BIGINT";
const same = (t: readonly DataType[]) => t[0];

/** Functions that only exist over a window; aggregates from AGGREGATE_FUNCTIONS are allowed too. */
export const WINDOW_FUNCTIONS: Readonly<Record<WindowOnlyFn, FunctionSpec & { needsOrder?: boolean }>> = {
  rowNumber: { args: [], result: bigint },
  rank: { args: [], result: bigint, needsOrder: true },
  denseRank: { args: [], result: bigint, needsOrder: true },
  lag: { args: ["any"], result: same, needsOrder: true },
  lead: { args: ["any"], result: same, needsOrder: true },
};

/** Aggregates usable over a window (cumulative and rolling forms). */
export const WINDOW_AGGREGATES: readonly AggregateFn[] = ["sum", "mean", "min", "max", "count", "count_star", "first", "last", "std", "median"];

export function windowSpec(fn: string): (FunctionSpec & { needsOrder?: boolean }) | undefined {
  if (Object.hasOwn(WINDOW_FUNCTIONS, fn)) return WINDOW_FUNCTIONS[fn as WindowOnlyFn];
  return (WINDOW_AGGREGATES as readonly string[]).includes(fn) ? AGGREGATE_FUNCTIONS[fn as AggregateFn] : undefined;
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
  if (e.fn === "lag" || e.fn === "lead") return shiftType(e, types[0]);
  // Sums as grouped: integers stay BIGINT (as a cumulative sum does in Polars), a DECIMAL stays DECIMAL(38, s).
  return spec.result(types, e.options);
}

/**
 * The type of lag/lead: the column's, or DOUBLE when an integer column gets a fractional default (as
 * Polars widens). A default of another kind is refused here, not cast by DuckDB (0.5 → 0, true → 1).
 */
function shiftType(e: WindowExpr, t: DataType): DataType {
  const offset = e.options?.offset ?? 1;
  if (!(typeof offset === "number" && Number.isSafeInteger(offset) && offset >= 0))
    throw new InvalidArgumentError(`${e.fn}(n): n must be a non-negative integer (at most 2^53 - 1), got ${JSON.stringify(offset)}`);
  const d: unknown = e.options?.default;
  if (d === undefined || d === null || isNull(t)) return t;
  const refuse = (want: string) =>
    new TypeMismatchError(`${exprToString(e)}: the default ${d instanceof Date ? d.toISOString() : JSON.stringify(d)} does not fit the column's type ${t}; pass ${want}`);
  if (isNumeric(t)) {
    if (typeof d !== "number" || !Number.isFinite(d)) throw refuse("a finite number");
    if (!isInteger(t)) return t;
    if (!Number.isInteger(d)) return "DOUBLE";
    // An integer default beyond the column's range widens the result rather than failing in the cast.
    const [lo, hi] = integerRange(t);
    return d >= lo && d <= hi ? t : d < 0 && (t === "UBIGINT" || t === "UHUGEINT") ? "HUGEINT" : "BIGINT";
  }
  if (isBoolean(t)) {
    if (typeof d !== "boolean") throw refuse("true or false");
    return t;
  }
  if (isString(t)) {
    if (typeof d !== "string") throw refuse("a string");
    return t;
  }
  if (isTemporal(t)) {
    if (typeof d !== "string" && !(d instanceof Date)) throw refuse("a Date or a date/time string");
    return t;
  }
  throw new TypeMismatchError(`${exprToString(e)}: a default is supported for numbers, text, booleans, dates and times, not ${t}; fill nulls afterwards with fillNull()`);
}
