// DuckDB results → apache-arrow. @duckdb/node-api has no Arrow export, so result chunks are converted
// column by column: fixed-width numbers, dates and timestamps are copied as memory (DuckDB's layout is
// Arrow's), strings, blobs and enums are copied as bytes into Arrow's offsets + data buffers, other types go
// through node-api's JS values (measured: see docs/dataframes.md).
import * as A from "./apache_arrow.js";
import {
  DuckDBBitValue,
  DuckDBTypeId,
  intervalValue,
  timeTZValue,
  timeValue,
  type DuckDBUnionType,
  type DuckDBListType,
  type DuckDBMapType,
  type DuckDBResult,
  type DuckDBStructType,
  type DuckDBType,
  type DuckDBDataChunk,
  type DuckDBEnumType,
} from "@duckdb/node-api";
// Not re-exported by the package index; the module is public in the package (no "exports" map).
import { JSDuckDBValueConverter } from "@duckdb/node-api/lib/JSDuckDBValueConverter.js";
import { createRequire } from "node:module";

// node-api's own native bindings (the exact version it depends on), for get_data_from_pointer: copies
// byte_count bytes from the address stored at pointer_offset of array_buffer.
const requireHere = createRequire(import.meta.url);
const bindings = createRequire(requireHere.resolve("@duckdb/node-api"))("@duckdb/node-bindings") as {
  get_data_from_pointer(arrayBuffer: ArrayBuffer, pointerOffset: number, byteCount: number): Uint8Array;
};

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
      return textOf(v, t);
  }
}

/**
 * A value that Arrow gets as Utf8 (TIME, TIME_TZ, INTERVAL, UNION, UUID, BIT, BIGNUM, …), spelled as DuckDB
 * prints it: node-api's JS values for these are microsecond counts or objects that String() makes unreadable.
 */
function textOf(v: unknown, t: DuckDBType): string | null {
  if (v === null || v === undefined) return null;
  switch (t.typeId) {
    case DuckDBTypeId.TIME:
      return String(timeValue(v as bigint));
    case DuckDBTypeId.TIME_TZ: {
      const x = v as { micros: bigint; offset: number };
      return String(timeTZValue(x.micros, x.offset));
    }
    case DuckDBTypeId.INTERVAL: {
      const x = v as { months: number; days: number; micros: bigint };
      return String(intervalValue(x.months, x.days, x.micros));
    }
    case DuckDBTypeId.BIT:
      return String(new DuckDBBitValue(v as Uint8Array));
    case DuckDBTypeId.UNION: {
      const x = v as { tag: string; value: unknown };
      const u = t as DuckDBUnionType;
      return textOf(x.value, u.memberTypes[u.memberIndexForTag(x.tag)]);
    }
  }
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  return String(v);
}

