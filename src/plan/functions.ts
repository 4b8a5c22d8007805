// What each function accepts and returns. One row per function; the SQL spelling of each lives in
// the engine's dialect table (src/engine/sql/dialect.ts), so a second engine never touches this file.
import { arithmeticType, commonType, comparable, decimalShape, isBoolean, isDecimal, isInteger, isNumeric, isString, isTemporal, type DataType } from "./types.js";
import type { Options } from "./expr.js";
import { nestedResult } from "./nested.js";
import type { AggregateFn, ScalarFn } from "./names.js";

export type ArgKind = "any" | "numeric" | "string" | "temporal" | "boolean";

export interface FunctionSpec {
  /** Kinds of the positional arguments; the last kind repeats for variadic functions. */
  args: readonly ArgKind[];
  variadic?: boolean;
  result: (types: readonly DataType[], options: Options | undefined) => DataType;
  /** Extra check across arguments (e.g. both sides comparable); returns a reason when they are not. */
  check?: (types: readonly DataType[]) => string | undefined;
}

const same = (t: readonly DataType[]) => t[0];
const bool = () => "BOOLEAN";
const arith = (op: "add" | "sub" | "mul" | "mod"): FunctionSpec => ({ args: ["numeric", "numeric"], result: (t) => arithmeticType(op, t[0], t[1]) });
const comparableCheck = (t: readonly DataType[]) => (comparable(t[0], t[1]) ? undefined : "the two sides cannot be compared");
const compare: FunctionSpec = { args: ["any", "any"], result: bool, check: comparableCheck };
const str2str: FunctionSpec = { args: ["string"], result: () => "VARCHAR" };
const str2bool: FunctionSpec = { args: ["string"], result: bool };
const datePart: FunctionSpec = { args: ["temporal"], result: () => "BIGINT" };

// Typed by the name list (./names.ts): a name missing here, or one not in the list, is a compile error.
export const SCALAR_FUNCTIONS: Readonly<Record<ScalarFn, FunctionSpec>> = {
  add: arith("add"),
  sub: arith("sub"),
  mul: arith("mul"),
  div: { args: ["numeric", "numeric"], result: () => "DOUBLE" },
  mod: arith("mod"),
  neg: { args: ["numeric"], result: same },
  abs: { args: ["numeric"], result: same },
  round: {
    args: ["numeric"],
    // A DECIMAL keeps its precision and drops the digits rounded away.
    result: (t, o) => {
      const d = decimalShape(t[0]);
      return isDecimal(t[0]) && d ? `DECIMAL(${d.p},${Math.max(0, Math.min(d.s, Number(o?.decimals ?? 0)))})` : t[0];
    },
  },
  eq: compare,
  neq: compare,
  lt: compare,
  le: compare,
  gt: compare,
  ge: compare,
  and: { args: ["boolean", "boolean"], result: bool },
  or: { args: ["boolean", "boolean"], result: bool },
  not: { args: ["boolean"], result: bool },
  isNull: { args: ["any"], result: bool },
  isNotNull: { args: ["any"], result: bool },
  isIn: { args: ["any"], result: bool, check: (t) => (t.every((x) => comparable(t[0], x)) ? undefined : "every value must be comparable with the column") },
  coalesce: {
    args: ["any"],
    variadic: true,
    result: (t) => t.reduce(commonType),
    check: (t) => (t.every((x) => comparable(t[0], x)) ? undefined : "all values need one common type"),
  },
  fillNull: { args: ["any", "any"], result: (t) => t.reduce(commonType), check: (t) => (comparable(t[0], t[1]) ? undefined : "the fill value must have the column's type") },
  lower: str2str,
  upper: str2str,
  trim: str2str,
  length: { args: ["string"], result: () => "BIGINT" },
  contains: str2bool,
  startsWith: str2bool,
  endsWith: str2bool,
  replace: str2str,
  regexpMatch: str2bool,
  regexpExtract: str2str,
  split: { args: ["string"], result: () => "VARCHAR[]" },
  concatStr: { args: ["any"], variadic: true, result: () => "VARCHAR" },
  floor: { args: ["temporal"], result: same },
  year: datePart,
  month: datePart,
  day: datePart,
  hour: datePart,
  minute: datePart,
  second: datePart,
  weekday: datePart,
  format: { args: ["temporal"], result: () => "VARCHAR" },
  parse: { args: ["string"], result: () => "TIMESTAMP" },
  // Advanced analytics (src/frame/udf.ts, src/frame/fuzzy.ts, src/frame/nested.ts).
  udf: { args: ["any"], variadic: true, result: (_t, o) => String(o?.returns) },
  textJaccard: { args: ["string", "string"], result: () => "DOUBLE" },
  levenshtein: { args: ["string", "string"], result: () => "BIGINT" },
  levenshteinSimilarity: { args: ["string", "string"], result: () => "DOUBLE" },
  structField: { args: ["any"], result: (t, o) => nestedResult("field", t[0], o) },
  listGet: { args: ["any"], result: (t, o) => nestedResult("get", t[0], o) },
  listLen: { args: ["any"], result: (t, o) => (nestedResult("len", t[0], o), "BIGINT") },
  mapKeys: { args: ["any"], result: (t, o) => nestedResult("keys", t[0], o) },
  mapValues: { args: ["any"], result: (t, o) => nestedResult("values", t[0], o) },
  mapGet: { args: ["any", "any"], result: (t, o) => nestedResult("mapGet", t[0], o) },
};

export const AGGREGATE_FUNCTIONS: Readonly<Record<AggregateFn, FunctionSpec>> = {
  count_star: { args: [], result: () => "BIGINT" },
  count: { args: ["any"], result: () => "BIGINT" },
  nUnique: { args: ["any"], result: () => "BIGINT" },
  sum: { args: ["numeric"], result: (t) => (isInteger(t[0]) ? "BIGINT" : isDecimal(t[0]) ? `DECIMAL(38,${decimalShape(t[0])!.s})` : "DOUBLE") },
  mean: { args: ["numeric"], result: () => "DOUBLE" },
  min: { args: ["any"], result: same },
  max: { args: ["any"], result: same },
  std: { args: ["numeric"], result: () => "DOUBLE" },
  // A date's median can fall between two days: DuckDB and Polars give a timestamp.
  median: { args: ["any"], result: (t) => (isNumeric(t[0]) ? "DOUBLE" : t[0] === "DATE" ? "TIMESTAMP" : t[0]) },
  quantile: { args: ["numeric"], result: () => "DOUBLE" },
  first: { args: ["any"], result: same },
  last: { args: ["any"], result: same },
  collectList: { args: ["any"], result: (t) => `${t[0]}[]` },
  valueCounts: { args: ["any"], result: (t) => `MAP(${t[0]}, UBIGINT)` },
};

export function argKindMatches(kind: ArgKind, t: DataType): boolean {
  if (t === "NULL") return true;
  switch (kind) {
    case "any":
      return true;
    case "numeric":
      return isNumeric(t);
    case "string":
      return isString(t);
    case "temporal":
      return isTemporal(t);
    case "boolean":
      return isBoolean(t);
  }
}
