// The notebook context contract (docs/contracts.md "The notebook context contract"): the JSON a runner
// puts in the kernel's SLUICE_CONTEXT, and the events a notebook sends back. Written by `sluice run`
// (src/run/executor.ts: params, runId, partitionKey, notebook, output) and the pipeline runner
// (src/pipeline/step.ts: the pipeline fields), read by the in-notebook `context` (src/context/index.ts).
// Types only: every side imports them from here.
import type { MetadataInput, PreparedFile } from "../store/index.js";

/** The environment variable that carries the context JSON into the kernel. */
export const SLUICE_CONTEXT_ENV = "SLUICE_CONTEXT";

/** What a pipeline runner adds to SLUICE_CONTEXT (its presence, `store` above all, makes a pipeline context). */
export interface PipelineContextFields {
  /** Absolute store root; outputs are written under its data/ folder. */
  store: string;
  op: string;
  /** The step: `op[partition][mappingKey]`. */
  nodeId: string;
  mappingKey?: string;
  /** The item of a mapped op (JSON). */
  item?: unknown;
  /** Store partition under which outputs are recorded. */
  outputPartition?: string;
  /** Input asset key → the exact version the runner resolved (absolute data file path). */
  inputs: Record<string, { version: string; path: string; partition?: string }>;
  /** Declared output keys; yieldAsset refuses others. */
  outputs: string[];
}

/** What `sluice run` (executeNotebook) always puts in SLUICE_CONTEXT. */
export interface RunContextFields {
  /** Parameter values: the parameters cell's literal defaults merged with the injected ones. */
  params: Record<string, unknown>;
  runId: string;
  partitionKey?: string;
  /** Absolute path of the notebook being run (absent for stdin). */
  notebook?: string;
  /** Absolute path of the executed notebook being written (absent for stdout). */
  output?: string;
}

/** The whole SLUICE_CONTEXT JSON; every field optional on the reading side (older runners, hand-made values). */
export type SluiceContextJson = Partial<RunContextFields> & Partial<PipelineContextFields>;

/** A notebook → runner event: display_data of application/vnd.sluice.event+json (never saved in the notebook). */
export type NotebookEvent =
  /** `context.yieldAsset`: a data file written under the store's data/ folder, not yet in the catalog. */
  | { type: "asset"; key: string; file: PreparedFile; metadata?: MetadataInput }
  /** `context.log` line. */
  | { type: "log"; text: string }
  /** `context.check`: a notebook cell's check of one of the op's outputs (recorded against the version it yields). */
  | { type: "check"; asset: string; name: string; passed: boolean; blocking: boolean; description?: string; metadata?: Record<string, unknown> };
