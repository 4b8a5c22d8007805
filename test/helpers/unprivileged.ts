// Root writes everywhere, so tests that need "a user who cannot write this" run the command as `nobody`
// through setpriv. It keeps CAP_DAC_READ_SEARCH, so it can still read the checkout wherever that lives
// (CI clones into a 0700 temp folder that plain nobody cannot enter): reads pass, every write is refused.
import { spawnSync } from "node:child_process";

export const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** [command, args] that run `command args` as nobody when we are root, unchanged otherwise. */
export function unprivileged(command: string, args: string[]): [string, string[]] {
  if (!asRoot) return [command, args];
  return ["setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", command, ...args]];
}

/** Whether unprivileged() works here (setpriv present and allowed). */
export function canRunUnprivileged(): boolean {
  const [command, args] = unprivileged("true", []);
  return spawnSync(command, args).status === 0;
}
