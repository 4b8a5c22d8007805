// The body of one step, shared by every executor: a function op called with its inputs, or a notebook
// executed with its context. A body writes data files (never the catalog) and hands each one to
// `wrote`: in the runner's process that commits it at once (so `ctx.yieldAsset` returns the
// materialization); in `sluice step exec` it is listed in the step's result for the runner to commit.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { normalizeAssetKey, normalizeMetadata, writeAssetFile, type Materialization, type MetadataInput, type TableData } from "../store/index.js";
import { OpOutputError } from "./errors.js";
import { dynamicPartitions, staticPartitions } from "./partitions.js";
import type { FnOp, NotebookOp, Op, OpContext } from "./ops.js";
import type { ReportedCheck, StepFile, StepInput, StepSpec } from "./executors/types.js";
import { defaultNotebookRunner, type NotebookOutcome, type NotebookRunner } from "./notebook.js";
import type { PipelineContextFields, NotebookEvent } from "../context/contract.js";
import { makeRunTempDir, removeRunTempDir } from "../run/temp.js";

export interface StepBodyEnv {
  spec: StepSpec;
  op: Op;
  signal: AbortSignal;
  log(text: string): void;
  /** A data file was written (not in the catalog yet). */
  wrote(file: StepFile): Promise<Materialization | undefined>;
  /** Function ops: the value of one input version (a lazy frame of its file, or the producer's value in memory). */
  load(input: StepInput, index: number): Promise<unknown>;
  /** Function ops: an output's value, handed to downstream ops in this process (in-memory outputs, lazy hand-over). */
  keep?(key: string, value: unknown, materialization: Materialization | undefined): void;
  /** Notebook ops: runs the notebook (default: executeNotebook). */
  notebookRunner?: NotebookRunner;
}

export interface StepBodyOutcome {
  /** Dynamic ops: their items. */
  items?: unknown[];
  /** Notebook ops: the checks their cells reported (`context.check`). */
  checks?: ReportedCheck[];
  /** Function ops: keys added to dynamic partition sets (`ctx.addPartitions`). */
  partitionsAdded?: Array<{ set: string; keys: string[] }>;
}

export function runStepBody(env: StepBodyEnv): Promise<StepBodyOutcome> {
  return env.op.kind === "fn" ? runFnBody(env, env.op) : runNotebookBody(env, env.op);
}

/** A data file inside the step's store, of this key: what a notebook's asset event may name. */
function insideStore(storeRoot: string, key: string, path: string): boolean {
  const dir = join(resolve(storeRoot), "data", ...key.split("/")) + sep;
  return resolve(storeRoot, path).startsWith(dir);
}

