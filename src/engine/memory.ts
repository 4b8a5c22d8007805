// In-memory frames (fromArrow, fromRecords, fromDanfo, ...) keep their Arrow table in JS until a query
// needs them; then the table is appended into the engine once and reused by later queries.
import * as A from "./apache_arrow.js";
import {
  BIGINT, BOOLEAN, DATE, DECIMAL, DOUBLE, FLOAT, INTEGER, LIST, SMALLINT, STRUCT, TIMESTAMP, TINYINT, UBIGINT, UINTEGER, USMALLINT, UTINYINT, VARCHAR,
  DuckDBDataChunk, DuckDBDateValue, DuckDBTimestampValue, decimalValue, listValue, structValue,
  type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from "@duckdb/node-api";
import type { Field } from "../plan/types.js";
import { MEMORY_SCHEMA } from "./sql/compiler.js";
import { quoteIdent } from "./sql/quote.js";
import { InvalidArgumentError } from "../plan/errors.js";
import { ensureUdfRegistered, isUdfId } from "./udf.js";

const tables = new Map<string, A.Table>();
const loaded = new Map<string, Promise<void>>();
let counter = 0;

export function registerMemoryTable(table: A.Table): string {
  counter += 1;
  const id = `mem_${process.pid}_${counter}`;
  tables.set(id, table);
  return id;
}

export function memoryTable(id: string): A.Table | undefined {
  return tables.get(id);
}

/** The DuckDB type an Arrow column is stored as, by name (node-api spells it as DuckDB does). */
export function duckdbTypeOfArrow(t: A.DataType, column: string): string {
  return String(duckdbTypeObject(t, column));
}

export function schemaOfArrow(table: A.Table): Field[] {
  return table.schema.fields.map((f) => ({ name: f.name, type: duckdbTypeOfArrow(f.type, f.name) }));
}

export async function ensureLoaded(conn: DuckDBConnection, id: string): Promise<void> {
  if (isUdfId(id)) return ensureUdfRegistered(id); // a JS function (src/engine/udf.ts), not a table
  let p = loaded.get(id);
  if (!p) {
    p = load(conn, id);
    loaded.set(id, p);
    p.catch(() => loaded.delete(id));
  }
  return p;
}

async function load(conn: DuckDBConnection, id: string): Promise<void> {
  const table = tables.get(id);
  if (!table) throw new InvalidArgumentError(`in-memory table ${id} is no longer registered`);
  const fields = table.schema.fields;
  const types = fields.map((f) => duckdbTypeObject(f.type, f.name));
  const target = `${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(id)}`;
  await conn.run(`CREATE OR REPLACE TABLE ${target} (${fields.map((f, i) => `${quoteIdent(f.name)} ${types[i]}`).join(", ")})`);
  if (table.numRows === 0) return;
  // Column by column into data chunks of DuckDB's vector size: Arrow's iterators and one conversion per
  // column are ~3x faster than Vector.get and a type switch for every cell.
  const appender = await conn.createAppender(id, MEMORY_SCHEMA);
  const columns = fields.map((f) => columnValues(table.getChild(f.name)!));
  for (let offset = 0; offset < table.numRows; offset += CHUNK_ROWS) {
    const end = Math.min(table.numRows, offset + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(types, end - offset);
    columns.forEach((values, i) => chunk.setColumnValues(i, values.slice(offset, end)));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

const CHUNK_ROWS = 2048;

/** A column's values as node-api values of its duckdbTypeObject. */
function columnValues(vector: A.Vector): DuckDBValue[] {
  const convert = converterFor(vector.type);
  const out: DuckDBValue[] = new Array(vector.length);
  let i = 0;
  for (const v of vector) out[i++] = convert(v);
  return out;
}

/** node-api's type object for an Arrow type (the appender and data chunks need it); `column` names it in errors. */
function duckdbTypeObject(t: A.DataType, column: string): DuckDBType {
  if (A.DataType.isList(t)) return LIST(duckdbTypeObject((t as A.List).valueType, `${column}[]`));
  if (A.DataType.isStruct(t)) return STRUCT(Object.fromEntries((t as A.Struct).children.map((f) => [f.name, duckdbTypeObject(f.type, `${column}.${f.name}`)])));
  if (A.DataType.isBool(t)) return BOOLEAN;
  if (A.DataType.isInt(t)) {
    const { bitWidth, isSigned } = t as A.Int;
    const signed = { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT }[bitWidth] ?? BIGINT;
    const unsigned = { 8: UTINYINT, 16: USMALLINT, 32: UINTEGER, 64: UBIGINT }[bitWidth] ?? UBIGINT;
    return isSigned ? signed : unsigned;
  }
  if (A.DataType.isFloat(t)) return (t as A.Float).precision === A.Precision.SINGLE ? FLOAT : DOUBLE;
  if (A.DataType.isDecimal(t)) return exactDecimal(t as A.Decimal) ? DECIMAL((t as A.Decimal).precision, (t as A.Decimal).scale) : DOUBLE;
  if (A.DataType.isUtf8(t) || A.DataType.isLargeUtf8(t) || A.DataType.isDictionary(t)) return VARCHAR;
  if (A.DataType.isDate(t)) return DATE;
  if (A.DataType.isTimestamp(t)) return TIMESTAMP;
  throw new InvalidArgumentError(
    `column '${column}': Arrow type ${t} is not supported for in-memory frames yet (use numbers, strings, booleans, dates, timestamps, and lists or structs of them)`,
  );
}

/** Converts an Arrow value (a Vector for a list, a row object for a struct) to a node-api value of duckdbTypeObject(t); chosen once per column. */
function converterFor(t: A.DataType): (v: unknown) => DuckDBValue {
  const orNull = (f: (v: unknown) => DuckDBValue) => (v: unknown) => (v === null || v === undefined ? null : f(v));
  if (A.DataType.isList(t)) {
    const item = converterFor((t as A.List).valueType);
    return orNull((v) => listValue(Array.from(v as Iterable<unknown>, item)));
  }
  if (A.DataType.isStruct(t)) {
    const fields = (t as A.Struct).children.map((f) => [f.name, converterFor(f.type)] as const);
    return orNull((v) => structValue(Object.fromEntries(fields.map(([name, convert]) => [name, convert((v as Record<string, unknown>)[name])]))));
  }
  if (A.DataType.isBool(t)) return orNull(Boolean);
  if (A.DataType.isInt(t)) return (t as A.Int).bitWidth === 64 ? orNull((v) => BigInt(v as number | bigint)) : orNull(Number);
  if (A.DataType.isDecimal(t)) {
    // Arrow holds a decimal as its unscaled integer (1.25 in DECIMAL(10,2) is 125).
    const { precision, scale } = t as A.Decimal;
    // (bigNumToString: apache-arrow 21's bigNumToBigInt returns a string for 128-bit decimals.)
    const unscaled = (v: unknown) => A.util.bigNumToString(v as never);
    if (exactDecimal(t as A.Decimal)) return orNull((v) => decimalValue(BigInt(unscaled(v)), precision, scale));
    return orNull((v) => Number(unscaled(v)) / 10 ** scale);
  }
  if (A.DataType.isFloat(t)) return orNull(Number);
  if (A.DataType.isDate(t)) return orNull((v) => new DuckDBDateValue(Math.floor(toMs(v) / 86_400_000)));
  if (A.DataType.isTimestamp(t)) return orNull((v) => new DuckDBTimestampValue(BigInt(Math.round(toMs(v))) * 1000n));
  return orNull(String);
}

/** DuckDB's DECIMAL holds up to 38 digits; wider Arrow decimals (Decimal256) are loaded as DOUBLE. */
function exactDecimal(t: A.Decimal): boolean {
  return t.precision >= 1 && t.precision <= 38 && t.scale >= 0 && t.scale <= t.precision;
}

function toMs(v: unknown): number {
  return v instanceof Date ? v.getTime() : Number(v);
}
