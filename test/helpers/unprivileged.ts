// Root writes everywhere, so tests that need "a user who cannot write this" run the command as `nobody`
// through setpriv. Nobody must be able to reach the checkout: a clean clone in a 0700 temp folder (as CI
// makes) cannot be entered, so its folders get the search (x) bit for others, as any usual checkout has
// — never read or write. (Keeping CAP_DAC_READ_SEARCH instead is not enough: access(2), which the
// `bindings` loader of better-sqlite3 uses, ignores capabilities for a non-root real uid.)
import { spawnSync } from "node:child_process";
import { chmodSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

export const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const repo = resolve(import.meta.dirname, "..", "..");

function letOthersTraverse(dir: string): void {
  for (let d = dir; ; d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
    if (dirname(d) === d) return;
  }
}

/** [command, args] that run `command args` as nobody when we are root, unchanged otherwise. */
export function unprivileged(command: string, args: string[]): [string, string[]] {
  if (!asRoot) return [command, args];
  letOthersTraverse(repo);
  return ["setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", command, ...args]];
}

/** Whether unprivileged() works here (setpriv present and allowed). */
export function canRunUnprivileged(): boolean {
  const [command, args] = unprivileged("true", []);
  return spawnSync(command, args).status === 0;
}
