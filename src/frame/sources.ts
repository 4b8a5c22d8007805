// Where frames come from. File scans ask DuckDB for the schema once, when the scan is created (a
// metadata read, no rows); in-memory data stays in JS until the first query needs it.
import * as A from "../engine/apache_arrow.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { InvalidArgumentError, checkOptionNames } from "../plan/errors.js";
import type { CsvOptions, Source } from "../plan/nodes.js";
import { SourceError } from "../engine/errors.js";
import { registerMemoryTable, releaseWhenUnreachable, schemaOfArrow, unreadableArrowColumn } from "../engine/memory.js";
import { probeCsv, probeNdjson, probeParquet } from "../engine/probe.js";
import { LazyFrame } from "./lazy.js";

export type { GlobMode } from "../engine/probe.js";

/** Values DuckDB would accept in ways we do not mean, refused before any file is read. */
function checkCsvOptions(o: CsvOptions): void {
  const bad = (name: string, why: string) => new InvalidArgumentError(`scan.csv: ${name} ${why}`);
  if (o.delimiter !== undefined && (typeof o.delimiter !== "string" || o.delimiter === ""))
    throw bad("delimiter", `must be a non-empty string, e.g. "," or "\\t" (got ${JSON.stringify(o.delimiter)})`);
  if (o.delimiter !== undefined && Buffer.byteLength(o.delimiter) > 4)
    throw bad("delimiter", `can be at most 4 bytes long (got ${JSON.stringify(o.delimiter)})`);
  if (o.quote !== undefined && (typeof o.quote !== "string" || Buffer.byteLength(o.quote) > 1))
    throw bad("quote", `must be one character, e.g. '"', or "" for no quoting (got ${JSON.stringify(o.quote)})`);
  if (o.header !== undefined && typeof o.header !== "boolean") throw bad("header", `must be true or false (got ${JSON.stringify(o.header)})`);
  if (o.ignoreErrors !== undefined && typeof o.ignoreErrors !== "boolean") throw bad("ignoreErrors", `must be true or false (got ${JSON.stringify(o.ignoreErrors)})`);
  if (o.nullString !== undefined && typeof o.nullString !== "string") throw bad("nullString", `must be a string (got ${JSON.stringify(o.nullString)})`);
  if (o.columns !== undefined && (typeof o.columns !== "object" || o.columns === null || Object.values(o.columns).some((t) => typeof t !== "string")))
    throw bad("columns", `must map column names to type names, e.g. { id: "BIGINT" } (got ${JSON.stringify(o.columns)})`);
}

