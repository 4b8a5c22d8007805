// Runs one action as a job: its own connection, progress events polled from DuckDB at most 4 times a
// second, a cancel handler that interrupts that connection, and per-operator metrics from DuckDB's
// profiler at the end. Beside a query still running after a second, EXPLAIN gives the physical plan (job.operators,
// one stage per source scan) and the sources' sizes, which make the row counts honest (see honestProgress).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { emitProgress, hasProgressListeners, newJobId, onCancelRequest, type JobKind, type JobProgressEvent, type OperatorMetric } from "../progress/index.js";
import { getHost } from "../host/index.js";
import { connect } from "./instance.js";
import { ensureLoaded } from "./memory.js";
import { CSV_OPTIONS_HINT, CancelledError, EngineError, SourceError, csvErrorFile, csvReason } from "./errors.js";
import { quoteString } from "./sql/quote.js";

const POLL_MS = 250;
/** A job still running after this long gets its physical plan explained and shown. EXPLAIN binds the query again:
 *  over 480 Parquet files in 20 partition-wise scans that is 12 ms, plus 6 ms to read their footers for exact
 *  sizes, CPU taken from the query itself on a small machine. Explained at 50 ms, then at 250 ms, a query of half a
 *  second paid 40 ms, then 37 ms; after a second, a query that gets its plan pays at most about 2% of its time,
 *  and a shorter one nothing (its measured plan still comes with job.end). */
const PLAN_DELAY_MS = 1000;
let profileDir: string | undefined;

export interface JobSpec {
  description: string;
  /** Plan tree shown with job.start (same shape as application/vnd.sluice.plan+json). */
  plan?: unknown;
  memorySources: readonly string[];
  /** Receives the per-operator metrics when the job ends (profile() uses it). */
  onOperators?: (operators: OperatorMetric[]) => void;
  kind?: JobKind;
  /** A write's final destination (the job writes a temporary file first). */
  destination?: string;
  /** The SELECT the job runs: explained beside it for the physical plan and the sources' sizes. */
  sql?: string;
  params?: readonly unknown[];
  /** Held until the job ends: the plan whose in-memory sources the query reads (they are dropped from the
   * engine once unreachable, which must not happen while the query runs). */
  keepAlive?: unknown;
}

export interface JobContext {
  jobId: string;
  conn: DuckDBConnection;
}

/** Runs `work` as a job; resolves with its result, or rejects with CancelledError / EngineError / SourceError. */
export async function runJob<T>(spec: JobSpec, work: (ctx: JobContext) => Promise<T>): Promise<T> {
  const job = await startJob(spec);
  try {
    const result = await work({ jobId: job.jobId, conn: job.conn });
    job.finish("succeeded");
    return result;
  } catch (err) {
    throw job.fail(err);
  }
}

export interface RunningJob {
  jobId: string;
  conn: DuckDBConnection;
  finish(status: "succeeded"): void;
  /** Ends the job as failed or cancelled; returns the error to throw. */
  fail(err: unknown): Error;
  /** Whether a cancel request reached this job. */
  cancelled(): boolean;
  /** Keeps the operator metrics of the statement that just ran, for job.end (later statements are bookkeeping). */
  keepOperators(): void;
}

