// Runs a notebook cell by cell in a kernel, saving the output notebook after every cell, with run
// metadata (docs/contracts.md "Run metadata"), timeouts, kernel-death detection and interruption.
import type { SluiceContextJson } from "../context/contract.js";
import { sleepUndefined } from "./sleep.js";
import { randomUUID } from "node:crypto";
import { dirname, resolve, basename } from "node:path";
import { type Cell, type Notebook, type Output, newCellId, notebookLanguage, readNotebook, sourceText, writeNotebookAtomic } from "./notebook.js";
import { parameterize, notebookParameters, ERROR_TAG } from "./parameterize.js";
import { findKernelSpec, type KernelSpec } from "./kernel/kernelspec.js";
import type { KernelConnection } from "./kernel/connection.js";
import { OutputCollector } from "./outputs.js";
import { findTranslator } from "./translators/index.js";
import { EXIT, KernelDiedError, RunError, UsageError } from "./errors.js";
import { checkOptionNames } from "../plan/errors.js";
import type { JsonValue } from "./parameters.js";
import { NotebookJob } from "./progress.js";

export type RunStatus = "succeeded" | "failed" | "timeout" | "kernel-died" | "interrupted" | "prepared";
export type CellStatus = "pending" | "running" | "completed" | "failed" | "timeout" | "interrupted" | "kernel-died" | "skipped";

export interface ExecuteNotebookOptions {
  /** Parameter values as data (from YAML or code), checked against the parameters cell's types. */
  parameters?: Record<string, unknown>;
  /** `-p NAME VALUE` pairs as text, read by each parameter's declared type (applied after `parameters`). */
  rawParameters?: Array<[string, string]>;
  /** Unknown parameters are an error (ParameterError) instead of a warning. */
  strict?: boolean;
  /** Where to save the output notebook; it is written after every cell. */
  outputPath?: string;
  /** Kernelspec name; default: the notebook's `metadata.kernelspec.name`. */
  kernelName?: string;
  /** Extra Jupyter data directories to search for kernelspecs (before JUPYTER_PATH and the defaults). */
  kernelSpecDirs?: string[];
  /** Kernel working directory; default: the input notebook's directory (or process.cwd()). */
  cwd?: string;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string>;
  /** Run identity and anything else the notebook's `context` should see; merged into SLUICE_CONTEXT. */
  runId?: string;
  partitionKey?: string;
  context?: Record<string, unknown>;
  /** Per-cell timeout (ms); the cell is interrupted first, then the run stops with status "timeout". */
  cellTimeoutMs?: number;
  /** Kernel start timeout (ms), default 60 s. */
  startTimeoutMs?: number;
  /** Keep going after a failing cell (the run still reports "failed" at the end). */
  allowErrors?: boolean;
  /** Only inject parameters and write the notebook; do not start a kernel. */
  prepareOnly?: boolean;
  /** Hide code cell inputs in the output notebook. */
  reportMode?: boolean;
  /** Run through a Jupyter Server instead of starting the kernel here. */
  server?: { url: string; token?: string };
  /** Aborting interrupts the running cell, saves and ends the run with status "interrupted". */
  signal?: AbortSignal;
  /** `display_data` with application/vnd.sluice.event+json from the notebook (kept out of the saved outputs). */
  onEvent?(event: unknown, info: { cellIndex: number; cellId?: string }): void;
  /** Every output as it arrives (stream chunks arrive separately even when merged in the notebook). */
  onOutput?(output: Output, cellIndex: number): void;
  /** Cell start/end, for progress displays. */
  onCell?(event: CellEvent): void;
  onWarning?(message: string): void;
}

export interface CellEvent {
  phase: "start" | "end";
  /** Position among the code cells that run (0-based) and how many there are. */
  index: number;
  total: number;
  cellIndex: number;
  cell: Cell;
  status?: CellStatus;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  exitCode: number;
  parameters: Record<string, JsonValue>;
  kernelName?: string;
  language?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  cellsTotal: number;
  cellsExecuted: number;
  warnings: string[];
  outputPath?: string;
  error?: RunFailure;
}

export interface RunFailure {
  kind: "cell" | "timeout" | "kernel-died" | "interrupted";
  message: string;
  cellIndex?: number;
  cellId?: string;
  executionCount?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
  stderrTail?: string[];
}

export interface ExecuteNotebookResult {
  notebook: Notebook;
  summary: RunSummary;
}

