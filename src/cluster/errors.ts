// Errors of `sluice cluster` and of the Ray executor: each names the problem and the fix.
import { EXIT, SluiceError } from "../errors.js";

/** Python or Ray is not there: the local executor still works. */
export class RayMissingError extends SluiceError {
  static override readonly exitCode: number = EXIT.usage;
}

/** Bad flags or values (`--resources` that is not a JSON object of numbers, a malformed address). */
export class ClusterUsageError extends SluiceError {
  static override readonly exitCode: number = EXIT.usage;
}

/** The cluster cannot be reached or a node would not start. */
export class ClusterError extends SluiceError {
  static override readonly exitCode: number = EXIT.failed;
}
