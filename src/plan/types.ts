// Column types are DuckDB type names ("BIGINT", "VARCHAR", "TIMESTAMP", "MAP(VARCHAR, BIGINT)", ...):
// the engine reports them that way, so schemas round-trip without a translation table.

export type DataType = string;

export interface Field {
  name: string;
  type: DataType;
}

export type Schema = readonly Field[];

const INTEGER_RANK: Record<string, number> = {
  TINYINT: 1, UTINYINT: 1, SMALLINT: 2, USMALLINT: 2, INTEGER: 3, UINTEGER: 3, BIGINT: 4, UBIGINT: 4, HUGEINT: 5, UHUGEINT: 5,
};
const FLOATS = new Set(["FLOAT", "DOUBLE"]);

export function isInteger(t: DataType): boolean {
  return t in INTEGER_RANK;
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
  return INTEGER_RANK[a] >= INTEGER_RANK[b] ? a : b;
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

export function commonType(a: DataType, b: DataType): DataType {
  if (isNull(a)) return b;
  if (isNull(b)) return a;
  if (isNumeric(a) && isNumeric(b)) return widerNumeric(a, b);
  if (isTemporal(a) && isString(b)) return a;
  if (isString(a) && isTemporal(b)) return b;
  return a;
}