export const scan = {
  /**
   * Parquet files: a path, a directory (all *.parquet below it) or a glob. key=value folders below the
   * directory (or below the glob's first wildcard) become columns; `hive: false` turns that off.
   * Files must have the same columns unless `unionByName` is set (columns are then matched by name, a
   * column missing from a file reads as null). A path that exists is read as written even if its name
   * has * ? [ ] { } in it; `glob: true` makes it a pattern regardless, `glob: false` never.
   */
  async parquet(pathOrGlob: string, options: { hive?: boolean; unionByName?: boolean; glob?: boolean } = {}): Promise<LazyFrame> {
    checkOptionNames("scan.parquet", options, { hive: true, unionByName: true, glob: true });
    return new LazyFrame({ kind: "scan", source: await probeParquet(pathOrGlob, options), filters: [] });
  },

  /** CSV files: a path, a directory (all *.csv below it) or a glob (`glob` as for scan.parquet). */
  async csv(path: string, scanOptions: CsvOptions & { glob?: boolean } = {}): Promise<LazyFrame> {
    checkOptionNames("scan.csv", scanOptions, {
      delimiter: true, header: true, quote: true, nullString: true, columns: true, ignoreErrors: true, glob: true,
    } satisfies Record<keyof CsvOptions | "glob", true>);
    const { glob, ...options } = scanOptions;
    checkCsvOptions(options);
    return new LazyFrame({ kind: "scan", source: await probeCsv(path, options, glob), filters: [] });
  },

  /** Newline-delimited JSON: a path, a directory (all *.ndjson below it) or a glob (`glob` as for scan.parquet). */
  async ndjson(path: string, options: { glob?: boolean } = {}): Promise<LazyFrame> {
    checkOptionNames("scan.ndjson", options, { glob: true }); // column names and types are read from the file
    return new LazyFrame({ kind: "scan", source: await probeNdjson(path, options.glob), filters: [] });
  },

  /** An Arrow IPC file (read into memory). */
  async arrow(path: string): Promise<LazyFrame> {
    if (typeof path !== "string") throw new InvalidArgumentError(`scan.arrow(path): expected a file path, got ${JSON.stringify(path)}`);
    if (/[*?[]/.test(path) && !existsSync(path))
      throw new SourceError(`scan.arrow reads one Arrow IPC file; globs are not supported (${path}): scan each file and combine them with frame.union(...others), or write Parquet and use scan.parquet`);
    if (!existsSync(path)) throw new SourceError(`file not found: ${path}`);
    if (statSync(path).isDirectory()) throw new SourceError(`scan.arrow reads one Arrow IPC file, ${path} is a directory: scan each file and combine them with frame.union(...others), or write Parquet and use scan.parquet`);
    let table: A.Table;
    const bytes = readFileSync(path);
    try {
      // IPC file or stream format, compressed (zstd, lz4) or not: apache-arrow tells them apart.
      table = A.tableFromIPC(bytes);
    } catch (err) {
      const column = unreadableArrowColumn(bytes);
      if (column) throw new SourceError(`cannot read Arrow IPC file ${path}: ${column}`);
      throw new SourceError(
        `cannot read Arrow IPC file ${path}: ${(err as Error).message} (if Polars wrote it, writing with df.write_ipc(path, compat_level=pl.CompatLevel.oldest()) avoids the newest Arrow types)`,
      );
    }
    return fromArrow(table, path);
  },
};

export function fromArrow(table: A.Table, label = "arrow table"): LazyFrame {
  if (!(table instanceof A.Table)) throw new InvalidArgumentError("fromArrow(table): expected an apache-arrow Table");
  const schema = schemaOfArrow(table);
  const source: Source = { kind: "memory", id: registerMemoryTable(table), schema, label };
  releaseWhenUnreachable(source, source.id);
  return new LazyFrame({ kind: "scan", source, filters: [] });
}

type ColumnValues = readonly unknown[];

type NumericArray = Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export function fromColumns(columns: Record<string, ColumnValues | NumericArray>, label = "columns"): LazyFrame {
  const names = Object.keys(columns);
  if (names.length === 0) throw new InvalidArgumentError("fromColumns needs at least one column");
  const length = columns[names[0]].length;
  const vectors: Record<string, A.Vector> = {};
  for (const name of names) {
    const values = columns[name] as ColumnValues | NumericArray;
    const typed = ArrayBuffer.isView(values) && !(values instanceof DataView);
    if (!Array.isArray(values) && !typed) throw new InvalidArgumentError(`column '${name}': expected an array (or a typed array such as Float64Array) of values`);
    if (values.length !== length) throw new InvalidArgumentError(`column '${name}' has ${values.length} values but '${names[0]}' has ${length}`);
    // A typed array is already Arrow's memory layout: it becomes a vector without a copy.
    vectors[name] = typed ? A.makeVector(values as NumericArray) : toVector(name, values as ColumnValues);
  }
  return fromArrow(new A.Table(vectors), label);
}

export function fromRecords(records: readonly object[]): LazyFrame {
  if (!Array.isArray(records)) throw new InvalidArgumentError("fromRecords(rows): expected an array of objects");
  const rows = records as readonly Record<string, unknown>[];
  const bad = rows.findIndex((r) => typeof r !== "object" || r === null || Array.isArray(r));
  if (bad >= 0) throw new InvalidArgumentError(`fromRecords: row ${bad} is ${rows[bad] === null ? "null" : Array.isArray(rows[bad]) ? "an array" : JSON.stringify(rows[bad])}; every row must be an object like { a: 1 }`);
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), names.push(k));
  if (names.length === 0) throw new InvalidArgumentError("fromRecords needs at least one row with at least one field");
  return fromColumns(Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)])), "records");
}

