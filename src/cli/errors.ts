// How a command reports a failure and which exit code it means; kept apart from the areas so that a
// light command (`sluice assets ls`) does not load the pipeline runner to print an error.
import { PipelineError } from "../pipeline/errors.js";
import { StoreError } from "../store/errors.js";

/** Our typed errors print as their message (exit 2 for usage/validation, 1 otherwise); others with a stack. */
export function fail(error: unknown): number {
  if (error instanceof PipelineError || error instanceof StoreError) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.name === "PipelineValidationError" || error.name === "PipelineUsageError" || error.name === "PipelineLoadError" || error.name === "InvalidAssetKeyError" ? 2 : 1;
  }
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}