export async function startJob(spec: JobSpec): Promise<RunningJob> {
  const jobId = newJobId();
  const startedAt = Date.now();
  emitProgress({
    type: "job.start",
    jobId,
    description: spec.description,
    cellId: getHost()?.currentCellId(),
    startedAt,
    plan: spec.plan,
    kind: spec.kind ?? "query",
    ...(spec.destination !== undefined ? { destination: spec.destination } : {}),
  });
  let conn: DuckDBConnection | undefined;
  let cancelled = false;
  let ended = false;
  let profilePath: string | undefined;
  let kept: OperatorMetric[] | undefined;
  let physical: PhysicalPlan | undefined;
  const stopCancel = onCancelRequest((id) => {
    if (id !== jobId || ended) return false;
    cancelled = true;
    conn?.interrupt();
    return true;
  });
  let timer: NodeJS.Timeout | undefined;
  let planTimer: NodeJS.Timeout | undefined;
  const end = (status: "succeeded" | "failed" | "cancelled", error?: string) => {
    if (ended) return;
    ended = true;
    void spec.keepAlive;
    if (timer) clearInterval(timer);
    if (planTimer) clearTimeout(planTimer);
    stopCancel();
    let operators = kept ?? (profilePath ? readOperators(profilePath) : []);
    if (profilePath) rmSync(profilePath, { force: true });
    // A query stopped part-way leaves a profile of zeros: its plan, not measured, says more and nothing false.
    if (status !== "succeeded" && physical && operators.every((o) => o.rows === 0)) operators = physical.operators;
    spec.onOperators?.(operators);
    if (physical) endScanStages(jobId, physical, operators, status === "succeeded");
    try {
      conn?.closeSync();
    } catch {
      // already closed
    }
    emitProgress({ type: "job.end", jobId, status, error, endedAt: Date.now(), operators });
  };
  const fail = (err: unknown): Error => {
    const e = cancelled || isInterrupt(err) ? new CancelledError(jobId) : toEngineError(err);
    end(e instanceof CancelledError ? "cancelled" : "failed", e instanceof CancelledError ? undefined : e.message);
    return e;
  };
  try {
    conn = await connect();
    for (const id of spec.memorySources) await ensureLoaded(conn, id);
    // The profiler's per-operator metrics only serve someone who reads them (job.end's listeners,
    // profile()): a script that nobody watches does not pay for them (a few percent of a long query).
    const watched = hasProgressListeners() || spec.onOperators !== undefined;
    if (watched) {
      profileDir ??= mkdtempSync(join(tmpdir(), "sluice-profile-"));
      profilePath = join(profileDir, `${jobId}.json`);
    }
    // Progress is only tracked when the progress bar is on; printing it is off (we poll instead).
    await conn.run(
      `SET enable_progress_bar = true; SET enable_progress_bar_print = false; SET progress_bar_time = 0; ` +
        (profilePath ? `SET enable_profiling = 'json'; SET profiling_output = ${quoteString(profilePath)}` : ""), // a job's connection is new: profiling is off
    );
    if (cancelled) throw new CancelledError(jobId);
    const c = conn;
    const sql = spec.sql;
    // Explained only if still running after PLAN_DELAY_MS: a loop of quick queries costs no extra EXPLAIN (their
    // measured plan comes with job.end), a long one shows its plan while it runs.
    if (sql !== undefined)
      planTimer = setTimeout(() => {
        // Nobody to show the plan to (EXPLAIN binds the query again, see PLAN_DELAY_MS).
        if (!hasProgressListeners()) return;
        void explainPlan(sql, spec.params).then((plan) => {
          if (ended || !plan) return;
          physical = plan;
          emitProgress({ type: "job.operators", jobId, operators: plan.operators });
          for (const scan of plan.scans) emitProgress({ type: "stage.start", jobId, ...scanStage(scan, 0, 0) });
        });
      }, PLAN_DELAY_MS).unref();
    let last = "";
    let mostRead = 0; // DuckDB's count restarts in later pipelines: the scans' share never goes back
    timer = setInterval(() => {
      const p = c.progress;
      mostRead = Math.max(mostRead, p.percentage < 0 ? 0 : Number(p.rows_processed));
      const report = honestProgress(p.percentage, mostRead, physical);
      const key = JSON.stringify(report);
      if (key === last) return; // nothing new: the inline display ticks its clock by itself
      last = key;
      emitProgress({ type: "job.progress", jobId, ...report, elapsedMs: Date.now() - startedAt });
      const only = physical?.scans.length === 1 ? physical.scans[0]! : undefined;
      if (only && report.rowsProcessed > 0) emitProgress({ type: "stage.progress", jobId, ...scanStage(only, report.rowsProcessed, 0) });
    }, POLL_MS);
    timer.unref();
  } catch (err) {
    throw fail(err);
  }
  const keepOperators = () => void (kept = profilePath ? readOperators(profilePath) : []);
  return { jobId, conn, finish: (s) => end(s), fail, cancelled: () => cancelled, keepOperators };
}

/** A source scan of the physical plan: its operator id, what it reads, and how many rows it holds. */
interface ScanInfo {
  id: string;
  /** The operator's name in the physical plan (PARQUET_SCAN, RANGE, SEQ_SCAN, …). */
  operator: string;
  name: string;
  estimatedRows: number;
  /** The source's exact size in rows (range(n), a table, unfiltered Parquet files by their metadata), if known. */
  size?: number;
}

interface PhysicalPlan {
  operators: OperatorMetric[];
  scans: ScanInfo[];
}

/** Sources whose estimate is their size when no filter was pushed into them. */
const EXACT_SOURCES = /^(RANGE|GENERATE_SERIES|SEQ_SCAN|TABLE_SCAN)$/i;
/** Parquet's estimate is the first file's rows times the number of files: its size comes from the files' metadata. */
const PARQUET_SOURCES = /^(PARQUET_SCAN|READ_PARQUET)$/i;

