// partitionPruning: for hive-partitioned Parquet scans, evaluates the scan's conditions on partition
// columns against each file's key=value folders, so files in pruned partitions are never opened.
// Pruning must never change a result: each comparison is evaluated the way DuckDB evaluates it (a DATE
// against a TIMESTAMP literal compares as timestamps; a string literal is cast to the partition's type),
// and where we are not certain how DuckDB would cast or compare, the condition is left unknown and
// keeps the file.
import { columnsOf, conjuncts, type Expr, type Literal } from "../expr.js";
import { transformUp, type HiveFile, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";
import { dateMs, isNullPartition } from "../hive.js";

const UNKNOWN = Symbol("unknown");

/** A value with the SQL type it has in DuckDB; timestamps and dates as milliseconds since the epoch (UTC). */
type Typed =
  | { t: "int"; v: bigint }
  | { t: "double"; v: number }
  | { t: "date"; ms: number }
  | { t: "timestamp"; ms: number }
  | { t: "text"; v: string };
/** A literal whose type depends on what it is compared with (a string literal is cast to the other side's type). */
type Lit = { t: "lit"; v: Literal };
type Result = Typed | Lit | boolean | null | typeof UNKNOWN;

const DAY_MS = 86_400_000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A partition folder's text as its column type reads it; undefined when it is not a value of that type. */
function typedPartition(raw: string | undefined, type: string): Typed | null | undefined {
  if (raw === undefined || isNullPartition(raw, type)) return null;
  if (type === "BIGINT") return /^-?\d{1,18}$/.test(raw) ? { t: "int", v: BigInt(raw) } : undefined;
  if (type === "DATE") {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
    const ms = m ? dateMs(+m[1], +m[2], +m[3]) : undefined;
    return ms === undefined ? undefined : { t: "date", ms };
  }
  if (type === "VARCHAR") return { t: "text", v: raw };
  return undefined;
}

/**
 * A literal cast to the type it meets, as DuckDB casts it; UNKNOWN where DuckDB's cast is looser than
 * what we parse here (' 5', '1e1', '2024/01/02', 'infinity' …) or would fail.
 */
function castLiteral(v: Literal, to: Typed["t"]): Typed | null | typeof UNKNOWN {
  if (v === null) return null;
  if (typeof v === "bigint") return to === "int" || to === "double" ? { t: "int", v } : UNKNOWN;
  if (typeof v === "number") {
    if (to !== "int" && to !== "double") return UNKNOWN;
    if (Number.isSafeInteger(v)) return { t: "int", v: BigInt(v) };
    // Larger integers are rendered as CAST(… AS BIGINT), which may overflow; NaN/Infinity are left alone too.
    return Number.isFinite(v) && !Number.isInteger(v) ? { t: "double", v } : UNKNOWN;
  }
  if (v instanceof Date) {
    const ms = v.getTime();
    // Rendered as a TIMESTAMP literal; years outside 1..9999 do not round-trip through toISOString.
    if (!Number.isFinite(ms) || v.getUTCFullYear() < 1 || v.getUTCFullYear() > 9999) return UNKNOWN;
    return to === "date" || to === "timestamp" ? { t: "timestamp", ms } : UNKNOWN;
  }
  if (typeof v === "string") {
    if (to === "text") return { t: "text", v };
    if (to === "int") {
      if (!/^[+-]?\d{1,19}$/.test(v)) return UNKNOWN;
      const n = BigInt(v);
      return n >= INT64_MIN && n <= INT64_MAX ? { t: "int", v: n } : UNKNOWN;
    }
    if (to === "date") {
      // DuckDB casts the string to DATE, dropping any time of day ('2024-01-02 12:00' = DATE '2024-01-02').
      const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}(?::\d{1,2}(?::\d{1,2}(?:\.\d{1,9})?)?)?)?$/.exec(v);
      const ms = m ? dateMs(+m[1], +m[2], +m[3]) : undefined;
      return ms === undefined ? UNKNOWN : { t: "date", ms };
    }
    return UNKNOWN;
  }
  return UNKNOWN;
}