/**
 * Parameterize and execute a notebook.
 *
 * `input` is a path (or "-" for stdin) or a notebook object (left unchanged). Usage and parameter
 * problems throw before anything runs (UsageError, ParameterError, NoTranslatorError,
 * KernelNotFoundError, KernelStartError — each with `exitCode`); failures while running do not throw:
 * they come back in `summary.status` / `summary.error` with the partial notebook.
 */
export async function executeNotebook(input: string | Notebook, options: ExecuteNotebookOptions = {}): Promise<ExecuteNotebookResult> {
  checkOptionNames("executeNotebook", options, {
    parameters: true, rawParameters: true, strict: true, outputPath: true, kernelName: true, kernelSpecDirs: true, cwd: true, env: true, runId: true,
    partitionKey: true, context: true, cellTimeoutMs: true, startTimeoutMs: true, allowErrors: true, prepareOnly: true, reportMode: true, server: true,
    signal: true, onEvent: true, onOutput: true, onCell: true, onWarning: true,
  } satisfies Record<keyof ExecuteNotebookOptions, true>, UsageError);
  const nb: Notebook = typeof input === "string" ? readNotebook(input) : structuredClone(input);
  const started = new Date();
  const runId = options.runId ?? randomUUID();
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    options.onWarning?.(m);
  };

  const kernelName = options.kernelName ?? nb.metadata.kernelspec?.name;
  let spec: KernelSpec | undefined;
  let specError: unknown;
  let language = notebookLanguage(nb);
  if (!options.server && kernelName) {
    try {
      spec = findKernelSpec(kernelName, options.kernelSpecDirs);
    } catch (e) {
      // With --kernel we need the spec for the language; otherwise parameter errors come first.
      if (options.kernelName && !options.prepareOnly) throw e;
      specError = e;
    }
  }
  let server: import("./kernel/server.js").ServerTarget | undefined;
  if (options.server) {
    const { connectServer } = await import("./kernel/server.js");
    if (!kernelName) throw new UsageError("the notebook names no kernel (metadata.kernelspec.name); pass --kernel NAME");
    server = await connectServer(options.server.url, options.server.token ?? "", kernelName);
    if (options.kernelName || !language) language = server.spec.language;
  } else if (spec && (options.kernelName || !language)) {
    language = spec.language;
  }

  const injected = parameterize(nb, language, { parameters: options.parameters, rawParameters: options.rawParameters, strict: options.strict });
  injected.warnings.forEach(warn);
  resetRunState(nb, options.reportMode ?? false);
  if (options.kernelName && spec) {
    nb.metadata.kernelspec = { name: spec.name, display_name: spec.display_name, language: spec.language };
  }

  const runMeta: Record<string, unknown> = { parameters: injected.parameters, runId, startedAt: started.toISOString(), status: "running" };
  nb.metadata.sluice = runMeta;
  const save = () => {
    if (options.outputPath && options.outputPath !== "-") writeNotebookAtomic(options.outputPath, nb);
  };
  const codeCells = nb.cells.filter((c) => c.cell_type === "code" && sourceText(c.source).trim() !== "");
  let job: NotebookJob | undefined;
  const finish = (status: RunStatus, exitCode: number, executed: number, error?: RunFailure): ExecuteNotebookResult => {
    job?.end(status, error?.message);
    const ended = new Date();
    Object.assign(runMeta, { endedAt: ended.toISOString(), durationMs: ended.getTime() - started.getTime(), status });
    if (error) runMeta.error = error;
    if (error && error.cellIndex !== undefined) insertErrorBanner(nb, error);
    save();
    return {
      notebook: nb,
      summary: {
        runId, status, exitCode, parameters: injected.parameters, kernelName, language,
        startedAt: started.toISOString(), endedAt: ended.toISOString(), durationMs: ended.getTime() - started.getTime(),
        cellsTotal: codeCells.length, cellsExecuted: executed, warnings, outputPath: options.outputPath, error,
      },
    };
  };

  if (options.prepareOnly) return finish("prepared", EXIT.ok, 0);
  if (!kernelName) throw new UsageError("the notebook names no kernel (metadata.kernelspec.name); pass --kernel NAME");
  if (specError) throw specError;
  save();
  // One job on the progress bus per run, cells as its stages; a cancel request for it acts like `signal`.
  const cancel = new AbortController();
  // The caller's signal may outlive many runs (a pipeline's, shared by every notebook op): the
  // listener is removed when this run ends, or they pile up on it.
  const parentSignal = options.signal;
  const onParentAbort = () => cancel.abort();
  if (parentSignal?.aborted) cancel.abort();
  else parentSignal?.addEventListener("abort", onParentAbort, { once: true });
  const unfollowParent = () => parentSignal?.removeEventListener("abort", onParentAbort);
  const runningJob = (job = new NotebookJob(`notebook ${typeof input === "string" && input !== "-" ? basename(input) : "(stdin)"}`, () => cancel.abort()));
  const onCell = options.onCell;
  options = { ...options, signal: cancel.signal, onCell: (event) => (runningJob.cell(event), onCell?.(event)) };

  const cwd = options.cwd ? resolve(options.cwd) : typeof input === "string" && input !== "-" ? dirname(resolve(input)) : process.cwd();
  const contextJson = JSON.stringify({
    ...options.context,
    params: { ...defaultsOf(nb, language), ...injected.parameters },
    runId,
    ...(options.partitionKey !== undefined ? { partitionKey: options.partitionKey } : {}),
    notebook: typeof input === "string" && input !== "-" ? resolve(input) : undefined,
    output: options.outputPath && options.outputPath !== "-" ? resolve(options.outputPath) : undefined,
  } satisfies SluiceContextJson); // the contract: src/context/contract.ts
  const env = { ...options.env, SLUICE_CONTEXT: contextJson, SLUICE_RUN_ID: runId };

  let kernel: KernelConnection;
  try {
    if (server) {
      const path = typeof input === "string" && input !== "-" ? basename(input) : "notebook.ipynb";
      kernel = await server.start({ path: options.cwd ? `${options.cwd.replace(/\/+$/, "")}/${path}` : path, startTimeoutMs: options.startTimeoutMs });
    } else {
      const { LocalKernel } = await import("./kernel/local.js");
      kernel = await LocalKernel.start(spec!, { cwd, env, startTimeoutMs: options.startTimeoutMs, signal: options.signal });
    }
  } catch (e) {
    // Leave a notebook that says why nothing ran, then report the start failure.
    const exitCode = e instanceof RunError ? e.exitCode : EXIT.kernelDied;
    const status: RunStatus = exitCode === EXIT.timeout ? "timeout" : exitCode === EXIT.interrupted ? "interrupted" : "kernel-died";
    finish(status, exitCode, 0, {
      kind: status === "interrupted" ? "interrupted" : "kernel-died", message: (e as Error).message, stderrTail: (e as { stderrTail?: string[] }).stderrTail,
    });
    unfollowParent();
    throw e;
  }

  // As nbclient does: the kernel's own language_info (JupyterLab copies it in when the notebook
  // connects, and any difference would open the executed notebook as modified).
  if (Object.keys(kernel.languageInfo).length) nb.metadata.language_info = { ...(kernel.languageInfo as { name?: string }) };
  try {
    if (server) {
      // A remote kernel's environment is the server's: hand ours over with silent statements.
      const translator = findTranslator(language ?? kernel.language);
      if (translator) {
        for (const [name, value] of Object.entries(env)) {
          await kernel.execute(translator.renderSetEnv(name, value), { onIOPub: () => undefined, silent: true });
        }
      } else {
        warn(`cannot set SLUICE_CONTEXT in a remote ${kernel.language || language || "unknown-language"} kernel (no translator); the notebook will not see its context`);
      }
    }
    return await runCells(nb, codeCells, kernel, options, save, finish);
  } catch (error) {
    runningJob.end("failed", (error as Error).message);
    throw error;
  } finally {
    unfollowParent();
    await kernel.shutdown();
  }
}

