// The executor seam (docs/pipelines.md "Executors"): the runner decides what runs when (scheduler.ts),
// an executor runs one step somewhere and reports back what it produced. Only the runner writes the
// catalog: an executor hands back prepared data files (written under the store's data/ folder, temp
// then rename, not yet recorded), log lines, a dynamic op's items and the error; the runner commits.
//
// A StepSpec is everything a process that has the same code at the same path needs to run one step
// (`sluice step exec SPEC.json`): plain JSON, no functions, no in-memory values.
import type { Materialization, PreparedFile, MetadataInput } from "../../store/index.js";

/** Bumped when a field changes meaning; `sluice step exec` refuses other versions. */
export const STEP_SPEC_VERSION = 1;

/** One input version of a step: where its data file lies, relative to the store root. */
export interface StepInputRef {
  key: string;
  /** Store partition of that version ("" / absent: unpartitioned). */
  partition?: string;
  version: string;
  dataVersion: string;
  /** The data file, relative to `storeRoot` ("data/<key>/<version>.parquet"). */
  path: string;
}

/** An op input (alias → asset key) with the versions it resolved to; `many` for a collect op's inputs from every item. */
export interface StepInput {
  alias: string;
  key: string;
  many: boolean;
  refs: StepInputRef[];
}

export interface StepSpec {
  specVersion: typeof STEP_SPEC_VERSION;
  runId: string;
  /** Node id of the step: `op[partition][mappingKey]`. */
  stepId: string;
  /** Absolute path of the pipeline file; the node loads it from the same path. */
  pipelineFile: string;
  /** The pipeline's name (checked after loading). */
  pipeline: string;
  op: string;
  /** Partition key of a partitioned op. */
  partition?: string;
  /** Mapped ops: the item (JSON) and its file-safe key. */
  item?: unknown;
  mappingKey?: string;
  /** Store partition the outputs are recorded under (partition and mapping key joined by "|"). */
  outputPartition?: string;
  /** Absolute store root, the same path on every node (a shared mount). */
  storeRoot: string;
  /** The runner's code version (codeVersion.ts); the node refuses the step when its own differs. */
  codeVersion: string;
  /** Data version the runner computed for this step (hash of op code, params, partition, item, input versions). */
  dataVersion: string;
  /** 1 for the first attempt; retries are the runner's decision (scheduler). */
  attempt: number;
  inputs: StepInput[];
  /** Resources the op declares (`resources: { worker1: 1 }`), for executors that place steps on nodes. */
  resources?: Record<string, number>;
}

/** A data file the step wrote (not yet in the catalog), with the metadata it asked for. */
export interface StepFile extends PreparedFile {
  metadata?: MetadataInput;
  /** The executed notebook of a notebook op (kept as `<op>/notebook`, also when the op failed). */
  notebook?: { status: "succeeded" | "failed" };
}

/** One check result a step reported itself (a notebook cell's `context.check`). */
export interface ReportedCheck {
  asset: string;
  name: string;
  passed: boolean;
  blocking: boolean;
  description?: string;
  metadata?: Record<string, unknown>;
}

export type StepEvent = { type: "log"; text: string; at: number };

export interface StepErrorInfo {
  /** Error class name (e.g. OpOutputError, CodeVersionMismatchError, StepSpecError). */
  type: string;
  message: string;
  /** False when retrying cannot help (a refused spec, a code version mismatch). */
  retryable: boolean;
}

/** What `sluice step exec` prints on stdout (one JSON document), and what every executor returns. */
export interface StepResult {
  specVersion: typeof STEP_SPEC_VERSION;
  stepId: string;
  attempt: number;
  ok: boolean;
  /** Files in the order they were written; the runner commits them (also those of a failed step). */
  files: StepFile[];
  /** Items of a dynamic op (JSON). */
  items?: unknown[];
  /** Checks a notebook's cells reported (`context.check`); the runner records them against the step's outputs. */
  checks?: ReportedCheck[];
  /** Keys a function op added to dynamic partition sets (`ctx.addPartitions`); the runner records them when the step succeeded. */
  partitionsAdded?: Array<{ set: string; keys: string[] }>;
  /** Log lines, for executors that could not stream them through `hooks.log`. */
  events: StepEvent[];
  error?: StepErrorInfo;
  /** Where it ran (host name and pid), kept in the run's records. */
  host?: string;
  pid?: number;
}

/** The runner's side of one step, handed to an executor. */
export interface StepHooks {
  /** Aborted when the run is cancelled: stop the step (interrupt the notebook, end the task). */
  signal: AbortSignal;
  /** A log line of the step, as it happens. */
  log(text: string): void;
  /**
   * A data file the step wrote, as soon as it is written: the runner commits it now (in-process,
   * `ctx.yieldAsset` returns the materialization). Optional for executors: the runner commits every
   * file of `StepResult.files` that did not come through here (matched by path).
   */
  wrote(file: StepFile): Promise<Materialization | undefined>;
}

/**
 * One step to run. `spec` is all a remote executor may use. The in-process executor also gets the live
 * op and the in-memory values of upstream steps that ran in this process (`local`).
 */
export interface StepTask {
  spec: StepSpec;
  local?: unknown;
}

/** What is known of a run before it starts (`Executor.prepare`). */
export interface ExecutorPrepareInfo {
  /** The pipeline file the run will load. */
  pipelineFile?: string;
}

export interface ExecutorRunInfo {
  runId: string;
  pipeline: string;
  pipelineFile: string | undefined;
  storeRoot: string;
  codeVersion: string;
  maxConcurrency: number;
}

/** What asks a warm `sluice step serve` process to load Sluice, DuckDB and the run's pipeline file before its first step; it answers `{"warm":true}`. */
export interface StepServeWarmUp {
  warmUp: true;
  /** Absolute path of the pipeline file the run's steps will name. */
  pipelineFile?: string;
}

export interface Executor {
  /** "in-process", "subprocess", "ray". */
  readonly name: string;
  /** True when steps run in the runner's process (in-memory outputs and lazy hand-over work). */
  readonly inProcess: boolean;
  /** Starts what a run will need while the caller still prepares it (the Ray executor connects to its cluster
   * while the pipeline file loads); `open` then waits for it. Whoever calls it calls `close` in the end. */
  prepare?(ahead?: ExecutorPrepareInfo): void;
  /** Called once before the first step (start a helper, connect to a cluster). */
  open?(run: ExecutorRunInfo): Promise<void>;
  /** Runs one attempt of one step. Resolves with the result also when the step failed; rejects only
   * when the executor itself broke (the runner then records the step as failed with that error). */
  run(task: StepTask, hooks: StepHooks): Promise<StepResult>;
  /** Called once at the end of the run, also after a failure or cancellation: nothing may be left running. */
  close?(): Promise<void>;
}
