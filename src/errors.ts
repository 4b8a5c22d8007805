// The one base class of the errors Sluice shows its users, and the process exit codes they mean.
// Every area's typed errors extend SluiceError (or are mapped to it by the CLI's error boundary), so the
// library and the CLI agree on what a failure is and what the user can do about it.

/** Exit codes of every `sluice` command (docs/cli.md has the table). */
export const EXIT = {
  ok: 0,
  /** The work failed: a cell or an op failed, a store is damaged, the system refused (disk full...). */
  failed: 1,
  /** Bad usage or bad input: a flag, a missing or malformed file, an invalid pipeline or parameter. */
  usage: 2,
  /** `sluice run`: a cell ran past --cell-timeout. */
  timeout: 3,
  /** `sluice run`: the kernel died or could not be started. */
  kernelDied: 4,
  /** A bug in Sluice: an error no code path expected (sysexits' EX_SOFTWARE). */
  internal: 70,
  /** Stopped by Ctrl-C (SIGINT). */
  interrupted: 130,
  /** Stopped by SIGTERM. */
  terminated: 143,
} as const;

export interface SluiceErrorOptions {
  /** What to do about it, when the message does not already say. */
  hint?: string;
  /** Overrides the class's exit code for this one error. */
  exitCode?: number;
  /** The error this one explains (shown with --verbose). */
  cause?: unknown;
}

export class SluiceError extends Error {
  /** The exit code of this class of failure; subclasses override it. Most Sluice errors are bad input. */
  static readonly exitCode: number = EXIT.usage;

  readonly hint?: string;
  readonly exitCode: number;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? (new.target as typeof SluiceError).exitCode;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

const expectedRejections: Array<(reason: unknown) => boolean> = [];

/**
 * Marks late promise rejections that a library leaves unobserved and that Sluice has already reported
 * in its own words (e.g. @jupyterlab/services' reconnect after a server kernel died), so the CLI's
 * error boundary does not call them a bug.
 */
export function ignoreRejections(expected: (reason: unknown) => boolean): void {
  expectedRejections.push(expected);
}

export function isExpectedRejection(reason: unknown): boolean {
  return expectedRejections.some((expected) => expected(reason));
}
