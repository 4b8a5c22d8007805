// The scheduler of a run: a pure state machine over step ids (no I/O, runs no op; after Dagster's
// ActiveExecution). The runner asks which steps to start, tells it how each attempt ended, and the
// scheduler answers with retries (the op's policy), steps that cannot run because an upstream step
// failed, and when the run is over. Dependencies are asked of the runner (`waitsFor`) because they
// grow while the run goes: a dynamic op's items become steps only when it has finished.

export type StepState = "pending" | "running" | "retry_wait" | "succeeded" | "skipped" | "reused" | "failed" | "upstream_failed";
/** How a step that did not fail ended: ran, was up to date, or its outputs came from an earlier run. */
export type DoneState = "succeeded" | "skipped" | "reused";

export interface SchedulerRetryPolicy {
  /** Extra attempts after the first. */
  max: number;
  backoffMs: number;
  factor: number;
}

export interface SchedulerOptions {
  maxConcurrency: number;
  /** Order of ready steps: negative when a starts before b (priority first). */
  compare(a: string, b: string): number;
  /** The steps a step waits for, or undefined while they are not known yet. */
  waitsFor(id: string): readonly string[] | undefined;
}

export interface RetryDecision {
  retry: true;
  /** The attempt that just failed (1-based). */
  attempt: number;
  waitMs: number;
}

const DONE: ReadonlySet<StepState> = new Set(["succeeded", "skipped", "reused"]);
const BROKEN: ReadonlySet<StepState> = new Set(["failed", "upstream_failed"]);

interface Entry {
  state: StepState;
  attempts: number;
  retry: SchedulerRetryPolicy;
  /** retry_wait: when the next attempt may start (ms, the caller's clock). */
  wakeAt?: number;
}

export class Scheduler {
  private readonly steps = new Map<string, Entry>();
  private cancelledFlag = false;
  private readonly maxConcurrency: number;

  constructor(private readonly options: SchedulerOptions) {
    if (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 1) throw new RangeError(`maxConcurrency must be a whole number ≥ 1, got ${options.maxConcurrency}`);
    this.maxConcurrency = options.maxConcurrency;
  }

  /** A new step, pending until what it waits for is done. */
  add(id: string, retry: SchedulerRetryPolicy = { max: 0, backoffMs: 0, factor: 1 }): void {
    if (this.steps.has(id)) throw new Error(`step ${id} added twice`);
    this.steps.set(id, { state: "pending", attempts: 0, retry });
  }

  has(id: string): boolean {
    return this.steps.has(id);
  }

  state(id: string): StepState {
    return this.entry(id).state;
  }

  /** Attempts started so far. */
  attempts(id: string): number {
    return this.entry(id).attempts;
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  /** Steps holding a slot: running, or waiting to retry (a flaky step keeps its place). */
  get active(): number {
    let n = 0;
    for (const e of this.steps.values()) if (e.state === "running" || e.state === "retry_wait") n += 1;
    return n;
  }

  /**
   * Pending steps whose upstream failed become upstream_failed (returned with the step that caused it);
   * then up to the free slots, the best ready steps and due retries become running (returned in start order).
   */
  next(now: number): { start: string[]; upstreamFailed: Array<{ id: string; cause: string; causeState: "failed" | "upstream_failed" }> } {
    const upstreamFailed: Array<{ id: string; cause: string; causeState: "failed" | "upstream_failed" }> = [];
    const ready: string[] = [];
    // Repeat: a step marked upstream_failed can break the steps waiting for it.
    for (let changed = true; changed; ) {
      changed = false;
      ready.length = 0;
      for (const [id, e] of this.steps) {
        if (e.state !== "pending") continue;
        const deps = this.options.waitsFor(id);
        if (!deps) continue;
        const broken = deps.find((d) => BROKEN.has(this.steps.get(d)?.state ?? "pending"));
        if (broken !== undefined) {
          e.state = "upstream_failed";
          upstreamFailed.push({ id, cause: broken, causeState: this.steps.get(broken)!.state as "failed" | "upstream_failed" });
          changed = true;
        } else if (deps.every((d) => DONE.has(this.steps.get(d)?.state ?? "pending"))) ready.push(id);
      }
    }
    const start: string[] = [];
    if (this.cancelledFlag) return { start, upstreamFailed };
    // Due retries first: they already hold their slot.
    for (const [id, e] of this.steps) {
      if (e.state === "retry_wait" && (e.wakeAt ?? 0) <= now) {
        e.state = "running";
        e.attempts += 1;
        e.wakeAt = undefined;
        start.push(id);
      }
    }
    ready.sort(this.options.compare);
    let free = this.maxConcurrency - this.active;
    for (const id of ready) {
      if (free <= 0) break;
      const e = this.steps.get(id)!;
      e.state = "running";
      e.attempts += 1;
      start.push(id);
      free -= 1;
    }
    return { start, upstreamFailed };
  }

  /** A running step ended well (ran, was up to date, or was reused). */
  done(id: string, how: DoneState): void {
    const e = this.running(id);
    e.state = how;
  }

  /**
   * A running step's attempt failed. Retried (after the policy's backoff) while attempts remain, the
   * error is retryable and the run is not cancelled; else the step is failed and its downstream will
   * be upstream_failed.
   */
  failed(id: string, now: number, options: { retryable?: boolean } = {}): RetryDecision | { retry: false } {
    const e = this.running(id);
    if (options.retryable !== false && !this.cancelledFlag && e.attempts <= e.retry.max) {
      const waitMs = e.retry.backoffMs * e.retry.factor ** (e.attempts - 1);
      e.state = "retry_wait";
      e.wakeAt = now + waitMs;
      return { retry: true, attempt: e.attempts, waitMs };
    }
    e.state = "failed";
    return { retry: false };
  }

  /** Nothing new starts; steps waiting to retry fail now (returned). Running steps end as they will. */
  cancel(): string[] {
    this.cancelledFlag = true;
    const stopped: string[] = [];
    for (const [id, e] of this.steps) {
      if (e.state === "retry_wait") {
        e.state = "failed";
        e.wakeAt = undefined;
        stopped.push(id);
      }
    }
    return stopped;
  }

  /** When the earliest waiting retry is due (undefined: none waiting). */
  nextWakeAt(): number | undefined {
    let at: number | undefined;
    for (const e of this.steps.values()) if (e.state === "retry_wait") at = Math.min(at ?? Infinity, e.wakeAt ?? 0);
    return at;
  }

  /** True when nothing runs, nothing waits to retry, and (unless cancelled) nothing could start. Call after next(). */
  get finished(): boolean {
    for (const e of this.steps.values()) if (e.state === "running" || e.state === "retry_wait") return false;
    return true;
  }

  counts(): Record<StepState, number> {
    const c: Record<StepState, number> = { pending: 0, running: 0, retry_wait: 0, succeeded: 0, skipped: 0, reused: 0, failed: 0, upstream_failed: 0 };
    for (const e of this.steps.values()) c[e.state] += 1;
    return c;
  }

  private entry(id: string): Entry {
    const e = this.steps.get(id);
    if (!e) throw new Error(`unknown step ${id}`);
    return e;
  }

  private running(id: string): Entry {
    const e = this.entry(id);
    if (e.state !== "running") throw new Error(`step ${id} is ${e.state}, not running`);
    return e;
  }
}
