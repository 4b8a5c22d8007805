// Window expressions: col("x").sum().over({ partitionBy: "g", orderBy: "t" }), rank().over(...),
// col("x").lag(1).over(...), col("x").cumSum().over(...), col("x").rollingMean(3).over(...).
// The methods are added to Expression here (declaration merging) so the core builder stays as it was.
import { InvalidArgumentError, checkOptionNames } from "../plan/errors.js";
import { type Expr, type Literal, type WindowExpr, type WindowFrame, type WindowOrder } from "../plan/expr.js";
import { Expression, toColumnExpr, type ExprInput } from "./expr.js";

type Many<T> = T | readonly T[];

export interface WindowSpec {
  /** Rows with equal values here form one window (default: the whole frame). */
  partitionBy?: Many<Expression | string>;
  /** Order of rows within a window (needed by rank, lag/lead, cumulative and rolling functions). */
  orderBy?: Many<Expression | string>;
  descending?: boolean | readonly boolean[];
  nullsLast?: boolean | readonly boolean[];
  /** Rows around the current one: { rows: [-2, 0] } = two before to the current; null = unbounded.
   *  { range: [-10, 0] } measures in the (single, numeric) orderBy value instead. */
  frame?: { rows: readonly [number | null, number | null] } | { range: readonly [number | null, number | null] };
}

declare module "./expr.js" {
  interface Expression {
    /** Evaluates an aggregation (sum, mean, min, max, count, ...) or a window function over a window. */
    over(spec?: WindowSpec): Expression;
    /** The value `n` rows earlier in the window's order (null, or `defaultValue`, before the first). */
    lag(n?: number, defaultValue?: Literal): Expression;
    /** The value `n` rows later in the window's order. */
    lead(n?: number, defaultValue?: Literal): Expression;
    cumSum(): Expression;
    cumMean(): Expression;
    cumMin(): Expression;
    cumMax(): Expression;
    cumCount(): Expression;
    /** Over the current row and the n - 1 before it. */
    rollingSum(n: number): Expression;
    rollingMean(n: number): Expression;
    rollingMin(n: number): Expression;
    rollingMax(n: number): Expression;
  }
}

const many = <T>(v: Many<T> | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? [...(v as T[])] : [v as T]);

function pending(fn: WindowExpr["fn"], args: Expr[], options?: WindowExpr["options"], frame?: WindowFrame): Expression {
  return new Expression({ kind: "window", fn, args, partitionBy: [], orderBy: [], frame, options });
}

function toFrame(spec: WindowSpec["frame"]): WindowFrame | undefined {
  if (!spec) return undefined;
  const unit = "rows" in spec ? "rows" : "range";
  const pair = "rows" in spec ? spec.rows : spec.range;
  if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidArgumentError(`over({ frame }): expected { ${unit}: [start, end] }, e.g. { rows: [-2, 0] }`);
  const [start, end] = pair;
  for (const b of [start, end])
    if (b !== null && !(typeof b === "number" && Number.isFinite(b) && (unit === "range" || Number.isInteger(b))))
      throw new InvalidArgumentError(`over({ frame }): bounds must be ${unit === "rows" ? "integers" : "numbers"} or null (unbounded), got ${JSON.stringify(b)}`);
  if (start !== null && end !== null && start > end) throw new InvalidArgumentError(`over({ frame }): start ${start} is after end ${end}`);
  return { unit, start, end };
}

Expression.prototype.over = function over(this: Expression, spec: WindowSpec = {}): Expression {
  checkOptionNames("over", spec, { partitionBy: true, orderBy: true, descending: true, nullsLast: true, frame: true } satisfies Record<keyof WindowSpec, true>);
  let node = this.node;
  const alias = node.kind === "alias" ? node.name : undefined;
  if (node.kind === "alias") node = node.expr;
  const descending = spec.descending;
  const nullsLast = spec.nullsLast;
  const pick = (v: boolean | readonly boolean[] | undefined, i: number) => (Array.isArray(v) ? Boolean(v[i]) : Boolean(v));
  const orderBy: WindowOrder[] = many(spec.orderBy).map((o, i) => ({ expr: toColumnExpr(o), descending: pick(descending, i), nullsLast: pick(nullsLast, i) }));
  const partitionBy = many(spec.partitionBy).map(toColumnExpr);
  let w: WindowExpr;
  if (node.kind === "window") w = { ...node, partitionBy, orderBy, frame: toFrame(spec.frame) ?? node.frame };
  else if (node.kind === "agg") w = { kind: "window", fn: node.fn, args: node.args, partitionBy, orderBy, frame: toFrame(spec.frame), options: node.options };
  else throw new InvalidArgumentError("over() applies to an aggregation (col(\"x\").sum(), count(), ...) or a window function (rank(), col(\"x\").lag(), ...)");
  return new Expression(alias ? { kind: "alias", expr: w, name: alias } : w);
};

function checkN(n: number, what: string): void {
  // Safe integers only: a larger one loses digits (and was wrapped to 32 bits when rendered).
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new InvalidArgumentError(`${what}(n): n must be a positive integer (at most 2^53 - 1), got ${n}`);
}

Expression.prototype.lag = function (this: Expression, n = 1, defaultValue?: Literal) {
  checkN(n, "lag");
  return pending("lag", [this.node], { offset: n, default: (defaultValue ?? null) as string | number | boolean | null });
};
Expression.prototype.lead = function (this: Expression, n = 1, defaultValue?: Literal) {
  checkN(n, "lead");
  return pending("lead", [this.node], { offset: n, default: (defaultValue ?? null) as string | number | boolean | null });
};
const CUMULATIVE: WindowFrame = { unit: "rows", start: null, end: 0 };
Expression.prototype.cumSum = function (this: Expression) { return pending("sum", [this.node], undefined, CUMULATIVE); };
Expression.prototype.cumMean = function (this: Expression) { return pending("mean", [this.node], undefined, CUMULATIVE); };
Expression.prototype.cumMin = function (this: Expression) { return pending("min", [this.node], undefined, CUMULATIVE); };
Expression.prototype.cumMax = function (this: Expression) { return pending("max", [this.node], undefined, CUMULATIVE); };
Expression.prototype.cumCount = function (this: Expression) { return pending("count", [this.node], undefined, CUMULATIVE); };
const rolling = (fn: "sum" | "mean" | "min" | "max") =>
  function (this: Expression, n: number) {
    checkN(n, `rolling${fn[0].toUpperCase()}${fn.slice(1)}`);
    return pending(fn, [this.node], undefined, { unit: "rows", start: -(n - 1), end: 0 });
  };
Expression.prototype.rollingSum = rolling("sum");
Expression.prototype.rollingMean = rolling("mean");
Expression.prototype.rollingMin = rolling("min");
Expression.prototype.rollingMax = rolling("max");

/** 1, 2, 3, ... in the window's order. */
export function rowNumber(): Expression {
  return pending("rowNumber", []);
}
/** Rank with gaps after ties (1, 1, 3). */
export function rank(): Expression {
  return pending("rank", []);
}
/** Rank without gaps (1, 1, 2). */
export function denseRank(): Expression {
  return pending("denseRank", []);
}

export type { ExprInput };
