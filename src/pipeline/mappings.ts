// Partition mappings: which partitions of an upstream op a partition of a downstream op reads.
// Pure functions over partition definitions (no store, no runner): the runner asks them for an input's
// upstream keys (a daily node reads its 24 hourly partitions, so a late hourly partition changes the
// day's data version and makes it stale), and which downstream partitions a run must include.
import { PipelineUsageError } from "./errors.js";
import type { PartitionsDef } from "./partitions.js";

export interface PartitionMapping {
  readonly name: string;
  /** The upstream keys that downstream partition `key` reads (key undefined: the downstream op is not partitioned). */
  upstream(key: string | undefined, up: PartitionsDef, down: PartitionsDef | undefined): string[];
  /** The downstream partitions that read upstream partition `key` (undefined in the list: the unpartitioned op). */
  downstream(key: string, up: PartitionsDef, down: PartitionsDef | undefined): Array<string | undefined>;
}

const needKey = (name: string, key: string | undefined, down: PartitionsDef | undefined): string => {
  if (key === undefined || !down) throw new PipelineUsageError(`partition mapping ${name} maps a partition to partitions; the reading op must be partitioned (use allPartitions() for an op that is not).`);
  return key;
};

/** The same key upstream and downstream (the default when both ops share one definition). */
export function identityMapping(): PartitionMapping {
  return {
    name: "identity",
    upstream: (key, up, down) => [up.check(needKey("identity", key, down))],
    downstream: (key, _up, down) => {
      try {
        return [needKey("identity", key, down) && down!.check(key)];
      } catch {
        return [];
      }
    },
  };
}

/**
 * Between time windows of different sizes: a coarser partition reads every finer one inside it (hourly →
 * daily: a day reads its 24 hours), a finer partition reads the coarser one containing it (daily → hourly).
 * Windows outside the upstream definition's start/end are left out.
 */
export function timeWindowMapping(): PartitionMapping {
  const windows = (def: PartitionsDef | undefined, role: string) => {
    if (!def?.window) throw new PipelineUsageError(`timeWindowMapping needs time-window partitions (daily or hourly) on both ops; the ${role} op has ${def ? def.id : "none"}.`);
    return def;
  };
  const coveringKeys = (def: PartitionsDef, start: number, end: number): string[] => {
    const keys: string[] = [];
    // Step by the def's own window length from the first window that overlaps [start, end).
    const step = def.windowMs!;
    for (let t = Math.floor(start / step) * step; t < end; t += step) {
      const key = keyAt(def, t);
      if (key !== undefined) keys.push(key);
    }
    return keys;
  };
  return {
    name: "timeWindow",
    upstream(key, up, down) {
      const w = windows(down, "reading").window!(needKey("timeWindow", key, down));
      return coveringKeys(windows(up, "upstream"), w.start, w.end);
    },
    downstream(key, up, down) {
      const w = windows(up, "upstream").window!(key);
      return coveringKeys(windows(down, "reading"), w.start, w.end);
    },
  };
}

/** hourly → daily (a daily op gets its 24 hourly inputs): the time-window mapping under its common name. */
export const hourlyToDaily = timeWindowMapping;

/** The key of `def` whose window starts at `t`, or undefined when `def` has none there (before its start, after its end). */
function keyAt(def: PartitionsDef, t: number): string | undefined {
  const iso = new Date(t).toISOString();
  const key = def.kind === "daily" ? iso.slice(0, 10) : iso.slice(0, 13);
  try {
    return def.check(key);
  } catch {
    return undefined;
  }
}

/** A partition reads the last `n` upstream partitions ending at its own key (e.g. a 7-day rolling window). */
export function lastNMapping(n: number): PartitionMapping {
  if (!Number.isInteger(n) || n < 1) throw new PipelineUsageError(`lastNMapping(n): n must be a whole number ≥ 1, got ${n}.`);
  const name = `last${n}`;
  const ordered = (def: PartitionsDef, key: string) => def.keys({ until: def.window ? def.window(key).start : undefined });
  return {
    name,
    upstream(key, up, down) {
      const k = up.check(needKey(name, key, down));
      const all = ordered(up, k);
      const i = all.indexOf(k);
      return all.slice(Math.max(0, i - n + 1), i + 1);
    },
    downstream(key, up, down) {
      if (!down) return [];
      const k = up.check(key);
      // Downstream keys k, k+1, …, k+n-1 in the upstream order (which is also the downstream one).
      const later = up.window ? up.keys({ until: up.window(k).start + n * (up.window(k).end - up.window(k).start) - 1 }) : up.keys();
      const i = later.indexOf(k);
      return later.slice(i, i + n).filter((d) => {
        try {
          down.check(d);
          return true;
        } catch {
          return false;
        }
      });
    },
  };
}

/** Every upstream partition (e.g. an unpartitioned report reading all days; time windows without an end: up to now). */
export function allPartitions(options: { until?: () => number } = {}): PartitionMapping {
  return {
    name: "all",
    upstream: (_key, up) => up.keys({ until: options.until?.() }),
    downstream: (_key, _up, down) => (down ? down.keys({ until: options.until?.() }) : [undefined]),
  };
}

/**
 * Any other rule, as a function from a downstream key to its upstream keys. `downstream` (which partitions read
 * an upstream key) defaults to asking `upstream` for each downstream key.
 */
