// Notebook ops: validated against the notebook's parameters cell, executed with `sluice run`'s
// executeNotebook (SLUICE_CONTEXT in the kernel env), reporting assets back over IOPub events.
// The executed notebook is kept as an asset too (`<op>/notebook`), failed runs included.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { executeNotebook, notebookParameters, readNotebook, type Notebook } from "../run/index.js";
import { makeRunTempDir, removeRunTempDir } from "../run/temp.js";
import { normalizeAssetKey, type AssetStore, type InputRef, type MetadataInput, type PreparedFile } from "../store/index.js";
import { OpOutputError } from "./errors.js";
import { storePartition, type RunNode } from "./nodes.js";
import { sha256, type NotebookOp, type Op } from "./ops.js";
import type { ResolvedInput } from "./run.js";

/** What a notebook sends back (application/vnd.sluice.event+json); see src/context. */
export type NotebookEvent =
  | { type: "asset"; key: string; file: PreparedFile; metadata?: MetadataInput }
  | { type: "log"; text: string };

/** The part of SLUICE_CONTEXT that a pipeline adds (executeNotebook adds params, runId, partitionKey). */
export interface PipelineContextFields {
  store: string;
  op: string;
  nodeId: string;
  mappingKey?: string;
  item?: unknown;
  /** Store partition under which outputs are recorded. */
  outputPartition?: string;
  inputs: Record<string, { version: string; path: string; partition?: string }>;
  outputs: string[];
}

export interface NotebookRequest {
  op: NotebookOp;
  node: RunNode;
  runId: string;
  context: PipelineContextFields;
  outputPath: string;
  onEvent(event: unknown): void;
  /** Aborted when the run is cancelled: interrupt the notebook and stop its kernel. */
  signal?: AbortSignal;
}
export interface NotebookOutcome {
  ok: boolean;
  error?: string;
}
/** Executes one notebook node; the default uses executeNotebook. */
export type NotebookRunner = (request: NotebookRequest) => Promise<NotebookOutcome>;

export const defaultNotebookRunner: NotebookRunner = async (request) => {
  const { summary } = await executeNotebook(request.op.notebook, {
    parameters: request.op.params,
    strict: true,
    outputPath: request.outputPath,
    kernelName: request.op.kernel,
    runId: request.runId,
    partitionKey: request.node.partition,
    context: request.context as unknown as Record<string, unknown>,
    cellTimeoutMs: request.op.timeoutMs,
    onEvent: (event) => request.onEvent(event),
    signal: request.signal,
  });
  return summary.status === "succeeded" ? { ok: true } : { ok: false, error: summary.error?.message ?? summary.status };
};

function codeCellsOf(nb: Notebook): string {
  return nb.cells
    .filter((c) => c.cell_type === "code" && !(c.metadata?.tags as string[] | undefined)?.includes("injected-parameters"))
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .join("\n\u241e\n");
}

const codeVersions = new WeakMap<Op, string>();
/** An op's code version: the function's source, or the notebook's code cells. */
export async function codeVersionOf(op: Op): Promise<string> {
  let v = codeVersions.get(op);
  if (v === undefined) {
    v = sha256(op.kind === "fn" ? op.run.toString() : codeCellsOf(readNotebook(op.notebook))).slice(0, 16);
    codeVersions.set(op, v);
  }
  return v;
}

/** Problems with a notebook op: a missing or unreadable notebook, parameters its parameters cell does not declare. */
export function notebookChecker(op: NotebookOp): string[] {
  if (!existsSync(op.notebook)) return [`notebook op ${op.name}: notebook ${op.notebook} does not exist.`];
  let nb: Notebook;
  try {
    nb = readNotebook(op.notebook);
  } catch (error) {
    return [`notebook op ${op.name}: cannot read ${op.notebook}: ${(error as Error).message}`];
  }
  const language = nb.metadata?.kernelspec?.language ?? (nb.metadata?.language_info as { name?: string } | undefined)?.name;
  const { specs, cell } = notebookParameters(nb, language);
  const given = Object.keys(op.params);
  if (given.length && !cell) return [`notebook op ${op.name}: ${op.notebook} has no cell tagged "parameters", so it takes no parameters (got ${given.join(", ")}).`];
  const declared = specs.map((s) => s.name);
  return given
    .filter((name) => !declared.includes(name))
    .map((name) => `notebook op ${op.name}: parameter ${name} is not declared in the parameters cell of ${op.notebook} (it declares ${declared.join(", ") || "nothing"}).`);
}

