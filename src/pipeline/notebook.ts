// Notebook ops: validated against the notebook's parameters cell, executed with `sluice run`'s
// executeNotebook (SLUICE_CONTEXT in the kernel env, the contract in src/context/contract.ts),
// reporting assets back over IOPub events (src/pipeline/step.ts runs the step).
import { existsSync } from "node:fs";
import { executeNotebook, notebookParameters, readNotebook, type Notebook } from "../run/index.js";
import type { PipelineContextFields } from "../context/contract.js";
import { sha256, type NotebookOp, type Op } from "./ops.js";

export type { NotebookEvent, PipelineContextFields } from "../context/contract.js";

export interface NotebookRequest {
  op: NotebookOp;
  /** The step: its id, partition key and (mapped ops) item. */
  node: { id: string; partition: string | undefined; mappingKey: string | undefined; item: unknown };
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
