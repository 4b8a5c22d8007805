// Every identifier and literal we put into SQL goes through these two functions.
import type { Literal } from "../../plan/expr.js";

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteString(s: string): string {
  if (s.includes("\0")) throw new Error("strings with NUL characters cannot be used as SQL literals");
  return `'${s.replaceAll("'", "''")}'`;
}

export function quoteLiteral(v: Literal): string {
  if (v === null) return "NULL";
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE";
  if (typeof v === "bigint") return `CAST(${quoteString(v.toString())} AS BIGINT)`;
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "CAST('NaN' AS DOUBLE)";
    if (!Number.isFinite(v)) return `CAST('${v > 0 ? "Infinity" : "-Infinity"}' AS DOUBLE)`;
    if (Number.isInteger(v)) return Math.abs(v) <= 2147483647 ? String(v) : `CAST(${v} AS BIGINT)`;
    return `CAST(${quoteString(String(v))} AS DOUBLE)`;
  }
  if (v instanceof Date) return `CAST(${quoteString(v.toISOString().replace("T", " ").replace("Z", ""))} AS TIMESTAMP)`;
  return quoteString(v);
}

/** A type name from our schema (DuckDB spelling); only names the engine itself reported or simple names. */
export function quoteType(t: string): string {
  if (!/^[A-Za-z0-9_(), "\[\]]+$/.test(t)) throw new Error(`not a valid type name: ${t}`);
  return t;
}
