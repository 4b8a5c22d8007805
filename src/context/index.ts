// The in-notebook `context` (docs/contracts.md "The in-notebook `context`"): `import { context } from "sluice"`.
// In a pipeline run it is built from SLUICE_CONTEXT (JSON in the kernel's environment): inputs are the
// exact upstream versions, outputs are written into the store's data folder and reported back to the
// runner over IOPub (display_data of application/vnd.sluice.event+json, hidden from saved outputs);
// the runner records them in the catalog. Outside a run it is a local development context on the
// default store, so the same notebook runs interactively; its params come from the notebook's
// parameters cell (Jupyter Server names the notebook in JPY_SESSION_NAME).
import { getHost } from "../host/index.js";
import { scan, type LazyFrame } from "../frame/index.js";
import { existsSync, statSync } from "node:fs";
import { inspect } from "node:util";
import { formatBytes } from "../progress/format.js";
import { basename, join, resolve } from "node:path";
import { AssetStore, normalizeAssetKey, writeAssetFile, type Materialization, type MetadataInput, normalizeMetadata, type TableData } from "../store/index.js";

import { SLUICE_EVENT_MIME } from "../run/outputs.js";
import { SLUICE_CONTEXT_ENV, type NotebookEvent, type SluiceContextJson } from "./contract.js";
import { notebookLanguage, readNotebook } from "../run/notebook.js";
import { notebookParameters } from "../run/parameterize.js";
import type { ParameterSpec } from "../run/parameters.js";

export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContextError";
  }
}

/** SLUICE_CONTEXT as this side reads it (src/context/contract.ts). */
type PipelineContextJson = SluiceContextJson;

export interface NotebookContext {
  /** Parameter values of this run (defaults merged with the injected ones). */
  readonly params: Record<string, unknown>;
  readonly runId: string;
  readonly partitionKey: string | undefined;
  /** The op this notebook runs as, in a pipeline. */
  readonly op: string | undefined;
  /** The item of a mapped op. */
  readonly item: unknown;
  /** True inside a pipeline run, false in interactive development. */
  readonly inPipeline: boolean;
  log(...args: unknown[]): void;
  /** A lazy frame of an upstream asset (in a run: exactly the version the runner resolved). */
  input(assetKey: string): Promise<LazyFrame>;
  /** Writes an output asset; in a run the runner records it with lineage, else it is recorded directly. */
  yieldAsset(assetKey: string, data: TableData, options?: { metadata?: MetadataInput }): Promise<YieldedAsset>;
  /**
   * A check of one of this op's outputs, decided in a cell: `true`/`false` or { passed, description, metadata }.
   * In a run the runner records it against the version the op yields; a failing `blocking` check fails the
   * op for this partition, so its downstream does not run. Outside a run it is only shown.
   */
  check(assetKey: string, name: string, result: boolean | NotebookCheckOutcome, options?: { blocking?: boolean }): CheckReport;
}

/** What a notebook cell found (the same shape as a pipeline check's outcome). */
export interface NotebookCheckOutcome {
  passed: boolean;
  description?: string;
  metadata?: Record<string, unknown>;
}

/** What context.check returns: shown in a notebook as one line. */
export class CheckReport {
  constructor(
    readonly asset: string,
    readonly name: string,
    readonly passed: boolean,
    readonly blocking: boolean,
    readonly description: string | undefined,
    readonly metadata: Record<string, unknown>,
    /** False outside a pipeline run (nothing is recorded). */
    readonly recorded: boolean,
  ) {}

