// DuckDB results → apache-arrow. @duckdb/node-api has no Arrow export, so result chunks are converted
// column by column: fixed-width numbers, dates and timestamps are copied as memory (DuckDB's layout is
// Arrow's), strings are read item by item, other types go through node-api's JS values (measured: see README).
import * as A from "apache-arrow";
import {
  DuckDBTypeId,
  type DuckDBListType,
  type DuckDBMapType,
  type DuckDBResult,
  type DuckDBStructType,
  type DuckDBType,
  type DuckDBDataChunk,
} from "@duckdb/node-api";
// Not re-exported by the package index; the module is public in the package (no "exports" map).
import { JSDuckDBValueConverter } from "@duckdb/node-api/lib/JSDuckDBValueConverter.js";

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

/** Reads a whole result into one Arrow table (one record batch). */
export async function resultToTable(result: DuckDBResult): Promise<A.Table> {
  const schema = arrowSchemaOf(result);
  const types = result.columnTypes();
  if (schema.fields.length === 0) return new A.Table(schema);
  const builders = types.map((t, i) => columnBuilder(t, schema.fields[i].type));
  let length = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    builders.forEach((b, i) => b.append(chunk, i));
    length += chunk.rowCount;
  }
  if (length === 0) return new A.Table(schema);
  const data = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children: builders.map((b) => b.finish()) });
  return new A.Table(schema, [new A.RecordBatch(schema, data)]);
}

interface ColumnBuilder {
  append(chunk: DuckDBDataChunk, column: number): void;
  finish(): A.Data;
}

type TypedArray = Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Float32Array | Float64Array;
type TypedArrayCtor = { new (n: number): TypedArray; BYTES_PER_ELEMENT: number };

/** Fixed-width columns whose DuckDB memory layout is Arrow's: copy the values and the validity bits. */
const FIXED_WIDTH: Partial<Record<DuckDBTypeId, TypedArrayCtor>> = {
  [DuckDBTypeId.TINYINT]: Int8Array, [DuckDBTypeId.SMALLINT]: Int16Array, [DuckDBTypeId.INTEGER]: Int32Array,
  [DuckDBTypeId.BIGINT]: BigInt64Array, [DuckDBTypeId.UTINYINT]: Uint8Array, [DuckDBTypeId.USMALLINT]: Uint16Array,
  [DuckDBTypeId.UINTEGER]: Uint32Array, [DuckDBTypeId.UBIGINT]: BigUint64Array, [DuckDBTypeId.FLOAT]: Float32Array,
  [DuckDBTypeId.DOUBLE]: Float64Array, [DuckDBTypeId.DATE]: Int32Array, [DuckDBTypeId.TIMESTAMP]: BigInt64Array,
  [DuckDBTypeId.TIMESTAMP_TZ]: BigInt64Array,
};

/** The raw parts of a node-api vector (its typed view over DuckDB memory and validity words). */
interface RawVector {
  items?: TypedArray;
  validity?: { data: BigUint64Array | null; offset: number };
  getItem(i: number): unknown;
}

function columnBuilder(t: DuckDBType, arrowT: A.DataType): ColumnBuilder {
  const ctor = FIXED_WIDTH[t.typeId];
  if (ctor) return fixedWidthBuilder(ctor, arrowT);
  if (t.typeId === DuckDBTypeId.VARCHAR) {
    const values: (string | null)[] = [];
    return {
      append(chunk, column) {
        const v = chunk.getColumnVector(column) as unknown as RawVector;
        for (let i = 0; i < chunk.rowCount; i++) values.push(v.getItem(i) as string | null);
      },
      finish: () => A.vectorFromArray(values, new A.Utf8()).data[0],
    };
  }
  // Everything else (booleans, decimals, nested types, …) through node-api's JS values.
  const values: unknown[] = [];
  return {
    append(chunk, column) {
      for (const v of chunk.convertColumnValues(column, JSDuckDBValueConverter)) values.push(toArrowValue(v, t));
    },
    finish: () => A.vectorFromArray(values as never[], arrowT).data[0],
  };
}

function fixedWidthBuilder(ctor: TypedArrayCtor, arrowT: A.DataType): ColumnBuilder {
  const parts: { items: TypedArray; validity: BigUint64Array | null; offset: number }[] = [];
  let length = 0;
  return {
    append(chunk, column) {
      const v = chunk.getColumnVector(column) as unknown as RawVector;
      const n = chunk.rowCount;
      if (!v.items || v.items.length < n) throw new Error("unexpected DuckDB vector layout");
      // Copy: the chunk's memory belongs to DuckDB and is reused after this call.
      parts.push({ items: v.items.slice(0, n) as TypedArray, validity: v.validity?.data ? v.validity.data.slice() : null, offset: v.validity?.offset ?? 0 });
      length += n;
    },
    finish() {
      const values = new ctor(length);
      let nullBitmap: Uint8Array | undefined;
      let nullCount = 0;
      let at = 0;
      for (const p of parts) {
        (values as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(p.items as ArrayLike<unknown>, at);
        if (p.validity) {
          nullBitmap ??= new Uint8Array(Math.ceil(length / 8)).fill(0xff);
          const words = p.validity;
          for (let i = 0; i < p.items.length; i++) {
            const bit = p.offset + i;
            if (((words[bit >>> 6] >> BigInt(bit & 63)) & 1n) === 0n) {
              const row = at + i;
              nullBitmap[row >>> 3] &= ~(1 << (row & 7));
              nullCount += 1;
            }
          }
        }
        at += p.items.length;
      }
      return A.makeData({ type: arrowT as A.Int, length, nullCount, data: values as never, nullBitmap: nullCount ? nullBitmap : undefined });
    },
  };
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