export async function runNotebookNode(args: {
  node: RunNode;
  op: NotebookOp;
  runId: string;
  store: AssetStore;
  inputs: ResolvedInput[];
  inputRefs: InputRef[];
  codeVersion: string;
  attempt: number;
  runner?: NotebookRunner;
  signal?: AbortSignal;
  log(text: string): void;
}): Promise<void> {
  const { node, op, runId, store } = args;
  node.outputs.clear();
  const partition = storePartition(node);
  const inputs: PipelineContextFields["inputs"] = {};
  for (const input of args.inputs) {
    const ref = input.refs[0]!;
    if (input.many || !ref.materialization) throw new OpOutputError(`notebook op ${op.name}: input ${input.key} must be one materialized asset.`);
    inputs[input.key] = { version: ref.version, path: store.absolutePath(ref.materialization), partition: ref.partition };
  }
  const declared = op.outputs.map((o) => normalizeAssetKey(o.key));
  const context: PipelineContextFields = {
    store: store.root,
    op: op.name,
    nodeId: node.id,
    mappingKey: node.mappingKey,
    item: node.item,
    outputPartition: partition,
    inputs,
    outputs: declared,
  };
  // In the process's run folder (src/run/temp.ts): removed below, and by the kernel if we are killed.
  const work = makeRunTempDir("notebook-");
  const outputPath = join(work, "executed.ipynb");
  const commits: Promise<void>[] = [];
  const problems: string[] = [];
  const onEvent = (raw: unknown) => {
    const event = raw as NotebookEvent;
    if (event?.type === "log") return args.log(String(event.text));
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
    if (file.key !== key || !resolve(store.root, file.path).startsWith(store.dataDir)) return void problems.push(`notebook op ${op.name}: bad asset event for ${key}.`);
    commits.push(
      store
        .commit(file, { partition, runId, op: op.name, params: op.params, codeVersion: args.codeVersion, dataVersion: node.dataVersion, inputs: args.inputRefs, metadata: event.metadata })
        .then((m) => void node.outputs.set(key, { key, dataVersion: node.dataVersion!, materialization: m, hasValue: false })),
    );
  };
  let outcome: NotebookOutcome;
  try {
    outcome = await (args.runner ?? defaultNotebookRunner)({ op, node, runId, context, outputPath, onEvent, signal: args.signal });
  } catch (error) {
    outcome = { ok: false, error: (error as Error).message };
  }
  await Promise.all(commits);
  try {
    if (existsSync(outputPath)) {
      const file = await store.writeFile(`${op.name}/notebook`, { ipynb: readFileSync(outputPath) });
      await store.commit(file, { partition, runId, op: op.name, params: op.params, codeVersion: args.codeVersion, inputs: args.inputRefs, metadata: { status: outcome.ok ? "succeeded" : "failed", attempt: args.attempt } });
    }
  } finally {
    removeRunTempDir(work);
  }
  if (!outcome.ok) throw new Error(`notebook ${op.notebook} failed: ${outcome.error}`);
  if (problems.length) throw new OpOutputError(problems.join("\n"));
  const missing = declared.filter((k) => !node.outputs.has(k));
  if (missing.length) throw new OpOutputError(`notebook op ${op.name} finished without yielding ${missing.join(", ")}; call \`await context.yieldAsset("${missing[0]}", frame)\` in the notebook.`);
}