async function runCells(
  nb: Notebook,
  codeCells: Cell[],
  kernel: KernelConnection,
  options: ExecuteNotebookOptions,
  save: () => void,
  finish: (status: RunStatus, exitCode: number, executed: number, error?: RunFailure) => ExecuteNotebookResult,
): Promise<ExecuteNotebookResult> {
  const collector = new OutputCollector({ onOutput: options.onOutput, onEvent: options.onEvent });
  let firstFailure: RunFailure | undefined;
  let executed = 0;
  const total = codeCells.length;
  for (let i = 0; i < total; i++) {
    const cell = codeCells[i];
    const cellIndex = nb.cells.indexOf(cell);
    if (options.signal?.aborted) return finish("interrupted", EXIT.interrupted, executed, failure("interrupted", "interrupted before the cell started", cell, cellIndex));
    const cellMeta: Record<string, unknown> = { startedAt: new Date().toISOString(), status: "running" };
    cell.metadata.sluice = cellMeta;
    collector.startCell(cell, cellIndex);
    save();
    options.onCell?.({ phase: "start", index: i, total, cellIndex, cell });

    const outcome = await runOneCell(kernel, cell, collector, options);
    // Widgets the notebook showed keep their state in the saved notebook, as nbclient does.
    const widgets = collector.widgetState();
    if (widgets) nb.metadata.widgets = widgets;
    const ended = new Date();
    executed += 1;
    Object.assign(cellMeta, { endedAt: ended.toISOString(), durationMs: ended.getTime() - Date.parse(cellMeta.startedAt as string), status: outcome.status });
    if (outcome.timing) cell.metadata.execution = outcome.timing;
    options.onCell?.({ phase: "end", index: i, total, cellIndex, cell, status: outcome.status });

    if (outcome.status === "completed") {
      save();
      continue;
    }
    if (outcome.status === "failed") {
      const err = cell.outputs?.find((o) => o.output_type === "error");
      const f = failure("cell", `${describeCell(cell, i, total)} raised ${err?.ename ?? "an error"}: ${err?.evalue ?? ""}`.trim(), cell, cellIndex);
      Object.assign(f, { ename: err?.ename, evalue: err?.evalue, traceback: err?.traceback });
      firstFailure ??= f;
      if (options.allowErrors) {
        save();
        continue;
      }
      markRest(codeCells, i);
      return finish("failed", EXIT.cellFailed, executed, f);
    }
    markRest(codeCells, i);
    if (outcome.status === "timeout") {
      const f = failure("timeout", `${describeCell(cell, i, total)} did not finish within ${(options.cellTimeoutMs ?? 0) / 1000}s (--cell-timeout); it was interrupted`, cell, cellIndex);
      return finish("timeout", EXIT.timeout, executed, f);
    }
    if (outcome.status === "interrupted") {
      return finish("interrupted", EXIT.interrupted, executed, failure("interrupted", `interrupted while running ${describeCell(cell, i, total)}`, cell, cellIndex));
    }
    const died = outcome.error as KernelDiedError;
    const f = failure("kernel-died", `${died.message.split("\n")[0]} while running ${describeCell(cell, i, total)}`, cell, cellIndex);
    f.stderrTail = died.stderrTail ?? kernel.stderrTail();
    return finish("kernel-died", EXIT.kernelDied, executed, f);
  }
  return firstFailure ? finish("failed", EXIT.cellFailed, executed, firstFailure) : finish("succeeded", EXIT.ok, executed);
}

