// The op graph and its validation: everything is checked before anything runs, and every
// problem is reported at once, each naming the op and asset involved.
import { existsSync } from "node:fs";
import { InvalidAssetKeyError, normalizeAssetKey, type AssetStore } from "../store/index.js";
import { PipelineValidationError } from "./errors.js";
import type { Op } from "./ops.js";
import { describePipeline, pipelineSpec } from "./describe.js";
import type { ScheduleDef } from "../daemon/schedules.js";
import type { SensorDef } from "../daemon/sensors.js";
import { checkProblems, type AssetCheck } from "./checks.js";
import { mappingProblems } from "./mappings.js";
import type { FreshnessPolicy } from "./freshness.js";

export interface PipelineOptions {
  maxConcurrency?: number;
  /** Cron schedules `sluice daemon` runs the pipeline on (src/daemon/schedules.ts). */
  schedules?: ScheduleDef[];
  /** Sensors that start a run when a file or a materialization appears (src/daemon/sensors.ts). */
  sensors?: SensorDef[];
  /** Checks of the assets the ops materialize, run after each materialization (src/pipeline/checks.ts). */
  checks?: AssetCheck[];
  /** How old assets may get before `sluice assets stale` lists them (src/pipeline/freshness.ts). */
  freshness?: FreshnessPolicy[];
  /** Limits of the named pools ops join with `pool:` (src/pipeline/pools.ts), shared by every run in the process. */
  pools?: Record<string, number>;
}

export interface Pipeline {
  readonly name: string;
  readonly ops: readonly Op[];
  readonly options: Required<PipelineOptions>;
}

export function pipeline(name: string, ops: readonly Op[], options: PipelineOptions = {}): Pipeline {
  const p: Pipeline = {
    name,
    ops: [...ops],
    options: {
      maxConcurrency: Math.max(1, options.maxConcurrency ?? 4),
      schedules: [...(options.schedules ?? [])],
      sensors: [...(options.sensors ?? [])],
      checks: [...(options.checks ?? [])],
      freshness: [...(options.freshness ?? [])],
      pools: { ...(options.pools ?? {}) },
    },
  };
  // As the last expression of a notebook cell, a pipeline shows its DAG (vega-lite, text as fallback).
  Object.defineProperty(p, Symbol.for("Jupyter.display"), {
    value: () => ({ "application/vnd.vegalite.v5+json": pipelineSpec(p), "text/plain": describePipeline(p) }),
    enumerable: false,
  });
  return p;
}

/** A key as normalized, or the raw text when it is invalid (reported elsewhere). */
function safeKey(raw: string): string {
  try {
    return normalizeAssetKey(raw);
  } catch {
    return raw;
  }
}

/** Op names become asset key segments (`<op>/notebook`), so they follow the same alphabet. */
const OP_NAME = /^[A-Za-z0-9_.-]+$/;

export interface OpGraph {
  byName: Map<string, Op>;
  /** asset key → producing op */
  producer: Map<string, Op>;
  /** op → ops it waits for */
  upstream: Map<string, Set<string>>;
  /** ops in dependency order */
  order: Op[];
  /** longest path to a sink; downstream-first tie-breaking */
  depth: Map<string, number>;
}

/** Notebook checks live with notebook ops; the graph only needs a yes/no list of problems. */
export type NotebookChecker = (op: Extract<Op, { kind: "notebook" }>) => string[];

