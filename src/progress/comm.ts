import type { ProgressEvent } from "./events.js";
import type { JobSnapshot } from "./jobs.js";

// The messages of comm target `sluice.progress` (see docs/contracts.md "Comm `sluice.progress`"), as the kernel sends
// them (publisher.ts) and the JupyterLab extension reads them. The extension compiles this file,
// events.ts and jobs.ts from here, so they must stay free of Node-only imports.

export const PROGRESS_COMM_TARGET = "sluice.progress";

export type TimedEvent = ProgressEvent & { /** kernel clock (ms) when the event was seen */ at: number };

/** kernel → panel */
export type ProgressCommReply =
  | { type: "events"; events: TimedEvent[] }
  | { type: "sync"; jobs: JobSnapshot[]; /** this kernel's process session (jobs' `session`), so older ones show as lost */ session?: string }
  | { type: "cancel"; jobId: string; ok: boolean; message: string }
  | { type: "error"; message: string };

/** panel → kernel */
export type ProgressCommRequest = { type: "sync" } | { type: "cancel"; jobId: string };
