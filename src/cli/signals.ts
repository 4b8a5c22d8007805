// Ctrl-C and SIGTERM for commands that run kernels (`sluice pipeline run`, `sluice examples`).
// Exiting (rather than dying of the signal) runs the exit hooks: no kernel outlives us, and the run's
// temp folder (src/run/temp.ts) goes too.

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

export interface StopSignals {
  /** The signal received, if any. */
  readonly received: StopSignal | undefined;
  /** 130 after SIGINT, 143 after SIGTERM, else undefined. */
  readonly exitCode: number | undefined;
  /** Stops listening; a grace timer already running no longer keeps the process alive. */
  dispose(): void;
}

/**
 * On the first SIGINT/SIGTERM calls `onStop` (which should make the work wind down: interrupt, save,
 * record), then exits with 130/143 once `graceMs` have passed if the process is still alive; a second
 * signal exits at once. `graceMs: 0` exits right after `onStop`.
 */
export function handleStopSignals(onStop: (signal: StopSignal) => void, options: { graceMs: number }): StopSignals {
  let received: StopSignal | undefined;
  let timer: NodeJS.Timeout | undefined;
  const listener = (signal: NodeJS.Signals) => {
    const code = SIGNAL_EXIT_CODES[signal as StopSignal];
    if (received) process.exit(code);
    received = signal as StopSignal;
    onStop(received);
    if (options.graceMs <= 0) process.exit(code);
    timer = setTimeout(() => process.exit(code), options.graceMs);
  };
  process.on("SIGINT", listener);
  process.on("SIGTERM", listener);
  return {
    get received() {
      return received;
    },
    get exitCode() {
      return received ? SIGNAL_EXIT_CODES[received] : undefined;
    },
    dispose() {
      process.off("SIGINT", listener);
      process.off("SIGTERM", listener);
      timer?.unref();
    },
  };
}