  toString(): string {
    return `${this.passed ? "✓" : "✗"} check ${this.name} of ${this.asset} ${this.passed ? "passed" : "FAILED"}${this.blocking ? " (blocking)" : ""}${this.description ? ` — ${this.description}` : ""}${this.recorded ? "" : " [not recorded outside a pipeline run]"}`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { "text/plain": this.toString() };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

const CHECK_NAME = /^[A-Za-z0-9_.-]+$/;
/** Validates a context.check call; metadata becomes plain JSON (big integers as numbers or strings). */
function checkReport(assetKey: string, name: string, result: boolean | NotebookCheckOutcome, options: { blocking?: boolean } | undefined, recorded: boolean): CheckReport {
  const key = normalizeAssetKey(assetKey);
  if (typeof name !== "string" || !CHECK_NAME.test(name)) throw new ContextError(`context.check(${JSON.stringify(key)}, ${JSON.stringify(name)}): name the check with letters, digits and _ . - only.`);
  const outcome = typeof result === "boolean" ? { passed: result } : result;
  if (typeof outcome?.passed !== "boolean") throw new ContextError(`context.check(${JSON.stringify(key)}, ${JSON.stringify(name)}): give true/false or { passed: boolean, description?, metadata? }.`);
  const metadata = JSON.parse(JSON.stringify(outcome.metadata ?? {}, (_k, v: unknown) => (typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))) as Record<string, unknown>;
  return new CheckReport(key, name, outcome.passed, options?.blocking === true, outcome.description, metadata, recorded);
}

/** What yieldAsset returns: the version written; shown in a notebook as one line. */
export class YieldedAsset {
  constructor(
    readonly key: string,
    readonly version: string,
    /** Absolute path of the data file. */
    readonly path: string,
    /** Rows written, when known (the runner counts them when it records the file). */
    readonly rowCount: number | undefined,
    readonly byteSize: number | undefined,
    /** Present when recorded directly (development context). */
    readonly materialization?: Materialization,
  ) {}

  toString(): string {
    const parts = [this.key];
    if (this.rowCount !== undefined) parts.push(`${this.rowCount.toLocaleString("en-US")} ${this.rowCount === 1 ? "row" : "rows"}`);
    if (this.byteSize !== undefined) parts.push(formatBytes(this.byteSize));
    parts.push(`version ${this.version}`);
    return `<Materialization ${parts.join(" · ")}>`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return { "text/plain": this.toString() };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Rows in data given to yieldAsset, when known without a query. */
function knownRows(data: TableData): number | undefined {
  if (Array.isArray(data)) return data.length;
  const rows = (data as { numRows?: unknown }).numRows;
  return typeof rows === "number" ? rows : undefined;
}

function publish(event: NotebookEvent, text: string): boolean {
  const host = getHost();
  if (!host) return false;
  host.display({ [SLUICE_EVENT_MIME]: event, "text/plain": text });
  return true;
}

function text(args: unknown[]): string {
  return args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
}

class PipelineContext implements NotebookContext {
  readonly inPipeline = true;
  constructor(private readonly json: PipelineContextJson) {}
  get params() {
    return this.json.params ?? {};
  }
  get runId() {
    return this.json.runId ?? "unknown";
  }
  get partitionKey() {
    return this.json.partitionKey;
  }
  get op() {
    return this.json.op;
  }
  get item() {
    return this.json.item;
  }
  private get storeRoot(): string {
    if (!this.json.store) throw new ContextError("SLUICE_CONTEXT names no store; this notebook was started by a runner without one.");
    return this.json.store;
  }
  log(...args: unknown[]): void {
    const line = text(args);
    console.log(line);
    publish({ type: "log", text: line }, "");
  }
  async input(assetKey: string): Promise<LazyFrame> {
    const key = normalizeAssetKey(assetKey);
    const input = this.json.inputs?.[key];
    if (!input) {
      const known = Object.keys(this.json.inputs ?? {});
      throw new ContextError(`context.input(${JSON.stringify(key)}): op ${this.op} has no input ${key}; its inputs are ${known.join(", ") || "none"}. Declare it in the op's inputs.`);
    }
    return scan.parquet(input.path);
  }
  async yieldAsset(assetKey: string, data: TableData, options: { metadata?: MetadataInput } = {}): Promise<YieldedAsset> {
    const key = normalizeAssetKey(assetKey);
    const outputs = this.json.outputs ?? [];
    if (!outputs.includes(key)) {
      throw new ContextError(`context.yieldAsset(${JSON.stringify(key)}): op ${this.op} does not declare that output; its outputs are ${outputs.join(", ") || "none"}.`);
    }
    const metadata = normalizeMetadata(options.metadata);
    // Only the data file is written here; the runner records it in the catalog when the event arrives.
    const file = await writeAssetFile(this.storeRoot, key, data);
    const sent = publish({ type: "asset", key, file, metadata }, `asset ${key} (${file.version})`);
    if (!sent) throw new ContextError("context.yieldAsset needs the Sluice kernel to report the asset to the pipeline runner.");
    return new YieldedAsset(key, file.version, join(this.storeRoot, file.path), knownRows(data), file.byteSize);
  }
  check(assetKey: string, name: string, result: boolean | NotebookCheckOutcome, options?: { blocking?: boolean }): CheckReport {
    const report = checkReport(assetKey, name, result, options, true);
    const outputs = this.json.outputs ?? [];
    if (!outputs.includes(report.asset)) {
      throw new ContextError(`context.check(${JSON.stringify(report.asset)}): op ${this.op} does not declare that output, so there is nothing of it to check; its outputs are ${outputs.join(", ") || "none"}.`);
    }
    const { asset, passed, blocking, description, metadata } = report;
    const sent = publish({ type: "check", asset, name, passed, blocking, ...(description !== undefined ? { description } : {}), metadata }, "");
    if (!sent) throw new ContextError("context.check needs the Sluice kernel to report the check to the pipeline runner.");
    return report;
  }
}

class DevelopmentContext implements NotebookContext {
  readonly inPipeline = false;
  readonly runId = `dev-${process.pid}`;
  readonly partitionKey = undefined;
  readonly op = undefined;
  readonly item = undefined;
  constructor(
    private readonly given?: Record<string, unknown>,
    private readonly notebookPath: string | undefined = process.env.JPY_SESSION_NAME,
  ) {}
  /** SLUICE_CONTEXT's params if given; else the parameters cell's names with their values now. */
  get params(): Record<string, unknown> {
    return this.given ?? parametersCellValues(this.notebookPath);
  }
  private storeHandle: AssetStore | undefined;
  private get store(): AssetStore {
    return (this.storeHandle ??= new AssetStore());
  }
  log(...args: unknown[]): void {
    console.log(text(args));
  }
  async input(assetKey: string): Promise<LazyFrame> {
    return this.store.read(assetKey);
  }
  async yieldAsset(assetKey: string, data: TableData, options: { metadata?: MetadataInput } = {}): Promise<YieldedAsset> {
    const m = await this.store.materialize(assetKey, data, { runId: this.runId, op: "notebook", params: this.params, metadata: options.metadata });
    return new YieldedAsset(m.key, m.version, this.store.absolutePath(m), m.rowCount, m.byteSize, m);
  }
  check(assetKey: string, name: string, result: boolean | NotebookCheckOutcome, options?: { blocking?: boolean }): CheckReport {
    return checkReport(assetKey, name, result, options, false);
  }
}

/** Builds the context from a SLUICE_CONTEXT value (undefined: development context). */
export function createContext(env: string | undefined = process.env[SLUICE_CONTEXT_ENV]): NotebookContext {
  if (!env) return new DevelopmentContext();
  let json: PipelineContextJson;
  try {
    json = JSON.parse(env) as PipelineContextJson;
  } catch (error) {
    throw new ContextError(`SLUICE_CONTEXT is not valid JSON (${(error as Error).message}).`);
  }
  return json.store ? new PipelineContext(json) : new DevelopmentContext(json.params ?? {});
}

/** JPY_SESSION_NAME is the notebook's absolute path, or its path under the server's root; the kernel runs in its folder. */
function notebookFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  return [resolve(path), resolve(basename(path))].find((p) => existsSync(p));
}

const parsedCells = new Map<string, { mtimeMs: number; specs: ParameterSpec[] }>();

/**
 * The parameters cell's names (read with the notebook's translator, re-read when the file changes),
 * each with its current value in the kernel's globals — where the cell's declarations live once it
 * has run, edited or not — or else the default as written.
 */
function parametersCellValues(path: string | undefined): Record<string, unknown> {
  const file = notebookFile(path);
  if (!file) return {};
  const mtimeMs = statSync(file).mtimeMs;
  let parsed = parsedCells.get(file);
  if (parsed?.mtimeMs !== mtimeMs) {
    let specs: ParameterSpec[] = [];
    try {
      const nb = readNotebook(file);
      specs = notebookParameters(nb, notebookLanguage(nb) ?? "typescript").specs;
    } catch {
      // A notebook being written or not a notebook at all: no parameters rather than a broken cell.
    }
    parsedCells.set(file, (parsed = { mtimeMs, specs }));
  }
  const globals = globalThis as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const spec of parsed.specs) {
    const value = Object.hasOwn(globals, spec.name) ? globals[spec.name] : spec.defaultValue;
    if (value !== undefined) values[spec.name] = value;
  }
  return values;
}

let current: NotebookContext | undefined;
/** The notebook's context; read lazily so that the kernel's SLUICE_CONTEXT (set before the first cell) counts. */
export const context: NotebookContext = new Proxy({} as NotebookContext, {
  get(_target, property) {
    // A new SLUICE_CONTEXT (a re-run in the same kernel) gives a new context.
    const env = process.env[SLUICE_CONTEXT_ENV];
    if (!current || (current as { env?: string }).env !== env) current = Object.assign(createContext(env), { env });
    const value = (current as unknown as Record<string | symbol, unknown>)[property];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(current) : value;
  },
});
