// The one list of function names. The three tables that define a function — the frame method that builds
// it (src/frame/functions.ts), its typing (./functions.ts, ./window.ts) and its SQL spelling
// (src/engine/sql/dialect.ts, window.ts) — are each checked against it with `satisfies Record<…>`, so a
// function added to one table and missing from another, or misspelled, is a compile error.

export const SCALAR_FNS = [
  "add", "sub", "mul", "div", "mod", "neg", "abs", "round",
  "eq", "neq", "lt", "le", "gt", "ge", "and", "or", "not",
  "isNull", "isNotNull", "isIn", "coalesce", "fillNull",
  "lower", "upper", "trim", "length", "contains", "startsWith", "endsWith", "replace", "regexpMatch", "regexpExtract", "split", "concatStr",
  "floor", "year", "month", "day", "hour", "minute", "second", "weekday", "format", "parse",
  "udf", "textJaccard", "levenshtein", "levenshteinSimilarity",
  "structField", "listGet", "listLen", "mapKeys", "mapValues", "mapGet",
] as const;

export const AGGREGATE_FNS = [
  "count_star", "count", "nUnique", "sum", "mean", "min", "max", "std", "median", "quantile", "first", "last", "collectList", "valueCounts",
] as const;

/** Functions that exist only over a window (aggregates can be used over one too). */
export const WINDOW_ONLY_FNS = ["rowNumber", "rank", "denseRank", "lag", "lead"] as const;

export type ScalarFn = (typeof SCALAR_FNS)[number];
export type AggregateFn = (typeof AGGREGATE_FNS)[number];
export type WindowOnlyFn = (typeof WINDOW_ONLY_FNS)[number];
export type FnName = ScalarFn | AggregateFn | WindowOnlyFn;
