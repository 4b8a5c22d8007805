// A pipeline run as one job on the progress bus (docs/contracts.md "Progress events"): each op is a
// stage and its nodes (partitions × items) are the stage's tasks, so inside the kernel the run shows
// inline under its cell and in the Sluice jobs panel like a query, and the panel's cancel stops it.
// The jobs an op starts (its queries, writes, a notebook run) run within(node): they name this job as
// their parent and the op as their stage, so the run is one inline block and one tree in the panel.
import { getHost } from "../host/index.js";
import { emitProgress, newJobId, onCancelRequest, withinJob, type JobStatus, type OperatorMetric } from "../progress/index.js";
import type { RunNode } from "./nodes.js";
import type { Op } from "./ops.js";

interface OpStage {
  op: Op;
  tasksTotal: number;
  tasksDone: number;
  /** Rows materialized by the op's nodes that ran in this run. */
  rows: number;
  /** Bytes of the files those nodes wrote. */
  bytes: number;
  timeMs: number;
  started: boolean;
  ended: boolean;
}

const FINISHED = new Set(["succeeded", "skipped", "reused", "failed", "upstream_failed"]);

export class PipelineJob {
  readonly jobId = newJobId();
  private readonly stages = new Map<string, OpStage>();
  private startedAt = Date.now();
  private nodesTotal = 0;
  private nodesDone = 0;
  private rows = 0;
  private stopListening: (() => void) | undefined;
  private ended = false;

  constructor(
    private readonly pipeline: string,
    ops: readonly Op[],
  ) {
    for (const op of ops) this.stages.set(op.name, { op, tasksTotal: 0, tasksDone: 0, rows: 0, bytes: 0, timeMs: 0, started: false, ended: false });
  }

  /** Emits job.start; a cancel request for this job calls `cancel`. */
  start(cancel: () => void): void {
    this.startedAt = Date.now();
    emitProgress({ type: "job.start", jobId: this.jobId, description: `pipeline ${this.pipeline}`, cellId: getHost()?.currentCellId(), startedAt: this.startedAt, kind: "pipeline" });
    this.stopListening = onCancelRequest((jobId) => {
      if (jobId !== this.jobId || this.ended) return false;
      cancel();
      return true;
    });
  }

  /** Runs a node's work as part of this job and its op's stage: the jobs it starts are this one's children. */
  within<T>(node: RunNode, work: () => T): T {
    return withinJob(this.jobId, node.op.name, work);
  }

  added(node: RunNode): void {
    const stage = this.stages.get(node.op.name);
    if (!stage) return;
    stage.tasksTotal += 1;
    this.nodesTotal += 1;
  }

  nodeStarted(node: RunNode): void {
    const stage = this.stages.get(node.op.name);
    if (stage) this.emitStage(stage, stage.started ? "stage.progress" : "stage.start");
  }

  /** Called once a node has ended and any items it produced were added as nodes. */
  nodeEnded(node: RunNode): void {
    const stage = this.stages.get(node.op.name);
    if (!stage || !FINISHED.has(node.status)) return;
    stage.tasksDone += 1;
    this.nodesDone += 1;
    if (node.status === "succeeded" || node.status === "failed") {
      const rows = [...node.outputs.values()].reduce((n, o) => n + (o.materialization?.rowCount ?? 0), 0);
      const bytes = [...node.outputs.values()].reduce((n, o) => n + (o.materialization?.byteSize ?? 0), 0);
      if (node.status === "succeeded") (stage.rows += rows), (this.rows += rows), (stage.bytes += bytes);
      if (node.startedAt !== undefined && node.endedAt !== undefined) stage.timeMs += node.endedAt - node.startedAt;
    }
    this.emitStage(stage, stage.started ? "stage.progress" : "stage.start");
    // A mapped op can get more nodes until every node of the op it maps over has ended.
    for (const s of this.stages.values()) {
      if (s.started && !s.ended && s.tasksDone === s.tasksTotal && (!s.op.map || this.stages.get(s.op.map)?.ended !== false)) this.emitStage(s, "stage.end");
    }
    emitProgress({
      type: "job.progress",
      jobId: this.jobId,
      percent: this.nodesTotal ? (100 * this.nodesDone) / this.nodesTotal : 0,
      rowsProcessed: this.rows,
      rowsTotal: 0,
      elapsedMs: Date.now() - this.startedAt,
    });
  }

  end(status: JobStatus, error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.stopListening?.();
    for (const s of this.stages.values()) if (s.started && !s.ended) this.emitStage(s, "stage.end");
    const operators: OperatorMetric[] = [...this.stages.values()]
      .filter((s) => s.tasksTotal > 0)
      .map((s) => ({ id: s.op.name, name: `${s.op.kind === "fn" ? "function" : "notebook"} op ${s.op.name}`, rows: s.rows, timeMs: s.timeMs }));
    emitProgress({ type: "job.end", jobId: this.jobId, status, ...(error !== undefined ? { error } : {}), endedAt: Date.now(), operators });
  }

  private emitStage(stage: OpStage, type: "stage.start" | "stage.progress" | "stage.end"): void {
    if (type === "stage.start") stage.started = true;
    if (type === "stage.end") stage.ended = true;
    emitProgress({ type, jobId: this.jobId, stageId: stage.op.name, name: stage.op.name, tasksTotal: stage.tasksTotal, tasksDone: stage.tasksDone, rows: stage.rows, bytes: stage.bytes });
  }
}
