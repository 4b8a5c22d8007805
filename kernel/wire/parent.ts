// A kernel never outlives the process that started it: Jupyter and `sluice run` put their pid in
// JPY_PARENT_PID, and (as ipykernel does) we exit when that process is gone. The check runs on the
// wire thread, which stays free while a cell spins, and costs one system call per poll.
const POLL_MS = 400;

/**
 * Calls `onGone` once when the parent named by JPY_PARENT_PID has died. On Windows JPY_PARENT_PID is
 * a process handle, not a pid: nothing is watched there.
 */
export function watchParent(env: Record<string, string | undefined>, onGone: (parentPid: number) => void): void {
  if (process.platform === "win32") return;
  const parentPid = Number(env.JPY_PARENT_PID);
  if (!Number.isInteger(parentPid) || parentPid <= 1) return;
  // Started through a wrapper (a shell script, `conda run`): our own parent is not that process.
  const direct = process.ppid === parentPid;
  const gone = () => {
    if (direct && process.ppid !== parentPid) return true; // re-parented: our parent died
    try {
      process.kill(parentPid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
  };
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    onGone(parentPid);
  }, POLL_MS);
  timer.unref();
}
