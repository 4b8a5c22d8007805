// partitionPruning: for hive-partitioned Parquet scans, evaluates the scan's conditions on partition
// columns against each file's key=value folders, so files in pruned partitions are never opened.
import { columnsOf, conjuncts, type Expr } from "../expr.js";
import { transformUp, type HiveFile, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";

type Value = number | string | boolean | null;
const UNKNOWN = Symbol("unknown");
type Result = Value | typeof UNKNOWN;

/** A partition value as its column type reads it (numbers for integer columns, ISO dates as text). */
export function partitionValue(raw: string | undefined, type: string): Value {
  if (raw === undefined || raw === "__HIVE_DEFAULT_PARTITION__") return null;
  if (type === "BIGINT") return Number(raw);
  return raw;
}

function literalValue(v: unknown, type: string): Result {
  if (v === null) return null;
  if (v instanceof Date) return type === "DATE" ? v.toISOString().slice(0, 10) : UNKNOWN;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "string" && type === "BIGINT") return /^-?\d+$/.test(v) ? Number(v) : UNKNOWN;
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return UNKNOWN;
}

const CMP: Record<string, (a: number | string, b: number | string) => boolean> = {
  eq: (a, b) => a === b, neq: (a, b) => a !== b, lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b,
};

/** SQL three-valued evaluation over one file's partition values; UNKNOWN when we cannot tell. */
function evaluate(e: Expr, row: Record<string, Value>, types: Record<string, string>, hint = "VARCHAR"): Result {
  switch (e.kind) {
    case "col":
      return e.name in row ? row[e.name] : UNKNOWN;
    case "lit":
      return literalValue(e.value, hint);
    case "alias":
      return evaluate(e.expr, row, types, hint);
    case "call": {
      const typeHint = e.args.find((a) => a.kind === "col" && a.name in types);
      const h = typeHint && typeHint.kind === "col" ? types[typeHint.name] : hint;
      const args = e.args.map((a) => evaluate(a, row, types, h));
      if (args.includes(UNKNOWN)) {
        // AND/OR can still decide with one side unknown.
        if (e.fn === "and" && args.includes(false)) return false;
        if (e.fn === "or" && args.includes(true)) return true;
        return UNKNOWN;
      }
      const [a, b] = args as Value[];
      if (e.fn in CMP) {
        if (a === null || b === null) return null;
        if (typeof a !== typeof b || typeof a === "boolean") return UNKNOWN;
        return CMP[e.fn](a as number | string, b as number | string);
      }
      switch (e.fn) {
        case "and":
          return a === false || b === false ? false : a === null || b === null ? null : true;
        case "or":
          return a === true || b === true ? true : a === null || b === null ? null : false;
        case "not":
          return a === null ? null : !a;
        case "isNull":
          return a === null;
        case "isNotNull":
          return a !== null;
        case "isIn":
          return a === null ? null : (args as Value[]).slice(1).some((v) => v === a);
        default:
          return UNKNOWN;
      }
    }
    default:
      return UNKNOWN;
  }
}

function prune(p: Plan): Plan {
  if (p.kind !== "scan" || p.source.kind !== "parquet" || !p.source.hive || p.filters.length === 0) return p;
  const types = Object.fromEntries(p.source.partitionColumns.map((c) => [c.name, c.type]));
  const partitionNames = new Set(Object.keys(types));
  const usable = p.filters.flatMap(conjuncts).filter((f) => {
    const cols = columnsOf(f);
    return cols.size > 0 && [...cols].every((c) => partitionNames.has(c));
  });
  if (usable.length === 0) return p;
  const keep = (f: HiveFile) => {
    const row = Object.fromEntries(Object.entries(types).map(([k, t]) => [k, partitionValue(f.partition[k], t)]));
    return usable.every((u) => {
      const r = evaluate(u, row, types);
      return r === UNKNOWN || r === true;
    });
  };
  const files = (p.files ?? p.source.files).filter(keep);
  return { ...p, files };
}

export const partitionPruning: Pass = {
  name: "partitionPruning",
  description: "drop hive partitions whose key=value folders fail the scan's conditions, before any file is opened",
  run: (plan) => transformUp(plan, prune),
};
