// Which request a piece of output belongs to. AsyncLocalStorage would do this, but it enables
// async hooks, and Node aborts (a CHECK on the async id stack) when Runtime.terminateExecution
// stops user code inside a hooked callback — and that is how interrupts stop `while (true) {}`.
// So the scope is tracked by hand: the running cell, the request whose handler is on the stack,
// and callbacks scheduled through timers/queueMicrotask/nextTick, which keep the scope they were
// scheduled in (late output of a setTimeout lands under the cell that started it).
import type { Message } from "../../src/jupyter/wire.js";

export interface RequestScope {
  parent: Message;
  cellId?: string;
  allowStdin: boolean;
  /** execute_request with silent=true: nothing of it is broadcast. */
  silent?: boolean;
}

let active: RequestScope | undefined;
let runningCell: RequestScope | undefined;
/** The last cell that ran: output nobody can attribute (a promise settled by I/O later) goes there. */
let latest: RequestScope | undefined;
let failedIn: RequestScope | undefined;

/** Runs fn with `scope` current (synchronously; see runCellScope for a whole async cell). */
export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  const previous = active;
  active = scope;
  try {
    return fn();
  } catch (error) {
    failedIn = scope;
    throw error;
  } finally {
    active = previous;
  }
}

/** Marks `scope` as the executing cell until the returned promise settles. */
export async function runCellScope<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  runningCell = scope;
  latest = scope;
  try {
    return await runInScope(scope, fn);
  } finally {
    if (runningCell === scope) runningCell = undefined;
  }
}

/** The scope of the running code, or of the most recent request when none is active. */
export function currentScope(): RequestScope | undefined {
  return active ?? runningCell ?? latest;
}

/** The scope in which the last uncaught error was thrown (for reporting it under its cell). */
export function takeFailedScope(): RequestScope | undefined {
  const scope = failedIn;
  failedIn = undefined;
  return scope;
}

function bind<A extends unknown[], R>(callback: (...args: A) => R): (...args: A) => R {
  const scope = currentScope();
  if (!scope || typeof callback !== "function") return callback;
  return (...args: A) => runInScope(scope, () => callback(...args));
}

/** Makes timers, queueMicrotask and process.nextTick carry the scheduling scope to their callbacks. */
export function propagateScopeThroughTimers(): void {
  const g = globalThis as Record<string, any>;
  for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"]) {
    const original = g[name];
    const wrapped = (callback: (...args: unknown[]) => unknown, ...rest: unknown[]) => original(bind(callback), ...rest);
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
    g[name] = wrapped;
  }
  const nextTick = process.nextTick;
  process.nextTick = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => nextTick(bind(callback), ...args)) as typeof process.nextTick;
}
