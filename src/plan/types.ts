// Column types are DuckDB type names ("BIGINT", "VARCHAR", "TIMESTAMP", "MAP(VARCHAR, BIGINT)", ...):
// the engine reports them that way, so schemas round-trip without a translation table.

export type DataType = string;

export interface Field {
  name: string;
  type: DataType;
}

export type Schema = readonly Field[];

/**
 * Integer types: their width rank (wider wins in arithmetic), the DECIMAL digits DuckDB widens them to, and
 * the values they hold where a JS number can say so exactly (64- and 128-bit types: unbounded here).
 */
const INTEGERS: Record<string, { rank: number; digits: number; range?: [number, number] }> = {
  TINYINT: { rank: 1, digits: 3, range: [-128, 127] }, UTINYINT: { rank: 1, digits: 3, range: [0, 255] },
  SMALLINT: { rank: 2, digits: 5, range: [-32768, 32767] }, USMALLINT: { rank: 2, digits: 5, range: [0, 65535] },
  INTEGER: { rank: 3, digits: 10, range: [-2147483648, 2147483647] }, UINTEGER: { rank: 3, digits: 10, range: [0, 4294967295] },
  BIGINT: { rank: 4, digits: 19 }, UBIGINT: { rank: 4, digits: 20, range: [0, Infinity] },
  HUGEINT: { rank: 5, digits: 38 }, UHUGEINT: { rank: 5, digits: 38, range: [0, Infinity] },
};

/** The smallest and largest value of an integer type, as far as a JS number tells. */
export function integerRange(t: DataType): [number, number] {
  return INTEGERS[t]?.range ?? [-Infinity, Infinity];
}
const FLOATS = new Set(["FLOAT", "DOUBLE"]);

export function isInteger(t: DataType): boolean {
  return t in INTEGERS;
}
export function isFloat(t: DataType): boolean {
  return FLOATS.has(t);
}
export function isNumeric(t: DataType): boolean {
  return isInteger(t) || FLOATS.has(t) || t.startsWith("DECIMAL");
}
export function isString(t: DataType): boolean {
  return t === "VARCHAR";
}
export function isBoolean(t: DataType): boolean {
  return t === "BOOLEAN";
}
export function isTemporal(t: DataType): boolean {
  return t === "DATE" || t.startsWith("TIMESTAMP");
}
export function isNull(t: DataType): boolean {
  return t === "NULL";
}

/** The type DuckDB gives a binary arithmetic result (close enough for schema display and checks). */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (isNull(a)) return b;
  if (isNull(b)) return a;
  if (FLOATS.has(a) || FLOATS.has(b) || a.startsWith("DECIMAL") || b.startsWith("DECIMAL")) return "DOUBLE";
  return INTEGERS[a].rank >= INTEGERS[b].rank ? a : b;
}

export function isDecimal(t: DataType): boolean {
  return t.startsWith("DECIMAL");
}

/** Precision and scale of a DECIMAL, or of an integer type as DuckDB widens it to one (INTEGER → 10,0). */
export function decimalShape(t: DataType): { p: number; s: number } | undefined {
  const m = /^DECIMAL(?:\((\d+),\s*(\d+)\))?$/.exec(t);
  if (m) return m[1] ? { p: Number(m[1]), s: Number(m[2]) } : { p: 18, s: 3 };
  return t in INTEGERS ? { p: INTEGERS[t].digits, s: 0 } : undefined;
}

/**
 * The result type of a + b, a - b, a * b or a % b, by DuckDB's rules: floats win; with a DECIMAL, the
 * result keeps every digit (add: one more integer digit; multiply: precisions and scales add up).
 */
export function arithmeticType(op: "add" | "sub" | "mul" | "mod", a: DataType, b: DataType): DataType {
  if (isNull(a) || isNull(b) || FLOATS.has(a) || FLOATS.has(b) || !(isDecimal(a) || isDecimal(b))) return widerNumeric(a, b);
  const x = decimalShape(a)!;
  const y = decimalShape(b)!;
  const scale = op === "mul" ? x.s + y.s : Math.max(x.s, y.s);
  const digits = Math.max(x.p - x.s, y.p - y.s);
  const precision = op === "mul" ? x.p + y.p : op === "mod" ? digits + scale : digits + scale + 1;
  return scale > 38 ? "DOUBLE" : `DECIMAL(${Math.min(38, Math.max(precision, scale))},${scale})`;
}

/** Whether two types can be compared or unified (numbers with numbers, text with text, ...). */
export function comparable(a: DataType, b: DataType): boolean {
  if (a === b || isNull(a) || isNull(b)) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if (isTemporal(a) && isTemporal(b)) return true;
  // A string literal compared with a date/time is parsed by the engine, as in SQL.
  if ((isTemporal(a) && isString(b)) || (isString(a) && isTemporal(b))) return true;
  return false;
}

// DuckDB's order of widening between dates and times: a DATE meets a TIMESTAMP as midnight.
const TEMPORAL_RANK: Record<string, number> = { DATE: 1, TIMESTAMP_S: 2, TIMESTAMP_MS: 3, TIMESTAMP: 4, TIMESTAMP_NS: 5, "TIMESTAMP WITH TIME ZONE": 6 };

/** The type both of two dates/times fit in without losing the time (DuckDB's coalesce/union rule). */
export function widerTemporal(a: DataType, b: DataType): DataType {
  return (TEMPORAL_RANK[a] ?? 4) >= (TEMPORAL_RANK[b] ?? 4) ? a : b;
}

export function commonType(a: DataType, b: DataType): DataType {
  if (isNull(a)) return b;
  if (isNull(b)) return a;
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b);
  if (isTemporal(a) && isTemporal(b)) return widerTemporal(a, b);
  if (isTemporal(a) && isString(b)) return a;
  if (isString(a) && isTemporal(b)) return b;
  return a;
}

/**
 * The form DuckDB compares column names in: it resolves identifiers ignoring ASCII case, even quoted
 * ones ("tea" and "Tea" are one column to it; "É" and "é" are two).
 */
export function nameKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The first two names DuckDB would take for one column (equal, or equal ignoring case), if any. */
export function nameClash(names: readonly string[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const n of names) {
    const k = nameKey(n);
    const first = seen.get(k);
    if (first !== undefined) return [first, n];
    seen.set(k, n);
  }
  return undefined;
}
