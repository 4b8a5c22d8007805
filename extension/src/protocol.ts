// The comm protocol of `sluice.progress` (see DESIGN.md "Progress events" and src/progress/publisher.ts
// in the kernel) and the fold of events into job snapshots. The kernel folds the same way for `sync`,
// so a panel that reloads sees what a panel that stayed open saw.

export type JobStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface OperatorMetric {
  id: string;
  name: string;
  rows: number;
  timeMs: number;
  /** The operator this one feeds; absent for the root (and from kernels that do not send it). */
  parentId?: string;
}

export interface StageSnapshot {
  stageId: string;
  name: string;
  tasksTotal: number;
  tasksDone: number;
  rows: number;
  bytes: number;
  startedAt: number;
  endedAt?: number;
}

export interface JobSnapshot {
  jobId: string;
  description: string;
  cellId?: string;
  status: JobStatus;
  startedAt: number;
  endedAt?: number;
  plan?: unknown;
  percent: number;
  rowsProcessed: number;
  rowsTotal: number;
  elapsedMs: number;
  stages: StageSnapshot[];
  operators: OperatorMetric[];
  error?: string;
}

interface Timed {
  jobId: string;
  /** Kernel clock (ms) when the kernel saw the event. */
  at?: number;
}

export type ProgressEvent = Timed &
  (
    | { type: 'job.start'; description: string; cellId?: string; startedAt: number; plan?: unknown }
    | {
        type: 'stage.start' | 'stage.progress' | 'stage.end';
        stageId: string;
        name: string;
        tasksTotal: number;
        tasksDone: number;
        rows: number;
        bytes: number;
      }
    | { type: 'job.progress'; percent: number; rowsProcessed: number; rowsTotal: number; elapsedMs: number }
    | {
        type: 'job.end';
        status: Exclude<JobStatus, 'running'>;
        error?: string;
        endedAt: number;
        operators: OperatorMetric[];
      }
  );

/** kernel → panel */
export type KernelMessage =
  | { type: 'events'; events: ProgressEvent[] }
  | { type: 'sync'; jobs: JobSnapshot[] }
  | { type: 'cancel'; jobId: string; ok: boolean; message: string }
  | { type: 'error'; message: string };

/** panel → kernel */
export type PanelMessage = { type: 'sync' } | { type: 'cancel'; jobId: string };

export const COMM_TARGET = 'sluice.progress';

const stageIndex = new WeakMap<JobSnapshot, Map<string, StageSnapshot>>();

/** Folds one event into its job (creating the job when its start was never seen). */
export function applyEvent(jobs: Map<string, JobSnapshot>, event: ProgressEvent): JobSnapshot {
  const now = event.at ?? Date.now();
  let job = jobs.get(event.jobId);
  if (!job) {
    job = {
      jobId: event.jobId,
      description: event.type === 'job.start' ? event.description : event.jobId,
      status: 'running',
      startedAt: event.type === 'job.start' ? event.startedAt : now,
      percent: 0,
      rowsProcessed: 0,
      rowsTotal: 0,
      elapsedMs: 0,
      stages: [],
      operators: []
    };
    jobs.set(event.jobId, job);
  }
  switch (event.type) {
    case 'job.start':
      job.description = event.description;
      job.cellId = event.cellId;
      job.startedAt = event.startedAt;
      job.plan = event.plan;
      break;
    case 'stage.start':
    case 'stage.progress':
    case 'stage.end': {
      let index = stageIndex.get(job);
      if (!index) {
        index = new Map(job.stages.map(s => [s.stageId, s]));
        stageIndex.set(job, index);
      }
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
      if (event.type === 'stage.end') stage.endedAt = now;
      break;
    }
    case 'job.progress':
      job.percent = event.percent;
      job.rowsProcessed = event.rowsProcessed;
      job.rowsTotal = event.rowsTotal;
      job.elapsedMs = event.elapsedMs;
      break;
    case 'job.end':
      job.status = event.status;
      job.endedAt = event.endedAt;
      job.elapsedMs = Math.max(job.elapsedMs, event.endedAt - job.startedAt);
      job.operators = event.operators;
      if (event.status === 'succeeded') job.percent = 100;
      // A job too quick for a progress report: the rows its sources read (the operators nothing feeds).
      if (job.rowsProcessed === 0 && event.operators.some(o => o.parentId !== undefined)) {
        const parents = new Set(event.operators.map(o => o.parentId));
        job.rowsProcessed = event.operators.filter(o => !parents.has(o.id)).reduce((n, o) => n + o.rows, 0);
      }
      if (event.error !== undefined) job.error = event.error;
      for (const stage of job.stages) stage.endedAt ??= now;
      break;
  }
  return job;
}
