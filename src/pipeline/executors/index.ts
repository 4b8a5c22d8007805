// Executors by name, for `sluice pipeline run --executor NAME` (docs/pipelines.md "Executors").
import { PipelineUsageError } from "../errors.js";
import { InProcessExecutor } from "./inprocess.js";
import { SubprocessExecutor } from "./subprocess.js";
import type { Executor } from "./types.js";

export type { Executor, ExecutorPrepareInfo, ExecutorRunInfo, StepErrorInfo, StepEvent, StepFile, StepHooks, StepInput, StepInputRef, StepResult, StepSpec, StepTask } from "./types.js";
export { STEP_SPEC_VERSION } from "./types.js";
export { InProcessExecutor } from "./inprocess.js";
export { SubprocessExecutor, stepExecCommand, sluiceCliPath } from "./subprocess.js";

export const EXECUTOR_NAMES = ["in-process", "subprocess", "ray"] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

export interface ExecutorChoice {
  /** Ray: the head's HOST:PORT (default $SLUICE_RAY_ADDRESS). */
  address?: string;
}

export async function createExecutor(name: string, options: ExecutorChoice = {}): Promise<Executor> {
  switch (name) {
    case "in-process":
    case "local":
      return new InProcessExecutor();
    case "subprocess":
      return new SubprocessExecutor();
    case "ray":
      return createRay(options);
    default:
      throw new PipelineUsageError(`--executor ${name}: no such executor; choose one of ${EXECUTOR_NAMES.join(", ")}.`);
  }
}

async function createRay(options: ExecutorChoice): Promise<Executor> {
  // Loaded only when chosen: the local executors never load the cluster modules.
  const { createRayExecutor } = await import("./ray.js");
  return createRayExecutor({ address: options.address ?? process.env.SLUICE_RAY_ADDRESS, cwd: process.cwd() });
}
