// Where frames come from. File scans ask DuckDB for the schema once, when the scan is created (a
// metadata read, no rows); in-memory data stays in JS until the first query needs it.
import * as A from "../engine/apache_arrow.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { InvalidArgumentError, checkOptionNames } from "../plan/errors.js";
import type { CsvOptions, HiveFile, Source } from "../plan/nodes.js";
import type { Field } from "../plan/types.js";
import { describeQuery, globFiles } from "../engine/execute.js";
import { WILDCARD, literalPath } from "../engine/paths.js";
import { CSV_OPTIONS_HINT, SourceError, csvReason } from "../engine/errors.js";
import { registerMemoryTable, releaseWhenUnreachable, schemaOfArrow, unreadableArrowColumn } from "../engine/memory.js";
import { csvArgs } from "../engine/sql/compiler.js";
import { quoteString } from "../engine/sql/quote.js";
import { HIVE_NULL, dateMs } from "../plan/passes/partitionPruning.js";
import { LazyFrame } from "./lazy.js";

const schemaCache = new Map<string, Field[]>();

/** The files as a DuckDB list literal; each path matches only itself (see engine/paths.ts). */
function fileListSql(files: readonly string[]): string {
  return `[${files.map((f) => quoteString(literalPath(f))).join(", ")}]`;
}

/** Schema of a SELECT over files, cached by the files' paths, sizes and modification times. */
async function cachedDescribe(files: readonly string[], sql: string): Promise<Field[]> {
  const key = JSON.stringify([sql, files.map((f) => { const s = statSync(f); return [f, s.size, s.mtimeMs]; })]);
  let schema = schemaCache.get(key);
  if (!schema) {
    schema = await describeQuery(sql);
    schemaCache.set(key, schema);
  }
  return schema;
}

/** DuckDB's message without the echo of our generated SQL (LINE 1: DESCRIBE …), which names nothing the user wrote. */
function engineText(err: unknown): string {
  return String((err as Error | undefined)?.message ?? err).split(/\n\s*LINE \d+:/)[0].trim();
}

/** Data columns of Parquet files. Every footer is read (one query): files whose columns differ are an
 *  error naming them, unless `unionByName`, where the columns are matched by name across files. */
async function parquetColumns(paths: readonly string[], unionByName: boolean): Promise<Field[]> {
  const describe = (files: readonly string[], union: boolean) =>
    cachedDescribe(files, `SELECT * FROM read_parquet(${fileListSql(files)}, hive_partitioning = FALSE${union ? ", union_by_name = TRUE" : ""})`);
  // The first readable file: an unreadable one fails when a query opens it (pruning may never open it).
  let first: Field[] | undefined;
  let firstPath = paths[0];
  let firstError: Error | undefined;
  for (const path of paths) {
    first = await describe([path], false).catch((err) => void (firstError ??= err as Error));
    firstPath = path;
    if (first) break;
  }
  if (!first) throw new SourceError(`cannot read the schema of ${paths[0]}: ${engineText(firstError)}`);
  if (paths.length === 1) return first;
  if (unionByName) {
    const all = await describe(paths, true).catch(() => undefined);
    if (all) return all;
  } else {
    // One DESCRIBE over every footer (about 25 ms for 400 files; a parquet_schema query took 40–90 ms): a
    // column or type only a later file has changes the union. A later file that lacks a column leaves the
    // union as it is; DuckDB names that file when a query reads it (toEngineError adds the fix).
    const union = await describe(paths, true).catch(() => undefined);
    if (union && sameColumns(union, first)) return first;
  }
  // They differ, cannot be unified, or a file is unreadable: name the files and columns, reading each footer.
  // An unreadable file is left to fail when a query opens it (pruning may never open it).
  const show = (fs: Field[]) => fs.map((f) => `${f.name} ${f.type}`).join(", ");
  const differing: string[] = [];
  for (const path of paths.slice(0, 200)) {
    const cols = await describe([path], false).catch(() => undefined);
    if (cols && !sameColumns(cols, first)) differing.push(`${path} has [${show(cols)}]`);
    if (differing.length === 3) break;
  }
  if (differing.length === 0) return first;
  const fix = unionByName ? "their types cannot be unified; cast or rewrite those files" : "pass { unionByName: true } to match columns by name (missing ones read as null)";
  throw new SourceError(`Parquet files have different columns: ${firstPath} has [${show(first)}] but ${differing.join("; ")}; ${fix}`);
}

function sameColumns(a: readonly Field[], b: readonly Field[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && f.type === b[i].type);
}

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