export function fnMapping(
  name: string,
  upstream: (key: string | undefined, up: PartitionsDef, down: PartitionsDef | undefined) => string[],
  downstream?: (key: string, up: PartitionsDef, down: PartitionsDef | undefined) => Array<string | undefined>,
): PartitionMapping {
  return {
    name,
    upstream: (key, up, down) => upstream(key, up, down).map((k) => up.check(k)),
    downstream:
      downstream ??
      ((key, up, down) => (down ? down.keys() : [undefined]).filter((d) => upstream(d, up, down).includes(key))),
  };
}

/** The mapping an input uses: the declared one, identity between equal definitions, else none (an error). */
export function mappingFor(declared: PartitionMapping | undefined, up: PartitionsDef | undefined, down: PartitionsDef | undefined): PartitionMapping | undefined {
  if (declared) return declared;
  if (up && down && up.id === down.id) return identityMapping();
  return undefined;
}

/** One op as the planner sees it: its partitions and the partitioned ops it reads, with the mapping of each. */
export interface PlanOp {
  name: string;
  partitions: PartitionsDef | undefined;
  inputs: ReadonlyArray<{ from: string; mapping?: PartitionMapping }>;
}

/**
 * The partitions each op runs for, given the keys asked for (of `requested`'s definition): ops of that
 * definition get them; ops downstream get the partitions that read them (an hourly backfill runs the days it
 * touches); ops upstream that got none yet get the partitions the others read (a daily run runs its 24 hours).
 * `ops` are in dependency order. Unpartitioned ops are absent from the result.
 */
export function planPartitions(
  ops: readonly PlanOp[],
  requested: PartitionsDef,
  keys: readonly string[],
  /** Whether an op's partition is already materialized (a downstream partition is planned only when all it reads is there or in the run). */
  materialized: (op: string, key: string) => boolean = () => true,
): Map<string, string[]> {
  const byName = new Map(ops.map((op) => [op.name, op]));
  const plan = new Map<string, Set<string>>();
  const add = (op: string, ks: Iterable<string | undefined>) => {
    let set = plan.get(op);
    if (!set) plan.set(op, (set = new Set()));
    for (const k of ks) if (k !== undefined) set.add(k);
  };
  for (const op of ops) if (op.partitions?.id === requested.id) add(op.name, keys);
  const forward = () => {
    for (const op of ops) {
      if (!op.partitions) continue;
      for (const input of op.inputs) {
        const from = byName.get(input.from);
        const mapping = mappingFor(input.mapping, from?.partitions, op.partitions);
        if (!from?.partitions || !mapping) continue;
        const mine = plan.get(from.name) ?? new Set<string>();
        const identity = !input.mapping && from.partitions.id === op.partitions.id;
        for (const k of mine) {
          const candidates = mapping.downstream(k, from.partitions, op.partitions);
          // A mapped partition runs only when everything it reads is in this run or already stored (a day once its 24 hours are).
          add(op.name, identity ? candidates : candidates.filter((d) => mapping.upstream(d, from.partitions!, op.partitions).every((u) => mine.has(u) || materialized(from.name, u))));
        }
      }
    }
  };
  forward();
  for (const op of [...ops].reverse()) {
    const mine = plan.get(op.name);
    if (!op.partitions || !mine?.size) continue;
    for (const input of op.inputs) {
      const from = byName.get(input.from);
      const mapping = mappingFor(input.mapping, from?.partitions, op.partitions);
      if (!from?.partitions || !mapping || plan.get(from.name)?.size) continue;
      for (const k of mine) add(from.name, mapping.upstream(k, from.partitions, op.partitions));
    }
  }
  forward();
  const result = new Map<string, string[]>();
  for (const [name, set] of plan) if (set.size) result.set(name, sortKeys(byName.get(name)!.partitions!, [...set]));
  return result;
}

/** Keys in their definition's order (time windows and multi keys sort as text; static keys by position). */
function sortKeys(def: PartitionsDef, keys: string[]): string[] {
  if (def.kind === "static" || def.kind === "dynamic") {
    const order = def.keys();
    return keys.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }
  return keys.sort();
}

/** Problems with how partitioned ops read each other, for the graph's validation (each names the ops and the fix). */
export function mappingProblems(ops: readonly PlanOp[]): string[] {
  const byName = new Map(ops.map((op) => [op.name, op]));
  const problems: string[] = [];
  for (const op of ops) {
    for (const input of op.inputs) {
      const from = byName.get(input.from);
      if (!from?.partitions) {
        if (input.mapping && from) problems.push(`op ${op.name} maps the partitions of ${from.name}, which is not partitioned; drop the mapping.`);
        continue;
      }
      if (mappingFor(input.mapping, from.partitions, op.partitions)) continue;
      problems.push(
        op.partitions
          ? `op ${op.name} (partitions ${op.partitions.id}) reads ${from.name} (partitions ${from.partitions.id}); give both the same partitions or declare a partition mapping for that input (e.g. partitionMappings: { alias: hourlyToDaily() }).`
          : `op ${op.name} is not partitioned but reads from partitioned op ${from.name}; give ${op.name} the same partitions, or read every partition with partitionMappings: { alias: allPartitions() }.`,
      );
    }
  }
  return problems;
}
