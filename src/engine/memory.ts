// In-memory frames (fromArrow, fromRecords, fromDanfo, ...) keep their Arrow table in JS until a query
// needs them; then the table is appended into the engine once and reused by later queries.
import * as A from "./apache_arrow.js";
import {
  BIGINT, BOOLEAN, DATE, DOUBLE, LIST, STRUCT, TIMESTAMP, VARCHAR,
  DuckDBDateValue, DuckDBTimestampValue, listValue, structValue,
  type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from "@duckdb/node-api";
import { structType } from "../plan/nested.js";
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

/** The DuckDB type an Arrow column is stored as. */
export function duckdbTypeOfArrow(t: A.DataType, column: string): string {
  if (A.DataType.isBool(t)) return "BOOLEAN";
  if (A.DataType.isInt(t)) {
    const bits = (t as A.Int).bitWidth;
    const signed = (t as A.Int).isSigned;
    const name = { 8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT" }[bits] ?? "BIGINT";
    return signed ? name : `U${name}`;
  }
  if (A.DataType.isFloat(t)) return (t as A.Float).precision === A.Precision.SINGLE ? "FLOAT" : "DOUBLE";
  if (A.DataType.isDecimal(t)) return "DOUBLE";
  if (A.DataType.isUtf8(t) || A.DataType.isLargeUtf8(t) || A.DataType.isDictionary(t)) return "VARCHAR";
  if (A.DataType.isDate(t)) return "DATE";
  if (A.DataType.isTimestamp(t)) return "TIMESTAMP";
  if (A.DataType.isList(t)) return `${duckdbTypeOfArrow((t as A.List).valueType, `${column}[]`)}[]`;
  if (A.DataType.isStruct(t)) return structType((t as A.Struct).children.map((f) => ({ name: f.name, type: duckdbTypeOfArrow(f.type, `${column}.${f.name}`) })));
  throw new InvalidArgumentError(
    `column '${column}': Arrow type ${t} is not supported for in-memory frames yet (use numbers, strings, booleans, dates, timestamps, and lists or structs of them)`,
  );
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
  const schema = schemaOfArrow(table);
  const target = `${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(id)}`;
  await conn.run(`CREATE OR REPLACE TABLE ${target} (${schema.map((f) => `${quoteIdent(f.name)} ${f.type}`).join(", ")})`);
  if (table.numRows === 0) return;
  const appender = await conn.createAppender(id, MEMORY_SCHEMA);
  const columns = schema.map((f) => {
    const vector = table.getChild(f.name)!;
    const nested = A.DataType.isList(vector.type) || A.DataType.isStruct(vector.type);
    return { type: f.type, vector, nested: nested ? duckdbNestedType(vector.type) : undefined };
  });
  for (let row = 0; row < table.numRows; row++) {
    for (const { type, vector, nested } of columns) {
      const v = vector.get(row);
      if (v === null || v === undefined) appender.appendNull();
      else if (nested) appender.appendValue(duckdbValue(v, vector.type), nested);
      else if (type === "BOOLEAN") appender.appendBoolean(Boolean(v));
      else if (type === "VARCHAR") appender.appendVarchar(String(v));
      else if (type === "DOUBLE" || type === "FLOAT") appender.appendDouble(Number(v));
      else if (type === "DATE") appender.appendDate(new DuckDBDateValue(Math.floor(toMs(v) / 86_400_000)));
      else if (type === "TIMESTAMP") appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(toMs(v))) * 1000n));
      else if (type === "BIGINT") appender.appendBigInt(BigInt(v as number | bigint));
      else if (type === "UBIGINT") appender.appendUBigInt(BigInt(v as number | bigint));
      else if (type === "INTEGER") appender.appendInteger(Number(v));
      else if (type === "SMALLINT") appender.appendSmallInt(Number(v));
      else if (type === "TINYINT") appender.appendTinyInt(Number(v));
      else if (type === "UINTEGER") appender.appendUInteger(Number(v));
      else if (type === "USMALLINT") appender.appendUSmallInt(Number(v));
      else appender.appendUTinyInt(Number(v));
    }
    appender.endRow();
  }
  appender.closeSync();
}

/** node-api's type object for a list or struct column (the appender needs it to build nested values). */
function duckdbNestedType(t: A.DataType): DuckDBType {
  if (A.DataType.isList(t)) return LIST(duckdbNestedType((t as A.List).valueType));
  if (A.DataType.isStruct(t)) return STRUCT(Object.fromEntries((t as A.Struct).children.map((f) => [f.name, duckdbNestedType(f.type)])));
  if (A.DataType.isBool(t)) return BOOLEAN;
  if (A.DataType.isInt(t)) return BIGINT;
  if (A.DataType.isFloat(t)) return DOUBLE;
  if (A.DataType.isDate(t)) return DATE;
  if (A.DataType.isTimestamp(t)) return TIMESTAMP;
  return VARCHAR;
}

/** An Arrow value (a Vector for a list, a row object for a struct) as a node-api value of duckdbNestedType. */
function duckdbValue(v: unknown, t: A.DataType): DuckDBValue {
  if (v === null || v === undefined) return null;
  if (A.DataType.isList(t)) return listValue([...(v as Iterable<unknown>)].map((x) => duckdbValue(x, (t as A.List).valueType)));
  if (A.DataType.isStruct(t)) {
    const o = v as Record<string, unknown>;
    return structValue(Object.fromEntries((t as A.Struct).children.map((f) => [f.name, duckdbValue(o[f.name], f.type)])));
  }
  if (A.DataType.isBool(t)) return Boolean(v);
  if (A.DataType.isInt(t)) return BigInt(v as number | bigint);
  if (A.DataType.isFloat(t)) return Number(v);
  if (A.DataType.isDate(t)) return new DuckDBDateValue(Math.floor(toMs(v) / 86_400_000));
  if (A.DataType.isTimestamp(t)) return new DuckDBTimestampValue(BigInt(Math.round(toMs(v))) * 1000n);
  return String(v);
}

function toMs(v: unknown): number {
  return v instanceof Date ? v.getTime() : Number(v);
}
