// The progress event stream of ../shared/DESIGN.md: library → kernel → comm `sluice.progress` → extension.
// The library emits; whoever hosts it (the kernel, `sluice run`, a pipeline run) listens.
// The JupyterLab extension compiles this file (with jobs.ts and comm.ts): no Node-only imports here.

export type JobStatus = "succeeded" | "failed" | "cancelled";

export interface OperatorMetric {
  id: string;
  name: string;
  rows: number;
  timeMs: number;
  /** The operator this one feeds (its parent in the physical plan); absent for the root. Lets frontends draw the DAG. */
  parentId?: string;
}

export interface JobStartEvent {
  type: "job.start";
  jobId: string;
  description: string;
  cellId?: string;
  startedAt: number;
  /** The optimized plan as a tree (same shape as application/vnd.sluice.plan+json), if any. */
  plan?: unknown;
}

export interface StageEvent {
  type: "stage.start" | "stage.progress" | "stage.end";
  jobId: string;
  stageId: string;
  name: string;
  tasksTotal: number;
  tasksDone: number;
  rows: number;
  bytes: number;
}

export interface JobProgressEvent {
  type: "job.progress";
  jobId: string;
  percent: number;
  rowsProcessed: number;
  rowsTotal: number;
  elapsedMs: number;
}

export interface JobEndEvent {
  type: "job.end";
  jobId: string;
  status: JobStatus;
  error?: string;
  endedAt: number;
  operators: OperatorMetric[];
}

export type ProgressEvent = JobStartEvent | StageEvent | JobProgressEvent | JobEndEvent;
