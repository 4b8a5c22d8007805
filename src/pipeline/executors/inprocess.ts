// The in-process executor (the default): steps run in the runner's own process, as Sluice always ran
// them. Function ops get upstream values in memory (a lazy frame keeps the optimizer's whole chain;
// in-memory outputs work only here); notebook ops start their kernel from here.
import { runStepBody } from "../step.js";
import type { Materialization } from "../../store/index.js";
import type { Op } from "../ops.js";
import type { NotebookRunner } from "../notebook.js";
import type { StepInput } from "./types.js";
import { stepResult } from "./result.js";
import type { Executor, StepFile, StepHooks, StepResult, StepTask } from "./types.js";

/** What the runner hands the in-process executor besides the spec (`StepTask.local`). */
export interface InProcessStep {
  op: Op;
  /** An input version's value: the producer's own value when it ran here, else a scan of its file. */
  load(input: StepInput, index: number): Promise<unknown>;
  /** Keeps an output's value for downstream steps of this run. */
  keep(key: string, value: unknown, materialization: Materialization | undefined): void;
}

export class InProcessExecutor implements Executor {
  readonly name = "in-process";
  readonly inProcess = true;
  constructor(private readonly notebookRunner?: NotebookRunner) {}

  async run(task: StepTask, hooks: StepHooks): Promise<StepResult> {
    const local = task.local as InProcessStep | undefined;
    if (!local) throw new Error(`in-process executor: step ${task.spec.stepId} came without its op`);
    const files: StepFile[] = [];
    try {
      const outcome = await runStepBody({
        spec: task.spec,
        op: local.op,
        signal: hooks.signal,
        log: hooks.log,
        wrote: (file) => (files.push(file), hooks.wrote(file)),
        load: local.load,
        keep: local.keep,
        notebookRunner: this.notebookRunner,
      });
      return stepResult(task.spec, { files, items: outcome.items, checks: outcome.checks, partitionsAdded: outcome.partitionsAdded });
    } catch (error) {
      return stepResult(task.spec, { files, error });
    }
  }
}
