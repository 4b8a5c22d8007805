import { readdirSync, readFileSync } from "node:fs";

/** Pids of running Sluice kernels whose environment mentions `marker` (e.g. a run's store path, which
 * every kernel of that run carries in SLUICE_CONTEXT). Reads /proc, so it sees orphans too. */
export function sluiceKernelPids(marker: string): string[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("kernel/main.js") && readFileSync(`/proc/${p}/environ`, "utf8").includes(marker);
      } catch {
        return false;
      }
    });
}

/** A running process: exists and is not a zombie waiting to be reaped (its parent was killed). */
export function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
  } catch {
    return false;
  }
}
