import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AssetStore, CancelledError, JobHistory, col, fnOp, fromRecords, onProgress, pipeline, progressText, requestCancel, runPipeline, scan, setHost, writeAssetFile,
  type Host, type LazyFrame, type ProgressEvent,
} from "../../src/index.js";
import { honestProgress, readParquetLists } from "../../src/engine/jobs.js";

function record(): { events: ProgressEvent[]; stop: () => void } {
  const events: ProgressEvent[] = [];
  const stop = onProgress((e) => events.push(e));
  return { events, stop };
}

const big = () => fromRecords(Array.from({ length: 100_000 }, (_, i) => ({ i })));
/** A self cross join of 10^10 rows: runs for minutes unless cancelled. */
const slow = () => big().join(big().select(col("i").as("j")), { how: "cross" }).filter(col("i").add(col("j")).mod(7).eq(0));

afterEach(() => setHost(undefined));

describe("progress events and cancel", () => {
  it("collect emits job.start (description, plan, cellId) and job.end with per-operator metrics", async () => {
    setHost({ currentCellId: () => "cell-42" } as unknown as Host);
    const { events, stop } = record();
    await fromRecords([{ a: 1 }, { a: 2 }]).filter(col("a").gt(1)).sort("a").collect();
    stop();
    const start = events.find((e) => e.type === "job.start")!;
    const end = events.find((e) => e.type === "job.end")!;
    expect(start).toMatchObject({ type: "job.start", cellId: "cell-42" });
    expect(start.type === "job.start" && start.description).toMatch(/^collect: SCAN → SORT/);
    expect(start.type === "job.start" && (start.plan as { name: string }).name).toBe("SORT");
    // The plan shown is the optimized one: the filter now lives in the scan.
    expect(start.type === "job.start" && JSON.stringify(start.plan)).toContain("filter col(\\\"a\\\").gt(lit(1))");
    expect(end).toMatchObject({ type: "job.end", jobId: start.jobId, status: "succeeded" });
    const ops = end.type === "job.end" ? end.operators : [];
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.every((o) => typeof o.name === "string" && o.rows >= 0 && o.timeMs >= 0)).toBe(true);
    expect(ops.some((o) => /FILTER|SCAN/.test(o.name))).toBe(true);
  });

  it("every action is a job: count, write, stream, profile", async () => {
    const { events, stop } = record();
    const f = fromRecords([{ a: 1 }]);
    await f.count();
    for await (const _ of f.stream()) void _;
    await f.profile();
    stop();
    const starts = events.filter((e) => e.type === "job.start").map((e) => (e.type === "job.start" ? e.description.split(":")[0] : ""));
    expect(starts).toEqual(["count", "stream", "profile"]);
    expect(events.filter((e) => e.type === "job.end" && e.status === "succeeded")).toHaveLength(3);
  });

  it("a long query reports job.progress at most ~4 times a second, and cancel stops it with CancelledError", async () => {
    const { events, stop } = record();
    const started = Date.now();
    const query = slow().count();
    // Cancel after the first progress report (or after 10 s if the engine reports none: a loaded machine is slow to).
    const jobId = await new Promise<string>((resolve) => {
      const off = onProgress((e) => {
        if (e.type === "job.progress") {
          off();
          setTimeout(() => resolve(e.jobId), 600);
        }
      });
      setTimeout(() => resolve(events.find((e) => e.type === "job.start")?.jobId ?? ""), 10_000);
    });
    expect(requestCancel(jobId)).toBe(true);
    const err = await query.catch((e: unknown) => e);
    stop();
    expect(err).toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(20_000);
    const progress = events.filter((e) => e.type === "job.progress");
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) {
      const gap = (progress[i] as { elapsedMs: number }).elapsedMs - (progress[i - 1] as { elapsedMs: number }).elapsedMs;
      expect(gap).toBeGreaterThanOrEqual(200);
    }
    expect(progress.every((p) => p.type === "job.progress" && p.percent >= 0 && p.percent <= 100)).toBe(true);
    expect(events.find((e) => e.type === "job.end")).toMatchObject({ status: "cancelled", jobId });
    // The engine is healthy afterwards.
    expect(await fromRecords([{ a: 1 }, { a: 2 }]).count()).toBe(2);
    expect(requestCancel(jobId)).toBe(false);
  });

  it("a failing query ends its job as failed with the error", async () => {
    const { events, stop } = record();
    const err = await fromRecords([{ s: "x" }]).select(col("s").cast("int64").as("n")).collect().catch((e: unknown) => e);
    stop();
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/Conversion Error|Could not convert/);
    expect(events.find((e) => e.type === "job.end")).toMatchObject({ status: "failed" });
  });
});

