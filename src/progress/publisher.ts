import { getHost, type Comm, type Host } from "../host/index.js";
import { PROCESS_SESSION, onProgress, requestCancel } from "./bus.js";
import { EventCoalescer } from "./coalesce.js";
import { PROGRESS_COMM_TARGET, type ProgressCommReply } from "./comm.js";
import type { ProgressEvent } from "./events.js";
import { InlineProgress } from "./inline.js";
import { JobHistory } from "./jobs.js";

// The kernel side of live progress: listens on the in-process bus, shows each job inline under
// its cell, and serves comm target `sluice.progress` to panels (see docs/contracts.md).
//
// Comm messages, kernel → panel:
//   {type:"events", events:[event & {at}]}      batched, throttled, coalesced; in emission order
//   {type:"sync", jobs:[JobSnapshot]}            the last jobs, oldest first, answering {type:"sync"}
//   {type:"cancel", jobId, ok, message}          answering {type:"cancel", jobId}
//   {type:"error", message}                      answering a message the kernel does not understand
// panel → kernel: {type:"sync"} | {type:"cancel", jobId}
// (types in comm.ts, shared with the extension)

export interface ProgressPublisherOptions {
  /** Minimum time between two updates of one inline display, and between two comm batches. */
  intervalMs?: number;
  /** Jobs kept for `sync`. */
  historyLimit?: number;
  /** Show the inline display under the running cell (default true). */
  inline?: boolean;
}

export class ProgressPublisher {
  readonly history: JobHistory;
  private readonly comms = new Set<Comm>();
  private readonly coalescer: EventCoalescer;
  private readonly inline: InlineProgress | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly host: Host,
    options: ProgressPublisherOptions = {},
  ) {
    const intervalMs = options.intervalMs ?? 250;
    this.history = new JobHistory(options.historyLimit ?? 100);
    this.coalescer = new EventCoalescer({ intervalMs, flush: (events) => this.broadcast({ type: "events", events }) });
    this.inline = options.inline === false ? undefined : new InlineProgress(host, intervalMs);
  }

  start(): this {
    if (this.unsubscribe) return this;
    this.host.registerCommTarget(PROGRESS_COMM_TARGET, (comm) => this.attach(comm));
    this.unsubscribe = onProgress((event) => this.receive(event));
    // Whatever a cell reported is out before its reply, so a frontend has every job.end by idle.
    this.host.onCellEnd?.(() => {
      this.inline?.cellEnded();
      this.coalescer.flushNow();
    });
    return this;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.coalescer.flushNow();
    this.coalescer.dispose();
    this.inline?.dispose();
  }

  private receive(event: ProgressEvent): void {
    if (event.type === "job.start" && event.cellId === undefined) {
      const cellId = this.host.currentCellId();
      if (cellId !== undefined) event = { ...event, cellId };
    }
    const job = this.history.apply(event);
    if (this.comms.size > 0) this.coalescer.push(event);
    if (event.type === "job.start") this.inline?.started(job);
    else if (event.type === "job.end") {
      this.inline?.ended(job);
      // The panel learns the outcome without waiting for the next tick, unless a batch just went out:
      // a cell running 1,000 quick jobs must not send 1,000 messages (Jupyter Server drops IOPub
      // messages over its rate limit, and the panel would miss the jobs after them).
      this.coalescer.flushSoon();
    } else this.inline?.changed(job);
  }

  private attach(comm: Comm): void {
    this.comms.add(comm);
    comm.onClose(() => this.comms.delete(comm));
    comm.onMessage((data) => this.answer(comm, data));
  }

  private answer(comm: Comm, data: unknown): void {
    const message = (data ?? {}) as { type?: unknown; jobId?: unknown };
    if (message.type === "sync") {
      // Anything still pending is already in the snapshots; sending it afterwards would be stale.
      this.coalescer.flushNow();
      this.send(comm, { type: "sync", jobs: this.history.list(), session: PROCESS_SESSION });
    } else if (message.type === "cancel") {
      this.send(comm, this.cancel(message.jobId));
    } else {
      this.send(comm, {
        type: "error",
        message: `sluice.progress: unknown message type ${JSON.stringify(message.type)}; send {type:"sync"} or {type:"cancel", jobId}.`,
      });
    }
  }

  private cancel(jobId: unknown): ProgressCommReply {
    if (typeof jobId !== "string" || jobId === "") {
      return { type: "cancel", jobId: String(jobId ?? ""), ok: false, message: "cancel needs a jobId (a string) of a running job." };
    }
    const job = this.history.get(jobId);
    if (job && job.status !== "running") {
      return { type: "cancel", jobId, ok: false, message: `job ${jobId} is not running (it ${job.status}).` };
    }
    const known = requestCancel(jobId);
    return known
      ? { type: "cancel", jobId, ok: true, message: `cancelling job ${jobId}` }
      : { type: "cancel", jobId, ok: false, message: `no running job ${jobId} in this kernel.` };
  }

  private broadcast(reply: ProgressCommReply): void {
    for (const comm of this.comms) this.send(comm, reply);
  }

  private send(comm: Comm, reply: ProgressCommReply): void {
    try {
      comm.send(reply);
    } catch {
      // A comm whose frontend went away must not break the job that reported progress.
      this.comms.delete(comm);
    }
  }
}

/**
 * Starts live progress for the current host (the kernel calls this once after setHost).
 * Returns the publisher, or undefined outside a kernel.
 */
export function startProgressPublisher(host: Host | undefined = getHost(), options?: ProgressPublisherOptions): ProgressPublisher | undefined {
  return host ? new ProgressPublisher(host, options).start() : undefined;
}
