// The actions the frame layer asks for, each one job: plan in, Arrow (or files) out.
import * as A from "./apache_arrow.js";
import { lstat, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { devNull } from "node:os";
import type { Plan } from "../plan/nodes.js";
import { InvalidArgumentError } from "../plan/errors.js";
import { MEMORY_SCHEMA, compile } from "./sql/compiler.js";
import { quoteIdent, quoteString } from "./sql/quote.js";
import { resultToBatches, resultToTable } from "./arrow.js";
import { runJob, startJob, toEngineError, type RunningJob } from "./jobs.js";
import { CancelledError, EngineError, SourceError } from "./errors.js";
import { connect } from "./instance.js";
import { ensureLoaded } from "./memory.js";
import { currentWriteDestination } from "../progress/bus.js";
import { fragmentsExplanation, withFragments } from "./fragments/index.js";
import { copySlices, slicesWorthWriting, type ConcatenableFormat } from "./slices.js";
import type { Field } from "../plan/types.js";
import type { DuckDBValue } from "@duckdb/node-api";

export interface ActionInfo {
  description: string;
  planTree?: unknown;
  /** Set by writeFile for its jobs: what the job shows as written, and where. */
  kind?: "query" | "write";
  destination?: string;
}

/** The job fields of an action running `plan` as `sql`: kind and destination, and the SQL for the plan shown while it runs. */
function jobOf(info: ActionInfo, plan: Plan, sql: string, params: readonly unknown[] | undefined) {
  return { description: info.description, plan: info.planTree, kind: info.kind, destination: info.destination, sql, params, keepAlive: plan };
}


export async function collectTable(plan: Plan, info: ActionInfo): Promise<A.Table> {
  return withFragments(plan, info, async (plan) => {
    const { sql, memorySources, params } = compile(plan);
    return runJob({ ...jobOf(info, plan, sql, params), memorySources }, async ({ conn }) => resultToTable(await conn.run(sql, params as DuckDBValue[] | undefined)));
  });
}

export async function countRows(plan: Plan, info: ActionInfo): Promise<number> {
  return withFragments(plan, info, (plan) => countRowsHere(plan, info));
}

async function countRowsHere(plan: Plan, info: ActionInfo): Promise<number> {
  const { sql, memorySources, params } = compile(plan);
  const counting = `SELECT count(*) AS n FROM (${sql}) AS counted`;
  return runJob({ ...jobOf(info, plan, counting, params), memorySources }, async ({ conn }) => {
    const reader = await conn.runAndReadAll(counting, params as DuckDBValue[] | undefined);
    return Number(reader.getColumns()[0][0]);
  });
}

export type WriteFormat = "parquet" | "csv" | "ndjson" | "arrow";

export interface WriteOptions {
  partitionBy?: readonly string[];
  /** Replace what is at `path` (default true). */
  overwrite?: boolean;
}

/** Compressed outputs (DuckDB picks the codec from the name): not written slice by slice. */
const COMPRESSED = /\.(gz|zst|zstd|bz2|lz4|snappy)$/i;

/** Formats whose DuckDB COPY writer takes PARTITION_BY. */
const PARTITIONED_FORMATS: readonly WriteFormat[] = ["parquet", "csv"];
let writeCounter = 0;

/**
 * Writes with DuckDB's COPY, so rows never pass through JS (Arrow IPC excepted: DuckDB has no core writer).
 * Everything is written to a temporary name next to `path` and swapped in only on success, so a failed
 * write leaves what was at `path` untouched, and overwriting a partitioned dataset replaces all of it.
 */
export async function writeFile(plan: Plan, path: string, format: WriteFormat, options: WriteOptions, info: ActionInfo): Promise<void> {
  const partitioned = (options.partitionBy?.length ?? 0) > 0;
  if (partitioned && !PARTITIONED_FORMATS.includes(format))
    throw new InvalidArgumentError(`write.${format} does not support partitionBy (DuckDB's ${format} writer cannot partition); use write.parquet or write.csv for hive-partitioned folders`);
  const target = resolve(path);
  // The job names what the user will find afterwards: the asset store's final file, not its temporary name.
  const destination = currentWriteDestination() ?? target;
  info = { ...info, kind: "write", destination, description: destination === target ? info.description : info.description.split(path).join(destination) };
  const existing = await lstat(target).catch(() => undefined);
  if (existing && options.overwrite === false)
    throw new SourceError(`write.${format}: ${path} already exists and overwrite is false; remove it, choose another path, or pass { overwrite: true } to replace it`);
  if (existing?.isDirectory() && !partitioned)
    throw new SourceError(`write.${format}: ${path} is a folder; give a file path (or partitionBy to write a partitioned folder)`);
  const folder = dirname(target);
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory())
    throw new SourceError(`write.${format}: folder ${folder} does not exist; create it first (mkdir -p ${JSON.stringify(folder)}) or write somewhere else`);
  writeCounter += 1;
  // Same folder (so renames stay on one file system). The name keeps the extension DuckDB reads compression
  // from (.csv.gz) but no "key=value", so a leftover from a killed process is not read as a hive partition.
  const extension = /(\.[A-Za-z0-9]{1,8}){0,2}$/.exec(basename(target))?.[0] ?? "";
  const tmp = join(folder, `.sluice-tmp-${process.pid}-${writeCounter}${extension}`);
  try {
    if (format === "arrow") await writeArrowFile(plan, tmp, info);
    else await copyTo(plan, tmp, format, options, info);
    await swapIn(tmp, target, existing !== undefined);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function copyTo(plan: Plan, path: string, format: WriteFormat, options: WriteOptions, info: ActionInfo): Promise<void> {
  return withFragments(plan, info, (plan) => copyToHere(plan, path, format, options, info));
}

async function copyToHere(plan: Plan, path: string, format: WriteFormat, options: WriteOptions, info: ActionInfo): Promise<void> {
  const { sql, memorySources, params } = compile(plan);
  // A partition-wise aggregation written to a format that concatenates runs slice by slice (engine/slices.ts).
  const slices = (format === "ndjson" || format === "csv") && !options.partitionBy?.length && !COMPRESSED.test(path) && !params && memorySources.length === 0 ? slicesWorthWriting(plan) : undefined;
  // No EXPLAIN of the whole union (sql undefined): it never runs as one query, and binding it reads every file's footer.
  if (slices) return runJob({ ...jobOf(info, plan, sql, params), sql: undefined, memorySources }, ({ jobId }) => copySlices(slices, path, format as ConcatenableFormat, jobId));
  const opts = [{ parquet: "FORMAT parquet", csv: "FORMAT csv, HEADER true", ndjson: "FORMAT json", arrow: "" }[format]];
  if (options.partitionBy?.length) opts.push(`PARTITION_BY (${options.partitionBy.map(quoteIdent).join(", ")})`);
  return runJob({ ...jobOf(info, plan, sql, params), memorySources }, async ({ conn }) => {
    await conn.run(`COPY (${sql}) TO ${quoteString(path)} (${opts.join(", ")})`, params as DuckDBValue[] | undefined);
  });
}

/** Puts the finished `tmp` at `target`: a file replaces a file in one rename; anything else moves the old one aside first. */
async function swapIn(tmp: string, target: string, targetExists: boolean): Promise<void> {
  const tmpIsFile = (await stat(tmp)).isFile();
  const targetIsFile = targetExists && (await lstat(target)).isFile();
  if (!targetExists || (tmpIsFile && targetIsFile)) return rename(tmp, target);
  const old = `${tmp}.old`;
  await rename(target, old);
  try {
    await rename(tmp, target);
  } catch (err) {
    await rename(old, target);
    throw err;
  }
  await rm(old, { recursive: true, force: true });
}

async function writeArrowFile(plan: Plan, path: string, info: ActionInfo): Promise<void> {
  // Opened (and failing) here, before any row is read: a stream's own open error would arrive as an event
  // that nothing awaits yet, which is an unhandled rejection.
  const handle = await open(path, "wx").catch((err: Error) => {
    throw new SourceError(`write.arrow: cannot create ${path}: ${err.message}`);
  });
  const out = handle.createWriteStream();
  const duplex = A.RecordBatchFileWriter.throughNode() as unknown as NodeJS.ReadWriteStream;
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    duplex.on("error", reject);
  });
  done.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
  duplex.pipe(out);
  try {
    let wrote = false;
    for await (const batch of streamBatches(plan, info)) {
      duplex.write(batch as never);
      wrote = true;
    }
    if (!wrote) duplex.write((await collectTable(plan, info)) as never); // empty: still a file with the schema
    duplex.end();
    await done;
  } catch (err) {
    duplex.end();
    out.destroy();
    throw err;
  }
}

