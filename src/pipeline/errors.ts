// Typed errors of the pipeline engine; messages name the op, asset or flag and what to change.
import { EXIT, SluiceError, type SluiceErrorOptions } from "../errors.js";

/** A pipeline failure; the subclasses that describe bad input (exit 2) say so with their exitCode. */
export class PipelineError extends SluiceError {
  static override readonly exitCode: number = EXIT.failed;
  constructor(message: string, options?: SluiceErrorOptions) {
    super(message, options);
  }
}

/** Everything wrong with a pipeline definition, found before anything runs. */
export class PipelineValidationError extends PipelineError {
  static override readonly exitCode: number = EXIT.usage;
  constructor(
    readonly pipeline: string,
    readonly problems: string[],
  ) {
    super(`pipeline ${pipeline} is not valid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Bad run options: a missing --partition, a partition key outside the definition, an unknown --only op. */
export class PipelineUsageError extends PipelineError {
  static override readonly exitCode: number = EXIT.usage;
}

/** An op's code finished without producing a declared output, or produced an undeclared one. */
export class OpOutputError extends PipelineError {}

/** A pipeline file that cannot be loaded (missing, no default export, does not compile). */
export class PipelineLoadError extends PipelineError {
  static override readonly exitCode: number = EXIT.usage;
}

/** A step spec that `sluice step exec` cannot use: not JSON, a missing or mistyped field, an op the pipeline does not have. */
export class StepSpecError extends PipelineError {
  static override readonly exitCode: number = EXIT.usage;
}

/** The node's code is not the runner's: its pipeline bundle, notebooks or Sluice version differ. */
export class CodeVersionMismatchError extends PipelineError {
  static override readonly exitCode: number = EXIT.usage;
  constructor(
    readonly pipelineFile: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `code version mismatch: the runner's code version of ${pipelineFile} is ${expected}, this node's is ${actual}; ` +
        `the step was not run. Deploy the same pipeline file, notebooks and Sluice version at the same path on every node.`,
    );
  }
}
