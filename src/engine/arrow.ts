// DuckDB results ↔ apache-arrow. @duckdb/node-api has no Arrow export, so each result chunk's columns
// are read as JS values and built into Arrow vectors of the matching type (one pass per column).
import * as A from "apache-arrow";
import {
  DuckDBTypeId,
  type DuckDBListType,
  type DuckDBMapType,
  type DuckDBResult,
  type DuckDBStructType,
  type DuckDBType,
} from "@duckdb/node-api";

export function arrowType(t: DuckDBType): A.DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new A.Bool();
    case DuckDBTypeId.TINYINT:
      return new A.Int8();
    case DuckDBTypeId.SMALLINT:
      return new A.Int16();
    case DuckDBTypeId.INTEGER:
      return new A.Int32();
    case DuckDBTypeId.BIGINT:
      return new A.Int64();
    case DuckDBTypeId.UTINYINT:
      return new A.Uint8();
    case DuckDBTypeId.USMALLINT:
      return new A.Uint16();
    case DuckDBTypeId.UINTEGER:
      return new A.Uint32();
    case DuckDBTypeId.UBIGINT:
      return new A.Uint64();
    case DuckDBTypeId.FLOAT:
      return new A.Float32();
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return new A.Float64();
    case DuckDBTypeId.DATE:
      return new A.DateDay();
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return new A.TimestampMicrosecond();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new A.TimestampMicrosecond("UTC");
    case DuckDBTypeId.BLOB:
      return new A.Binary();
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return new A.List(new A.Field("item", arrowType((t as DuckDBListType).valueType), true));
    case DuckDBTypeId.STRUCT: {
      const s = t as DuckDBStructType;
      return new A.Struct(s.entryNames.map((n, i) => new A.Field(n, arrowType(s.entryTypes[i]), true)));
    }
    case DuckDBTypeId.MAP: {
      const m = t as DuckDBMapType;
      const entries = new A.Struct([new A.Field("key", arrowType(m.keyType), false), new A.Field("value", arrowType(m.valueType), true)]);
      return new A.Map_(new A.Field("entries", entries, false));
    }
    default:
      // VARCHAR, UUID, ENUM, INTERVAL, TIME...: shown as text.
      return new A.Utf8();
  }
}

/** Converts one JS value from DuckDB's JS converter into what the Arrow builder for `t` expects. */
function toArrowValue(v: unknown, t: DuckDBType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.typeId) {
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
      return Number(v);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const inner = (t as DuckDBListType).valueType;
      return (v as unknown[]).map((x) => toArrowValue(x, inner));
    }
    case DuckDBTypeId.STRUCT: {
      const s = t as DuckDBStructType;
      const o = v as Record<string, unknown>;
      return Object.fromEntries(s.entryNames.map((n, i) => [n, toArrowValue(o[n], s.entryTypes[i])]));
    }
    case DuckDBTypeId.MAP: {
      const m = t as DuckDBMapType;
      return new Map((v as { key: unknown; value: unknown }[]).map((e) => [toArrowValue(e.key, m.keyType), toArrowValue(e.value, m.valueType)]));
    }
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DATE:
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.BLOB:
      return v;
    default:
      return typeof v === "string" ? v : String(v);
  }
}

export function arrowSchemaOf(result: DuckDBResult): A.Schema {
  const types = result.columnTypes();
  // The DuckDB type name rides along as field metadata, so DataFrame.schema matches LazyFrame.schema.
  return new A.Schema(
    result.deduplicatedColumnNames().map((n, i) => new A.Field(n, arrowType(types[i]), true, new Map([["duckdb_type", String(types[i])]]))),
  );
}

function toBatches(schema: A.Schema, columns: unknown[][]): A.RecordBatch[] {
  const vectors = Object.fromEntries(schema.fields.map((f, i) => [f.name, A.vectorFromArray(columns[i] as never[], f.type)]));
  return new A.Table(vectors).batches.map((b) => new A.RecordBatch(schema, b.data));
}

/** Reads a whole result into one Arrow table. */
export async function resultToTable(result: DuckDBResult): Promise<A.Table> {
  const schema = arrowSchemaOf(result);
  const types = result.columnTypes();
  const js = await result.getColumnsJS();
  if (schema.fields.length === 0 || js.length === 0 || js[0].length === 0) return new A.Table(schema);
  const columns = js.map((col, i) => (NEEDS_CONVERSION.has(types[i].typeId) ? col.map((v) => toArrowValue(v, types[i])) : col));
  return new A.Table(schema, toBatches(schema, columns as unknown[][]));
}

const NEEDS_CONVERSION = new Set<DuckDBTypeId>([
  DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.DECIMAL, DuckDBTypeId.LIST, DuckDBTypeId.ARRAY,
  DuckDBTypeId.STRUCT, DuckDBTypeId.MAP, DuckDBTypeId.UUID, DuckDBTypeId.ENUM, DuckDBTypeId.INTERVAL, DuckDBTypeId.TIME,
  DuckDBTypeId.TIME_TZ, DuckDBTypeId.BIT, DuckDBTypeId.BIGNUM, DuckDBTypeId.UNION,
]);

/** Streams a result as Arrow record batches, one per DuckDB chunk group of at least `minRows` rows. */
export async function* resultToBatches(result: DuckDBResult, minRows = 8192): AsyncGenerator<A.RecordBatch> {
  const schema = arrowSchemaOf(result);
  const types = result.columnTypes();
  let columns: unknown[][] = schema.fields.map(() => []);
  const flush = () => {
    const batches = toBatches(schema, columns);
    columns = schema.fields.map(() => []);
    return batches;
  };
  for await (const rows of result.yieldRowsJs()) {
    for (const row of rows) row.forEach((v, i) => columns[i].push(toArrowValue(v, types[i])));
    if ((columns[0]?.length ?? 0) >= minRows) yield* flush();
  }
  if (columns[0]?.length) yield* flush();
}