export function arrowSchemaOf(result: DuckDBResult): A.Schema {
  const types = result.columnTypes();
  // The DuckDB type name rides along as field metadata, so DataFrame.schema matches LazyFrame.schema.
  return new A.Schema(
    result.deduplicatedColumnNames().map((n, i) => new A.Field(n, arrowType(types[i]), true, new Map([["duckdb_type", String(types[i])]]))),
  );
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
  if (t.typeId === DuckDBTypeId.VARCHAR || t.typeId === DuckDBTypeId.BLOB) return stringBuilder(arrowT as A.Utf8 | A.Binary);
  if (t.typeId === DuckDBTypeId.ENUM) return enumBuilder(t as DuckDBEnumType);
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

/**
 * VARCHAR and BLOB: DuckDB's string_t bytes are already what Arrow's Utf8/Binary hold (DuckDB strings are
 * valid UTF-8), so the bytes are copied into one growing buffer with Int32 offsets — no JS strings at all.
 * A string_t is 16 bytes: uint32 length, then the bytes inline when length <= 12, else a 4-byte prefix and a
 * pointer that only the native bindings can follow (node-api has no bulk read; see pass 2). Measured in
 * bench/arrow (figures in docs/dataframes.md): several times faster than going through JS strings.
 */
function stringBuilder(arrowT: A.Utf8 | A.Binary): ColumnBuilder {
  const out = new VariableWidthParts();
  return {
    append(chunk, column) {
      const v = chunk.getColumnVector(column) as unknown as StringVector;
      const n = chunk.rowCount;
      const view = v.dataView;
      if (!(view instanceof DataView) || view.byteLength < n * 16) throw new Error("unexpected DuckDB string vector layout");
      const raw = new Uint8Array(view.buffer, view.byteOffset, n * 16);
      const valid = validityBytes(v.validity);
      const bitOffset = v.validity?.offset ?? 0;
      // Pass 1: validity and lengths, so the byte buffer grows once per chunk.
      const first = out.length;
      const offsets = out.reserveRows(n);
      let end = offsets[first];
      for (let i = 0; i < n; i++) {
        const bit = bitOffset + i;
        if (valid === null || (valid[bit >>> 3] >> (bit & 7)) & 1) end += view.getUint32(i * 16, true);
        else out.markNull(first + i);
        offsets[first + i + 1] = end;
      }
      const bytes = out.reserveBytes(end);
      // Pass 2: the bytes. Long strings that DuckDB laid out back to back (the usual case for a result
      // chunk) are fetched in one native call per run instead of one per string.
      for (let i = 0; i < n; ) {
        const at = offsets[first + i];
        const len = offsets[first + i + 1] - at;
        const base = i * 16;
        i += 1;
        if (len === 0) continue;
        if (len <= 12) {
          for (let k = 0; k < len; k++) bytes[at + k] = raw[base + 4 + k];
          continue;
        }
        let runEnd = pointerAt(view, base) + len;
        let runBytes = len;
        for (; i < n; i++) {
          const next = offsets[first + i + 1] - offsets[first + i];
          if (next === 0) continue; // null or empty: no bytes, the run goes on
          if (next <= 12 || pointerAt(view, i * 16) !== runEnd) break;
          runEnd += next;
          runBytes += next;
        }
        bytes.set(bindings.get_data_from_pointer(view.buffer as ArrayBuffer, view.byteOffset + base + 8, runBytes), at);
      }
      out.length += n;
    },
    finish: () => out.finish(arrowT),
  };
}

/** ENUM: each row's dictionary entry, UTF-8 encoded once per column, copied as bytes into Arrow Utf8. */
function enumBuilder(t: DuckDBEnumType): ColumnBuilder {
  const encoder = new TextEncoder();
  const entries = t.values.map((value) => encoder.encode(value));
  const out = new VariableWidthParts();
  return {
    append(chunk, column) {
      const v = chunk.getColumnVector(column) as unknown as RawVector;
      const n = chunk.rowCount;
      const items = v.items;
      if (!items || items.length < n) throw new Error("unexpected DuckDB enum vector layout");
      const valid = validityBytes(v.validity);
      const bitOffset = v.validity?.offset ?? 0;
      const first = out.length;
      const offsets = out.reserveRows(n);
      let end = offsets[first];
      for (let i = 0; i < n; i++) {
        const bit = bitOffset + i;
        if (valid === null || (valid[bit >>> 3] >> (bit & 7)) & 1) end += entries[items[i] as number].length;
        else out.markNull(first + i);
        offsets[first + i + 1] = end;
      }
      const bytes = out.reserveBytes(end);
      for (let i = 0; i < n; i++) {
        const at = offsets[first + i];
        if (offsets[first + i + 1] === at) continue;
        const entry = entries[items[i] as number];
        if (entry.length <= 16) for (let k = 0; k < entry.length; k++) bytes[at + k] = entry[k];
        else bytes.set(entry, at);
      }
      out.length += n;
    },
    finish: () => out.finish(new A.Utf8()),
  };
}

/** DuckDB's validity words as bytes: little-endian uint64 words put bit b in byte b >> 3, as Arrow does. */
function validityBytes(validity: RawVector["validity"]): Uint8Array | null {
  const words = validity?.data;
  return words ? new Uint8Array(words.buffer, words.byteOffset, words.byteLength) : null;
}

/** The buffers of an Arrow Utf8/Binary column being filled chunk by chunk: Int32 offsets, bytes, validity. */
class VariableWidthParts {
  length = 0;
  private offsets = new Int32Array(2049);
  private bytes = new Uint8Array(1 << 16);
  private nullBitmap: Uint8Array | undefined;
  private nullCount = 0;

  /** Room for n more rows; returns the offsets array to write offsets[length + 1 .. length + n] into. */
  reserveRows(n: number): Int32Array {
    if (this.offsets.length < this.length + n + 1) this.offsets = grow(this.offsets, this.length + n + 1);
    return this.offsets;
  }

  markNull(row: number): void {
    this.nullBitmap ??= new Uint8Array(Math.max(256, this.offsets.length >>> 3)).fill(0xff);
    if (this.nullBitmap.length <= row >>> 3) this.nullBitmap = growBitmap(this.nullBitmap, this.offsets.length);
    this.nullBitmap[row >>> 3] &= ~(1 << (row & 7));
    this.nullCount += 1;
  }

  /** Room for `end` bytes in all; returns the byte buffer. */
  reserveBytes(end: number): Uint8Array {
    if (end > 0x7fffffff) throw new Error("a text column holds more than 2 GiB; Arrow Utf8 offsets are 32-bit — write it with write.parquet instead of collecting it");
    if (this.bytes.length < end) {
      const next = new Uint8Array(Math.min(0x7fffffff, Math.max(end, this.bytes.length * 2)));
      next.set(this.bytes.subarray(0, this.offsets[this.length]));
      this.bytes = next;
    }
    return this.bytes;
  }

  finish(type: A.Utf8 | A.Binary): A.Data {
    const length = this.length;
    const nullBitmap = this.nullCount && this.nullBitmap ? padBitmap(this.nullBitmap, length) : undefined;
    return A.makeData({
      type, length, nullCount: this.nullCount, nullBitmap,
      valueOffsets: this.offsets.slice(0, length + 1), data: this.bytes.slice(0, this.offsets[length]),
    } as never);
  }
}

/** A long string_t's data pointer as a number (exact: user-space addresses are below 2^53). */
function pointerAt(view: DataView, base: number): number {
  return view.getUint32(base + 8, true) + view.getUint32(base + 12, true) * 0x1_0000_0000;
}

/** The parts of node-api's DuckDBVarCharVector/DuckDBBlobVector read here (private in its typings). */
interface StringVector {
  dataView?: DataView;
  validity?: { data: BigUint64Array | null; offset: number };
}

function grow(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  const next = new Int32Array(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

/** Grows a validity bitmap; new bytes start as all-valid. */
function growBitmap(b: Uint8Array, rows: number): Uint8Array {
  const next = new Uint8Array(Math.max(Math.ceil(rows / 8), b.length * 2)).fill(0xff);
  next.set(b);
  return next;
}

function padBitmap(b: Uint8Array, length: number): Uint8Array {
  const bytesNeeded = Math.ceil(length / 8);
  return b.length >= bytesNeeded ? b.slice(0, bytesNeeded) : growBitmap(b, length).slice(0, bytesNeeded);
}

/** Streams a result as Arrow record batches of at least `minRows` rows (the last may be shorter), converted as resultToTable does. */
export async function* resultToBatches(result: DuckDBResult, minRows = 8192): AsyncGenerator<A.RecordBatch> {
  const schema = arrowSchemaOf(result);
  const types = result.columnTypes();
  if (schema.fields.length === 0) return;
  let builders: ColumnBuilder[] | undefined;
  let length = 0;
  const flush = () => {
    const data = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children: builders!.map((b) => b.finish()) });
    builders = undefined;
    length = 0;
    return new A.RecordBatch(schema, data);
  };
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    builders ??= types.map((t, i) => columnBuilder(t, schema.fields[i].type));
    builders.forEach((b, i) => b.append(chunk, i));
    length += chunk.rowCount;
    if (length >= minRows) yield flush();
  }
  if (length > 0) yield flush();
}
