// `sluice run`: headless, parameterized notebook runs (a papermill for TypeScript and Python notebooks).
//
//   executeNotebook(input: string | Notebook, options?: ExecuteNotebookOptions)
//     : Promise<{ notebook: Notebook; summary: RunSummary }>
//
// options: parameters (data) / rawParameters ([name, text] pairs typed by the parameters cell), strict,
// outputPath (saved after every cell), kernelName, kernelSpecDirs, cwd, env, runId, partitionKey,
// context (merged into the kernel's SLUICE_CONTEXT = {params, runId, partitionKey?, notebook, output, ...context}),
// cellTimeoutMs, startTimeoutMs, allowErrors, prepareOnly, reportMode, server {url, token}, signal (abort =
// interrupt + save), onEvent (application/vnd.sluice.event+json displays), onOutput, onCell, onWarning.
// Usage/parameter problems throw typed errors (each with exitCode); run failures come back in
// summary.status ("succeeded" | "failed" | "timeout" | "kernel-died" | "interrupted" | "prepared") and
// summary.exitCode (0, 1, 3, 4, 130).
export { executeNotebook } from "./executor.js";
export type { ExecuteNotebookOptions, ExecuteNotebookResult, RunSummary, RunFailure, RunStatus, CellStatus, CellEvent } from "./executor.js";
export { parameterize, notebookParameters, PARAMETERS_TAG, INJECTED_TAG } from "./parameterize.js";
export type { ParameterInput, Parameterized } from "./parameterize.js";
export { readNotebook, parseNotebook, serializeNotebook, writeNotebookAtomic } from "./notebook.js";
export type { Notebook, Cell, Output } from "./notebook.js";
export type { ParameterSpec, ParamType, JsonValue } from "./parameters.js";
export { describeType } from "./parameters.js";
export { findTranslator, translatorFor, typescriptTranslator, pythonTranslator } from "./translators/index.js";
export type { Translator } from "./translators/index.js";
export { listKernelSpecs, findKernelSpec, jupyterDataDirs } from "./kernel/kernelspec.js";
export type { KernelSpec } from "./kernel/kernelspec.js";
export type { KernelConnection } from "./kernel/connection.js";
export { SLUICE_EVENT_MIME } from "./outputs.js";
export {
  EXIT as RUN_EXIT_CODES, RunError, UsageError as RunUsageError, ParameterError, NoTranslatorError,
  KernelNotFoundError, KernelStartError, KernelDiedError,
} from "./errors.js";
