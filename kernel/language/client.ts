// The main thread's handle on the language-service thread, started on the first complete/inspect.
import { Worker } from "node:worker_threads";
import type { Completion } from "./service.js";

export type LanguageRequest = { id: number; kind: "complete" | "inspect"; previousCells: string[]; code: string; cursor: number };
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
    else waiter?.resolve(response.result);
  });
  started.on("error", (error) => {
    for (const waiter of pending.values()) waiter.reject(new LanguageServiceError(error.message));
    pending.clear();
    worker = undefined; // the next request starts a fresh thread
  });
  worker = started;
  return started;
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