/** DuckDB's CSV errors suggest its own options; say which file failed and what scan.csv offers instead. */
function csvError(path: string, files: readonly string[], err: Error): string {
  const message = engineText(err);
  const file = files.find((f) => message.includes(f)) ?? (files.length === 1 ? files[0] : undefined);
  const where = file && file !== path ? ` (file ${file})` : "";
  return `cannot read CSV ${path}${where}: ${csvReason(message)}. ${CSV_OPTIONS_HINT}`;
}

/** How a scan reads its path: `true` always as a glob pattern, `false` always as a path; by default a
 *  path that exists is a path (`data [2024]`, `a?b`), and one that does not is a pattern if it has * ? [ {. */
export type GlobMode = boolean | undefined;

/** The listed files and the folder they were listed from (key=value folders below it are partitions). */
async function resolveFiles(pathOrGlob: string, extension: string, glob: GlobMode): Promise<{ files: string[]; root: string }> {
  if (typeof pathOrGlob !== "string" || pathOrGlob === "") throw new InvalidArgumentError("a path or glob is required");
  if (glob !== undefined && typeof glob !== "boolean") throw new InvalidArgumentError(`glob must be true or false (got ${JSON.stringify(glob)})`);
  if (glob === false || (glob === undefined && existsSync(pathOrGlob)) || !WILDCARD.test(pathOrGlob)) {
    if (!existsSync(pathOrGlob)) {
      const literally = glob === false && WILDCARD.test(pathOrGlob) ? "; it is read as written because of { glob: false }" : "";
      throw new SourceError(`file not found: ${pathOrGlob} (check the path; relative paths start at ${process.cwd()}${literally})`);
    }
    if (!statSync(pathOrGlob).isDirectory()) return { files: [pathOrGlob], root: dirname(pathOrGlob) };
    // A directory is listed here (no engine round trip): every *.<extension> below it, sorted.
    const found = filesBelow(pathOrGlob, `.${extension}`, []).sort();
    if (found.length === 0) throw new SourceError(`no .${extension} files under ${pathOrGlob}`);
    return { files: found, root: pathOrGlob };
  }
  // A pattern. Its leading folders that exist as written are folders, even with wildcard characters in
  // their names (data [2024]/*.parquet), unless { glob: true }; the first other wildcard starts the pattern.
  const segments = pathOrGlob.split(sep === "\\" ? /[\\/]/ : "/");
  let firstGlob = 0;
  for (; firstGlob < segments.length; firstGlob++) {
    if (!WILDCARD.test(segments[firstGlob]!)) continue;
    if (glob === true || !existsSync(segments.slice(0, firstGlob + 1).join(sep))) break;
  }
  const rootText = segments.slice(0, firstGlob).join(sep);
  const pattern = firstGlob === 0 ? pathOrGlob : [literalPath(rootText), ...segments.slice(firstGlob)].join("/");
  const files = await globFiles(pattern);
  if (files.length === 0) throw new SourceError(`no files match ${pathOrGlob}${glob === true ? "" : " (a path that exists is read as written; the rest is a glob pattern: * ? [abc])"}`);
  // The folders before the first wildcard are the root: data/day=*/x.parquet has the partition day.
  return { files, root: rootText || (pathOrGlob.startsWith(sep) ? sep : ".") };
}

/** Files below `dir` whose names end with `suffix`. A walk with file types: about 1.5x faster than
 *  readdirSync's `recursive` option, which matters when a scan lists thousands of partition files. */
function filesBelow(dir: string, suffix: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Hidden and underscore entries are not data (as in Hive and Spark): _SUCCESS, a write's .sluice-tmp-* folder.
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesBelow(path, suffix, out);
    else if (entry.name.endsWith(suffix)) out.push(path);
  }
  return out;
}

/** URL-decodes like DuckDB's hive reader: valid %XX sequences are decoded, anything else ('100%') is kept as written. */
function decodeHive(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}

/** key=value folders of a file below `root`: partition column → value, and column → key as written. */
function partitionOf(path: string, root: string): { values: Record<string, string>; keys: Record<string, string> } {
  const values: Record<string, string> = {};
  const keys: Record<string, string> = {};
  for (const segment of relative(root, path).split(/[\\/]/).slice(0, -1)) {
    const m = /^([^=]+)=(.*)$/.exec(segment);
    if (!m || m[1] === "..") continue;
    const name = decodeHive(m[1]);
    // DuckDB reads these as null (the text as written, before decoding).
    values[name] = m[2] === HIVE_NULL || /^null$/i.test(m[2]) ? HIVE_NULL : decodeHive(m[2]);
    keys[name] = m[1];
  }
  return { values, keys };
}