interface CellOutcome {
  status: CellStatus;
  timing?: Record<string, string | undefined>;
  error?: Error;
}

async function runOneCell(kernel: KernelConnection, cell: Cell, collector: OutputCollector, options: ExecuteNotebookOptions): Promise<CellOutcome> {
  const execution = kernel.execute(sourceText(cell.source), { onIOPub: (m) => collector.handle(m) });
  type Race = { kind: "done"; reply: Awaited<typeof execution> } | { kind: "error"; error: Error } | { kind: "timeout" } | { kind: "abort" };
  const settled: Promise<Race> = execution.then(
    (reply): Race => ({ kind: "done", reply }),
    (error: Error): Race => ({ kind: "error", error }),
  );
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stops: Array<Promise<Race>> = [settled];
  if (options.cellTimeoutMs) stops.push(new Promise((r) => (timer = setTimeout(() => r({ kind: "timeout" }), options.cellTimeoutMs))));
  if (options.signal) {
    const signal = options.signal;
    stops.push(new Promise((r) => {
      onAbort = () => r({ kind: "abort" });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }));
  }
  const first = await Promise.race(stops);
  clearTimeout(timer);
  if (onAbort) options.signal?.removeEventListener("abort", onAbort);

  if (first.kind === "done") {
    const ok = (first.reply.reply.content as { status?: string }).status === "ok";
    if (typeof first.reply.reply.content.execution_count === "number") cell.execution_count = first.reply.reply.content.execution_count as number;
    return { status: ok ? "completed" : "failed", timing: first.reply.timing };
  }
  if (first.kind === "error") return { status: first.error instanceof RunError ? "kernel-died" : "failed", error: first.error };
  // Timeout or Ctrl-C: interrupt, then give the kernel a moment to report (its traceback lands in the cell).
  // An interrupt that lands before the kernel began the cell is lost, so repeat it while waiting.
  let after: Race | undefined;
  for (let attempt = 0; attempt < 5 && !after; attempt++) {
    await kernel.interrupt();
    after = await Promise.race([settled, sleepUndefined(1000)]);
  }
  if (after?.kind === "error" && after.error instanceof KernelDiedError) return { status: "kernel-died", error: after.error };
  return { status: first.kind === "timeout" ? "timeout" : "interrupted", timing: after?.kind === "done" ? after.reply.timing : undefined };
}

