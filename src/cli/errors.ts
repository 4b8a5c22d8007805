// The CLI's error boundary: every failure of a command ends here and is printed as one short
// paragraph (what is wrong, what to do) with the exit code of its category (docs/cli.md). Stack
// traces only with --verbose or SLUICE_DEBUG=1. Kept apart from the areas (it loads only error
// classes), so a light command does not load the pipeline runner to print an error.
import { CommanderError } from "commander";
import { EXIT, SluiceError, isExpectedRejection } from "../errors.js";

/** --verbose anywhere before `--`, or SLUICE_DEBUG set to anything but "" or "0". */
export function verbose(argv: readonly string[] = process.argv): boolean {
  const debug = process.env.SLUICE_DEBUG;
  if (debug !== undefined && debug !== "" && debug !== "0") return true;
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--verbose");
}

/** Typed errors of modules that do not extend SluiceError (kernelspecs, JupyterLab, the notebook context). */
const OTHER_TYPED: Record<string, number> = { KernelspecError: EXIT.failed, LabError: EXIT.failed, ContextError: EXIT.failed };

/** What the system calls mean, in words. */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EEXIST: "it already exists",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the name is too long",
  EBUSY: "it is busy",
};

export interface Failure {
  exitCode: number;
  message: string;
  hint?: string;
  /** False for an error no code path expected: a bug. */
  expected: boolean;
}

type Errno = Error & { code?: unknown; syscall?: unknown; path?: unknown; dest?: unknown };

/** The exit code, message and hint of any thrown value. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof SluiceError) return { exitCode: error.exitCode, message: error.message, hint: error.hint, expected: true };
  if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage, message: error.message.replace(/^error: /, ""), expected: true };
  if (error instanceof Error) {
    const own = (error as { exitCode?: unknown; hint?: unknown });
    const hint = typeof own.hint === "string" ? own.hint : undefined;
    if (typeof own.exitCode === "number" && /Error$/.test(error.name) && error.name !== "Error") return { exitCode: own.exitCode, message: error.message, hint, expected: true };
    if (error.name in OTHER_TYPED) return { exitCode: OTHER_TYPED[error.name]!, message: error.message, hint, expected: true };
    const errno = error as Errno;
    if (typeof errno.code === "string" && typeof errno.syscall === "string" && errno.code in ERRNO_TEXT) {
      const path = typeof errno.path === "string" ? ` ${errno.path}` : "";
      return {
        exitCode: EXIT.failed,
        message: `cannot ${errno.syscall}${path}: ${ERRNO_TEXT[errno.code]} (${errno.code})`,
        hint: "Check the path, its permissions and the free space, then run the command again.",
        expected: true,
      };
    }
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { exitCode: EXIT.internal, message: text.split("\n")[0]!, expected: false };
}

/** `sluice run`, `sluice pipeline`...: which command speaks. */
function speaker(argv: readonly string[] = process.argv): string {
  const command = argv.slice(2).find((arg) => !arg.startsWith("-"));
  return command && /^[a-z][a-z-]*$/.test(command) ? `sluice ${command}` : "sluice";
}

/** The stack of an error and of the errors it explains (its `cause` chain). */
function stacks(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    // Node's own frames (module loading, timers) never point at anything the user can fix.
    parts.push((depth ? "caused by: " : "") + text.split("\n").filter((line) => !/^\s+at .*node:internal\//.test(line)).join("\n"));
    if (!(e instanceof Error)) break;
  }
  return parts.join("\n");
}

/** Prints the failure (one paragraph; the stack too when verbose) and returns its exit code. */
export function fail(error: unknown): number {
  const failure = describeFailure(error);
  const lines = [`${speaker()}: ${failure.expected ? "error" : "internal error"}: ${failure.message}`];
  if (failure.hint && !failure.message.includes(failure.hint)) lines.push(failure.hint);
  if (verbose()) lines.push(stacks(error));
  else if (!failure.expected) lines.push("This is a bug in Sluice; rerun with --verbose (or SLUICE_DEBUG=1) for the stack trace and report it.");
  process.stderr.write(lines.join("\n") + "\n");
  return failure.exitCode;
}

let installed = false;

/** Errors that escape a command (an unawaited promise, a throw in a callback) end here too, not in Node's crash report. */
export function installErrorBoundary(): void {
  if (installed) return;
  installed = true;
  const last = (error: unknown) => process.exit(fail(error));
  process.on("uncaughtException", last);
  process.on("unhandledRejection", (reason) => {
    if (isExpectedRejection(reason)) return;
    last(reason);
  });
}
