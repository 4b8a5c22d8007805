// The expression builder users write: col("a").gt(1).and(col("b").eq("x")). Each method returns a new
// Expression wrapping an IR node (src/plan/expr.ts); nothing is checked or run until a frame uses it.
import { colRef, exprToString, literal, type Expr, type Literal, type Options } from "../plan/expr.js";
import { InvalidArgumentError } from "../plan/errors.js";
import { parseEvery } from "../plan/duration.js";
import type { AggregateFn, ScalarFn } from "../plan/names.js";

/** Anything accepted where an expression is expected: an Expression, or a plain value (a literal). */
export type ExprInput = Expression | Literal;

export class Expression {
  constructor(readonly node: Expr) {}

  private call(fn: ScalarFn, args: readonly ExprInput[] = [], options?: Options): Expression {
    return new Expression({ kind: "call", fn, args: [this.node, ...args.map(toExpr)], options });
  }
  private agg(fn: AggregateFn, options?: Options): Expression {
    return new Expression({ kind: "agg", fn, args: [this.node], options });
  }

  // naming
  as(name: string): Expression {
    if (typeof name !== "string" || name === "") throw new InvalidArgumentError("as(name): name must be a non-empty string");
    return new Expression({ kind: "alias", expr: this.node.kind === "alias" ? this.node.expr : this.node, name });
  }
  alias(name: string): Expression {
    return this.as(name);
  }

  // arithmetic
  add(o: ExprInput) { return this.call("add", [o]); }
  sub(o: ExprInput) { return this.call("sub", [o]); }
  mul(o: ExprInput) { return this.call("mul", [o]); }
  div(o: ExprInput) { return this.call("div", [o]); }
  mod(o: ExprInput) { return this.call("mod", [o]); }
  neg() { return this.call("neg"); }
  abs() { return this.call("abs"); }
  round(decimals = 0) {
    if (!Number.isInteger(decimals)) throw new InvalidArgumentError(`round(decimals): decimals must be an integer, got ${JSON.stringify(decimals)}`);
    return this.call("round", [], { decimals });
  }

  // comparison and logic
  eq(o: ExprInput) { return this.call("eq", [o]); }
  neq(o: ExprInput) { return this.call("neq", [o]); }
  lt(o: ExprInput) { return this.call("lt", [o]); }
  le(o: ExprInput) { return this.call("le", [o]); }
  gt(o: ExprInput) { return this.call("gt", [o]); }
  ge(o: ExprInput) { return this.call("ge", [o]); }
  and(o: ExprInput) { return this.call("and", [o]); }
  or(o: ExprInput) { return this.call("or", [o]); }
  not() { return this.call("not"); }
  /** True when the value is one of `values`: isIn(["a", "b"]) or isIn("a", "b"). */
  isIn(...values: (Literal | readonly Literal[])[]) {
    const list = values.flatMap((v) => (Array.isArray(v) ? (v as Literal[]) : [v as Literal]));
    if (list.length === 0) throw new InvalidArgumentError(`isIn(values): give at least one value, e.g. ${exprToString(this.node)}.isIn(["a", "b"])`);
    return this.call("isIn", list);
  }

  // nulls and types
  isNull() { return this.call("isNull"); }
  isNotNull() { return this.call("isNotNull"); }
  fillNull(value: ExprInput) { return this.call("fillNull", [value]); }
  cast(type: string) { return new Expression({ kind: "cast", expr: this.node, to: normalizeType(type) }); }

  // strings
  lower() { return this.call("lower"); }
  upper() { return this.call("upper"); }
  trim() { return this.call("trim"); }
  length() { return this.call("length"); }
  contains(substring: string) { return this.call("contains", [substring]); }
  startsWith(prefix: string) { return this.call("startsWith", [prefix]); }
  endsWith(suffix: string) { return this.call("endsWith", [suffix]); }
  replace(from: string, to: string) { return this.call("replace", [from, to]); }
  /** Whether the string matches a regular expression (RE2 syntax) anywhere. */
  regexpMatch(pattern: string) { return this.call("regexpMatch", [pattern]); }
  /** The text of capture `group` (0 = whole match), or "" when there is no match. */
  regexpExtract(pattern: string, group = 0) { return this.call("regexpExtract", [pattern], { group }); }
  split(separator: string) { return this.call("split", [separator]); }

  // date/time
  /** Rounds down to a multiple of `every`: "1h", "15m", "1d", "1w", "1mo", "1y". */
  floor(every: string) {
    parseEvery(every);
    return this.call("floor", [], { every });
  }
  year() { return this.call("year"); }
  month() { return this.call("month"); }
  day() { return this.call("day"); }
  hour() { return this.call("hour"); }
  minute() { return this.call("minute"); }
  second() { return this.call("second"); }
  weekday() { return this.call("weekday"); }
  /** strftime-style format, e.g. "%Y-%m-%d %H:%M". */
  format(format: string) { return this.call("format", [], { format: formatText("format", format) }); }
  /** Parses text with a strptime-style format into a TIMESTAMP. */
  parse(format: string) { return this.call("parse", [], { format: formatText("parse", format) }); }

