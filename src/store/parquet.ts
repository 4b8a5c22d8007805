// The store's small DuckDB helper: write a table to Parquet and inspect a Parquet file
// (row count, schema, first rows). Data goes through DuckDB's appender, typed per column.
import { DuckDBInstance, DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { DataType, type Table as ArrowTable } from "../engine/apache_arrow.js";
import { DataFrame, LazyFrame, fromArrow } from "../frame/index.js";
import { UnsupportedAssetDataError } from "./errors.js";
import { jsonSafe } from "./metadata.js";

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

let instance: Promise<DuckDBInstance> | undefined;
async function connect(): Promise<DuckDBConnection> {
  instance ??= DuckDBInstance.create(":memory:", { threads: "2" });
  return (await instance).connect();
}

/** Runs fn with a fresh connection on the shared in-memory DuckDB, closing it afterwards. */
export async function withDuckDB<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const connection = await connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
  }
}

type ColumnKind = "BIGINT" | "DOUBLE" | "VARCHAR" | "BOOLEAN" | "TIMESTAMP";
interface Column {
  name: string;
  kind: ColumnKind;
  value(row: number): unknown;
}

export function isArrowTable(data: unknown): data is ArrowTable {
  return (
    typeof data === "object" &&
    data !== null &&
    "schema" in data &&
    "numRows" in data &&
    typeof (data as ArrowTable).getChildAt === "function"
  );
}

function arrowColumns(table: ArrowTable): { rows: number; columns: Column[] } {
  const columns = table.schema.fields.map((field, index): Column => {
    const vector = table.getChildAt(index)!;
    const type = field.type;
    const kind: ColumnKind = DataType.isInt(type)
      ? "BIGINT"
      : DataType.isFloat(type) || DataType.isDecimal(type)
        ? "DOUBLE"
        : DataType.isBool(type)
          ? "BOOLEAN"
          : DataType.isTimestamp(type) || DataType.isDate(type)
            ? "TIMESTAMP"
            : "VARCHAR";
    return { name: field.name, kind, value: (row) => vector.get(row) };
  });
  return { rows: table.numRows, columns };
}

function rowColumns(rows: readonly Record<string, unknown>[]): { rows: number; columns: Column[] } {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new UnsupportedAssetDataError("asset rows must be plain objects ({column: value}).");
    }
    for (const name of Object.keys(row)) if (!seen.has(name)) (seen.add(name), names.push(name));
  }
  const columns = names.map((name): Column => {
    let kind: ColumnKind | undefined;
    let allIntegers = true;
    for (const row of rows) {
      const v = row[name];
      if (v === null || v === undefined) continue;
      const k: ColumnKind =
        typeof v === "number" ? "DOUBLE" : typeof v === "bigint" ? "BIGINT" : typeof v === "boolean" ? "BOOLEAN" : v instanceof Date ? "TIMESTAMP" : "VARCHAR";
      if (typeof v === "number" && !Number.isInteger(v)) allIntegers = false;
      if (kind === undefined) kind = k;
      else if (kind !== k) {
        kind = (kind === "DOUBLE" && k === "BIGINT") || (kind === "BIGINT" && k === "DOUBLE") ? "DOUBLE" : "VARCHAR";
      }
    }
    if (kind === "DOUBLE" && allIntegers && rows.every((r) => typeof r[name] !== "bigint")) kind = "BIGINT";
    return { name, kind: kind ?? "VARCHAR", value: (row) => rows[row]![name] };
  });
  return { rows: rows.length, columns };
}

function append(appender: DuckDBAppender, kind: ColumnKind, v: unknown): void {
  if (v === null || v === undefined) return appender.appendNull();
  switch (kind) {
    case "BIGINT":
      return appender.appendBigInt(typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v))));
    case "DOUBLE":
      return appender.appendDouble(Number(v));
    case "BOOLEAN":
      return appender.appendBoolean(Boolean(v));
    case "TIMESTAMP": {
      const ms = v instanceof Date ? v.getTime() : Number(v);
      return appender.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(ms * 1000))));
    }
    case "VARCHAR":
      return appender.appendVarchar(typeof v === "string" ? v : JSON.stringify(v, jsonSafe));
  }
}