/**
 * The job's progress in numbers that never exceed the truth. DuckDB's own rows_processed counts work across
 * pipelines (a groupBy over 20M Parquet rows reported 25.5M of 45.3M, then jumped from 56% to 100%), but
 * the scans run first and count up to the sum of their estimates: that share of the scans is the honest
 * part. Rows are shown only when the sources' sizes are exact; past the scans (an aggregate finishing,
 * a sort), and when DuckDB reports nothing (-1, or 0 for operators it cannot measure), the bar is indeterminate.
 * `rowsProcessed` is the most DuckDB has counted so far in this job (it restarts its count in later pipelines).
 */
export function honestProgress(percentage: number, rowsProcessed: number, plan: PhysicalPlan | undefined): Omit<JobProgressEvent, "type" | "jobId" | "elapsedMs"> {
  const unknown = { percent: 0, rowsProcessed: 0, rowsTotal: 0, indeterminate: true };
  // Without the plan (not explained yet, or not explainable) DuckDB's percentage cannot be told from its over-count.
  if (!plan || plan.scans.length === 0) return unknown;
  const estimated = plan.scans.reduce((n, s) => n + s.estimatedRows, 0);
  const total = plan.scans.every((s) => s.size !== undefined) ? plan.scans.reduce((n, s) => n + s.size!, 0) : 0;
  if (estimated <= 0 || rowsProcessed <= 0) return { ...unknown, rowsTotal: total };
  const share = Math.min(1, rowsProcessed / estimated);
  const rows = Math.min(total, Math.round(share * total));
  if (share >= 1) return { percent: 0, rowsProcessed: total, rowsTotal: total, indeterminate: true };
  return { percent: Math.min(99, share * 100), rowsProcessed: rows, rowsTotal: total };
}

function scanStage(scan: ScanInfo, rows: number, tasksDone: number) {
  return { stageId: `scan-${scan.id}`, name: scan.name, tasksTotal: 1, tasksDone, rows, bytes: 0, ...(scan.size !== undefined ? { rowsTotal: scan.size } : {}) };
}

/** Ends the scan stages with the rows each scan produced, as the profiler measured them (same pre-order ids). */
function endScanStages(jobId: string, plan: PhysicalPlan, operators: OperatorMetric[], succeeded: boolean): void {
  for (const scan of plan.scans) {
    const measured = operators.find((o) => o.id === scan.id);
    const rows = measured?.parentId === plan.operators.find((o) => o.id === scan.id)?.parentId ? (measured?.rows ?? 0) : 0;
    emitProgress({ type: "stage.end", jobId, ...scanStage(scan, rows, succeeded ? 1 : 0) });
  }
}

/** The physical plan of `sql` from EXPLAIN on a connection of its own (the job's is busy running it); undefined if DuckDB cannot explain it. */
async function explainPlan(sql: string, params: readonly unknown[] | undefined): Promise<PhysicalPlan | undefined> {
  let conn: DuckDBConnection | undefined;
  try {
    conn = await connect();
    const reader = await conn.runAndReadAll(`EXPLAIN (FORMAT json) ${sql}`, params as DuckDBValue[] | undefined);
    const roots = JSON.parse(String(reader.getRows()[0]?.[1] ?? "[]")) as ExplainNode[];
    const operators: OperatorMetric[] = [];
    const scans: ScanInfo[] = [];
    const walk = (n: ExplainNode, parentId?: string) => {
      const id = String(operators.length);
      const info = n.extra_info ?? {};
      const estimate = Number(info["Estimated Cardinality"]);
      const detail = explainDetail(n.name, info);
      operators.push({
        id,
        name: n.name,
        rows: 0,
        timeMs: 0,
        pending: true,
        ...(parentId !== undefined ? { parentId } : {}),
        ...(Number.isFinite(estimate) ? { estimatedRows: estimate } : {}),
        ...(detail ? { detail } : {}),
      });
      const children = n.children ?? [];
      if (children.length === 0 && Number.isFinite(estimate))
        scans.push({
          id,
          operator: n.name,
          name: detail ? `${n.name} ${detail}` : n.name,
          estimatedRows: estimate,
          ...(EXACT_SOURCES.test(n.name) && info.Filters === undefined ? { size: estimate } : {}),
        });
      for (const c of children) walk(c, id);
    };
    for (const root of roots) walk(root);
    await sizeParquetScans(conn, sql, scans);
    return { operators, scans };
  } catch {
    return undefined; // no plan up front; the profiler's comes at the end
  } finally {
    try {
      conn?.closeSync();
    } catch {
      // already closed
    }
  }
}

/**
 * Gives the Parquet scans their exact size from the files' footers, when each read_parquet call of `sql` is one
 * unfiltered scan: one scan gets the sum, several (a self-join) share it in proportion to DuckDB's estimates.
 */
