// Input resolution: for a step about to run, the exact version of each input — the output of a step of
// this run (in memory or its materialization) or, for an asset no op produces, the store's latest.
import { normalizeAssetKey, type AssetStore, type InputRef, type Materialization } from "../store/index.js";
import { OpOutputError } from "./errors.js";
import type { OpGraph } from "./graph.js";
import { nodeId, storePartition, type RunNode } from "./nodes.js";
import type { Op } from "./ops.js";
import type { StepInput } from "./executors/types.js";

export interface ResolvedRef {
  key: string;
  partition: string | undefined;
  version: string;
  dataVersion: string;
  materialization?: Materialization;
  value?: unknown;
  hasValue: boolean;
}
export interface ResolvedInput {
  alias: string;
  key: string;
  /** Collected from every item of a mapped op. */
  many: boolean;
  refs: ResolvedRef[];
}

/** The steps of a run, as input resolution sees them. */
export interface RunSteps {
  graph: OpGraph;
  store: AssetStore;
  get(id: string): RunNode | undefined;
  /** The steps of the mapped ops over `source`'s items in this partition, in item order. */
  mapped(source: string, partition: string | undefined): RunNode[];
  /** The upstream partitions a partition-mapped input reads (src/pipeline/runplan.ts); undefined: not mapped. */
  partitionsOf?(op: Op, alias: string, from: Op, partition: string | undefined): { keys: string[]; allowMissing: boolean } | undefined;
}

/** A partitioned op's partition; undefined for an unpartitioned one. */
export const partitionOf = (op: Op, partition: string | undefined) => (op.partitions ? partition : undefined);

export function resolveInputs(node: RunNode, steps: RunSteps): ResolvedInput[] {
  const { graph, store } = steps;
  return Object.entries(node.op.inputs).map(([alias, raw]) => {
    const key = normalizeAssetKey(raw);
    const from = graph.producer.get(key);
    if (!from) {
      const m = store.latest(key, { partition: storePartition(node) }) ?? store.latest(key);
      if (!m) throw new OpOutputError(`input ${alias} = ${key} of op ${node.op.name} has no materialization.`);
      return { alias, key, many: false, refs: [{ key, partition: m.partition, version: m.version, dataVersion: m.dataVersion ?? m.version, materialization: m, hasValue: false }] };
    }
    const mapped = steps.partitionsOf?.(node.op, alias, from, node.partition);
    if (mapped) {
      // One ref per upstream partition, in key order: from this run's step when it has one, else the store.
      const refs = mapped.keys.flatMap((k): ResolvedRef[] => {
        const out = steps.get(nodeId(from.name, k, undefined))?.outputs.get(key);
        if (out) {
          const m = out.materialization;
          return [{ key, partition: m?.partition ?? k, version: m?.version ?? `memory:${out.dataVersion}`, dataVersion: out.dataVersion, materialization: m, value: out.value, hasValue: out.hasValue }];
        }
        const m = store.latest(key, { partition: k });
        if (!m && mapped.allowMissing) return [];
        if (!m) throw new OpOutputError(`input ${alias} = ${key} of op ${node.op.name} reads partition ${k} of ${from.name}, which has no materialization; run ${from.name} for it first (--partition ${k}, or a --backfill over it).`);
        return [{ key, partition: m.partition, version: m.version, dataVersion: m.dataVersion ?? m.version, materialization: m, hasValue: false }];
      });
      return { alias, key, many: true, refs };
    }
    const many = Boolean(from.map && node.op.collect === from.map);
    const sources = many
      ? steps.mapped(from.map!, node.partition).filter((n) => n.op === from)
      : [steps.get(nodeId(from.name, partitionOf(from, node.partition), from.map ? node.mappingKey : undefined))!];
    const refs = sources.map((s) => {
      const out = s.outputs.get(key)!;
      const m = out.materialization;
      return { key, partition: m?.partition, version: m?.version ?? `memory:${out.dataVersion}`, dataVersion: out.dataVersion, materialization: m, value: out.value, hasValue: out.hasValue };
    });
    return { alias, key, many, refs };
  });
}

/** The lineage recorded with the step's outputs. */
export function inputRefsOf(inputs: ResolvedInput[]): InputRef[] {
  return inputs.flatMap((i) => i.refs.map(({ key, partition, version, dataVersion }) => ({ key, partition, version, dataVersion })));
}

/** The inputs as a step spec carries them: data file paths relative to the store root ("" for an in-memory value). */
export function stepInputsOf(inputs: ResolvedInput[]): StepInput[] {
  return inputs.map((i) => ({
    alias: i.alias,
    key: i.key,
    many: i.many,
    refs: i.refs.map((r) => ({
      key: r.key,
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
      version: r.version,
      dataVersion: r.dataVersion,
      path: r.materialization?.path ?? "",
    })),
  }));
}
