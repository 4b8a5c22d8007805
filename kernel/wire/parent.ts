// A kernel never outlives the process that started it: Jupyter and `sluice run` put their pid in
// JPY_PARENT_PID, and (as ipykernel does) we exit when that process is gone. The check runs on the
// wire thread, which stays free while a cell spins, and costs one system call per poll.
const POLL_MS = 400;

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Calls `onGone` once when the parent named by JPY_PARENT_PID has died. `ppidAtStart` is our parent
 * pid as the kernel started (read as early as possible, so that a parent killed while we boot is seen).
 * On Windows JPY_PARENT_PID is a process handle, not a pid: nothing is watched there.
 */
export function watchParent(env: Record<string, string | undefined>, ppidAtStart: number, onGone: (parentPid: number) => void): void {
  if (process.platform === "win32") return;
  const parentPid = Number(env.JPY_PARENT_PID);
  if (!Number.isInteger(parentPid) || parentPid <= 1) return;
  let gone: () => boolean;
  if (ppidAtStart === parentPid) {
    gone = () => process.ppid !== parentPid; // re-parented: our parent died
  } else if (exists(parentPid)) {
    gone = () => !exists(parentPid); // started through a wrapper (a shell script, `conda run`)
  } else {
    // Not a process we can see (another pid namespace), or it died while we booted: like ipykernel,
    // only being re-parented to init says the parent is gone.
    gone = () => process.ppid === 1;
  }
  const timer = setInterval(() => {
    if (!gone()) return;
    clearInterval(timer);
    onGone(parentPid);
  }, POLL_MS);
  timer.unref();
}
