// The temporary folders of a process that runs notebooks (`sluice run`, `sluice pipeline run`, a
// program calling executeNotebook): all of them live in one folder, <TMPDIR>/sluice-run-<pid>-XXXXXX,
// so that a single removal leaves nothing behind, however the process ends:
// - its last kernel stops and its last notebook op ends: the folder goes with them (removeRunTempDir);
// - it ends normally, on an error, or by SIGINT/SIGTERM (which the CLI turns into an exit): the exit
//   hook below removes the folder;
// - it is killed (kill -9, the OOM killer): the Sluice kernels it started see their parent die and
//   remove the folder (kernel/wire/parent.ts), as the runner named it in SLUICE_RUNNER_TEMP; and the
//   next run in this TMPDIR removes folders whose process is gone (other kernels, e.g. ipykernel, exit
//   when their parent dies but do not know our folder).
import { mkdtempSync, readdirSync, rmSync, rmdirSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve, isAbsolute } from "node:path";

/** The environment variable that tells a kernel which runner folder it may remove when its runner dies. */
export const RUNNER_TEMP_ENV = "SLUICE_RUNNER_TEMP";
const PREFIX = "sluice-run-";

let root: string | undefined;
let hooked = false;

/** This process's run folder, made (and stale ones swept) on first use. */
export function runnerTempRoot(): string {
  if (root) {
    try {
      if (lstatSync(root).isDirectory()) return root;
    } catch {
      // removed meanwhile: make a new one
    }
  }
  sweepStaleRunFolders();
  root = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  if (!hooked) {
    hooked = true;
    process.on("exit", removeRunnerTempRoot);
  }
  return root;
}

/** A new folder for one kernel or one notebook op, inside this process's run folder. */
export function makeRunTempDir(prefix: string): string {
  return mkdtempSync(join(runnerTempRoot(), prefix));
}

/** Removes a folder from makeRunTempDir, and the run folder with it when nothing else is left in it. */
export function removeRunTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  if (!root) return;
  try {
    rmdirSync(root); // only succeeds when empty: another kernel or notebook op may still use it
    root = undefined;
  } catch {
    // still in use, or already gone
  }
}

export function removeRunnerTempRoot(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // someone else's process
  }
}

/** Removes run folders in `dir` whose process no longer exists; returns what it removed. */
export function sweepStaleRunFolders(dir = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(/^sluice-run-(\d+)-[^/\\]+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    } catch {
      // not ours to remove (another user's): leave it
    }
  }
  return removed;
}

/**
 * The runner folder a kernel may remove once its parent `parentPid` is dead: the one named in
 * SLUICE_RUNNER_TEMP, only if it is that parent's (its name carries the pid) and holds the kernel's
 * connection file. A kernel Jupyter started (connection file in Jupyter's runtime folder, no
 * SLUICE_RUNNER_TEMP) gets undefined: those files are Jupyter's.
 */
export function ownedRunnerFolder(env: Record<string, string | undefined>, parentPid: number, connectionFile: string): string | undefined {
  const folder = env[RUNNER_TEMP_ENV];
  if (!folder || !isAbsolute(folder) || !basename(folder).startsWith(`${PREFIX}${parentPid}-`)) return undefined;
  const inside = relative(resolve(folder), resolve(connectionFile));
  if (!inside || inside.startsWith("..") || isAbsolute(inside)) return undefined;
  return resolve(folder);
}
