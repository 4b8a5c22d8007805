import type { Host } from "../host/index.js";
import type { JobSnapshot } from "./jobs.js";
import { moreJobsBundle, progressBundle } from "./render.js";

// One inline display per job, under the cell that runs it: display_data with a display_id, then
// update_display_data at most once per interval, and the final state at once on job.end (while the
// cell still runs, so every frontend still routes the update to that cell).
// The first display waits FIRST_DISPLAY_MS: a job that ends by then is shown once, in its final state,
// so a loop of 1,000 quick queries sends 1,000 messages, not 3,000 (Jupyter Server drops IOPub
// messages past 1,000 a second over 3 s, the panel's comm messages with them). Past
// INLINE_JOBS_PER_CELL jobs in one cell, the rest share one summary line, so no loop can reach that limit.
// A running job's display is refreshed every TICK_MS even when the engine reports nothing new, so its
// elapsed time always moves (in every frontend: the text/plain and text/html parts change too), and the
// renderer can tell a job whose kernel went away (no refresh for a while) from one still running.
// A job started inside another (a pipeline run's queries and notebooks: parentId) has no display of its
// own: its parent's display shows the work, so a pipeline run is one block, not one per query.

/** How long a new job waits before its first display (one message instead of two for quick jobs). */
export const FIRST_DISPLAY_MS = 100;
/** Jobs of one cell shown one by one; the cell's later jobs share one summary display. */
export const INLINE_JOBS_PER_CELL = 500;
/** How often a running job's display is refreshed when nothing else changed. */
export const TICK_MS = 1000;
/** Past this many running displays (a cell awaiting hundreds of queries at once), clocks stop ticking: their
 * refreshes alone would exceed Jupyter Server's IOPub rate limit. */
const MAX_TICKING = 50;

interface Shown {
  lastUpdate: number;
  timer?: NodeJS.Timeout;
}

interface JobDisplay extends Shown {
  /** The latest state, shown when the first display or a throttled update goes out. */
  job: JobSnapshot;
  /** No display_data sent yet (within FIRST_DISPLAY_MS of the start). */
  pending: boolean;
  /** The pending timer is a clock tick (replaced by a sooner update when the job reports progress). */
  ticking?: boolean;
  /** Its cell has finished: no more ticks (a job left running, e.g. an unfinished stream, still shows its end). */
  cellDone?: boolean;
  /** Its running child jobs (a pipeline run's queries), folded into its display. */
  children?: Map<string, JobSnapshot>;
}

/** The jobs of one cell beyond the first INLINE_JOBS_PER_CELL, shown as one summary display. */
interface Overflow extends Shown {
  displayId: string;
  statuses: Map<string, JobSnapshot["status"]>;
}

interface CellJobs {
  shown: number;
  overflow?: Overflow;
}

export function displayIdOf(jobId: string): string {
  return `sluice-progress-${jobId}`;
}

export class InlineProgress {
  private readonly displays = new Map<string, JobDisplay>();
  private readonly cells = new Map<string, CellJobs>();
  private summaries = 0;

