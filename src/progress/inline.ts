import type { Host } from "../host/index.js";
import type { JobSnapshot } from "./jobs.js";
import { progressBundle } from "./render.js";

// One inline display per job, under the cell that runs it: display_data with a display_id at
// job.start, then update_display_data at most once per interval, and the final state at once on
// job.end (while the cell still runs, so every frontend still routes the update to that cell).

interface Shown {
  lastUpdate: number;
  timer?: NodeJS.Timeout;
}

export function displayIdOf(jobId: string): string {
  return `sluice-progress-${jobId}`;
}

export class InlineProgress {
  private readonly shown = new Map<string, Shown>();

  constructor(
    private readonly host: Host,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  started(job: JobSnapshot): void {
    this.host.display(progressBundle(job, this.now()), { displayId: displayIdOf(job.jobId) });
    this.shown.set(job.jobId, { lastUpdate: this.now() });
  }

  changed(job: JobSnapshot): void {
    const shown = this.shown.get(job.jobId);
    if (!shown || shown.timer) return;
    const wait = Math.max(0, shown.lastUpdate + this.intervalMs - this.now());
    shown.timer = setTimeout(() => {
      shown.timer = undefined;
      if (this.shown.get(job.jobId) === shown) this.update(job, shown);
    }, wait);
    shown.timer.unref?.();
  }

  ended(job: JobSnapshot): void {
    const shown = this.shown.get(job.jobId);
    if (!shown) return;
    if (shown.timer) clearTimeout(shown.timer);
    this.shown.delete(job.jobId);
    this.update(job, shown);
  }

  dispose(): void {
    for (const shown of this.shown.values()) if (shown.timer) clearTimeout(shown.timer);
    this.shown.clear();
  }

  private update(job: JobSnapshot, shown: Shown): void {
    shown.lastUpdate = this.now();
    this.host.display(progressBundle(job, shown.lastUpdate), { displayId: displayIdOf(job.jobId), update: true });
  }
}