/** Orders two values of compatible types: negative, zero or positive; UNKNOWN when DuckDB would cast otherwise or fail. */
function compare(a: Typed, b: Typed): number | typeof UNKNOWN {
  if (a.t === "int" && b.t === "int") return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  if ((a.t === "int" || a.t === "double") && (b.t === "int" || b.t === "double")) {
    // BIGINT against DOUBLE compares as DOUBLE; exact while the integer is within 2^53.
    const x = a.t === "int" ? (a.v <= MAX_SAFE && a.v >= -MAX_SAFE ? Number(a.v) : undefined) : a.v;
    const y = b.t === "int" ? (b.v <= MAX_SAFE && b.v >= -MAX_SAFE ? Number(b.v) : undefined) : b.v;
    return x === undefined || y === undefined ? UNKNOWN : x - y;
  }
  if ((a.t === "date" || a.t === "timestamp") && (b.t === "date" || b.t === "timestamp")) return a.ms - b.ms;
  if (a.t === "text" && b.t === "text") return compareCodePoints(a.v, b.v);
  return UNKNOWN;
}

/** DuckDB orders VARCHAR by UTF-8 bytes, which is code point order (JS's < compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const CMP: Record<string, (d: number) => boolean> = {
  eq: (d) => d === 0, neq: (d) => d !== 0, lt: (d) => d < 0, le: (d) => d <= 0, gt: (d) => d > 0, ge: (d) => d >= 0,
};

/** `a <fn> b` with SQL semantics: null when either side is null, UNKNOWN when we cannot be sure. */
function comparison(fn: string, a: Result, b: Result): boolean | null | typeof UNKNOWN {
  if (a === UNKNOWN || b === UNKNOWN || typeof a === "boolean" || typeof b === "boolean") return UNKNOWN;
  if (a === null || b === null) return null;
  // A literal takes the type of the column it meets; two literals are left to constant folding.
  if (a.t === "lit" && b.t === "lit") return UNKNOWN;
  const x = a.t === "lit" ? castLiteral(a.v, (b as Typed).t) : a;
  const y = b.t === "lit" ? castLiteral(b.v, (a as Typed).t) : b;
  if (x === UNKNOWN || y === UNKNOWN) return UNKNOWN;
  if (x === null || y === null) return null;
  const d = compare(x, y);
  return d === UNKNOWN ? UNKNOWN : CMP[fn](d);
}

const isBool = (r: Result): r is boolean | null | typeof UNKNOWN => r === null || r === UNKNOWN || typeof r === "boolean";

/** SQL three-valued evaluation over one file's partition values; UNKNOWN when we cannot tell. */
function evaluate(e: Expr, row: Record<string, Typed | null>): Result {
  switch (e.kind) {
    case "col":
      return e.name in row ? row[e.name] : UNKNOWN;
    case "lit":
      return { t: "lit", v: e.value };
    case "alias":
      return evaluate(e.expr, row);
    case "call": {
      const args = e.args.map((a) => evaluate(a, row));
      if (e.fn in CMP) return args.length === 2 ? comparison(e.fn, args[0], args[1]) : UNKNOWN;
      switch (e.fn) {
        case "and":
        case "or": {
          if (!args.every(isBool)) return UNKNOWN;
          const decisive = e.fn === "and" ? false : true;
          if (args.includes(decisive)) return decisive;
          if (args.includes(UNKNOWN)) return UNKNOWN;
          return args.includes(null) ? null : !decisive;
        }
        case "not": {
          const [a] = args;
          return !isBool(a) || a === UNKNOWN ? UNKNOWN : a === null ? null : !a;
        }
        case "isNull":
        case "isNotNull": {
          const [a] = args;
          // A literal or boolean here is unusual; only judge a column's value.
          if (a === UNKNOWN || (a !== null && (typeof a !== "object" || a.t === "lit"))) return UNKNOWN;
          return e.fn === "isNull" ? a === null : a !== null;
        }
        case "isIn": {
          // x IN (a, b) is x = a OR x = b.
          const each = args.slice(1).map((v) => comparison("eq", args[0], v));
          if (each.includes(true)) return true;
          if (each.includes(UNKNOWN) || each.length === 0) return UNKNOWN;
          return each.includes(null) ? null : false;
        }
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
    const row: Record<string, Typed | null> = {};
    for (const [k, t] of Object.entries(types)) {
      const v = typedPartition(f.partition[k], t);
      if (v === undefined) return true; // a folder value we cannot type: keep the file, the engine decides
      row[k] = v;
    }
    return usable.every((u) => {
      const r = evaluate(u, row);
      return r === UNKNOWN || r === true || !isBool(r);
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