/** How messages name a cell: its In [n] when it has one, its id, and its place among the code cells. */
function describeCell(cell: Cell, index: number, total: number): string {
  const parts = [`code cell ${index + 1}/${total}`];
  if (typeof cell.execution_count === "number") parts.unshift(`In [${cell.execution_count}]`);
  if (cell.id) parts.push(`id ${cell.id}`);
  return `cell ${parts.join(", ")}`;
}

function failure(kind: RunFailure["kind"], message: string, cell: Cell, cellIndex: number): RunFailure {
  return { kind, message, cellIndex, cellId: cell.id, executionCount: cell.execution_count ?? null };
}

function markRest(codeCells: Cell[], from: number): void {
  for (const c of codeCells.slice(from + 1)) c.metadata.sluice = { status: "skipped" };
}

/** Clear what a previous run left (outputs, counts, run metadata) so a re-run starts from a clean notebook. */
function resetRunState(nb: Notebook, reportMode: boolean): void {
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
    delete cell.metadata.execution;
    cell.metadata.sluice = { status: "pending" };
    if (reportMode) {
      const jupyter = (cell.metadata.jupyter ?? {}) as Record<string, unknown>;
      cell.metadata.jupyter = { ...jupyter, source_hidden: true };
    }
  }
}

/** Literal defaults from the parameters cell, so SLUICE_CONTEXT.params is complete. */
function defaultsOf(nb: Notebook, language: string | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const s of notebookParameters(nb, language).specs) if (s.defaultValue !== undefined) out[s.name] = s.defaultValue;
  return out;
}

/** A markdown cell at the top that says where the run failed, linking to an anchor above that cell. */
function insertErrorBanner(nb: Notebook, error: RunFailure): void {
  const failing = nb.cells[error.cellIndex!];
  const firstLine = sourceText(failing.source).split("\n")[0].slice(0, 80);
  const where = error.executionCount ? `In [${error.executionCount}]` : `the cell ${failing.id ? `with id ${failing.id}` : "below"}`;
  const detail =
    error.kind === "cell" ? `${error.ename ?? "Error"}: ${error.evalue ?? ""}` :
    error.kind === "timeout" ? "the cell timed out and was interrupted" :
    error.kind === "kernel-died" ? `the kernel died${error.stderrTail?.length ? `; its last stderr lines:\n\n\`\`\`\n${error.stderrTail.join("\n")}\n\`\`\`` : ""}` :
    "the run was interrupted";
  const banner: Cell = {
    id: "sluice-error-banner",
    cell_type: "markdown",
    metadata: { tags: [ERROR_TAG] },
    source:
      `<span style="color:red; font-size:1.4em">**sluice run failed** at <a href="#sluice-error-cell">${where}</a></span>\n\n` +
      `\`${firstLine.replace(/`/g, "'")}\`\n\n${detail}`,
  };
  // Says which cell and why, here too: the banner at the top may be far away.
  const codeCell = nb.cells.slice(0, error.cellIndex! + 1).filter((c) => c.cell_type === "code").length;
  const cellName = error.executionCount ? `In [${error.executionCount}]` : `code cell ${codeCell}`;
  const reason =
    error.kind === "cell" ? `${error.ename ?? "Error"}: ${(error.evalue ?? "").split("\n")[0].slice(0, 200)}` :
    error.kind === "timeout" ? "it timed out and was interrupted" :
    error.kind === "kernel-died" ? "the kernel died" :
    "the run was interrupted";
  const anchor: Cell = {
    id: newCellId(),
    cell_type: "markdown",
    metadata: { tags: [ERROR_TAG] },
    source: `<span id="sluice-error-cell" style="color:red">**The run stopped at the cell below**, ${cellName}: ${escapeHtml(reason)}</span>`,
  };
  nb.cells.splice(error.cellIndex!, 0, anchor);
  nb.cells.unshift(banner);
  error.cellIndex = error.cellIndex! + 2;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"'*_`\\]/g, (c) => `&#${c.charCodeAt(0)};`);
}
