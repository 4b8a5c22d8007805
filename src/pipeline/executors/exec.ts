// `sluice step exec`: runs one step from its spec in this process, on any node that has the same code
// at the same path and mounts the store at the same path. Writes the step's data files under the
// store (temp then rename) and reports them; the runner that sent the spec records them.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { scan } from "../../frame/index.js";
import { CodeVersionMismatchError, StepSpecError } from "../errors.js";
import { loadPipelineFile } from "../load.js";
import type { Pipeline } from "../graph.js";
import { pipelineCodeVersion } from "../codeversion.js";
import { runStepBody } from "../step.js";
import { stepResult } from "./result.js";
import { STEP_SPEC_VERSION, type StepEvent, type StepFile, type StepInput, type StepResult, type StepSpec } from "./types.js";

/** Pipelines a warm step process loaded, by file, with their code version. */
export class PipelineCache extends Map<string, { pipeline: Pipeline; version: string }> {
  /** Files loaded into it so far: each load stays in memory (Node never unloads a module). */
  loads = 0;
}

/** Parses and checks a spec's JSON; every problem named in one StepSpecError. */
export function parseStepSpec(text: string, source = "the spec"): StepSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StepSpecError(`${source} is not JSON (${(error as Error).message}); \`sluice step exec\` takes the JSON step spec a runner writes (docs/pipelines.md "Step specs").`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new StepSpecError(`${source} must be a JSON object (a step spec), got ${Array.isArray(raw) ? "an array" : typeof raw}.`);
  const s = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (s.specVersion !== STEP_SPEC_VERSION) problems.push(`specVersion is ${JSON.stringify(s.specVersion)}; this Sluice reads version ${STEP_SPEC_VERSION}`);
  for (const name of ["runId", "stepId", "pipelineFile", "pipeline", "op", "storeRoot", "codeVersion", "dataVersion"]) {
    if (typeof s[name] !== "string" || s[name] === "") problems.push(`${name} must be a non-empty string`);
  }
  for (const name of ["partition", "mappingKey", "outputPartition"]) if (s[name] !== undefined && typeof s[name] !== "string") problems.push(`${name} must be a string when given`);
  for (const name of ["pipelineFile", "storeRoot"]) if (typeof s[name] === "string" && s[name] !== "" && !isAbsolute(s[name] as string)) problems.push(`${name} must be an absolute path (the same on every node), got ${s[name]}`);
  if (typeof s.attempt !== "number" || !Number.isInteger(s.attempt) || s.attempt < 1) problems.push("attempt must be a whole number ≥ 1");
  if (!Array.isArray(s.inputs)) problems.push("inputs must be an array");
  else
    s.inputs.forEach((input: unknown, i) => {
      const x = input as Partial<StepInput> | null;
      if (typeof x?.alias !== "string" || typeof x.key !== "string" || typeof x.many !== "boolean" || !Array.isArray(x.refs)) problems.push(`inputs[${i}] must be {alias, key, many, refs}`);
      else
        x.refs.forEach((r, j) => {
          if (typeof r?.key !== "string" || typeof r.version !== "string" || typeof r.path !== "string" || r.path === "") problems.push(`inputs[${i}].refs[${j}] must be {key, version, dataVersion, path} with the data file's path`);
        });
    });
  if (s.resources !== undefined && (typeof s.resources !== "object" || s.resources === null)) problems.push("resources must be an object when given");
  if (problems.length) throw new StepSpecError(`${source} is not a valid step spec:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return s as unknown as StepSpec;
}

/** Loads a pipeline file and its code version (into a warm process's cache: a warm-up loads the run's file before its first step). */
export async function loadPipeline(file: string, cache?: PipelineCache): Promise<{ pipeline: Pipeline; version: string }> {
  const pipeline = await loadPipelineFile(file);
  const loaded = { pipeline, version: await pipelineCodeVersion(pipeline) };
  if (cache) {
    cache.set(file, loaded);
    cache.loads++;
  }
  return loaded;
}

/** A Parquet file with its row count, schema and preview, read here on the node: the runner records every step's
 *  files and would otherwise read each one again. */
async function withSummary(storeRoot: string, file: StepFile): Promise<StepFile> {
  if (file.format !== "parquet") return file;
  const { inspectParquet } = await import("../../store/parquet.js");
  return { ...file, summary: await inspectParquet(join(storeRoot, file.path)) };
}

/**
 * Runs the step and returns its result (never throws for a failing op: `ok: false`). Refusals throw:
 * StepSpecError (bad spec, missing store or input file), CodeVersionMismatchError, PipelineLoadError.
 */
export async function execStep(spec: StepSpec, options: { signal?: AbortSignal; log?: (text: string) => void; pipelines?: PipelineCache } = {}): Promise<StepResult> {
  if (!existsSync(spec.storeRoot) || !statSync(spec.storeRoot).isDirectory() || !existsSync(join(spec.storeRoot, "data"))) {
    throw new StepSpecError(`store ${spec.storeRoot} is not on this node (no such folder with a data/ folder); mount the runner's store at the same path on every node.`);
  }
  // A warm step process (`sluice step serve`) keeps the pipeline it loaded while the runner's code
  // version stays the same; another version loads the file again, and is refused if it still differs.
  let loaded = options.pipelines?.get(spec.pipelineFile);
  if (!loaded || loaded.version !== spec.codeVersion) loaded = await loadPipeline(spec.pipelineFile, options.pipelines);
  const { pipeline: p, version } = loaded;
  if (p.name !== spec.pipeline) throw new StepSpecError(`${spec.pipelineFile} exports pipeline ${p.name}, not ${spec.pipeline}; the node has other code at that path.`);
  const op = p.ops.find((o) => o.name === spec.op);
  if (!op) throw new StepSpecError(`pipeline ${p.name} has no op ${spec.op} (it has ${p.ops.map((o) => o.name).join(", ")}).`);
  if (version !== spec.codeVersion) throw new CodeVersionMismatchError(spec.pipelineFile, spec.codeVersion, version);
  for (const input of spec.inputs) {
    for (const ref of input.refs) {
      if (!existsSync(join(spec.storeRoot, ref.path))) throw new StepSpecError(`input ${ref.key} version ${ref.version} of step ${spec.stepId}: ${join(spec.storeRoot, ref.path)} is not on this node; is the store mounted at the same path?`);
    }
  }
  const files: StepFile[] = [];
  const events: StepEvent[] = [];
  const log = (text: string) => {
    events.push({ type: "log", text, at: Date.now() });
    options.log?.(text);
  };
  try {
    const outcome = await runStepBody({
      spec,
      op,
      signal: options.signal ?? new AbortController().signal,
      log,
      wrote: async (file) => void files.push(await withSummary(spec.storeRoot, file)),
      load: async (input, index) => scan.parquet(join(spec.storeRoot, input.refs[index]!.path)),
    });
    return stepResult(spec, { files, events, items: outcome.items, checks: outcome.checks, partitionsAdded: outcome.partitionsAdded });
  } catch (error) {
    return stepResult(spec, { files, events, error });
  }
}
