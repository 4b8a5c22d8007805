// Which partitions a run covers, per op: the keys asked for (--partition / --backfill, checked against the
// definition they belong to, dynamic sets read from the catalog now), carried through partition mappings to the
// ops of other definitions (src/pipeline/mappings.ts). And, for a step, the upstream partitions each input reads.
import { normalizeAssetKey, type AssetStore } from "../store/index.js";
import { PipelineUsageError } from "./errors.js";
import type { OpGraph, Pipeline } from "./graph.js";
import { mappingFor, planPartitions, type PartitionMapping, type PlanOp } from "./mappings.js";
import type { Op } from "./ops.js";
import { bindPartitions, dynamicSets, parseBackfill, type PartitionsDef } from "./partitions.js";
import { PipelineState } from "./state.js";

/** An op's declared partition mappings (alias → mapping). */
export function mappingsOf(op: Op): Readonly<Record<string, PartitionMapping>> {
  return op.partitionMappings ?? {};
}

export interface RunPartitions {
  /** The keys asked for (recorded with the run; --from-failure plans them again). */
  requested: string[];
  /** op name → its partitions in this run (unpartitioned ops are absent). */
  byOp: Map<string, string[]>;
  /** op name → its definition with dynamic sets bound to their current keys. */
  defs: Map<string, PartitionsDef>;
}

/** Every partition definition of the pipeline, dynamic sets bound to the keys the catalog holds now. */
export function boundDefinitions(p: Pipeline, store: AssetStore | undefined): Map<string, PartitionsDef> {
  const sets = new Set(p.ops.flatMap((op) => dynamicSets(op.partitions)));
  const keys = new Map<string, string[]>();
  if (sets.size) {
    if (!store) throw new PipelineUsageError(`pipeline ${p.name} uses dynamic partition sets (${[...sets].join(", ")}); run it with a store.`);
    const state = new PipelineState(store);
    try {
      for (const set of sets) keys.set(set, state.run("partitionKeys", set));
    } finally {
      state.close();
    }
  }
  const defs = new Map<string, PartitionsDef>();
  for (const op of p.ops) if (op.partitions) defs.set(op.name, bindPartitions(op.partitions, (set) => keys.get(set) ?? []));
  return defs;
}

export function planOps(graph: OpGraph, defs: Map<string, PartitionsDef>): PlanOp[] {
  return graph.order.map((op) => ({
    name: op.name,
    partitions: defs.get(op.name),
    inputs: Object.entries(op.inputs).flatMap(([alias, raw]) => {
      const from = graph.producer.get(normalizeAssetKey(raw))?.name;
      return from === undefined ? [] : [{ from, mapping: mappingsOf(op)[alias] as PartitionMapping | undefined }];
    }),
  }));
}

export function resolveRunPartitions(p: Pipeline, graph: OpGraph, store: AssetStore | undefined, options: { partition?: string; backfill?: string }, previous: string[] | undefined): RunPartitions {
  const defs = boundDefinitions(p, store);
  const distinct = [...new Map([...defs.values()].map((d) => [d.id, d])).values()];
  if (distinct.length === 0) {
    if (options.partition !== undefined || options.backfill !== undefined) throw new PipelineUsageError(`pipeline ${p.name} has no partitioned ops; drop --partition/--backfill.`);
    return { requested: [], byOp: new Map(), defs };
  }
  if (options.partition !== undefined && options.backfill !== undefined) throw new PipelineUsageError("give either --partition or --backfill, not both.");
  // The keys belong to the first definition (in the order ops are declared) that accepts them.
  const attempt = (parse: (def: PartitionsDef) => string[]): { def: PartitionsDef; keys: string[] } => {
    const errors: Error[] = [];
    for (const def of distinct) {
      try {
        return { def, keys: parse(def) };
      } catch (error) {
        if (!(error instanceof PipelineUsageError)) throw error;
        errors.push(error);
      }
    }
    if (distinct.length === 1) throw errors[0]!;
    throw new PipelineUsageError(`${errors.map((e, i) => `as ${distinct[i]!.id}: ${e.message}`).join("; ")}`);
  };
  let chosen: { def: PartitionsDef; keys: string[] };
  if (options.partition !== undefined) chosen = attempt((def) => [def.check(options.partition!)]);
  else if (options.backfill !== undefined) chosen = attempt((def) => parseBackfill(def, options.backfill!));
  else if (previous?.length) chosen = attempt((def) => previous.map((k) => def.check(k)));
  else {
    const first = distinct[0]!;
    if (first.kind === "dynamic") {
      // A dynamic set runs every key it holds now: keys added since the last run are picked up.
      const keys = first.keys();
      if (!keys.length) throw new PipelineUsageError(`dynamic partition set ${first.set} has no keys yet; add some with \`sluice partitions add ${first.set} KEY…\`.`);
      chosen = { def: first, keys };
    } else {
      const names = [...defs.keys()];
      throw new PipelineUsageError(
        `pipeline ${p.name} has partitioned ops (${names.join(", ")}); pass --partition KEY or --backfill FROM..TO (e.g. --partition ${first.example}).`,
      );
    }
  }
  const materialized = (opName: string, key: string) => {
    const out = graph.byName.get(opName)?.outputs.find((o) => o.materialize);
    return out !== undefined && store?.latest(out.key, { partition: key }) !== undefined;
  };
  const byOp = planPartitions(planOps(graph, defs), chosen.def, chosen.keys, materialized);
  return { requested: chosen.keys, byOp, defs };
}

/**
 * The upstream partitions input `alias` of `op` reads when the step runs for `partition`, or undefined when
 * the input is not partition-mapped (same definition: identity, handled as before; or an unpartitioned producer).
 * `allowMissing`: upstream partitions never materialized are left out (allPartitions) instead of failing the step.
 */
export function mappedInputPartitions(op: Op, alias: string, from: Op, partition: string | undefined, defs: Map<string, PartitionsDef>): { keys: string[]; allowMissing: boolean } | undefined {
  const upDef = defs.get(from.name);
  const downDef = defs.get(op.name);
  if (!upDef) return undefined;
  const declared = mappingsOf(op)[alias];
  if (!declared && downDef && upDef.id === downDef.id) return undefined;
  const mapping = mappingFor(declared, upDef, downDef);
  if (!mapping) throw new PipelineUsageError(`op ${op.name} input ${alias}: no partition mapping from ${upDef.id} to ${downDef?.id ?? "an unpartitioned op"}.`);
  return { keys: mapping.upstream(partition, upDef, downDef), allowMissing: mapping.name === "all" };
}

/** Adds keys to a dynamic partition set (from an op: `addDynamicPartitions(ctx.storeRoot, "customers", keys)`); the next run picks them up. */
export async function addDynamicPartitions(storeRoot: string, set: string, keys: readonly string[]): Promise<number> {
  const { AssetStore } = await import("../store/index.js");
  const store = new AssetStore(storeRoot);
  try {
    for (const key of keys) if (!/^[A-Za-z0-9_.=-]+$/.test(key)) throw new PipelineUsageError(`partition key ${JSON.stringify(key)}: use letters, digits and _ . = - only.`);
    const state = new PipelineState(store);
    try {
      return state.run("addPartitions", set, keys, Date.now(), "op");
    } finally {
      state.close();
    }
  } finally {
    store.close();
  }
}
