// Op definitions: plain TypeScript functions (fnOp) and parameterized notebooks (notebookOp).
import { createHash } from "node:crypto";
import type { Materialization, MetadataInput, TableData } from "../store/index.js";
import type { PartitionsDef } from "./partitions.js";
import type { PartitionMapping } from "./mappings.js";
import { checkOptionNames } from "../plan/errors.js";
import { PipelineUsageError } from "./errors.js";

export interface RetryPolicy {
  /** Extra attempts after the first. */
  max: number;
  /** Wait before the first retry; doubled (× factor) for each next one. */
  backoffMs?: number;
  factor?: number;
}

/** An output is an asset key; `materialize: false` keeps it in memory for function ops downstream. */
export type OutputSpec = string | { key: string; materialize?: boolean };

export interface OpOptions {
  name: string;
  /** alias → asset key */
  inputs?: Record<string, string>;
  outputs?: OutputSpec[];
  params?: Record<string, unknown>;
  partitions?: PartitionsDef;
  retries?: number | RetryPolicy;
  /** Higher runs first when several ops are ready. */
  priority?: number;
  tags?: Record<string, string>;
  /** Run once per item produced by this dynamic op (same partition). */
  map?: string;
  /** Run once after every item of this dynamic op is done; inputs from mapped ops arrive as arrays. */
  collect?: string;
  /** What a step needs from the node that runs it, for executors that place steps (`{ worker1: 1 }`, `{ CPU: 2 }`). */
  resources?: Record<string, number>;
  /** Input alias → which upstream partitions it reads (src/pipeline/mappings.ts), e.g. { hours: hourlyToDaily() }. */
  partitionMappings?: Record<string, PartitionMapping>;
  /** A named pool whose limit (pipeline option `pools`) this op shares with the ops of every run in the process. */
  pool?: string;
}

/** What an op sees while it runs (shared with the notebook `context`). */
export interface OpContext {
  readonly runId: string;
  readonly op: string;
  readonly partitionKey: string | undefined;
  /** The item this invocation handles (mapped ops). */
  readonly item: unknown;
  readonly mappingKey: string | undefined;
  readonly params: Record<string, unknown>;
  readonly attempt: number;
  /** The runner's asset store folder (absolute): for files an op keeps beside the catalog, such as raw inputs. */
  readonly storeRoot: string;
  log(...args: unknown[]): void;
  /** The value of an input asset: in memory when its producer ran in this process, else read from the store. */
  input(key: string): Promise<unknown>;
  /** Materializes (or, for in-memory outputs, hands over) one declared output now. */
  yieldAsset(key: string, data: unknown, options?: { metadata?: MetadataInput }): Promise<Materialization | undefined>;
  /**
   * Grows a dynamic partition set (`dynamicPartitions(set)`): the runner adds the keys to the catalog when the
   * step succeeds; runs that start afterwards (and the next daemon tick) see them.
   */
  addPartitions(set: string, keys: readonly string[]): void;
}

export interface FnOpOptions extends OpOptions {
  /** The items of a dynamic op are its return value (an array). */
  dynamic?: boolean;
  run(ctx: OpContext, inputs: Record<string, unknown>): unknown;
}

export interface NotebookOpOptions extends OpOptions {
  notebook: string;
  /** Kernel name override (default: the notebook's kernelspec). */
  kernel?: string;
  timeoutMs?: number;
}

interface OpCommon {
  readonly name: string;
  readonly inputs: Record<string, string>;
  readonly outputs: Array<{ key: string; materialize: boolean }>;
  readonly params: Record<string, unknown>;
  readonly partitions: PartitionsDef | undefined;
  readonly retry: Required<RetryPolicy>;
  readonly priority: number;
  readonly tags: Record<string, string>;
  readonly map: string | undefined;
  readonly collect: string | undefined;
  readonly dynamic: boolean;
  readonly resources: Record<string, number> | undefined;
  readonly partitionMappings: Record<string, PartitionMapping>;
  readonly pool: string | undefined;
}

export interface FnOp extends OpCommon {
  readonly kind: "fn";
  readonly run: FnOpOptions["run"];
}

export interface NotebookOp extends OpCommon {
  readonly kind: "notebook";
  readonly notebook: string;
  readonly kernel: string | undefined;
  readonly timeoutMs: number | undefined;
}

export type Op = FnOp | NotebookOp;

function common(options: OpOptions, dynamic: boolean): OpCommon {
  const retries = options.retries ?? 0;
  const policy = typeof retries === "number" ? { max: retries } : retries;
  return {
    name: options.name,
    inputs: { ...(options.inputs ?? {}) },
    outputs: (options.outputs ?? []).map((o) => (typeof o === "string" ? { key: o, materialize: true } : { key: o.key, materialize: o.materialize ?? true })),
    params: { ...(options.params ?? {}) },
    partitions: options.partitions,
    retry: { max: Math.max(0, policy.max), backoffMs: policy.backoffMs ?? 200, factor: policy.factor ?? 2 },
    priority: options.priority ?? 0,
    tags: { ...(options.tags ?? {}) },
    map: options.map,
    collect: options.collect,
    dynamic,
    resources: options.resources === undefined ? undefined : checkResources(options.name, options.resources),
    partitionMappings: { ...(options.partitionMappings ?? {}) },
    pool: options.pool,
  };
}

const COMMON_KEYS = { name: true, inputs: true, outputs: true, params: true, partitions: true, retries: true, priority: true, tags: true, map: true, collect: true, resources: true, partitionMappings: true, pool: true } satisfies Record<keyof OpOptions, true>;

function checkResources(op: string, resources: unknown): Record<string, number> {
  const ok = typeof resources === "object" && resources !== null && !Array.isArray(resources) && Object.values(resources).every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0);
  if (!ok) throw new PipelineUsageError(`op ${op}: resources must map resource names to amounts ≥ 0, such as { worker1: 1 } or { CPU: 2 }; got ${JSON.stringify(resources)}.`);
  return { ...(resources as Record<string, number>) };
}

/** A mistyped option (`output:` for `outputs:`) would otherwise be ignored and the op silently do less. */
function checkOptions(kind: string, options: unknown, own: Readonly<Record<string, true>>): void {
  if (typeof options !== "object" || options === null) throw new PipelineUsageError(`${kind}(options): expected an object such as { name: "clean", outputs: ["sales/clean"], ... }`);
  const o = options as Record<string, unknown>;
  if (typeof o.name !== "string" || o.name === "") throw new PipelineUsageError(`${kind}: name must be a non-empty string`);
  checkOptionNames(`${kind} ${o.name}`, options, { ...COMMON_KEYS, ...own }, PipelineUsageError);
}

export function fnOp(options: FnOpOptions): FnOp {
  checkOptions("fnOp", options, { run: true, dynamic: true });
  if (typeof options.run !== "function") throw new PipelineUsageError(`fnOp ${options.name}: run must be a function (ctx, inputs) => data`);
  return { kind: "fn", ...common(options, options.dynamic ?? false), run: options.run };
}

export function notebookOp(options: NotebookOpOptions): NotebookOp {
  checkOptions("notebookOp", options, { notebook: true, kernel: true, timeoutMs: true });
  if (typeof options.notebook !== "string" || options.notebook === "") throw new PipelineUsageError(`notebookOp ${options.name}: notebook must be the path of an .ipynb file`);
  return { kind: "notebook", ...common(options, false), notebook: options.notebook, kernel: options.kernel, timeoutMs: options.timeoutMs };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Stable JSON (sorted keys) so that equal parameters hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

export type AssetValue = TableData | unknown;
