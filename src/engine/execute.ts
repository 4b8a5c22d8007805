// The actions the frame layer asks for, each one job: plan in, Arrow (or files) out.
import * as A from "./apache_arrow.js";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { devNull } from "node:os";
import type { Plan } from "../plan/nodes.js";
import { InvalidArgumentError } from "../plan/errors.js";
import { MEMORY_SCHEMA, compile } from "./sql/compiler.js";
import { quoteIdent, quoteString } from "./sql/quote.js";
import { resultToBatches, resultToTable } from "./arrow.js";
import { runJob, startJob, toEngineError, type RunningJob } from "./jobs.js";
import { CancelledError, EngineError } from "./errors.js";
import { connect } from "./instance.js";
import { ensureLoaded } from "./memory.js";
import type { Field } from "../plan/types.js";
import type { DuckDBValue } from "@duckdb/node-api";

export interface ActionInfo {
  description: string;
  planTree?: unknown;
}

export async function collectTable(plan: Plan, info: ActionInfo): Promise<A.Table> {
  const { sql, memorySources, params } = compile(plan);
  return runJob({ description: info.description, plan: info.planTree, memorySources }, async ({ conn }) =>
    resultToTable(await conn.run(sql, params as DuckDBValue[] | undefined)),
  );
}

export async function countRows(plan: Plan, info: ActionInfo): Promise<number> {
  const { sql, memorySources, params } = compile(plan);
  return runJob({ description: info.description, plan: info.planTree, memorySources }, async ({ conn }) => {
    const reader = await conn.runAndReadAll(`SELECT count(*) AS n FROM (${sql}) AS counted`, params as DuckDBValue[] | undefined);
    return Number(reader.getColumns()[0][0]);
  });
}

export type WriteFormat = "parquet" | "csv" | "ndjson" | "arrow";

export interface WriteOptions {
  partitionBy?: readonly string[];
  /** Replace what is at `path` (default true). */
  overwrite?: boolean;
}

/** Writes with DuckDB's COPY, so rows never pass through JS (Arrow IPC excepted: DuckDB has no core writer). */
export async function writeFile(plan: Plan, path: string, format: WriteFormat, options: WriteOptions, info: ActionInfo): Promise<void> {
  const { sql, memorySources, params } = compile(plan);
  if (format === "arrow") {
    if (options.partitionBy?.length) throw new InvalidArgumentError("write.arrow does not support partitionBy; use write.parquet");
    return writeArrowFile(plan, path, info);
  }
  const opts = [{ parquet: "FORMAT parquet", csv: "FORMAT csv, HEADER true", ndjson: "FORMAT json" }[format]];
  if (options.partitionBy?.length) opts.push(`PARTITION_BY (${options.partitionBy.map(quoteIdent).join(", ")})`);
  if (options.partitionBy?.length && options.overwrite !== false) opts.push("OVERWRITE_OR_IGNORE true");
  return runJob({ description: info.description, plan: info.planTree, memorySources }, async ({ conn }) => {
    await conn.run(`COPY (${sql}) TO ${quoteString(path)} (${opts.join(", ")})`, params as DuckDBValue[] | undefined);
  });
}

async function writeArrowFile(plan: Plan, path: string, info: ActionInfo): Promise<void> {
  // Written to a temporary name and renamed, so a failed write never leaves half a file at `path`.
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const duplex = A.RecordBatchFileWriter.throughNode() as unknown as NodeJS.ReadWriteStream;
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    duplex.on("error", reject);
  });
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
    await rename(tmp, path);
  } catch (err) {
    duplex.end();
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function* streamBatches(plan: Plan, info: ActionInfo): AsyncGenerator<A.RecordBatch> {
  const { sql, memorySources, params } = compile(plan);
  const job = await startJob({ description: info.description, plan: info.planTree, memorySources });
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
    return reader
      .getRows()
      .map((r) => String(r[1]))
      .join("\n");
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
    const reader = await conn.runAndReadAll(`DESCRIBE ${sql}`);
    return reader.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
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
    { description: info.description, plan: info.planTree, memorySources, onOperators: (ops) => (operators = ops) },
    async ({ conn }) => resultToTable(await conn.run(sql, params as DuckDBValue[] | undefined)),
  );
  return { table, operators };
}

let cacheCounter = 0;

/** Materializes a plan into an engine table; returns the table name and its schema. */
export async function materialize(plan: Plan, info: ActionInfo): Promise<{ name: string; schema: Field[] }> {
  const { sql, memorySources, params } = compile(plan);
  cacheCounter += 1;
  const name = `cache_${process.pid}_${cacheCounter}`;
  const target = `${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(name)}`;
  await runJob({ description: info.description, plan: info.planTree, memorySources }, async ({ conn }) => {
    await conn.run(`CREATE TABLE ${target} AS ${sql}`, params as DuckDBValue[] | undefined);
  });
  return { name, schema: await describeQuery(`SELECT * FROM ${target}`) };
}
