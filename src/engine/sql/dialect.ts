// How each IR function is spelled in DuckDB SQL (the shape of Ibis' SIMPLE_OPS): most functions are a
// name; the few that need arranging are small functions. A second engine is a second table.
import { InvalidArgumentError } from "../../plan/errors.js";
import type { Expr, Options } from "../../plan/expr.js";
import { quoteIdent, quoteLiteral, quoteString } from "./quote.js";
import { jaccardSql, levenshteinSql } from "./tokens.js";
import { parseEvery } from "../../plan/duration.js";
import type { AggregateFn, ScalarFn } from "../../plan/names.js";

type Render = string | ((args: string[], options: Options | undefined) => string);

const infix = (op: string) => (a: string[]) => `(${a[0]} ${op} ${a[1]})`;

export const SCALAR_SQL = {
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: (a) => `(CAST(${a[0]} AS DOUBLE) / ${a[1]})`,
  mod: infix("%"),
  neg: (a) => `(- ${a[0]})`,
  abs: "abs",
  round: (a, o) => `round(${a[0]}, ${Number(o?.decimals ?? 0) | 0})`,
  eq: infix("="),
  neq: infix("<>"),
  lt: infix("<"),
  le: infix("<="),
  gt: infix(">"),
  ge: infix(">="),
  and: infix("AND"),
  or: infix("OR"),
  not: (a) => `(NOT ${a[0]})`,
  isNull: (a) => `(${a[0]} IS NULL)`,
  isNotNull: (a) => `(${a[0]} IS NOT NULL)`,
  isIn: (a) => (a.length > 1 ? `(${a[0]} IN (${a.slice(1).join(", ")}))` : "FALSE"),
  coalesce: "coalesce",
  fillNull: "coalesce",
  lower: "lower",
  upper: "upper",
  // Whitespace, like Polars' strip_chars() (DuckDB's one-argument trim removes spaces only).
  trim: (a) => `trim(${a[0]}, ${quoteString(" \t\n\r\v\f")})`,
  length: "length",
  contains: "contains",
  startsWith: "starts_with",
  endsWith: "ends_with",
  replace: "replace",
  regexpMatch: "regexp_matches",
  regexpExtract: (a, o) => `regexp_extract(${a[0]}, ${a[1]}, ${Number(o?.group ?? 0) | 0})`,
  split: "string_split",
  concatStr: (a, o) => `concat_ws(${quoteString(String(o?.sep ?? ""))}, ${a.join(", ")})`,
  floor: (a, o) => floorTime(a[0], String(o?.every ?? ""), String(o?.inputType ?? "TIMESTAMP")),
  year: "year",
  month: "month",
  day: "day",
  hour: "hour",
  minute: "minute",
  second: "second",
  weekday: "isodow",
  format: (a, o) => `strftime(${a[0]}, ${quoteString(String(o?.format))})`,
  parse: (a, o) => `strptime(${a[0]}, ${quoteString(String(o?.format))})`,
  // Advanced analytics (src/frame/udf.ts, src/frame/fuzzy.ts, src/frame/nested.ts).
  udf: (a, o) => `${quoteIdent(String(o?.name))}(${a.join(", ")})`,
  textJaccard: (a, o) => jaccardSql(a[0], a[1], o?.ngram ? { ngram: Number(o.ngram) } : "words"),
  levenshtein: (a) => levenshteinSql(a[0], a[1]),
  // Distance and lengths both in characters, so the result stays in [0, 1].
  levenshteinSimilarity: (a) => `(1 - ${levenshteinSql(a[0], a[1])} / nullif(greatest(length(${a[0]}), length(${a[1]})), 0))`,
  structField: (a, o) => `struct_extract(${a[0]}, ${quoteString(String(o?.name))})`,
  listGet: (a, o) => `list_extract(${a[0]}, ${(Number(o?.index) | 0) + 1})`,
  listLen: (a) => `len(${a[0]})`,
  mapKeys: "map_keys",
  mapValues: "map_values",
  mapGet: (a) => `map_extract_value(${a[0]}, ${a[1]})`,
} satisfies Record<ScalarFn, Render>;

export const AGGREGATE_SQL = {
  count_star: () => "count(*)",
  count: "count",
  nUnique: (a) => `count(DISTINCT ${a[0]})`,
  sum: (a) => `sum(${a[0]})`,
  mean: "avg",
  min: "min",
  max: "max",
  std: "stddev_samp",
  median: "median",
  quantile: (a, o) => `quantile_cont(${a[0]}, ${quoteLiteral(Number(o?.q))})`,
  first: "first",
  last: "last",
  collectList: "list",
  valueCounts: "histogram",
} satisfies Record<AggregateFn, Render>;

/**
 * The arguments of an aggregate, with median/quantile of numbers computed on DOUBLE (the type the schema
 * gives them): DuckDB keeps a DECIMAL's scale (median of 0.25 and 0.50 in DECIMAL(4,2) is 0.37) and a FLOAT.
 */
export function aggregateArgs(fn: string, args: string[], resultType: string): string[] {
  return (fn === "median" || fn === "quantile") && resultType === "DOUBLE" && args.length ? [`CAST(${args[0]} AS DOUBLE)`, ...args.slice(1)] : args;
}

/** `k1 DESC NULLS LAST, k2 ASC NULLS FIRST`: the order of a sort, a window or an ordered aggregate. */
export function orderList(keys: readonly { expr: Expr; descending: boolean; nullsLast: boolean }[], q: (e: Expr) => string): string {
  return keys.map((k) => `${q(k.expr)} ${k.descending ? "DESC" : "ASC"} NULLS ${k.nullsLast ? "LAST" : "FIRST"}`).join(", ");
}

export function renderCall(table: Record<string, Render>, fn: string, args: string[], options: Options | undefined): string {
  const r = table[fn];
  if (r === undefined) throw new InvalidArgumentError(`function '${fn}' has no DuckDB spelling`);
  return typeof r === "string" ? `${r}(${args.join(", ")})` : r(args, options);
}

/**
 * Rounds down to a multiple of `every`. Buckets count from the Unix epoch, like Polars (DuckDB's own
 * default origin is 2000-01-03, which shifts "2d" or "5h" buckets); weeks start on Monday. A DATE stays a DATE.
 */
function floorTime(x: string, every: string, inputType: string): string {
  const { n, unit } = parseEvery(every);
  const origin = inputType === "DATE" ? "DATE '1970-01-01'" : inputType.startsWith("TIMESTAMP WITH TIME ZONE") ? "TIMESTAMPTZ '1970-01-01 00:00:00+00'" : "TIMESTAMP '1970-01-01 00:00:00'";
  const sql =
    n === 1 ? `date_trunc(${quoteString(unit)}, ${x})`
    : unit === "week" ? `time_bucket(INTERVAL ${quoteString(`${n} ${unit}`)}, ${x})`
    : `time_bucket(INTERVAL ${quoteString(`${n} ${unit}`)}, ${x}, ${origin})`;
  return inputType === "DATE" ? `CAST(${sql} AS DATE)` : sql;
}