/** A danfojs-node DataFrame (its columns and values; no copy of danfo's internals is kept). */
export function fromDanfo(df: { columns: string[]; column(name: string): { values: unknown[] } }): LazyFrame {
  if (!df || !Array.isArray(df.columns) || typeof df.column !== "function")
    throw new InvalidArgumentError("fromDanfo(df): expected a danfojs DataFrame");
  return fromColumns(Object.fromEntries(df.columns.map((c) => [c, [...df.column(c).values]])), "danfo");
}

function toVector(name: string, values: ColumnValues): A.Vector {
  const norm = values.map((v) => (v === undefined ? null : v));
  const type = arrowTypeOf(name, norm);
  return A.vectorFromArray(norm.map((v) => toArrowValue(v, type)) as never[], type);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date) && Object.getPrototypeOf(v) === Object.prototype;

/** The Arrow type of JS values: the same rules at every depth, so lists and objects nest. */
function arrowTypeOf(path: string, values: readonly unknown[]): A.DataType {
  const present = values.filter((v) => v !== null && v !== undefined);
  const all = (p: (v: unknown) => boolean) => present.every(p);
  if (present.length === 0) return new A.Utf8();
  if (all((v) => typeof v === "boolean")) return new A.Bool();
  if (all((v) => typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v)))) {
    const wide = values.findIndex((v) => typeof v === "bigint" && BigInt.asIntN(64, v) !== v);
    if (wide >= 0) throw new InvalidArgumentError(`column '${path}', row ${wide}: ${String(values[wide])} does not fit a 64-bit integer; pass it as a string (or a number, if rounding is fine)`);
    return new A.Int64();
  }
  if (all((v) => typeof v === "number" || typeof v === "bigint")) return new A.Float64();
  if (all((v) => typeof v === "string")) return new A.Utf8();
  if (all((v) => v instanceof Date)) {
    const invalid = values.findIndex((v) => v instanceof Date && Number.isNaN(v.getTime()));
    if (invalid >= 0) throw new InvalidArgumentError(`column '${path}', row ${invalid}: Invalid Date (new Date(...) could not read its input); use null for a missing date`);
    return new A.TimestampMicrosecond();
  }
  if (all(Array.isArray)) return new A.List(new A.Field("item", arrowTypeOf(`${path}[]`, (present as unknown[][]).flat()), true));
  if (all(isPlainObject)) {
    const keys = [...new Set((present as Record<string, unknown>[]).flatMap((o) => Object.keys(o)))];
    return new A.Struct(keys.map((k) => new A.Field(k, arrowTypeOf(`${path}.${k}`, (present as Record<string, unknown>[]).map((o) => o[k] ?? null)), true)));
  }
  const kinds = [...new Set(present.map((v) => (v instanceof Date ? "Date" : Array.isArray(v) ? "array" : typeof v)))];
  if (kinds.length === 1 && kinds[0] === "object") {
    const other = present.find((v) => !isPlainObject(v)) as object;
    throw new InvalidArgumentError(`column '${path}' holds ${other.constructor?.name ?? "non-plain"} objects; only plain { key: value } objects become structs, so convert them first (e.g. Object.fromEntries(map), buffer.toString())`);
  }
  throw new InvalidArgumentError(`column '${path}' mixes value types (${kinds.join(", ")}); give every value in a column one type`);
}

/** A JS value as Arrow's builder for `type` takes it (64-bit integers as bigint, at every depth). */
function toArrowValue(v: unknown, type: A.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (A.DataType.isInt(type)) return BigInt(v as number | bigint);
  if (A.DataType.isFloat(type)) return Number(v);
  if (A.DataType.isList(type)) return (v as unknown[]).map((x) => toArrowValue(x, (type as A.List).valueType));
  if (A.DataType.isStruct(type)) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries((type as A.Struct).children.map((f) => [f.name, toArrowValue(o[f.name], f.type)]));
  }
  return v;
}
