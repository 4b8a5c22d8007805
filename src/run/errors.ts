// Typed errors of `sluice run`. Each carries the process exit code the CLI uses for it, so that the
// library and the CLI agree on what a failure means.
import { EXIT as CODES, SluiceError, type SluiceErrorOptions } from "../errors.js";

/** `sluice run`'s names for the shared exit codes. */
export const EXIT = {
  ok: CODES.ok,
  cellFailed: CODES.failed,
  usage: CODES.usage,
  timeout: CODES.timeout,
  kernelDied: CODES.kernelDied,
  interrupted: CODES.interrupted,
} as const;

export class RunError extends SluiceError {
  constructor(message: string, exitCode: number, options?: Omit<SluiceErrorOptions, "exitCode">) {
    super(message, { ...options, exitCode });
  }
}

/** Bad command line or options: a missing file, conflicting flags. */
export class UsageError extends RunError {
  constructor(message: string, options?: Omit<SluiceErrorOptions, "exitCode">) {
    super(message, EXIT.usage, options);
  }
}

/** A parameter value that does not fit the type declared in the notebook's parameters cell. */
export class ParameterError extends RunError {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message, EXIT.usage);
  }
}

/** The notebook's language has no translator, so parameters cannot be injected. */
export class NoTranslatorError extends RunError {
  constructor(readonly language: string) {
    super(
      `no translator for ${language}: sluice run can inject parameters into TypeScript and Python notebooks only; ` +
        `run without -p/-y/-f, or pick another kernel with --kernel`,
      EXIT.usage,
    );
  }
}

export class KernelNotFoundError extends RunError {
  constructor(
    readonly kernelName: string,
    readonly available: string[],
  ) {
    super(
      `no kernel named "${kernelName}"; installed kernels: ${available.length ? available.join(", ") : "(none)"}. ` +
        `Install one (e.g. \`sluice kernel install\`) or choose it with --kernel NAME`,
      EXIT.usage,
    );
  }
}

/** The kernel process could not be started or did not answer in time. */
export class KernelStartError extends RunError {
  constructor(message: string, readonly stderrTail: string[] = [], exitCode: number = EXIT.kernelDied) {
    super(stderrTail.length ? `${message}\nlast kernel stderr:\n  ${stderrTail.join("\n  ")}` : message, exitCode);
  }
}

/** The kernel died while the run was going on. */
export class KernelDiedError extends RunError {
  constructor(message: string, readonly stderrTail: string[] = []) {
    super(stderrTail.length ? `${message}\nlast kernel stderr:\n  ${stderrTail.join("\n  ")}` : message, EXIT.kernelDied);
  }
}