async function sizeParquetScans(conn: DuckDBConnection, sql: string, scans: ScanInfo[]): Promise<void> {
  const parquet = scans.filter((s) => PARQUET_SOURCES.test(s.operator));
  const lists = readParquetLists(sql);
  if (parquet.length === 0 || lists.length !== parquet.length || parquet.some((s) => /filters: /.test(s.name))) return;
  let total = 0;
  for (const list of lists) {
    const reader = await conn.runAndReadAll(`SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(${list})`);
    total += Number(reader.getRows()[0]?.[0] ?? 0);
  }
  if (parquet.length === 1) parquet[0]!.size = total;
  else if (new Set(lists).size === 1) for (const s of parquet) s.size = total / parquet.length; // the same files read twice
}

/** The file lists (SQL text, `['a', 'b']`) of the read_parquet calls in `sql`, reading string literals properly. */
export function readParquetLists(sql: string): string[] {
  const out: string[] = [];
  for (let at = sql.indexOf("read_parquet(["); at >= 0; at = sql.indexOf("read_parquet([", at + 1)) {
    let i = at + "read_parquet(".length + 1;
    for (;;) {
      while (sql[i] === " " || sql[i] === ",") i++;
      if (sql[i] === "]") break;
      if (sql[i] !== "'") return []; // not a plain list of literals: sizes unknown
      for (i++; i < sql.length; i++) if (sql[i] === "'") if (sql[i + 1] === "'") i++; else break;
      i++;
    }
    out.push(sql.slice(at + "read_parquet(".length, i + 1));
  }
  return out;
}

/** One short line of what an operator reads or does (its table or function, its pushed filters). */
function explainDetail(name: string, info: Record<string, unknown>): string {
  const text = (v: unknown) => (Array.isArray(v) ? v.join(", ") : String(v));
  const parts: string[] = [];
  if (info.Table !== undefined) parts.push(text(info.Table));
  else if (info.Function !== undefined && info.Function !== name) parts.push(text(info.Function));
  if (info.Filters !== undefined) parts.push(`filters: ${text(info.Filters)}`);
  const line = parts.join(" · ");
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

interface ExplainNode {
  name: string;
  children?: ExplainNode[];
  extra_info?: Record<string, unknown>;
}

function isInterrupt(err: unknown): boolean {
  return err instanceof CancelledError || /interrupt/i.test(String((err as Error)?.message ?? err));
}

export function toEngineError(err: unknown): Error {
  if (err instanceof Error && err.name !== "Error") return err; // already one of ours
  const message = String((err as Error)?.message ?? err);
  const missing = /schema mismatch in glob: column "(.*)" was read from the original file "(.*)", but could not be found in file "(.*)"/.exec(message);
  // A row past DuckDB's detection sample fails while the query runs: same wording as scan.csv's own errors.
  if (/CSV Error on Line/.test(message))
    return new SourceError(`cannot read CSV ${csvErrorFile(message) ?? ""}: ${csvReason(message)}. ${CSV_OPTIONS_HINT}`.replace("CSV : ", "CSV: "));
  if (missing)
    return new SourceError(`Parquet files have different columns: ${missing[3]} has no column '${missing[1]}' that ${missing[2]} has; pass { unionByName: true } to scan.parquet to read missing columns as null`);
  if (/No files found|Could not open file|cannot open file|IO Error|Error when sniffing|CSV Error|Invalid Input Error: .*(CSV|parquet|JSON)|Malformed JSON|not a parquet file|magic bytes/i.test(message))
    return new SourceError(message);
  return new EngineError(message);
}

/** Flattens DuckDB's JSON profile into [{id, name, rows, timeMs}], ids in pre-order. */
function readOperators(path: string): OperatorMetric[] {
  let root: ProfileNode;
  try {
    root = JSON.parse(readFileSync(path, "utf8")) as ProfileNode;
  } catch {
    return [];
  }
  const out: OperatorMetric[] = [];
  const walk = (n: ProfileNode, parentId?: string) => {
    const id = String(out.length);
    out.push({
      id,
      name: n.operator_name ?? n.operator_type ?? "?",
      rows: Number(n.operator_cardinality ?? 0),
      timeMs: Math.round(Number(n.operator_timing ?? 0) * 1e6) / 1e3,
      ...(parentId !== undefined ? { parentId } : {}),
    });
    for (const c of n.children ?? []) walk(c, id);
  };
  for (const c of root.children ?? []) walk(c);
  return out;
}

interface ProfileNode {
  operator_name?: string;
  operator_type?: string;
  operator_cardinality?: number;
  operator_timing?: number;
  children?: ProfileNode[];
}
