// Which request a piece of output belongs to. Cells run inside `scope.run(...)`; timers and promises
// they start inherit the scope through AsyncLocalStorage, so late output lands under its own cell.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Message } from "../wire/message.js";

export interface RequestScope {
  parent: Message;
  cellId?: string;
  allowStdin: boolean;
}

const storage = new AsyncLocalStorage<RequestScope>();
let latest: RequestScope | undefined;

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  latest = scope;
  return storage.run(scope, fn);
}

/** The scope of the running code, or of the most recent request when none is active. */
export function currentScope(): RequestScope | undefined {
  return storage.getStore() ?? latest;
}