  constructor(
    private readonly host: Host,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  started(job: JobSnapshot): void {
    if (job.parentId !== undefined) return this.childChanged(job); // shown by its parent's display
    const cell = this.cellOf(job);
    if (cell.shown >= INLINE_JOBS_PER_CELL) return this.overflowed(cell, job);
    cell.shown += 1;
    const display: JobDisplay = { job, pending: true, lastUpdate: this.now() };
    display.timer = setTimeout(() => {
      display.timer = undefined;
      this.firstDisplay(display);
    }, FIRST_DISPLAY_MS);
    display.timer.unref?.();
    this.displays.set(job.jobId, display);
  }

  changed(job: JobSnapshot): void {
    if (job.parentId !== undefined) return this.childChanged(job);
    const display = this.displays.get(job.jobId);
    if (!display) return;
    display.job = job;
    if (display.pending) return; // the first display shows it
    if (display.ticking) this.stopTimer(display);
    // The job may end (and show its final state) before the timer fires.
    this.later(display, () => this.displays.get(job.jobId) === display && this.update(display));
  }

  ended(job: JobSnapshot): void {
    if (job.parentId !== undefined) return this.childChanged(job);
    const overflow = this.cells.get(job.cellId ?? "")?.overflow;
    if (overflow?.statuses.has(job.jobId)) {
      overflow.statuses.set(job.jobId, job.status);
      return this.later(overflow, () => this.showSummary(overflow, true));
    }
    const display = this.displays.get(job.jobId);
    if (!display) return;
    if (display.timer) clearTimeout(display.timer);
    display.timer = undefined;
    this.displays.delete(job.jobId);
    display.job = job;
    if (display.pending) this.firstDisplay(display);
    else this.update(display);
  }

  /** The cell finished: what is still waiting is shown now, while the frontend still routes it there. */
  cellEnded(): void {
    for (const display of this.displays.values()) {
      display.cellDone = true;
      if (display.ticking) this.stopTimer(display);
      if (!display.pending) continue;
      if (display.timer) clearTimeout(display.timer);
      display.timer = undefined;
      this.firstDisplay(display);
    }
    for (const cell of this.cells.values()) {
      if (!cell.overflow) continue;
      if (cell.overflow.timer) clearTimeout(cell.overflow.timer);
      this.showSummary(cell.overflow, true);
    }
    this.cells.clear();
  }

  dispose(): void {
    for (const display of this.displays.values()) if (display.timer) clearTimeout(display.timer);
    for (const cell of this.cells.values()) if (cell.overflow?.timer) clearTimeout(cell.overflow.timer);
    this.displays.clear();
    this.cells.clear();
  }

  private cellOf(job: JobSnapshot): CellJobs {
    const key = job.cellId ?? "";
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = { shown: 0 }));
    return cell;
  }

  private overflowed(cell: CellJobs, job: JobSnapshot): void {
    if (!cell.overflow) {
      this.summaries += 1;
      cell.overflow = { displayId: `sluice-progress-more-${process.pid}-${this.summaries}`, statuses: new Map(), lastUpdate: 0 };
      cell.overflow.statuses.set(job.jobId, job.status);
      return this.showSummary(cell.overflow, false);
    }
    const overflow = cell.overflow;
    overflow.statuses.set(job.jobId, job.status);
    this.later(overflow, () => this.showSummary(overflow, true));
  }

  /** Runs `show` now if the display was not refreshed within the interval, else once when it may be. */
  private later(shown: Shown, show: () => void): void {
    if (shown.timer) return;
    const wait = Math.max(0, shown.lastUpdate + this.intervalMs - this.now());
    shown.timer = setTimeout(() => {
      shown.timer = undefined;
      show();
    }, wait);
    shown.timer.unref?.();
  }

  private firstDisplay(display: JobDisplay): void {
    display.pending = false;
    display.lastUpdate = this.now();
    this.host.display(this.bundle(display), { displayId: displayIdOf(display.job.jobId) });
    this.tick(display);
  }

  /** A child job started, moved or ended: its parent's display lists the running ones under their stage. */
  private childChanged(child: JobSnapshot): void {
    const display = this.displays.get(child.parentId!);
    if (!display) return;
    display.children ??= new Map();
    if (child.status === "running") display.children.set(child.jobId, child);
    else display.children.delete(child.jobId);
    this.changed(display.job);
  }

  private bundle(display: JobDisplay) {
    const children = display.job.status === "running" ? [...(display.children?.values() ?? [])] : [];
    return progressBundle(display.job, display.lastUpdate, this.ticks(display) ? TICK_MS : undefined, children);
  }

  /** Refreshes a running job's display after TICK_MS unless something sooner is scheduled. */
  private tick(display: JobDisplay): void {
    if (display.timer || !this.ticks(display)) return;
    display.ticking = true;
    display.timer = setTimeout(() => {
      display.timer = undefined;
      display.ticking = false;
      if (this.displays.get(display.job.jobId) === display) this.update(display);
    }, TICK_MS);
    display.timer.unref?.();
  }

  /** Whether the display's clock ticks (then its data says so, and a renderer may take a silence for a lost kernel). */
  private ticks(display: JobDisplay): boolean {
    return !display.cellDone && display.job.status === "running" && this.displays.size <= MAX_TICKING;
  }

  private stopTimer(display: JobDisplay): void {
    if (display.timer) clearTimeout(display.timer);
    display.timer = undefined;
    display.ticking = false;
  }

  private showSummary(overflow: Overflow, update: boolean): void {
    overflow.lastUpdate = this.now();
    this.host.display(moreJobsBundle([...overflow.statuses.values()]), { displayId: overflow.displayId, update });
  }

  private update(display: JobDisplay): void {
    display.lastUpdate = this.now();
    this.host.display(this.bundle(display), { displayId: displayIdOf(display.job.jobId), update: true });
    if (this.displays.get(display.job.jobId) === display) this.tick(display);
  }
}
