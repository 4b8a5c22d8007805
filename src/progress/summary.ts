import type { JobSnapshot } from "./jobs.js";
import { formatCount, formatDuration } from "./format.js";

// What a job's progress line says, worded for what is known: shared by the kernel's inline text/HTML
// (render.ts) and the JupyterLab renderer (the extension compiles this file: no Node-only imports here).

/** No honest percentage: the bar moves instead of filling (DuckDB reported none, or only work past the
 * scans). A running job at 0% is one too: "0%" over a query that has read its small side and works on
 * a join says nothing true. */
export function isIndeterminate(job: JobSnapshot): boolean {
  return job.status === "running" && (job.indeterminate === true || job.percent <= 0);
}

/** The word for the job's rows: what its sources read (queries), or what its ops materialized (pipeline runs). */
function rowsWord(job: JobSnapshot): string {
  return job.kind === "pipeline" ? "rows materialized" : job.kind === "write" || job.kind === "query" ? "rows read" : "rows";
}

/** Rows as far as they are known: never a count above the truth, never "0 rows" for a job that read some. */
export function rowsText(job: JobSnapshot): string {
  const word = rowsWord(job);
  const done = job.rowsProcessed;
  const total = job.rowsTotal;
  if (job.status === "running" && isIndeterminate(job)) {
    if (total > 0 && done >= total) return `all ${formatCount(total)} ${word}, finishing`;
    if (total > 0 && done > 0) return `${formatCount(done)} / ${formatCount(total)} ${word}`;
    if (total > 0) return `${formatCount(total)} rows to read`;
    return done > 0 ? `${formatCount(done)} ${word}` : "";
  }
  if (job.status === "running" && total > 0) return `${formatCount(done)} / ${formatCount(total)} ${word}`;
  return done > 0 || job.status === "succeeded" ? `${formatCount(done)} ${word}` : "";
}

/** One line for a stage (a pipeline op, a notebook cell): tasks done, state, rows. */
export function stageText(stage: JobSnapshot["stages"][number]): string {
  const state = stage.endedAt !== undefined ? "done" : stage.tasksDone > 0 || stage.tasksTotal === 0 ? "running" : "started";
  const rows = stage.rows > 0 ? `, ${formatCount(stage.rows)} rows` : "";
  const time = stage.endedAt !== undefined ? ` in ${formatDuration(stage.endedAt - stage.startedAt)}` : "";
  return `${stage.name}: ${formatCount(stage.tasksDone)}/${formatCount(stage.tasksTotal)} ${state}${rows}${time}`;
}

/** Whether a job's operators are a query's physical plan (DuckDB's, CPU-timed), not a run's ops or cells, which
 * its stage lines already show. */
export function hasQueryOperators(job: JobSnapshot): boolean {
  return job.kind !== "pipeline" && job.kind !== "notebook";
}

/** DuckDB's operator timing is CPU time summed over the threads: it can exceed the job's elapsed time. */
export const OPERATOR_TIME_NOTE = "operator time is CPU time summed over threads (it can exceed the elapsed time)";

/** A running child job as its parent's display lists it (a pipeline run's query or write). */
export interface InlineChild {
  jobId: string;
  description: string;
  parentStageId?: string;
  percent: number;
  rowsProcessed: number;
  rowsTotal: number;
  indeterminate?: boolean;
  kind?: JobSnapshot["kind"];
}

/** The inline MIME data: the job, when this copy was made, how often a running job's copy is refreshed, and its
 * running child jobs. */
export interface InlineProgressData extends JobSnapshot {
  shownAt?: number;
  refreshMs?: number;
  children?: InlineChild[];
}

/** One line for a running child job: what it is and how far it got, e.g. `collect: SCAN → AGGREGATE · 45% · 9,000,000 / 20,000,000 rows read`. */
export function childText(child: InlineChild): string {
  const job = { ...child, status: "running" as const, stages: [], startedAt: 0, elapsedMs: 0, operators: [] };
  const pct = isIndeterminate(job) ? "" : `${Math.min(99, Math.max(0, child.percent)).toFixed(0)}%`;
  return [child.description, pct, rowsText(job)].filter(Boolean).join(" · ");
}

/**
 * How long a running job's display may go without a refresh before it is shown as lost: the kernel that ran it
 * restarted or stopped (it refreshes every refreshMs while the job runs). Generous, for a kernel busy in JS.
 */
export function lostAfterMs(data: InlineProgressData): number | undefined {
  if (data.status !== "running" || !data.refreshMs) return undefined;
  return Math.max(15_000, 10 * data.refreshMs);
}