export async function* streamBatches(plan: Plan, info: ActionInfo): AsyncGenerator<A.RecordBatch> {
  const { sql, memorySources, params } = compile(plan);
  const job = await startJob({ ...jobOf(info, plan, sql, params), memorySources });
  try {
    // DuckDB's streaming result ends a query that fails part-way exactly like one that finished (an empty
    // chunk; node-api does not expose duckdb_result_error). Inside an explicit transaction the failure
    // aborts the transaction, which the next statement on this (the job's own) connection reports.
    await job.conn.run("BEGIN TRANSACTION");
    const result = await job.conn.stream(sql, params as DuckDBValue[] | undefined);
    yield* resultToBatches(result);
    await checkStreamCompleted(job, sql, params as DuckDBValue[] | undefined);
  } catch (err) {
    throw job.fail(err);
  } finally {
    // Also reached when the consumer stops early: it got what it asked for (a no-op after fail()).
    job.finish("succeeded");
  }
}

/** Throws the engine's error if the streamed query stopped on an error rather than at its end. */
async function checkStreamCompleted(job: RunningJob, sql: string, params: DuckDBValue[] | undefined): Promise<void> {
  job.keepOperators(); // the streamed query's metrics, before the statements below replace the profile
  try {
    await job.conn.run("SELECT 1");
    await job.conn.run("COMMIT");
    return;
  } catch (err) {
    if (!/transaction is aborted/i.test(String((err as Error)?.message ?? err))) throw err;
  }
  await job.conn.run("ROLLBACK");
  if (job.cancelled()) throw new CancelledError(job.jobId);
  // The reason is only in the lost result: run the query again without keeping its rows to get DuckDB's error.
  await job.conn.run(`COPY (${sql}) TO ${quoteString(devNull)} (FORMAT csv)`, params);
  throw new EngineError("the query failed part-way through and then succeeded when run again (DuckDB's streaming API does not report why); run it again, or use collect() to see the error");
}