async function runFnBody(env: StepBodyEnv, op: FnOp): Promise<StepBodyOutcome> {
  const { spec } = env;
  const declared = new Map(op.outputs.map((o) => [normalizeAssetKey(o.key), o]));
  const produced = new Set<string>();
  const yieldAsset = async (rawKey: string, data: unknown, opts: { metadata?: MetadataInput } = {}) => {
    const key = normalizeAssetKey(rawKey);
    const output = declared.get(key);
    if (!output) throw new OpOutputError(`op ${op.name} yielded ${key}, which is not among its outputs (${[...declared.keys()].join(", ") || "none"}); declare it in outputs.`);
    if (produced.has(key)) throw new OpOutputError(`op ${op.name} yielded ${key} twice.`);
    if (!output.materialize) {
      if (!env.keep) throw new OpOutputError(`op ${op.name}: output ${key} is in memory (materialize: false), which only the in-process executor can hand over; materialize it to run this op elsewhere.`);
      produced.add(key);
      env.keep(key, data, undefined);
      return undefined;
    }
    const metadata = normalizeMetadata(opts.metadata); // bad metadata fails before anything is written
    const file = await writeAssetFile(spec.storeRoot, key, data as TableData);
    produced.add(key);
    const m = await env.wrote({ ...file, metadata: Object.keys(metadata).length ? (metadata as MetadataInput) : undefined });
    env.keep?.(key, data, m);
    return m;
  };
  const added: Array<{ set: string; keys: string[] }> = [];
  const addPartitions = (set: string, keys: readonly string[]) => {
    dynamicPartitions(set); // checks the set's name
    if (keys.length) added.push({ set, keys: staticPartitions(keys).keys() }); // checks each key
  };
  const values: Record<string, unknown> = {};
  const valueOf = (input: StepInput) => (input.many ? Promise.all(input.refs.map((_, i) => env.load(input, i))) : env.load(input, 0));
  for (const input of spec.inputs) values[input.alias] = await valueOf(input);
  const ctx: OpContext = {
    runId: spec.runId,
    op: op.name,
    partitionKey: spec.partition,
    item: spec.item,
    mappingKey: spec.mappingKey,
    params: op.params,
    attempt: spec.attempt,
    storeRoot: spec.storeRoot,
    log: (...args: unknown[]) => env.log(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")),
    input: async (rawKey: string) => {
      const key = normalizeAssetKey(rawKey);
      const input = spec.inputs.find((i) => i.key === key);
      if (!input) throw new OpOutputError(`op ${op.name} asked for input ${key}, which is not among its inputs (${spec.inputs.map((i) => i.key).join(", ") || "none"}).`);
      return valueOf(input);
    },
    yieldAsset,
    addPartitions,
  };
  const result = await op.run(ctx, values);
  const grown = added.length ? { partitionsAdded: added } : {};
  if (op.dynamic) {
    if (!Array.isArray(result)) throw new OpOutputError(`dynamic op ${op.name} must return an array of items, got ${typeof result}.`);
    return { items: result, ...grown };
  }
  const missing = [...declared.keys()].filter((k) => !produced.has(k));
  if (missing.length === 1 && result !== undefined && !(isPlainObject(result) && missing[0]! in result)) await yieldAsset(missing[0]!, result);
  else if (missing.length && isPlainObject(result)) for (const k of missing) if (k in result) await yieldAsset(k, result[k]);
  const still = [...declared.keys()].filter((k) => !produced.has(k));
  if (still.length) throw new OpOutputError(`op ${op.name} finished without producing ${still.join(", ")}; return it (or {"${still[0]}": data}) or call ctx.yieldAsset("${still[0]}", data).`);
  return grown;
}

async function runNotebookBody(env: StepBodyEnv, op: NotebookOp): Promise<StepBodyOutcome> {
  const { spec } = env;
  const inputs: PipelineContextFields["inputs"] = {};
  for (const input of spec.inputs) {
    const ref = input.refs[0]!;
    if (input.many || !ref.path) throw new OpOutputError(`notebook op ${op.name}: input ${input.key} must be one materialized asset.`);
    inputs[input.key] = { version: ref.version, path: join(spec.storeRoot, ref.path), partition: ref.partition };
  }
  const declared = op.outputs.map((o) => normalizeAssetKey(o.key));
  const context: PipelineContextFields = {
    store: spec.storeRoot,
    op: op.name,
    nodeId: spec.stepId,
    mappingKey: spec.mappingKey,
    item: spec.item,
    outputPartition: spec.outputPartition,
    inputs,
    outputs: declared,
  };
  // In the process's run folder (src/run/temp.ts): removed below, and by the kernel if we are killed.
  const work = makeRunTempDir("notebook-");
  const outputPath = join(work, "executed.ipynb");
  const writes: Promise<unknown>[] = [];
  const yielded = new Set<string>();
  const problems: string[] = [];
  const checks: ReportedCheck[] = [];
  const onEvent = (raw: unknown) => {
    const event = raw as NotebookEvent;
    if (event?.type === "log") return env.log(String(event.text));
    if (event?.type === "check") {
      // The kernel side (context.check) validated it; keep only the fields of the contract.
      if (!declared.includes(event.asset) || typeof event.name !== "string" || typeof event.passed !== "boolean") return void problems.push(`notebook op ${op.name}: bad check event for ${String(event.asset)}.`);
      const { asset, name, passed, blocking, description, metadata } = event;
      return void checks.push({ asset, name, passed, blocking: blocking === true, ...(description !== undefined ? { description: String(description) } : {}), ...(metadata ? { metadata } : {}) });
    }
    if (event?.type !== "asset") return;
    let key: string;
    try {
      key = normalizeAssetKey(event.key);
    } catch (error) {
      return void problems.push((error as Error).message);
    }
    if (!declared.includes(key)) return void problems.push(`notebook op ${op.name} yielded ${key}, which is not among its outputs (${declared.join(", ") || "none"}).`);
    const file = event.file;
    // The file must be the one the notebook wrote for this key, inside the store.
    if (file?.key !== key || typeof file.path !== "string" || !insideStore(spec.storeRoot, key, file.path)) return void problems.push(`notebook op ${op.name}: bad asset event for ${key}.`);
    yielded.add(key);
    writes.push(env.wrote({ ...file, metadata: event.metadata }));
  };
  let outcome: NotebookOutcome;
  try {
    outcome = await (env.notebookRunner ?? defaultNotebookRunner)({
      op,
      node: { id: spec.stepId, partition: spec.partition, mappingKey: spec.mappingKey, item: spec.item },
      runId: spec.runId,
      context,
      outputPath,
      onEvent,
      signal: env.signal,
    });
  } catch (error) {
    outcome = { ok: false, error: (error as Error).message };
  }
  const settled = await Promise.allSettled(writes);
  try {
    if (existsSync(outputPath)) {
      const file = await writeAssetFile(spec.storeRoot, `${op.name}/notebook`, { ipynb: readFileSync(outputPath) });
      await env.wrote({ ...file, metadata: { status: outcome.ok ? "succeeded" : "failed", attempt: spec.attempt }, notebook: { status: outcome.ok ? "succeeded" : "failed" } });
    }
  } finally {
    removeRunTempDir(work);
  }
  const failedWrite = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failedWrite) throw failedWrite.reason;
  if (!outcome.ok) throw new Error(`notebook ${op.notebook} failed: ${outcome.error}`);
  if (problems.length) throw new OpOutputError(problems.join("\n"));
  const missing = declared.filter((k) => !yielded.has(k));
  if (missing.length) throw new OpOutputError(`notebook op ${op.name} finished without yielding ${missing.join(", ")}; call \`await context.yieldAsset("${missing[0]}", frame)\` in the notebook.`);
  return checks.length ? { checks } : {};
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