/** Partition column types from every value: integers, dates, else text (no file is opened). Nulls do not count. */
function partitionType(name: string, files: readonly HiveFile[]): string {
  // Nulls do not count, nor empty values (null for every type but text).
  const present = files.filter((f) => f.partition[name] !== HIVE_NULL && f.partition[name] !== "");
  const values = present.map((f) => f.partition[name]);
  if (values.length === 0) return "VARCHAR";
  if (values.every((v) => /^-?\d{1,18}$/.test(v))) return "BIGINT";
  if (values.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) {
    const bad = present.find((f) => {
      const [y, m, d] = f.partition[name].split("-").map(Number);
      return dateMs(y, m, d) === undefined;
    });
    if (bad) throw new SourceError(`partition ${name}=${bad.partition[name]} is not a valid date (in ${dirname(bad.path)}); fix or remove that folder`);
    return "DATE";
  }
  return "VARCHAR";
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
    const { files: paths, root } = await resolveFiles(pathOrGlob, "parquet", options.glob);
    const parsed = paths.map((p) => partitionOf(p, root));
    // hive: true with no key=value folder below the root has no partition column to add.
    const hive = (options.hive ?? true) && parsed.some((p) => Object.keys(p.values).length > 0);
    const files: HiveFile[] = paths.map((path, i) => ({ path, partition: hive ? parsed[i].values : {}, bytes: statSync(path).size }));
    const keys = hive ? Object.keys(files[0].partition) : [];
    for (const f of files) {
      const k = Object.keys(f.partition);
      if (k.join("/") !== keys.join("/"))
        throw new SourceError(`hive partitions differ: ${f.path} has [${k.join(", ")}] but ${files[0].path} has [${keys.join(", ")}]`);
    }
    const partitionColumns = keys.map((name) => ({ name, type: partitionType(name, files) }));
    const hiveKeys = hive ? parsed[0].keys : {};
    for (const p of parsed)
      for (const name of keys)
        if (p.keys[name] !== hiveKeys[name])
          throw new SourceError(`partition folders spell the key '${name}' two ways ('${hiveKeys[name]}' and '${p.keys[name]}'); rename them to one spelling`);
    const data = await parquetColumns(paths, options.unionByName === true);
    const schema = [...data.filter((f) => !keys.includes(f.name)), ...partitionColumns];
    const unionByName = options.unionByName === true ? true : undefined;
    return new LazyFrame({
      kind: "scan",
      source: { kind: "parquet", files, hive, partitionColumns, hiveKeys, unionByName, schema, label: pathOrGlob },
      filters: [],
    });
  },

  /** CSV files: a path, a directory (all *.csv below it) or a glob (`glob` as for scan.parquet). */
  async csv(path: string, scanOptions: CsvOptions & { glob?: boolean } = {}): Promise<LazyFrame> {
    checkOptionNames("scan.csv", scanOptions, {
      delimiter: true, header: true, quote: true, nullString: true, columns: true, ignoreErrors: true, glob: true,
    } satisfies Record<keyof CsvOptions | "glob", true>);
    const { glob, ...options } = scanOptions;
    checkCsvOptions(options);
    const { files } = await resolveFiles(path, "csv", glob);
    const list = fileListSql(files);
    const schema = await cachedDescribe(files, `SELECT * FROM read_csv(${list}, ${csvArgs(options)})`).catch((err) => {
      throw new SourceError(csvError(path, files, err as Error));
    });
    return new LazyFrame({ kind: "scan", source: { kind: "csv", path, files, options, schema, label: path }, filters: [] });
  },

  /** Newline-delimited JSON: a path, a directory (all *.ndjson below it) or a glob (`glob` as for scan.parquet). */
  async ndjson(path: string, options: { glob?: boolean } = {}): Promise<LazyFrame> {
    checkOptionNames("scan.ndjson", options, { glob: true }); // column names and types are read from the file
    const { files } = await resolveFiles(path, "ndjson", options.glob);
    const list = fileListSql(files);
    const schema = await cachedDescribe(files, `SELECT * FROM read_json(${list}, format = 'newline_delimited', hive_partitioning = FALSE)`).catch((err) => {
      throw new SourceError(`cannot read NDJSON ${path}: ${engineText(err)}`);
    });
    return new LazyFrame({ kind: "scan", source: { kind: "ndjson", path, files, schema, label: path }, filters: [] });
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