/** Runs a plan with DuckDB's profiler and returns the operator tree with rows and time. */
export async function explainPhysical(plan: Plan): Promise<string> {
  const { sql, memorySources, params } = compile(plan);
  return metadataQuery(memorySources, async (conn) => {
    const reader = await conn.runAndReadAll(`EXPLAIN ${sql}`, params as DuckDBValue[] | undefined);
    const physical = reader
      .getRows()
      .map((r) => String(r[1]))
      .join("\n");
    return (fragmentsExplanation(plan) ?? "") + physical; // which part runs as fragments, and where

  });
}

let metadataConnection: Promise<Awaited<ReturnType<typeof connect>>> | undefined;
let metadataQueue: Promise<unknown> = Promise.resolve();

/** Metadata-only queries (schemas, file lists, EXPLAIN): no job events, one shared connection, one at a time. */
export async function metadataQuery<T>(memorySources: readonly string[], f: (conn: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const run = async () => {
    metadataConnection ??= connect();
    const conn = await metadataConnection;
    try {
      for (const id of memorySources) await ensureLoaded(conn, id);
      return await f(conn);
    } catch (err) {
      throw toEngineError(err);
    }
  };
  const result = metadataQueue.then(run, run);
  metadataQueue = result.catch(() => undefined);
  return result;
}

/** Column names and types of a SELECT, by asking DuckDB to describe it (reads metadata only). */
export async function describeQuery(sql: string): Promise<Field[]> {
  return metadataQuery([], async (conn) => {
    // A prepared statement's result types (bound, never run): spelled as results spell them, so a scan's
    // schema equals its collected one (DESCRIBE writes STRUCT(k BIGINT), results STRUCT("k" BIGINT)).
    const prepared = await conn.prepare(sql);
    return Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: String(prepared.columnType(i)) }));
  });
}

/** Files matching a path or glob, sorted. */
export async function globFiles(pattern: string): Promise<string[]> {
  return metadataQuery([], async (conn) => {
    const reader = await conn.runAndReadAll(`SELECT file FROM glob(${quoteString(pattern)}) ORDER BY file`);
    return reader.getRows().map((r) => String(r[0]));
  });
}

/** Runs the plan and returns the result with DuckDB's per-operator rows and time. */
export async function profileTable(plan: Plan, info: ActionInfo): Promise<{ table: A.Table; operators: import("../progress/index.js").OperatorMetric[] }> {
  const { sql, memorySources, params } = compile(plan);
  let operators: import("../progress/index.js").OperatorMetric[] = [];
  const table = await runJob(
    { ...jobOf(info, plan, sql, params), memorySources, onOperators: (ops) => (operators = ops) },
    async ({ conn }) => resultToTable(await conn.run(sql, params as DuckDBValue[] | undefined)),
  );
  return { table, operators };
}

let cacheCounter = 0;

/** Materializes a plan into an engine table; returns the table name and its schema. */
export async function materialize(plan: Plan, info: ActionInfo): Promise<{ name: string; schema: Field[] }> {
  return withFragments(plan, info, (plan) => materializeHere(plan, info));
}

async function materializeHere(plan: Plan, info: ActionInfo): Promise<{ name: string; schema: Field[] }> {
  const { sql, memorySources, params } = compile(plan);
  cacheCounter += 1;
  const name = `cache_${process.pid}_${cacheCounter}`;
  const target = `${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(name)}`;
  await runJob({ ...jobOf(info, plan, sql, params), memorySources }, async ({ conn }) => {
    await conn.run(`CREATE TABLE ${target} AS ${sql}`, params as DuckDBValue[] | undefined);
  });
  return { name, schema: await describeQuery(`SELECT * FROM ${target}`) };
}