let tableCounter = 0;

function describe(data: unknown): string {
  if (data === null || data === undefined) return String(data);
  if (typeof data !== "object") return `a ${typeof data}`;
  return `a ${(data as object).constructor?.name ?? "object"}`;
}

/** Something that knows how to write itself as Parquet (the lazy frame does). */
export interface ParquetWritable {
  writeParquetTo(path: string): Promise<void>;
}
export type TableData = LazyFrame | DataFrame | ArrowTable | readonly Record<string, unknown>[] | ParquetWritable;

/** Writes lazy frames (computed by the engine straight into the file), collected frames, Arrow tables
 * and arrays of row objects to a Parquet file at `path`. */
export async function writeParquet(data: TableData, path: string): Promise<void> {
  if (data instanceof LazyFrame) return data.write.parquet(path);
  if (data instanceof DataFrame) return fromArrow(data.toArrow(), "asset").write.parquet(path);
  if (typeof data === "object" && data !== null && "writeParquetTo" in data && typeof data.writeParquetTo === "function") {
    return data.writeParquetTo(path);
  }
  const { rows, columns } = isArrowTable(data)
    ? arrowColumns(data)
    : Array.isArray(data)
      ? rowColumns(data as Record<string, unknown>[])
      : (() => {
          throw new UnsupportedAssetDataError(
            `cannot store ${describe(data)} as an asset; pass a lazy frame, a DataFrame, an Arrow Table or an array of row objects.`,
          );
        })();
  if (columns.length === 0) throw new UnsupportedAssetDataError("an asset table needs at least one column.");
  await withDuckDB(async (connection) => {
    tableCounter += 1;
    const table = `sluice_ingest_${process.pid}_${tableCounter}`;
    await connection.run(`CREATE TABLE ${quoteIdent(table)} (${columns.map((c) => `${quoteIdent(c.name)} ${c.kind}`).join(", ")})`);
    try {
      const appender = await connection.createAppender(table);
      for (let row = 0; row < rows; row++) {
        for (const column of columns) append(appender, column.kind, column.value(row));
        appender.endRow();
      }
      appender.closeSync();
      await connection.run(`COPY ${quoteIdent(table)} TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
    }
  });
}

/** JSON-safe values: safe bigints become numbers, dates ISO strings, other engine values their text. */
function plainValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plainValue(x)]));
  }
  return v;
}
function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  return plainValue(row) as Record<string, unknown>;
}

export interface ParquetSummary {
  rowCount: number;
  schema: Array<{ name: string; type: string }>;
  preview: Record<string, unknown>[];
}

/** Row count (from the footer), schema and the first rows of a Parquet file. */
export async function inspectParquet(path: string, previewRows = 10): Promise<ParquetSummary> {
  return withDuckDB(async (connection) => {
    const source = `read_parquet(${quoteLiteral(path)})`;
    const count = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${source}`);
    const describe = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const preview = await connection.runAndReadAll(`SELECT * FROM ${source} LIMIT ${Math.max(0, Math.trunc(previewRows))}`);
    return {
      rowCount: Number(count.getRowObjectsJS()[0]!.n),
      schema: describe.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) })),
      preview: preview.getRowObjectsJS().map(plainRow),
    };
  });
}

/** All rows of a Parquet file as JSON-safe objects (small assets, tests and the CLI). */
export async function readParquetRows(path: string, limit?: number): Promise<Record<string, unknown>[]> {
  return withDuckDB(async (connection) => {
    const sql = `SELECT * FROM read_parquet(${quoteLiteral(path)})${limit === undefined ? "" : ` LIMIT ${Math.trunc(limit)}`}`;
    return (await connection.runAndReadAll(sql)).getRowObjectsJS().map(plainRow);
  });
}
