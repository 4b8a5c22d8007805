import type { TimedEvent } from "./comm.js";
import type { ProgressEvent } from "./events.js";

// Throttles an event stream into batches, at most one every `intervalMs`, and coalesces
// progress: a newer job.progress or stage.progress of the same job/stage replaces the pending
// one, and a stage.end replaces its stage's pending progress. Start and end events are never
// dropped and keep their order, so a job with 10,000 partitions costs a few batches, not 10,000
// messages, and a frontend still sees every stage and job begin and finish.

export interface CoalescerOptions {
  intervalMs: number;
  flush(batch: TimedEvent[]): void;
  now?: () => number;
}

function progressKey(event: ProgressEvent): string | undefined {
  if (event.type === "job.progress") return `j\u0000${event.jobId}`;
  if (event.type === "job.operators") return `o\u0000${event.jobId}`;
  if (event.type === "stage.progress" || event.type === "stage.end") return `s\u0000${event.jobId}\u0000${event.stageId}`;
  return undefined;
}

export class EventCoalescer {
  // Insertion-ordered: a replaced event moves to the end, which is where its newest state belongs.
  private pending = new Map<string | number, TimedEvent>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = -Infinity;
  private readonly now: () => number;

  constructor(private readonly options: CoalescerOptions) {
    this.now = options.now ?? Date.now;
  }

  push(event: ProgressEvent): void {
    const timed = { ...event, at: this.now() } as TimedEvent;
    const key = progressKey(event);
    if (key === undefined) {
      this.pending.set(this.seq++, timed);
    } else {
      this.pending.delete(key);
      this.pending.set(key, timed);
      // stage.end must stay after its stage.start: it is keyed, so re-key it once it is final.
      if (event.type === "stage.end") {
        this.pending.delete(key);
        this.pending.set(this.seq++, timed);
      }
    }
    this.schedule();
  }

  /** Sends what is pending now (used before a final display, and on shutdown). */
  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.lastFlush = this.now();
    this.options.flush(batch);
  }

  /** Sends what is pending now if the last batch is older than the interval, else at the next tick:
   * an isolated job end reaches the panel at once, a burst of 1,000 quick jobs stays a few batches. */
  flushSoon(): void {
    if (this.now() - this.lastFlush >= this.options.intervalMs) this.flushNow();
    else if (this.pending.size > 0) this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.options.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushNow();
    }, wait);
    // Pending progress must not keep a finished process (e.g. `sluice run`) alive.
    this.timer.unref?.();
  }
}
