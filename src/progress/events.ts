// The progress event stream (docs/contracts.md "Progress events"): library → kernel → comm `sluice.progress` → extension.
// The library emits; whoever hosts it (the kernel, `sluice run`, a pipeline run) listens.
// The JupyterLab extension compiles this file (with jobs.ts and comm.ts): no Node-only imports here.
//
// Every field added since the first version is optional, so older readers keep working:
//   job.start      parentId, parentStageId (nesting: pipeline run → notebook → query), kind, session,
//                  destination (a write's final path, not its temporary name)
//   job.progress   indeterminate (the engine gives no percentage: draw a moving bar, show rows/time only)
//   job.operators  NEW event: the physical plan before the query runs (operators with pending: true,
//                  estimatedRows), sent again whenever metrics become known; job.end carries the final ones
//   stage.*        rowsTotal (rows the stage's source holds, when known exactly), kind
//   OperatorMetric estimatedRows, pending, detail; timeMs is CPU time summed over threads, not wall time

export type JobStatus = "succeeded" | "failed" | "cancelled";

export type JobKind = "query" | "write" | "pipeline" | "notebook";

export interface OperatorMetric {
  /** Pre-order index in the physical plan: the same id in job.operators (before the run) and job.end (after). */
  id: string;
  name: string;
  /** Rows the operator produced (0 while `pending`). */
  rows: number;
  /** DuckDB's operator timing: CPU time summed over all threads, so it can exceed the job's wall time. */
  timeMs: number;
  /** The operator this one feeds (its parent in the physical plan); absent for the root. Lets frontends draw the DAG. */
  parentId?: string;
  /** The planner's row estimate (EXPLAIN), known before the run. */
  estimatedRows?: number;
  /** True while the query runs: rows and timeMs are not measured yet (show the estimate or a dash). */
  pending?: boolean;
  /** What the operator reads or does, e.g. the file or table of a scan, its filters (one short line). */
  detail?: string;
}

export interface JobStartEvent {
  type: "job.start";
  jobId: string;
  description: string;
  cellId?: string;
  startedAt: number;
  /** The optimized plan as a tree (same shape as application/vnd.sluice.plan+json), if any. */
  plan?: unknown;
  /** The running job this one is part of (a pipeline run for its notebooks and queries, a notebook run for …).
   * A frontend nests it there; the kernel gives it no inline display of its own (the parent's shows it). */
  parentId?: string;
  /** The parent's stage this job runs for (a pipeline op's name). */
  parentStageId?: string;
  kind?: JobKind;
  /** The process that runs the job (`<pid>-<start ms>`); a frontend whose kernel now has another session
   * knows a job still "running" there was cut off (lost). The `sync` reply carries the current one. */
  session?: string;
  /** For writes: the final destination (file, folder or asset), where the description may name a temporary file. */
  destination?: string;
}

export interface StageEvent {
  type: "stage.start" | "stage.progress" | "stage.end";
  jobId: string;
  stageId: string;
  name: string;
  tasksTotal: number;
  tasksDone: number;
  rows: number;
  /** Bytes written or read, 0 when unknown (a frontend may hide the column when every stage has 0). */
  bytes: number;
  /** Rows the stage's source holds, when known exactly (a Parquet scan, range, an in-memory table). */
  rowsTotal?: number;
}

export interface JobProgressEvent {
  type: "job.progress";
  jobId: string;
  /** 0–100; 0 with `indeterminate` when the engine cannot tell. */
  percent: number;
  /** Rows read by the sources so far, never more than rowsTotal when that is known. */
  rowsProcessed: number;
  /** Rows the sources hold in all (0 when unknown). */
  rowsTotal: number;
  elapsedMs: number;
  /** The engine reports no percentage (or one stuck at 0): draw an indeterminate bar with rows and elapsed time. */
  indeterminate?: boolean;
}

/** The physical plan of a query job, before it runs (operators `pending`) or as metrics become known. */
export interface JobOperatorsEvent {
  type: "job.operators";
  jobId: string;
  operators: OperatorMetric[];
}

export interface JobEndEvent {
  type: "job.end";
  jobId: string;
  status: JobStatus;
  error?: string;
  endedAt: number;
  operators: OperatorMetric[];
}

export type ProgressEvent = JobStartEvent | StageEvent | JobProgressEvent | JobOperatorsEvent | JobEndEvent;