describe("honest progress: plan first, rows never above the truth", () => {
  let dir: string;
  let parquetFile: string;
  const ROWS = 3_000_000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sluice-honest-"));
    parquetFile = join(dir, "trips.parquet");
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    await conn.run(`COPY (SELECT i, (i * 7919) % 1009 AS zone FROM range(${ROWS}) t(i)) TO '${parquetFile}' (FORMAT parquet, ROW_GROUP_SIZE 100000)`);
    conn.closeSync();
    db.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a query that would take minutes until `ready` holds for the events so far (or 60 s pass), then cancels it. */
  async function runUntil(query: () => Promise<unknown>, ready: (events: ProgressEvent[]) => boolean): Promise<ProgressEvent[]> {
    const { events, stop } = record();
    const running = query().catch((e: unknown) => e);
    for (const end = Date.now() + 60_000; !ready(events) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    const start = events.find((e) => e.type === "job.start");
    expect(start && requestCancel(start.jobId)).toBe(true);
    expect(await running).toBeInstanceOf(CancelledError);
    stop();
    return events;
  }

  it("over a Parquet scan: the physical plan comes while the query runs, and rows read never exceed the rows in the files", async () => {
    const trips = await scan.parquet(parquetFile);
    // A self-join on a key with 1,009 values: about 9 billion rows, minutes of work even on a fast machine.
    const events = await runUntil(
      () => trips.join(trips.select(col("zone"), col("i").as("j")), { on: "zone" }).count(),
      (got) => got.some((e) => e.type === "stage.start") && got.filter((e) => e.type === "job.progress").length >= 3,
    );
    expect(events.find((e) => e.type === "job.start")).toMatchObject({ kind: "query", session: expect.stringMatching(/^\d+-\d+$/) });
    const plan = events.find((e) => e.type === "job.operators");
    // The physical plan arrives while the job runs, every operator pending with DuckDB's estimate.
    expect(plan).toBeDefined();
    const planned = plan!.type === "job.operators" ? plan!.operators : [];
    expect(planned.every((o) => o.pending === true)).toBe(true);
    const scans = planned.filter((o) => /PARQUET/.test(o.name));
    expect(scans).toHaveLength(2);
    expect(scans.every((o) => o.estimatedRows === ROWS)).toBe(true);
    // One stage per source scan, with the file's exact size.
    const stages = events.filter((e) => e.type === "stage.start");
    expect(stages.map((e) => e.type === "stage.start" && [e.stageId, e.rowsTotal])).toEqual(scans.map((o) => [`scan-${o.id}`, ROWS]));
    const progress = events.flatMap((e) => (e.type === "job.progress" ? [e] : []));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (const p of progress) {
      expect(p.rowsProcessed).toBeLessThanOrEqual(2 * ROWS);
      expect([0, 2 * ROWS]).toContain(p.rowsTotal);
      expect(p.percent).toBeLessThan(100); // 100% only once it has ended
    }
    expect(progress.some((p) => p.rowsTotal === 2 * ROWS)).toBe(true);
  });

  it("a finished Parquet query shows the rows its scan read, measured, under the plan's ids", async () => {
    const history = new JobHistory();
    const { events, stop } = record();
    const off = onProgress((e) => history.apply(e));
    await (await scan.parquet(parquetFile)).groupBy("zone").agg(col("i").sum().as("s")).collect();
    off();
    stop();
    const end = events.find((e) => e.type === "job.end")!;
    const measured = end.type === "job.end" ? end.operators : [];
    expect(measured.find((o) => /PARQUET/.test(o.name))).toMatchObject({ rows: ROWS });
    expect(history.get(end.jobId)).toMatchObject({ status: "succeeded", percent: 100, rowsProcessed: ROWS, rowsTotal: ROWS });
    expect(history.get(end.jobId)!.operators.some((o) => o.pending)).toBe(false);
    for (const p of events) if (p.type === "job.progress") expect(p.rowsProcessed).toBeLessThanOrEqual(ROWS);
  });

  it("honestProgress: DuckDB's count across pipelines becomes the scans' share of the file; past the scans, or with none reported, the bar is indeterminate", () => {
    const plan = { operators: [], scans: [{ id: "5", operator: "READ_PARQUET", name: "READ_PARQUET", estimatedRows: 20_000_000, size: 20_000_000 }] };
    // The numbers DuckDB gave for a groupBy over 20M Parquet rows: 25.5M of 45.3M "rows", 56%.
    expect(honestProgress(56, 25_517_827, plan)).toEqual({ percent: 0, rowsProcessed: 20_000_000, rowsTotal: 20_000_000, indeterminate: true });
    expect(honestProgress(20, 5_000_000, plan)).toEqual({ percent: 25, rowsProcessed: 5_000_000, rowsTotal: 20_000_000 });
    expect(honestProgress(-1, 0, plan)).toEqual({ percent: 0, rowsProcessed: 0, rowsTotal: 20_000_000, indeterminate: true });
    // A filtered scan's estimate is a guess: a share of the scan, but no row counts.
    const filtered = { operators: [], scans: [{ id: "2", operator: "READ_PARQUET", name: "READ_PARQUET", estimatedRows: 400_000 }] };
    expect(honestProgress(30, 100_000, filtered)).toEqual({ percent: 25, rowsProcessed: 0, rowsTotal: 0 });
    expect(honestProgress(0, 0, undefined)).toMatchObject({ indeterminate: true });
    expect(honestProgress(100, 120_000, undefined)).toMatchObject({ indeterminate: true, percent: 0 });
  });

  it("files of uneven sizes: the total is the files' rows from their footers, not DuckDB's first-file-times-files estimate", async () => {
    const folder = join(dir, "uneven");
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    mkdirSync(folder);
    await conn.run(`COPY (SELECT i FROM range(1000000) t(i)) TO '${folder}/a.parquet' (FORMAT parquet)`);
    for (const name of ["b", "it's c"]) await conn.run(`COPY (SELECT i FROM range(10) t(i)) TO '${join(folder, name).replaceAll("'", "''")}.parquet' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const files = await scan.parquet(folder);
    const events = await runUntil(() => files.join(files.select(col("i").as("j")), { how: "cross" }).count(), (got) => got.some((e) => e.type === "stage.start"));
    // The same files on both sides: each scan holds 1,000,020 rows (DuckDB estimates 3,000,000).
    const stages = events.filter((e) => e.type === "stage.start");
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage).toMatchObject({ rowsTotal: 1_000_020 });
    for (const p of events) if (p.type === "job.progress") expect(p.rowsProcessed).toBeLessThanOrEqual(2_000_040);
    expect(readParquetLists("SELECT * FROM read_parquet(['/a]b.parquet', '/it''s.parquet'], hive_partitioning = FALSE)")).toEqual(["['/a]b.parquet', '/it''s.parquet']"]);
  });

  it("a small job ends with the rows its source read, not `100% · 0 rows`", async () => {
    const history = new JobHistory();
    const off = onProgress((e) => history.apply(e));
    await fromRecords([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]).collect();
    off();
    const job = history.list().at(-1)!;
    expect(job.operators.reduce((n, o) => Math.max(n, o.rows), 0)).toBe(4);
    expect(job.rowsProcessed).toBe(4);
    expect(progressText(job)).toContain("100% 4 rows read");
    expect(progressText(job)).toMatch(/CPU time summed over threads/);
  });

  it("a write into the asset store is titled with its final file, not the temporary name", async () => {
    const { events, stop } = record();
    const prepared = await writeAssetFile(join(dir, "store"), "trips/by_zone", fromRecords([{ zone: 1 }, { zone: 2 }]));
    stop();
    const start = events.find((e) => e.type === "job.start" && e.kind === "write");
    expect(start).toBeDefined();
    const final = join(dir, "store", prepared.path);
    expect(start!.type === "job.start" && start!.destination).toBe(final);
    expect(start!.type === "job.start" && start!.description).toContain(final);
    expect(start!.type === "job.start" && start!.description).not.toContain(".tmp-");
  });

  it("a pipeline run's queries and writes name it as their parent and their op as its stage", async () => {
    const { events, stop } = record();
    const store = new AssetStore(join(dir, "pipeline-store"));
    const p = pipeline("nested", [
      fnOp({ name: "numbers", outputs: ["nested/numbers"], run: () => [1, 2, 3].map((n) => ({ n })) }),
      fnOp({ name: "big", inputs: { x: "nested/numbers" }, outputs: ["nested/big"], run: async (_ctx, inputs) => ((await (inputs.x as LazyFrame).count()) > 0 ? (inputs.x as LazyFrame).filter(col("n").gt(1)) : fromRecords([])) }),
    ]);
    const result = await runPipeline(p, { store, reporter: false });
    stop();
    store.close();
    expect(result.status).toBe("succeeded");
    const starts = events.flatMap((e) => (e.type === "job.start" ? [e] : []));
    const run = starts.find((e) => e.kind === "pipeline")!;
    expect(run.parentId).toBeUndefined();
    const children = starts.filter((e) => e !== run);
    expect(children.length).toBeGreaterThanOrEqual(2); // big's count, and the writes
    expect(children.every((e) => e.parentId === run.jobId)).toBe(true);
    expect(children.find((e) => e.description.startsWith("count"))!.parentStageId).toBe("big");
    expect(children.filter((e) => e.kind === "write").every((e) => !e.description.includes(".tmp-"))).toBe(true);
    // Stage bytes are the bytes the op wrote.
    const bigEnd = events.find((e) => e.type === "stage.end" && e.jobId === run.jobId && e.stageId === "big");
    expect(bigEnd!.type === "stage.end" && bigEnd!.bytes).toBeGreaterThan(0);
  });
});
