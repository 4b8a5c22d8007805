// A notebook run as one job on the progress bus (docs/contracts.md "Progress events"): each code
// cell is a stage, so a notebook run from a cell or a pipeline shows in the kernel's inline display
// and the Sluice jobs panel, and the panel's cancel interrupts it like Ctrl-C.
import { getHost } from "../host/index.js";
import { emitProgress, newJobId, onCancelRequest, type JobStatus, type OperatorMetric } from "../progress/index.js";
import type { CellEvent, RunStatus } from "./executor.js";
import { sourceText } from "./notebook.js";

const JOB_STATUS: Record<RunStatus, JobStatus> = {
  succeeded: "succeeded",
  prepared: "succeeded",
  interrupted: "cancelled",
  failed: "failed",
  timeout: "failed",
  "kernel-died": "failed",
};

export class NotebookJob {
  readonly jobId = newJobId();
  private readonly startedAt = Date.now();
  private readonly operators: OperatorMetric[] = [];
  private readonly cellStarted = new Map<number, number>();
  private readonly stopListening: () => void;
  private ended = false;

  /** Emits job.start; a cancel request for this job calls `cancel`. */
  constructor(description: string, cancel: () => void) {
    emitProgress({ type: "job.start", jobId: this.jobId, description, cellId: getHost()?.currentCellId(), startedAt: this.startedAt, kind: "notebook" });
    this.stopListening = onCancelRequest((jobId) => {
      if (jobId !== this.jobId || this.ended) return false;
      cancel();
      return true;
    });
  }

  cell(event: CellEvent): void {
    const stageId = `cell-${event.index + 1}`;
    const name = `cell ${event.index + 1}/${event.total}${event.cell.id ? ` (${event.cell.id})` : ""}: ${sourceText(event.cell.source).trim().split("\n")[0]!.slice(0, 60)}`;
    const done = event.phase === "end" ? 1 : 0;
    emitProgress({ type: event.phase === "start" ? "stage.start" : "stage.end", jobId: this.jobId, stageId, name, tasksTotal: 1, tasksDone: done, rows: 0, bytes: 0 });
    if (event.phase === "start") return void this.cellStarted.set(event.index, Date.now());
    this.operators.push({ id: event.cell.id ?? stageId, name, rows: 0, timeMs: Date.now() - (this.cellStarted.get(event.index) ?? Date.now()) });
    emitProgress({ type: "job.progress", jobId: this.jobId, percent: (100 * (event.index + 1)) / event.total, rowsProcessed: 0, rowsTotal: 0, elapsedMs: Date.now() - this.startedAt });
  }

  end(status: RunStatus, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening();
    emitProgress({ type: "job.end", jobId: this.jobId, status: JOB_STATUS[status], ...(error !== undefined ? { error } : {}), endedAt: Date.now(), operators: this.operators });
  }
}
