// Runs one action as a job: its own connection, progress events polled from DuckDB at most 4 times a
// second, a cancel handler that interrupts that connection, and per-operator metrics from DuckDB's
// profiler at the end.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { emitProgress, newJobId, onCancelRequest, type OperatorMetric } from "../progress/index.js";
import { getHost } from "../host/index.js";
import { connect } from "./instance.js";
import { ensureLoaded } from "./memory.js";
import { CSV_OPTIONS_HINT, CancelledError, EngineError, SourceError, csvErrorFile, csvReason } from "./errors.js";
import { quoteString } from "./sql/quote.js";

const POLL_MS = 250;
let profileDir: string | undefined;

export interface JobSpec {
  description: string;
  /** Plan tree shown with job.start (same shape as application/vnd.sluice.plan+json). */
  plan?: unknown;
  memorySources: readonly string[];
  /** Receives the per-operator metrics when the job ends (profile() uses it). */
  onOperators?: (operators: OperatorMetric[]) => void;
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
  emitProgress({ type: "job.start", jobId, description: spec.description, cellId: getHost()?.currentCellId(), startedAt, plan: spec.plan });
  let conn: DuckDBConnection | undefined;
  let cancelled = false;
  let ended = false;
  let profilePath: string | undefined;
  let kept: OperatorMetric[] | undefined;
  const stopCancel = onCancelRequest((id) => {
    if (id !== jobId || ended) return false;
    cancelled = true;
    conn?.interrupt();
    return true;
  });
  let timer: NodeJS.Timeout | undefined;
  const end = (status: "succeeded" | "failed" | "cancelled", error?: string) => {
    if (ended) return;
    ended = true;
    if (timer) clearInterval(timer);
    stopCancel();
    const operators = kept ?? (profilePath ? readOperators(profilePath) : []);
    if (profilePath) rmSync(profilePath, { force: true });
    spec.onOperators?.(operators);
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
    profileDir ??= mkdtempSync(join(tmpdir(), "sluice-profile-"));
    profilePath = join(profileDir, `${jobId}.json`);
    // Progress is only tracked when the progress bar is on; printing it is off (we poll instead).
    await conn.run(
      `SET enable_progress_bar = true; SET enable_progress_bar_print = false; SET progress_bar_time = 0; ` +
        `SET enable_profiling = 'json'; SET profiling_output = ${quoteString(profilePath)}`,
    );
    if (cancelled) throw new CancelledError(jobId);
    const c = conn;
    let last = -1;
    timer = setInterval(() => {
      const p = c.progress;
      if (p.percentage < 0 || p.percentage === last) return;
      last = p.percentage;
      emitProgress({
        type: "job.progress",
        jobId,
        percent: Math.min(100, Math.max(0, p.percentage)),
        rowsProcessed: Number(p.rows_processed),
        rowsTotal: Number(p.total_rows_to_process),
        elapsedMs: Date.now() - startedAt,
      });
    }, POLL_MS);
    timer.unref();
  } catch (err) {
    throw fail(err);
  }
  const keepOperators = () => void (kept = profilePath ? readOperators(profilePath) : []);
  return { jobId, conn, finish: (s) => end(s), fail, cancelled: () => cancelled, keepOperators };
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
