// Hive partitions (key=value folders): how their text reads as values. One module for the scan that
// parses the folders (src/engine/probe.ts), the passes that prune and slice by them, and the compiler.
import type { HiveFile } from "./nodes.js";

/** A null partition value: DuckDB writes this folder value for nulls, and reads it (and NULL, null, …) as null. */
export const HIVE_NULL = "__HIVE_DEFAULT_PARTITION__";

/** Whether a partition's text reads as null for its column type (an empty value is null for every type but text). */
export function isNullPartition(raw: string | undefined, type: string): boolean {
  return raw === undefined || raw === HIVE_NULL || (raw === "" && type !== "VARCHAR");
}

/** A partition value as its column type reads it (numbers for integer columns, ISO dates as text). */
export function partitionValue(raw: string | undefined, type: string): number | string | null {
  if (isNullPartition(raw, type)) return null;
  if (type === "BIGINT") return Number(raw);
  return raw!;
}

/** Milliseconds of a valid calendar date, or undefined (2024-02-30 is not a date). */
export function dateMs(year: number, month: number, day: number): number | undefined {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(0, 0, 0, 0);
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? d.getTime() : undefined;
}

/** URL-decodes like DuckDB's hive reader: valid %XX sequences are decoded, anything else ('100%') is kept as written. */
export function decodeHive(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}

/** key=value folders of a path relative to the scan's root (folder segments, file name last): partition
 *  column → value, and column → key as written. */
export function partitionOf(relativePath: string): { values: Record<string, string>; keys: Record<string, string> } {
  const values: Record<string, string> = {};
  const keys: Record<string, string> = {};
  for (const segment of relativePath.split(/[\\/]/).slice(0, -1)) {
    const m = /^([^=]+)=(.*)$/.exec(segment);
    if (!m || m[1] === "..") continue;
    const name = decodeHive(m[1]);
    // DuckDB reads these as null (the text as written, before decoding).
    values[name] = m[2] === HIVE_NULL || /^null$/i.test(m[2]) ? HIVE_NULL : decodeHive(m[2]);
    keys[name] = m[1];
  }
  return { values, keys };
}

/** A partition column's type from every value: integers, dates, else text (no file is opened; nulls and empty
 *  values do not count). `invalid` is a file whose value looks like a date but is not one (2024-02-30). */
export function partitionType(name: string, files: readonly HiveFile[]): { type: "BIGINT" | "DATE" | "VARCHAR"; invalid?: HiveFile } {
  const present = files.filter((f) => f.partition[name] !== HIVE_NULL && f.partition[name] !== "");
  const values = present.map((f) => f.partition[name]);
  if (values.length === 0) return { type: "VARCHAR" };
  if (values.every((v) => /^-?\d{1,18}$/.test(v))) return { type: "BIGINT" };
  if (values.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) {
    const invalid = present.find((f) => {
      const [y, m, d] = f.partition[name].split("-").map(Number);
      return dateMs(y, m, d) === undefined;
    });
    return invalid ? { type: "DATE", invalid } : { type: "DATE" };
  }
  return { type: "VARCHAR" };
}
