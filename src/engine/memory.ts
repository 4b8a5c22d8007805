// In-memory frames (fromArrow, fromRecords, fromDanfo, ...) keep their Arrow table in JS until a query
// needs them; then the table is appended into the engine once and reused by later queries.
import * as A from "./apache_arrow.js";
import {
  ARRAY, BIGINT, BLOB, BOOLEAN, DATE, DECIMAL, DOUBLE, FLOAT, INTEGER, INTERVAL, LIST, SMALLINT, STRUCT, TIME, TIMESTAMP, TIMESTAMPTZ, TINYINT,
  UBIGINT, UINTEGER, USMALLINT, UTINYINT, VARCHAR,
  DuckDBDataChunk, DuckDBDateValue, DuckDBTimestampValue, arrayValue, blobValue, decimalValue, intervalValue, listValue, structValue,
  timeValue, timestampTZValue,
  type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from "@duckdb/node-api";
import type { Field } from "../plan/types.js";
import { MEMORY_SCHEMA } from "./sql/compiler.js";
import { quoteIdent } from "./sql/quote.js";
import { InvalidArgumentError } from "../plan/errors.js";
import { ensureUdfRegistered, isUdfId } from "./udf.js";
import { connect } from "./instance.js";

const tables = new Map<string, A.Table>();
const loaded = new Map<string, Promise<void>>();
let counter = 0;

export function registerMemoryTable(table: A.Table): string {
  counter += 1;
  const id = `mem_${process.pid}_${counter}`;
  tables.set(id, table);
  return id;
}

/**
 * In-memory sources and cache() tables are freed once no plan can reach them: `owner` is the plan's source
 * object, which every frame derived from it shares. Without this, a notebook that re-runs a cell making
 * a frame (or calling cache()) grows the engine's memory without bound.
 */
const releases = new FinalizationRegistry<string>((name) => void dropTable(name));

export function releaseWhenUnreachable(owner: object, name: string): void {
  releases.register(owner, name);
}

async function dropTable(name: string): Promise<void> {
  tables.delete(name);
  const inEngine = loaded.delete(name) || name.startsWith("cache_");
  if (!inEngine) return;
  try {
    const conn = await connect();
    try {
      await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(name)}`);
    } finally {
      conn.closeSync();
    }
  } catch {
    // The engine is closing or gone: nothing left to free.
  }
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

/**
 * Why apache-arrow could not read IPC `bytes`, by column and with a cast that avoids it, when its schema names a type it has no reader
 * for (Polars' Int128: "Unrecognized Int type"); undefined when the schema gives no such column.
 */
export function unreadableArrowColumn(bytes: Uint8Array): string | undefined {
  let schema: A.Schema;
  try {
    schema = A.RecordBatchReader.from(bytes).open().schema;
  } catch {
    return undefined;
  }
  const find = (fields: readonly A.Field[], prefix: string): string | undefined => {
    for (const f of fields) {
      const name = `${prefix}${f.name}`;
      try {
        void f.type.ArrayType; // throws for a type apache-arrow cannot hold (e.g. a 128-bit integer)
      } catch {
        const top = prefix ? name.split(".")[0] : name;
        return `column '${name}' has Arrow type ${f.type}, which apache-arrow cannot read; cast it before writing, e.g. in Polars ` +
          (A.DataType.isInt(f.type) ? `df.with_columns(pl.col("${top}").cast(pl.Int64)) (or pl.String to keep every digit)` : `df.with_columns(pl.col("${top}").cast(pl.String))`);
      }
      const inner = find(f.type.children ?? [], `${name}.`);
      if (inner) return inner;
    }
    return undefined;
  };
  return find(schema.fields, "");
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

/**
 * node-api's type object for an Arrow type (the appender and data chunks need it); `column` names it in errors.
 * Covers what Polars writes by default (string and binary views, large lists, zoned timestamps, durations,
 * times, categoricals and enums as dictionaries) as well as pyarrow's and apache-arrow's own types.
 */
function duckdbTypeObject(t: A.DataType, column: string): DuckDBType {
  if (A.DataType.isList(t) || A.DataType.isLargeList(t)) return LIST(duckdbTypeObject((t as A.List).valueType, `${column}[]`));
  if (A.DataType.isFixedSizeList(t)) return ARRAY(duckdbTypeObject((t as A.FixedSizeList).valueType, `${column}[]`), (t as A.FixedSizeList).listSize);
  if (A.DataType.isStruct(t)) return STRUCT(Object.fromEntries((t as A.Struct).children.map((f) => [f.name, duckdbTypeObject(f.type, `${column}.${f.name}`)])));
  if (A.DataType.isBool(t)) return BOOLEAN;
  // An all-null column (Polars' Null dtype): INTEGER, as DuckDB types a table column made from a bare NULL.
  if (A.DataType.isNull(t)) return INTEGER;
  if (A.DataType.isInt(t)) {
    const { bitWidth, isSigned } = t as A.Int;
    const signed = { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT }[bitWidth] ?? BIGINT;
    const unsigned = { 8: UTINYINT, 16: USMALLINT, 32: UINTEGER, 64: UBIGINT }[bitWidth] ?? UBIGINT;
    return isSigned ? signed : unsigned;
  }
  if (A.DataType.isFloat(t)) return (t as A.Float).precision === A.Precision.DOUBLE ? DOUBLE : FLOAT;
  if (A.DataType.isDecimal(t)) return exactDecimal(t as A.Decimal) ? DECIMAL((t as A.Decimal).precision, (t as A.Decimal).scale) : DOUBLE;
  if (A.DataType.isUtf8(t) || A.DataType.isLargeUtf8(t) || A.DataType.isUtf8View(t)) return VARCHAR;
  if (A.DataType.isBinary(t) || A.DataType.isLargeBinary(t) || A.DataType.isBinaryView(t) || A.DataType.isFixedSizeBinary(t)) return BLOB;
  // Categoricals and enums (Polars) and pandas categories arrive dictionary-encoded: stored as their values.
  if (A.DataType.isDictionary(t)) return duckdbTypeObject((t as A.Dictionary).dictionary, column);
  if (A.DataType.isDate(t)) return DATE;
  // A zoned timestamp holds the UTC instant; DuckDB's TIMESTAMPTZ does too (the zone name itself is not kept).
  if (A.DataType.isTimestamp(t)) return (t as A.Timestamp).timezone ? TIMESTAMPTZ : TIMESTAMP;
  if (A.DataType.isTime(t)) return TIME;
  if (A.DataType.isDuration(t)) return INTERVAL;
  throw new InvalidArgumentError(
    `column '${column}': Arrow type ${t} is not supported for in-memory frames yet (supported: numbers, booleans, strings, binary, ` +
      `decimals, dates, times, timestamps, durations, dictionaries, and lists or structs of them); cast the column first, ` +
      `e.g. in Polars df.with_columns(pl.col("${column.split(/[.[]/)[0]}").cast(pl.String))`,
  );
}

/** Converts an Arrow value (a Vector for a list, a row object for a struct) to a node-api value of duckdbTypeObject(t); chosen once per column. */
function converterFor(t: A.DataType): (v: unknown) => DuckDBValue {
  const orNull = (f: (v: unknown) => DuckDBValue) => (v: unknown) => (v === null || v === undefined ? null : f(v));
  if (A.DataType.isList(t) || A.DataType.isLargeList(t)) {
    const item = converterFor((t as A.List).valueType);
    return orNull((v) => listValue(Array.from(v as Iterable<unknown>, item)));
  }
  if (A.DataType.isFixedSizeList(t)) {
    const item = converterFor((t as A.FixedSizeList).valueType);
    return orNull((v) => arrayValue(Array.from(v as Iterable<unknown>, item)));
  }
  // Arrow's iterator gives a dictionary column's decoded values.
  if (A.DataType.isDictionary(t)) return converterFor((t as A.Dictionary).dictionary);
  if (A.DataType.isStruct(t)) {
    const fields = (t as A.Struct).children.map((f) => [f.name, converterFor(f.type)] as const);
    return orNull((v) => structValue(Object.fromEntries(fields.map(([name, convert]) => [name, convert((v as Record<string, unknown>)[name])]))));
  }
  if (A.DataType.isBool(t)) return orNull(Boolean);
  if (A.DataType.isNull(t)) return () => null;
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
  if (A.DataType.isTimestamp(t)) {
    // Arrow gives milliseconds with the microseconds as a fraction (exact to the microsecond within ±285 years of 1970).
    const micros = (v: unknown) => BigInt(Math.round(toMs(v) * 1000));
    return (t as A.Timestamp).timezone ? orNull((v) => timestampTZValue(micros(v))) : orNull((v) => new DuckDBTimestampValue(micros(v)));
  }
  if (A.DataType.isTime(t)) {
    const toMicros = microsFrom((t as A.Time).unit);
    return orNull((v) => timeValue(toMicros(BigInt(v as number | bigint))));
  }
  if (A.DataType.isDuration(t)) {
    const toMicros = microsFrom((t as A.Duration).unit);
    return orNull((v) => intervalValue(0, 0, toMicros(BigInt(v as number | bigint))));
  }
  if (A.DataType.isBinary(t) || A.DataType.isLargeBinary(t) || A.DataType.isBinaryView(t) || A.DataType.isFixedSizeBinary(t))
    return orNull((v) => blobValue(v as Uint8Array));
  return orNull(String);
}

/** DuckDB's DECIMAL holds up to 38 digits; wider Arrow decimals (Decimal256) are loaded as DOUBLE. */
function exactDecimal(t: A.Decimal): boolean {
  return t.precision >= 1 && t.precision <= 38 && t.scale >= 0 && t.scale <= t.precision;
}

/** A count of `unit` (Arrow's times and durations are integers of their unit) as microseconds; nanoseconds are truncated. */
function microsFrom(unit: A.TimeUnit): (n: bigint) => bigint {
  switch (unit) {
    case A.TimeUnit.SECOND: return (n) => n * 1_000_000n;
    case A.TimeUnit.MILLISECOND: return (n) => n * 1000n;
    case A.TimeUnit.MICROSECOND: return (n) => n;
    default: return (n) => n / 1000n;
  }
}

function toMs(v: unknown): number {
  return v instanceof Date ? v.getTime() : Number(v);
}