  // aggregations
  /** Number of non-null values. */
  count() { return this.agg("count"); }
  nUnique() { return this.agg("nUnique"); }
  sum() { return this.agg("sum"); }
  mean() { return this.agg("mean"); }
  min() { return this.agg("min"); }
  max() { return this.agg("max"); }
  std() { return this.agg("std"); }
  median() { return this.agg("median"); }
  quantile(q: number) {
    if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError(`quantile(q): q must be between 0 and 1, got ${q}`);
    return this.agg("quantile", { q });
  }
  first() { return this.agg("first"); }
  last() { return this.agg("last"); }
  collectList() { return this.agg("collectList"); }
  /** A map from each value to how many times it occurs. */
  valueCounts() { return this.agg("valueCounts"); }

  toString(): string {
    return JSON.stringify(this.node);
  }
}

export function toExpr(v: ExprInput): Expr {
  if (v instanceof Expression) return v.node;
  if (v === undefined) throw new InvalidArgumentError("an expression or value is required, got undefined");
  if (typeof v === "object" && v !== null && !(v instanceof Date))
    throw new InvalidArgumentError(`expected an expression (col(...), lit(...)) or a plain value, got ${Object.prototype.toString.call(v)}`);
  return literal(v);
}

/** In verbs, a string means a column name; elsewhere it is a literal. */
export function toColumnExpr(v: ExprInput | string): Expr {
  return typeof v === "string" ? colRef(v) : toExpr(v);
}

export function col(name: string): Expression {
  if (typeof name !== "string" || name === "") throw new InvalidArgumentError("col(name): name must be a non-empty string");
  return new Expression(colRef(name));
}

export function lit(value: Literal): Expression {
  return new Expression(toExpr(value));
}

/** count() — the number of rows (in a group). */
export function count(): Expression {
  return new Expression({ kind: "agg", fn: "count_star", args: [] });
}

export function coalesce(...values: ExprInput[]): Expression {
  if (values.length === 0) throw new InvalidArgumentError("coalesce() needs at least one value");
  return new Expression({ kind: "call", fn: "coalesce", args: values.map(toExpr) });
}

/** Joins values as text: concatStr([col("a"), "|", col("b")]) or with a separator. */
export function concatStr(values: readonly ExprInput[], separator = ""): Expression {
  return new Expression({ kind: "call", fn: "concatStr", args: values.map(toExpr), options: { sep: separator } });
}

/** A struct (nested record) column: struct({ views: col("n"), ... }). */
export function struct(fields: Record<string, ExprInput>): Expression {
  return new Expression({ kind: "struct", fields: Object.entries(fields).map(([name, e]) => ({ name, expr: toExpr(e) })) });
}

/** when(cond).then(a).when(cond2).then(b).otherwise(c) */
function formatText(what: string, format: unknown): string {
  if (typeof format !== "string" || format === "") throw new InvalidArgumentError(`${what}(format): format must be a non-empty strftime-style string such as "%Y-%m-%d %H:%M", got ${JSON.stringify(format)}`);
  return format;
}

export function when(condition: ExprInput): WhenBuilder {
  return new WhenBuilder([], toExpr(condition));
}

export class WhenBuilder {
  constructor(
    private readonly branches: { when: Expr; then: Expr }[],
    private readonly pending: Expr,
  ) {}
  then(value: ExprInput): ThenBuilder {
    return new ThenBuilder([...this.branches, { when: this.pending, then: toExpr(value) }]);
  }
  /** Only to say what is missing: every when() needs its then() first. */
  otherwise(_value: ExprInput): never {
    throw new InvalidArgumentError("when(condition) needs .then(value) before .otherwise(value): when(cond).then(a).otherwise(b)");
  }
}

export class ThenBuilder extends Expression {
  constructor(private readonly branches: { when: Expr; then: Expr }[]) {
    super({ kind: "case", branches, otherwise: literal(null) });
  }
  when(condition: ExprInput): WhenBuilder {
    return new WhenBuilder(this.branches, toExpr(condition));
  }
  otherwise(value: ExprInput): Expression {
    return new Expression({ kind: "case", branches: this.branches, otherwise: toExpr(value) });
  }
}

const TYPE_ALIASES: Record<string, string> = {
  int8: "TINYINT", int16: "SMALLINT", int32: "INTEGER", int64: "BIGINT", int: "BIGINT", integer: "INTEGER",
  uint8: "UTINYINT", uint16: "USMALLINT", uint32: "UINTEGER", uint64: "UBIGINT",
  float32: "FLOAT", float64: "DOUBLE", float: "DOUBLE", double: "DOUBLE", number: "DOUBLE",
  string: "VARCHAR", str: "VARCHAR", utf8: "VARCHAR", text: "VARCHAR", varchar: "VARCHAR",
  bool: "BOOLEAN", boolean: "BOOLEAN", date: "DATE", datetime: "TIMESTAMP", timestamp: "TIMESTAMP",
  bigint: "BIGINT", smallint: "SMALLINT", tinyint: "TINYINT",
};

export function normalizeType(type: string): string {
  const t = TYPE_ALIASES[type.toLowerCase()] ?? type.toUpperCase();
  if (!Object.values(TYPE_ALIASES).includes(t) && !/^DECIMAL\(\d+,\s*\d+\)$/.test(t))
    throw new InvalidArgumentError(`cast(${JSON.stringify(type)}): unknown type; use one of int32, int64, float64, string, bool, date, timestamp, DECIMAL(p,s)`);
  return t;
}
