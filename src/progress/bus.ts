import { AsyncLocalStorage } from "node:async_hooks";
import type { ProgressEvent } from "./events.js";

// One in-process bus. Emitters never wait on listeners, and a throwing listener never breaks a query.
type Listener = (event: ProgressEvent) => void;
type CancelHandler = (jobId: string) => boolean;

const listeners = new Set<Listener>();
const cancelHandlers = new Set<CancelHandler>();

export function onProgress(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether anyone receives progress events (a kernel's publisher always does; a plain script usually not). */
export function hasProgressListeners(): boolean {
  return listeners.size > 0;
}

/** Jobs started and not yet ended, so an interrupt can cancel whatever is running. */
const running = new Set<string>();

/** This process's session, stamped on every job.start: a frontend tells a job of a restarted kernel by it. */
export const PROCESS_SESSION = `${process.pid}-${Date.now()}`;

/** The job (and its stage) whose work is running in this async context: jobs started inside it are its children. */
export interface JobScope {
  parentId: string;
  parentStageId?: string;
}
const scope = new AsyncLocalStorage<JobScope>();

/** Runs `work` as part of job `parentId` (a pipeline op's stage): the jobs it starts name that job as their parent. */
export function withinJob<T>(parentId: string, parentStageId: string | undefined, work: () => T): T {
  return scope.run({ parentId, ...(parentStageId !== undefined ? { parentStageId } : {}) }, work);
}

export function currentJobScope(): JobScope | undefined {
  return scope.getStore();
}

const destinations = new AsyncLocalStorage<string>();

/**
 * Runs `work`, whose writes go to a temporary file that becomes `destination` afterwards (the asset store's
 * write-then-rename): their jobs are titled with `destination`, not the temporary name.
 */
export function writingTo<T>(destination: string, work: () => T): T {
  return destinations.run(destination, work);
}

export function currentWriteDestination(): string | undefined {
  return destinations.getStore();
}

export function emitProgress(event: ProgressEvent): void {
  if (event.type === "job.start") {
    running.add(event.jobId);
    const parent = event.parentId === undefined ? scope.getStore() : undefined;
    const nested = parent !== undefined && parent.parentId !== event.jobId;
    event = { ...event, session: event.session ?? PROCESS_SESSION, ...(nested ? parent : {}) };
  } else if (event.type === "job.end") running.delete(event.jobId);
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // A broken listener must not fail the job that reported progress.
    }
  }
}

/** Whoever runs jobs registers how to cancel them; returns true when it knew the job. */
export function onCancelRequest(handler: CancelHandler): () => void {
  cancelHandlers.add(handler);
  return () => cancelHandlers.delete(handler);
}

export function requestCancel(jobId: string): boolean {
  let known = false;
  for (const handler of cancelHandlers) known = handler(jobId) || known;
  return known;
}

/** Cancels every running job (the kernel's interrupt: Ctrl-C stops the queries, not only the wait for them). */
export function cancelRunningJobs(): string[] {
  const ids = [...running];
  for (const id of ids) requestCancel(id);
  return ids;
}

let jobCounter = 0;
export function newJobId(): string {
  jobCounter += 1;
  return `job-${process.pid}-${jobCounter}`;
}
