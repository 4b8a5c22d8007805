import type { JobKind, JobStatus, OperatorMetric, ProgressEvent, StageEvent } from "./events.js";

// What a frontend needs to draw one job, folded from its events. The kernel keeps the last jobs as
// snapshots so that a panel opened late (or after a page reload) gets them with one `sync`; the
// JupyterLab extension folds with this same code (it compiles this file: no Node-only imports here).

/** A stage as its last event left it. */
export interface StageSnapshot extends Pick<StageEvent, "stageId" | "name" | "tasksTotal" | "tasksDone" | "rows" | "bytes" | "rowsTotal"> {
  /** Kernel clock (ms) when the stage started and ended: the timeline's bars. */
  startedAt: number;
  endedAt?: number;
}

export interface JobSnapshot {
  jobId: string;
  description: string;
  cellId?: string;
  status: "running" | JobStatus;
  startedAt: number;
  endedAt?: number;
  plan?: unknown;
  percent: number;
  rowsProcessed: number;
  rowsTotal: number;
  elapsedMs: number;
  stages: StageSnapshot[];
  /** The physical plan's operators: `pending` ones (from job.operators) until the job ends with measured ones. */
  operators: OperatorMetric[];
  error?: string;
  /** Fields of job.start and job.progress (see events.ts); absent when the emitter did not set them. */
  parentId?: string;
  parentStageId?: string;
  kind?: JobKind;
  session?: string;
  destination?: string;
  indeterminate?: boolean;
}

// Stage lookup by id without putting a Map into the (JSON) snapshot: jobs with 10,000 stages stay linear.
const stageIndex = new WeakMap<JobSnapshot, Map<string, StageSnapshot>>();

/** Folds one event into the job it belongs to (creating the job on job.start, or on a stray event). */
export function applyEvent(jobs: Map<string, JobSnapshot>, event: ProgressEvent, now: number): JobSnapshot {
  let job = jobs.get(event.jobId);
  if (!job) {
    job = {
      jobId: event.jobId,
      description: event.type === "job.start" ? event.description : event.jobId,
      status: "running",
      startedAt: event.type === "job.start" ? event.startedAt : now,
      percent: 0,
      rowsProcessed: 0,
      rowsTotal: 0,
      elapsedMs: 0,
      stages: [],
      operators: [],
    };
    jobs.set(event.jobId, job);
  }
  switch (event.type) {
    case "job.start":
      job.description = event.description;
      job.cellId = event.cellId;
      job.startedAt = event.startedAt;
      job.plan = event.plan;
      for (const key of ["parentId", "parentStageId", "kind", "session", "destination"] as const) if (event[key] !== undefined) job[key] = event[key] as never;
      break;
    case "stage.start":
    case "stage.progress":
    case "stage.end": {
      let index = stageIndex.get(job);
      if (!index) stageIndex.set(job, (index = new Map(job.stages.map((s) => [s.stageId, s]))));
      let stage = index.get(event.stageId);
      if (!stage) {
        stage = { stageId: event.stageId, name: event.name, tasksTotal: 0, tasksDone: 0, rows: 0, bytes: 0, startedAt: now };
        job.stages.push(stage);
        index.set(stage.stageId, stage);
      }
      stage.name = event.name;
      stage.tasksTotal = event.tasksTotal;
      stage.tasksDone = event.tasksDone;
      stage.rows = event.rows;
      stage.bytes = event.bytes;
      if (event.rowsTotal !== undefined) stage.rowsTotal = event.rowsTotal;
      if (event.type === "stage.end") stage.endedAt = now;
      break;
    }
    case "job.progress":
      job.percent = event.percent;
      job.rowsProcessed = event.rowsProcessed;
      job.rowsTotal = event.rowsTotal;
      job.elapsedMs = event.elapsedMs;
      if (event.indeterminate) job.indeterminate = true;
      else delete job.indeterminate;
      break;
    case "job.operators":
      if (job.status === "running") job.operators = event.operators;
      break;
    case "job.end":
      job.status = event.status;
      job.endedAt = event.endedAt;
      job.elapsedMs = Math.max(job.elapsedMs, event.endedAt - job.startedAt);
      // A job that ended without measured operators (a pipeline, or a query whose profile failed) keeps its plan.
      if (event.operators.length > 0 || !job.operators.some((o) => o.pending)) job.operators = event.operators;
      else job.operators = job.operators.map(({ pending: _, ...o }) => o);
      delete job.indeterminate;
      if (event.status === "succeeded") job.percent = 100;
      // The rows its sources read (the operators nothing feeds): for a job too quick for a progress report,
      // and for one that finished after its last report (which counted only part of them). A one-operator
      // plan (a bare scan) has no parentId anywhere: its operator is the source.
      if ((job.rowsProcessed === 0 || event.status === "succeeded") && isQueryPlan(event.operators)) {
        const parents = new Set(event.operators.map((o) => o.parentId));
        const read = event.operators.filter((o) => !parents.has(o.id)).reduce((n, o) => n + o.rows, 0);
        // DuckDB's progress counts work across pipelines (2–3× the input rows); a finished job shows the rows read.
        job.rowsProcessed = event.status === "succeeded" ? read : Math.max(job.rowsProcessed, read);
      }
      if (event.status === "succeeded") job.rowsTotal = job.rowsProcessed;
      if (event.error !== undefined) job.error = event.error;
      for (const stage of job.stages) stage.endedAt ??= now;
      break;
  }
  return job;
}

/** Operators of a physical plan (ids in pre-order, each but the root with its parent), not a pipeline's op list. */
function isQueryPlan(operators: OperatorMetric[]): boolean {
  return operators.length === 1 ? operators[0]!.id === "0" : operators.some((o) => o.parentId !== undefined);
}

/** The last `limit` jobs, oldest first; finished jobs are dropped before running ones. */
export class JobHistory {
  private readonly jobs = new Map<string, JobSnapshot>();

  constructor(readonly limit = 100) {}

  apply(event: ProgressEvent, now = Date.now()): JobSnapshot {
    const job = applyEvent(this.jobs, event, now);
    this.evict();
    return job;
  }

  get(jobId: string): JobSnapshot | undefined {
    return this.jobs.get(jobId);
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()];
  }

  private evict(): void {
    if (this.jobs.size <= this.limit) return;
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= this.limit) return;
      if (job.status !== "running") this.jobs.delete(id);
    }
    // Only running jobs are left over the limit: drop the oldest anyway, memory stays bounded.
    for (const id of this.jobs.keys()) {
      if (this.jobs.size <= this.limit) return;
      this.jobs.delete(id);
    }
  }
}
