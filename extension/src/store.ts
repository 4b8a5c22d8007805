import { ISignal, Signal } from '@lumino/signaling';
import { applyEvent, JobSnapshot, TimedEvent } from './protocol';

// The jobs of one kernel, as the panel draws them. Changes are announced at most every
// `intervalMs`, so a burst of batches costs one redraw, not one per event.

export class JobStore {
  private readonly jobs = new Map<string, JobSnapshot>();
  private readonly _changed = new Signal<this, void>(this);
  private timer: number | undefined;
  private lastEmit = 0;

  constructor(
    /** Jobs kept in the browser (the kernel keeps fewer; this bounds a long session). */
    readonly limit = 2000,
    readonly intervalMs = 100
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get size(): number {
    return this.jobs.size;
  }

  get(jobId: string): JobSnapshot | undefined {
    return this.jobs.get(jobId);
  }

  /** Newest first. */
  list(): JobSnapshot[] {
    // Jobs started in the same millisecond: the one the kernel reported last is the newest.
    return [...this.jobs.values()].reverse().sort((a, b) => b.startedAt - a.startedAt);
  }

  applyEvents(events: TimedEvent[]): void {
    // Stage times on the kernel's clock, as in the kernel's own snapshots.
    for (const event of events) applyEvent(this.jobs, event, event.at);
    this.evict();
    this.notify();
  }

  /** A `sync` reply: the kernel's view replaces what we had for those jobs. */
  applySync(jobs: JobSnapshot[]): void {
    for (const job of jobs) {
      this.jobs.delete(job.jobId);
      this.jobs.set(job.jobId, job);
    }
    this.evict();
    this.notify();
  }

  clear(): void {
    this.jobs.clear();
    this.notify();
  }

  dispose(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    Signal.clearData(this);
  }

  private evict(): void {
    for (const id of this.jobs.keys()) {
      if (this.jobs.size <= this.limit) return;
      this.jobs.delete(id);
    }
  }

  private notify(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastEmit + this.intervalMs - Date.now());
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.lastEmit = Date.now();
      this._changed.emit();
    }, wait);
  }
}
