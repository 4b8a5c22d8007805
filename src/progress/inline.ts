import type { Host } from "../host/index.js";
import type { JobSnapshot } from "./jobs.js";
import { moreJobsBundle, progressBundle } from "./render.js";

// One inline display per job, under the cell that runs it: display_data with a display_id at
// job.start, then update_display_data at most once per interval, and the final state at once on
// job.end (while the cell still runs, so every frontend still routes the update to that cell).
// A cell that runs many jobs (a loop of 1,000 quick queries) shows the first INLINE_JOBS_PER_CELL
// one by one and the rest as one summary line: 1,000 progress bars help nobody, and their ~3,000
// messages went over Jupyter Server's IOPub rate limit, which then dropped the panel's messages too.

/** Jobs of one cell shown one by one; the cell's later jobs share one summary display. */
export const INLINE_JOBS_PER_CELL = 20;

interface Shown {
  lastUpdate: number;
  timer?: NodeJS.Timeout;
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
  private readonly shown = new Map<string, Shown>();
  private readonly cells = new Map<string, CellJobs>();
  private summaries = 0;

  constructor(
    private readonly host: Host,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  started(job: JobSnapshot): void {
    const cell = this.cellOf(job);
    if (cell.shown >= INLINE_JOBS_PER_CELL) return this.overflowed(cell, job);
    cell.shown += 1;
    this.host.display(progressBundle(job, this.now()), { displayId: displayIdOf(job.jobId) });
    this.shown.set(job.jobId, { lastUpdate: this.now() });
  }

  changed(job: JobSnapshot): void {
    const shown = this.shown.get(job.jobId);
    // The job may have ended (and shown its final state) before the timer fires.
    if (shown) this.later(shown, () => this.shown.get(job.jobId) === shown && this.update(job, shown));
  }

  ended(job: JobSnapshot): void {
    const overflow = this.cells.get(job.cellId ?? "")?.overflow;
    if (overflow?.statuses.has(job.jobId)) {
      overflow.statuses.set(job.jobId, job.status);
      return this.later(overflow, () => this.showSummary(overflow, true));
    }
    const shown = this.shown.get(job.jobId);
    if (!shown) return;
    if (shown.timer) clearTimeout(shown.timer);
    this.shown.delete(job.jobId);
    this.update(job, shown);
  }

  /** The cell finished: its summary shows its final counts now, while the frontend still routes it there. */
  cellEnded(): void {
    for (const cell of this.cells.values()) {
      if (!cell.overflow) continue;
      if (cell.overflow.timer) clearTimeout(cell.overflow.timer);
      this.showSummary(cell.overflow, true);
    }
    this.cells.clear();
  }

  dispose(): void {
    for (const shown of this.shown.values()) if (shown.timer) clearTimeout(shown.timer);
    for (const cell of this.cells.values()) if (cell.overflow?.timer) clearTimeout(cell.overflow.timer);
    this.shown.clear();
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

  private showSummary(overflow: Overflow, update: boolean): void {
    overflow.lastUpdate = this.now();
    this.host.display(moreJobsBundle([...overflow.statuses.values()]), { displayId: overflow.displayId, update });
  }

  private update(job: JobSnapshot, shown: Shown): void {
    shown.lastUpdate = this.now();
    this.host.display(progressBundle(job, shown.lastUpdate), { displayId: displayIdOf(job.jobId), update: true });
  }
}