export function buildGraph(p: Pipeline, options: { store?: AssetStore; checkNotebook?: NotebookChecker } = {}): OpGraph {
  const problems: string[] = [];
  const byName = new Map<string, Op>();
  for (const op of p.ops) {
    if (!OP_NAME.test(op.name) || op.name === "." || op.name === "..") problems.push(`op name ${JSON.stringify(op.name)}: use letters, digits and _ . - only.`);
    if (byName.has(op.name)) problems.push(`two ops are named ${op.name}; op names must be unique.`);
    byName.set(op.name, op);
  }
  const checkKey = (op: Op, key: string, role: string): string | undefined => {
    try {
      return normalizeAssetKey(key);
    } catch (error) {
      if (error instanceof InvalidAssetKeyError) problems.push(`op ${op.name}, ${role}: ${error.message}`);
      else throw error;
      return undefined;
    }
  };
  const producer = new Map<string, Op>();
  for (const op of p.ops) {
    for (const out of op.outputs) {
      const key = checkKey(op, out.key, "output");
      if (!key) continue;
      const other = producer.get(key);
      if (other && other !== op) problems.push(`asset ${key} has two producers: ops ${other.name} and ${op.name}; give one of them another output key.`);
      else if (other === op) problems.push(`op ${op.name} lists output ${key} twice.`);
      producer.set(key, op);
    }
  }
  const upstream = new Map<string, Set<string>>();
  for (const op of p.ops) {
    const deps = new Set<string>();
    for (const [alias, raw] of Object.entries(op.inputs)) {
      const key = checkKey(op, raw, `input ${alias}`);
      if (!key) continue;
      const from = producer.get(key);
      if (from) {
        deps.add(from.name);
        if (op.kind === "notebook" && from.outputs.find((o) => o.key === key)?.materialize === false) {
          problems.push(`notebook op ${op.name} reads ${key}, which op ${from.name} keeps in memory; a notebook runs in its own kernel, so set materialize: true on that output.`);
        }
        if (from.map && op.map !== from.map && op.collect !== from.map) {
          problems.push(`op ${op.name} reads ${key}, produced once per item of ${from.map} by ${from.name}; add map: "${from.map}" (per item) or collect: "${from.map}" (all items) to ${op.name}.`);
        }
      } else if (!options.store?.latest(key)) {
        const near = [...producer.keys()].filter((k) => k.split("/").at(-1) === key.split("/").at(-1) || k.startsWith(key) || key.startsWith(k));
        problems.push(
          `op ${op.name} input ${alias} = ${key}: no op produces it and the store has no materialization of it` +
            (near.length ? ` (did you mean ${near.join(", ")}?)` : "") +
            "; add the op that produces it or materialize it first.",
        );
      }
    }
    for (const [field, target] of [["map", op.map], ["collect", op.collect]] as const) {
      if (target === undefined) continue;
      const source = byName.get(target);
      if (!source) problems.push(`op ${op.name} has ${field}: "${target}", but there is no op named ${target}.`);
      else if (!source.dynamic) problems.push(`op ${op.name} has ${field}: "${target}", but op ${target} is not dynamic; declare it with dynamic: true and return its items.`);
      else deps.add(target);
    }
    if (op.map && op.collect) problems.push(`op ${op.name} has both map and collect; an op either runs per item or once for all items.`);
    upstream.set(op.name, deps);
  }
  // Collect waits for every mapped op of its source.
  for (const op of p.ops) {
    if (!op.collect) continue;
    for (const other of p.ops) if (other.map === op.collect) upstream.get(op.name)!.add(other.name);
  }
  // Ops with different partitions (or none) may read each other only through a partition mapping.
  problems.push(
    ...mappingProblems(
      p.ops.map((op) => ({
        name: op.name,
        partitions: op.partitions,
        inputs: Object.entries(op.inputs).flatMap(([alias, raw]) => {
          const from = producer.get(safeKey(raw));
          return from && from !== op ? [{ from: from.name, mapping: op.partitionMappings[alias] }] : [];
        }),
      })),
    ),
  );
  for (const op of p.ops) {
    for (const alias of Object.keys(op.partitionMappings)) {
      if (!(alias in op.inputs)) problems.push(`op ${op.name} has a partition mapping for ${alias}, which is not one of its inputs (${Object.keys(op.inputs).join(", ") || "none"}).`);
    }
    // A map/collect op reads its dynamic source in its own partition.
    for (const dep of [op.map, op.collect]) {
      const source = dep ? byName.get(dep) : undefined;
      if (source && source.partitions?.id !== op.partitions?.id) problems.push(`op ${op.name} maps over ${source.name}, whose partitions differ (${source.partitions?.id ?? "none"} vs ${op.partitions?.id ?? "none"}); give both the same partitions.`);
    }
  }
  problems.push(...checkProblems(p.options.checks ?? [], new Set(producer.keys())));
  for (const [name, limit] of Object.entries(p.options.pools ?? {})) {
    if (!Number.isInteger(limit) || limit < 1) problems.push(`pool ${name}: the limit must be a whole number ≥ 1, got ${limit}.`);
  }
  if (options.checkNotebook) for (const op of p.ops) if (op.kind === "notebook") problems.push(...options.checkNotebook(op));
  else for (const op of p.ops) if (op.kind === "notebook" && !existsSync(op.notebook)) problems.push(`notebook op ${op.name}: notebook ${op.notebook} does not exist.`);

  // Cycles: depth-first search, reporting the cycle as a path.
  const order: Op[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const cycles = new Set<string>();
  const visit = (name: string) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      cycles.add(`cycle: ${cycle.join(" → ")}; an op cannot depend on its own output.`);
      return;
    }
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of [...(upstream.get(name) ?? [])].sort()) if (byName.has(dep)) visit(dep);
    stack.pop();
    state.set(name, "done");
    order.push(byName.get(name)!);
  };
  for (const op of p.ops) visit(op.name);
  problems.push(...cycles);
  if (problems.length) throw new PipelineValidationError(p.name, problems);

  const depth = new Map<string, number>();
  for (const op of [...order].reverse()) {
    let d = 0;
    for (const other of p.ops) if (upstream.get(other.name)!.has(op.name)) d = Math.max(d, (depth.get(other.name) ?? 0) + 1);
    depth.set(op.name, d);
  }
  return { byName, producer, upstream, order, depth };
}

export function validatePipeline(p: Pipeline, options: { store?: AssetStore; checkNotebook?: NotebookChecker } = {}): void {
  buildGraph(p, options);
}
