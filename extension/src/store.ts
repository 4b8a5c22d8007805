import { ISignal, Signal } from '@lumino/signaling';
import { applyEvent, JobSnapshot, TimedEvent } from './protocol';

// The jobs of one kernel, as the panel draws them. Changes are announced at most every
// `intervalMs`, so a burst of batches costs one redraw, not one per event.
//
// The history outlives the kernel process: a restart marks the jobs it cut off "lost" and keeps the
// rest, and the jobs are saved in the browser (localStorage, by kernel id, which a restart keeps), so a
// page reload after a restart still shows the jobs of the kernel's earlier lives.

/** A job as the panel knows it: the kernel's snapshot, or "lost" when the kernel died under it. */
export type PanelStatus = JobSnapshot['status'] | 'lost';
export type PanelJob = Omit<JobSnapshot, 'status'> & { status: PanelStatus };

const SAVE_MS = 1000;
/** Jobs saved per kernel; the biggest parts (stages beyond these, plans of huge jobs) are trimmed. */
const SAVED_JOBS = 300;
const SAVED_STAGES = 50;
const SAVED_BYTES = 2_000_000;
/** Histories of other kernels are dropped after two weeks, and past the 20 most recent. */
const KEEP_MS = 14 * 24 * 3600 * 1000;
const KEEP_KERNELS = 20;

interface Saved {
  savedAt: number;
  jobs: JobSnapshot[];
}

export class JobStore {
  private readonly jobs = new Map<string, JobSnapshot>();
  private readonly _changed = new Signal<this, void>(this);
  private timer: number | undefined;
  private saveTimer: number | undefined;
  private lastEmit = 0;

  constructor(
    /** Where the history is saved (undefined: not saved). */
    private readonly storageKey?: string,
    /** Jobs kept in the browser (the kernel keeps fewer; this bounds a long session). */
    readonly limit = 2000,
    readonly intervalMs = 100
  ) {
    this.load();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get size(): number {
    return this.jobs.size;
  }

  get(jobId: string): PanelJob | undefined {
    return this.jobs.get(jobId) as PanelJob | undefined;
  }

  /** Newest first. */
  list(): PanelJob[] {
    // Jobs started in the same millisecond: the one the kernel reported last is the newest.
    return ([...this.jobs.values()] as PanelJob[]).reverse().sort((a, b) => b.startedAt - a.startedAt);
  }

  applyEvents(events: TimedEvent[]): void {
    // Stage times on the kernel's clock, as in the kernel's own snapshots.
    for (const event of events) {
      if ((this.jobs.get(event.jobId)?.status as PanelStatus) === 'lost') continue;
      applyEvent(this.jobs, event, event.at);
    }
    this.evict();
    this.notify();
  }

  /**
   * A `sync` reply: the kernel's view replaces what we had for those jobs; jobs still "running" here
   * that belong to another process session (the kernel restarted since) were cut off.
   */
  applySync(jobs: JobSnapshot[], session?: string): void {
    for (const job of jobs) {
      this.jobs.delete(job.jobId);
      this.jobs.set(job.jobId, job);
    }
    if (session !== undefined) {
      const known = new Set(jobs.map(j => j.jobId));
      for (const job of this.jobs.values()) {
        if (job.status === 'running' && !known.has(job.jobId) && job.session !== session) this.lose(job, Date.now());
      }
    }
    this.evict();
    this.notify();
  }

  /** The kernel restarted or died: its running jobs will never end. */
  markLost(now = Date.now()): void {
    for (const job of this.jobs.values()) if (job.status === 'running') this.lose(job, now);
    this.notify();
  }

  clear(): void {
    this.jobs.clear();
    this.notify();
  }

  dispose(): void {
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    if (this.saveTimer !== undefined) {
      window.clearTimeout(this.saveTimer);
      this.save();
    }
    Signal.clearData(this);
  }

  private lose(job: JobSnapshot, now: number): void {
    (job as PanelJob).status = 'lost';
    job.endedAt = Math.max(job.startedAt, now);
    job.error ??= 'the kernel restarted (or died) while this job ran: it never finished';
    for (const stage of job.stages) stage.endedAt ??= job.endedAt;
  }

  private evict(): void {
    for (const id of this.jobs.keys()) {
      if (this.jobs.size <= this.limit) return;
      this.jobs.delete(id);
    }
  }

  private notify(): void {
    if (this.storageKey !== undefined && this.saveTimer === undefined) {
      this.saveTimer = window.setTimeout(() => {
        this.saveTimer = undefined;
        this.save();
      }, SAVE_MS);
    }
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastEmit + this.intervalMs - Date.now());
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.lastEmit = Date.now();
      this._changed.emit();
    }, wait);
  }

  private load(): void {
    if (this.storageKey === undefined) return;
    try {
      const saved = JSON.parse(window.localStorage.getItem(this.storageKey) ?? 'null') as Saved | null;
      if (saved && Array.isArray(saved.jobs)) for (const job of saved.jobs) if (job && typeof job.jobId === 'string') this.jobs.set(job.jobId, job);
    } catch {
      // A damaged entry is dropped: the kernel's sync still brings its current jobs.
    }
    pruneSaved(this.storageKey);
  }

  private save(): void {
    if (this.storageKey === undefined) return;
    const jobs = [...this.jobs.values()].slice(-SAVED_JOBS).map(job =>
      job.stages.length > SAVED_STAGES ? { ...job, stages: job.stages.slice(-SAVED_STAGES) } : job
    );
    try {
      let text = JSON.stringify({ savedAt: Date.now(), jobs } satisfies Saved);
      // A few jobs with huge plans must not push the rest out of the browser's storage quota.
      if (text.length > SAVED_BYTES) text = JSON.stringify({ savedAt: Date.now(), jobs: jobs.map(({ plan: _plan, ...job }) => job) as JobSnapshot[] });
      window.localStorage.setItem(this.storageKey, text);
      touchIndex(this.storageKey);
    } catch {
      // Storage full or disabled: the history lives as long as the page.
    }
  }
}

const INDEX_KEY = 'sluice-jobs-index';

/** When each kernel's history was last saved (a small entry, so pruning never parses the histories). */
function readIndex(): Record<string, number> {
  try {
    const index = JSON.parse(window.localStorage.getItem(INDEX_KEY) ?? '{}') as Record<string, number>;
    return index && typeof index === 'object' ? index : {};
  } catch {
    return {};
  }
}

function touchIndex(key: string): void {
  const index = readIndex();
  index[key] = Date.now();
  window.localStorage.setItem(INDEX_KEY, JSON.stringify(index));
}

/** Drops the saved histories of kernels not seen for two weeks, and all but the 20 most recent. */
function pruneSaved(current: string): void {
  try {
    const index = readIndex();
    const keys = Object.keys(index).filter(k => k !== current).sort((a, b) => index[b] - index[a]);
    keys.forEach((key, i) => {
      if (i < KEEP_KERNELS - 1 && index[key] >= Date.now() - KEEP_MS) return;
      window.localStorage.removeItem(key);
      delete index[key];
    });
    window.localStorage.setItem(INDEX_KEY, JSON.stringify(index));
  } catch {
    // Storage disabled: nothing to prune.
  }
}
