// The main thread's handle on the language-service thread: started and warmed in the background once
// the kernel has answered kernel_info (warm()), or on the first complete/inspect/check.
import { Worker } from "node:worker_threads";
import type { Completion, TypeProblem } from "./service.js";

export type LanguageRequest = { id: number; kind: "complete" | "inspect" | "check" | "warm"; previousCells: string[]; code: string; cursor: number };
export type LanguageResponse = { id: number; result?: unknown; error?: string };
export type Inspection = { signature: string; documentation: string } | undefined;

export class LanguageServiceError extends Error {
  constructor(detail: string) {
    super(`the TypeScript language service failed: ${detail}`);
    this.name = "LanguageServiceError";
  }
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

function thread(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL("./worker.js", import.meta.url), { workerData: { cwd: process.cwd() } });
  started.unref();
  started.on("message", (response: LanguageResponse) => {
    const waiter = pending.get(response.id);
    pending.delete(response.id);
    if (response.error !== undefined) waiter?.reject(new LanguageServiceError(response.error));
    else {
      warmed = true;
      waiter?.resolve(response.result);
    }
  });
  started.on("error", (error) => {
    for (const waiter of pending.values()) waiter.reject(new LanguageServiceError(error.message));
    pending.clear();
    worker = undefined; // the next request starts a fresh thread
    warmed = false;
  });
  worker = started;
  return started;
}

/** True once the thread has answered a request: TypeScript and the library's types are loaded. */
let warmed = false;
export function isWarm(): boolean {
  return warmed;
}

function ask(request: Omit<LanguageRequest, "id">): Promise<unknown> {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    thread().postMessage({ ...request, id });
  });
}

export function complete(previousCells: string[], code: string, cursor: number): Promise<Completion> {
  return ask({ kind: "complete", previousCells, code, cursor }) as Promise<Completion>;
}

export function inspect(previousCells: string[], code: string, cursor: number): Promise<Inspection> {
  return ask({ kind: "inspect", previousCells, code, cursor }) as Promise<Inspection>;
}

let lastCheckMs: number | undefined;
/** How long the last type check took (request to answer), if one has run. */
export function lastCheckDuration(): number | undefined {
  return lastCheckMs;
}

/** Type errors of `code` after the earlier cells (the cell's own positions). */
export function check(previousCells: string[], code: string): Promise<TypeProblem[]> {
  const started = performance.now();
  const answer = ask({ kind: "check", previousCells, code, cursor: 0 }) as Promise<TypeProblem[]>;
  return answer.finally(() => (lastCheckMs = performance.now() - started));
}

/**
 * Starts the thread and has it load TypeScript and the library's types (a first completion takes
 * seconds of that otherwise). It runs on its own thread: kernel_info, execute and heartbeats go on.
 */
export function warm(): void {
  if (worker) return;
  ask({ kind: "warm", previousCells: [], code: "", cursor: 0 }).catch(() => {
    // A failed warm-up is retried by the next request, which reports its own error.
  });
}
