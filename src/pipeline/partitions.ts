// Partition definitions: a static list of keys, daily / hourly time windows (UTC), a dynamic set kept in
// the catalog, or several of these combined (multi-dimensional).
// Keys are plain strings: "eu", "2024-01-31", "2024-01-31T05"; a multi-dimensional key joins one key per
// dimension with "|" in the order the dimensions were declared: "2024-03-01|acme".
import { PipelineUsageError } from "./errors.js";

export interface PartitionsDef {
  readonly kind: "static" | "daily" | "hourly" | "dynamic" | "multi";
  /** Identity of the definition, to check that all partitioned ops agree. */
  readonly id: string;
  /** Throws PipelineUsageError when the key does not belong to the definition. */
  check(key: string): string;
  /** The keys from `from` to `to`, inclusive, in order. */
  range(from: string, to: string): string[];
  /** An example key, for messages. */
  readonly example: string;
  /** Every key (time windows without an end: up to the window holding `until`, default now). */
  keys(options?: { until?: number }): string[];
  /** Time windows: the window [start, end) of a key, in ms since the epoch. */
  window?(key: string): { start: number; end: number };
  /** Time windows: the length of one window in ms. */
  readonly windowMs?: number;
  /** Time windows: the key of the window holding time `ms` (not checked against the start and end). */
  keyAt?(ms: number): string;
  /** Dynamic sets: the name of the set in the catalog. */
  readonly set?: string;
  /** Multi-dimensional definitions: the dimensions, in key order. */
  readonly dimensions?: ReadonlyArray<{ name: string; def: PartitionsDef }>;
}

/** The separator of a multi-dimensional key ("2024-03-01|acme"). */
export const DIMENSION_SEPARATOR = "|";
const KEY = /^[A-Za-z0-9_.=-]+$/;

function checkKeyText(key: string, where: string): void {
  if (!KEY.test(key)) throw new PipelineUsageError(`${where} ${JSON.stringify(key)}: use letters, digits and _ . = - only.`);
}

export function staticPartitions(keys: readonly string[]): PartitionsDef {
  const list = [...keys];
  if (list.length === 0) throw new PipelineUsageError("staticPartitions needs at least one key.");
  if (new Set(list).size !== list.length) throw new PipelineUsageError(`staticPartitions has duplicate keys: ${list.join(", ")}.`);
  for (const key of list) checkKeyText(key, "partition key");
  return listPartitions("static", `static:${list.join(",")}`, list);
}

function listPartitions(kind: "static" | "dynamic", id: string, list: readonly string[], set?: string): PartitionsDef {
  const what = set ? `the dynamic partition set ${set}` : list.join(", ");
  const check = (key: string) => {
    if (!list.includes(key)) {
      throw new PipelineUsageError(
        set
          ? `partition ${JSON.stringify(key)} is not in the dynamic partition set ${set} (${list.length ? list.join(", ") : "empty"}); add it with \`sluice partitions add ${set} ${key}\`.`
          : `partition ${JSON.stringify(key)} is not one of ${list.join(", ")}.`,
      );
    }
    return key;
  };
  return {
    kind,
    id,
    set,
    example: list[0] ?? "KEY",
    check,
    keys: () => [...list],
    range(from, to) {
      const a = list.indexOf(check(from));
      const b = list.indexOf(check(to));
      if (a > b) throw new PipelineUsageError(`backfill ${from}..${to} runs backwards; the keys of ${what} are ordered ${list.join(", ")}.`);
      return list.slice(a, b + 1);
    },
  };
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

function timeWindows(kind: "daily" | "hourly", start: string, end?: string): PartitionsDef {
  const step = kind === "daily" ? DAY : HOUR;
  const pattern = kind === "daily" ? /^\d{4}-\d{2}-\d{2}$/ : /^\d{4}-\d{2}-\d{2}T\d{2}$/;
  const format = (ms: number) => (kind === "daily" ? new Date(ms).toISOString().slice(0, 10) : new Date(ms).toISOString().slice(0, 13));
  const example = kind === "daily" ? "2024-01-31" : "2024-01-31T05";
  const parse = (key: string, what: string): number => {
    const ms = pattern.test(key) ? Date.parse(kind === "daily" ? `${key}T00:00:00Z` : `${key}:00:00Z`) : NaN;
    if (Number.isNaN(ms) || format(ms) !== key) {
      throw new PipelineUsageError(`${what} ${JSON.stringify(key)} is not a ${kind} partition key; write it like ${example}.`);
    }
    return ms;
  };
  const startMs = parse(start, `${kind}Partitions start`);
  const endMs = end === undefined ? undefined : parse(end, `${kind}Partitions end`);
  const check = (key: string) => {
    const ms = parse(key, "partition");
    if (ms < startMs) throw new PipelineUsageError(`partition ${key} is before the first partition ${start}.`);
    if (endMs !== undefined && ms > endMs) throw new PipelineUsageError(`partition ${key} is after the last partition ${end}.`);
    return key;
  };
  const between = (a: number, b: number) => {
    const keys: string[] = [];
    for (let t = a; t <= b; t += step) keys.push(format(t));
    return keys;
  };
  return {
    kind,
    id: `${kind}:${start}:${end ?? ""}`,
    example,
    windowMs: step,
    keyAt: (ms) => format(Math.floor(ms / step) * step),
    check,
    range(from, to) {
      const a = parse(check(from), "backfill start");
      const b = parse(check(to), "backfill end");
      if (a > b) throw new PipelineUsageError(`backfill ${from}..${to} runs backwards; put the earlier key first.`);
      return between(a, b);
    },
    keys(options = {}) {
      const until = options.until ?? Date.now();
      const last = Math.min(endMs ?? Infinity, Math.floor(until / step) * step);
      return last < startMs ? [] : between(startMs, last);
    },
    window(key) {
      const s = parse(check(key), "partition");
      return { start: s, end: s + step };
    },
  };
}

export function dailyPartitions(options: { start: string; end?: string }): PartitionsDef {
  return timeWindows("daily", options.start, options.end);
}

export function hourlyPartitions(options: { start: string; end?: string }): PartitionsDef {
  return timeWindows("hourly", options.start, options.end);
}

/**
 * A partition set kept in the catalog (`sluice partitions add SET KEY…`, or ops that add keys). Its keys
 * are read when a run starts (`bindPartitions`), so keys added since the last run are picked up.
 */
export function dynamicPartitions(set: string): PartitionsDef {
  checkKeyText(set, "dynamic partition set name");
  const unbound = (): never => {
    throw new PipelineUsageError(`the keys of dynamic partition set ${set} are read from the store when a run starts; use bindPartitions(def, store) before asking for them.`);
  };
  return { kind: "dynamic", id: `dynamic:${set}`, set, example: "KEY", check: unbound, range: unbound, keys: unbound };
}

/** Several dimensions, e.g. `{ day: dailyPartitions(...), customer: staticPartitions([...]) }`; keys read "2024-03-01|acme". */
export function multiPartitions(dimensions: Record<string, PartitionsDef>): PartitionsDef {
  const dims = Object.entries(dimensions).map(([name, def]) => ({ name, def }));
  if (dims.length < 2) throw new PipelineUsageError(`multiPartitions needs at least two dimensions, got ${dims.length}; use the single definition directly.`);
  for (const { name, def } of dims) {
    checkKeyText(name, "dimension name");
    if (def.kind === "multi") throw new PipelineUsageError(`multiPartitions dimension ${name} is itself multi-dimensional; list its dimensions at the top level.`);
  }
  const names = dims.map((d) => d.name).join(DIMENSION_SEPARATOR);
  const split = (key: string, what = "partition"): string[] => {
    const parts = key.split(DIMENSION_SEPARATOR);
    if (parts.length !== dims.length) {
      throw new PipelineUsageError(`${what} ${JSON.stringify(key)} has ${parts.length} part(s); a key of ${names} has ${dims.length}, e.g. ${dims.map((d) => d.def.example).join(DIMENSION_SEPARATOR)}.`);
    }
    return parts;
  };
  return {
    kind: "multi",
    id: `multi(${dims.map((d) => `${d.name}=${d.def.id}`).join(";")})`,
    example: dims.map((d) => d.def.example).join(DIMENSION_SEPARATOR),
    dimensions: dims,
    check(key) {
      split(key).forEach((part, i) => {
        try {
          dims[i]!.def.check(part);
        } catch (error) {
          throw new PipelineUsageError(`partition ${JSON.stringify(key)}, dimension ${dims[i]!.name}: ${(error as Error).message}`);
        }
      });
      return key;
    },
    range(from, to) {
      const a = split(from, "backfill start");
      const b = split(to, "backfill end");
      return product(dims.map((d, i) => d.def.range(a[i]!, b[i]!)));
    },
    keys(options) {
      return product(dims.map((d) => d.def.keys(options)));
    },
  };
}

/** The keys of one dimension × those of the next ×…, joined with "|", the first dimension varying slowest. */
export function product(lists: readonly (readonly string[])[]): string[] {
  return lists.reduce<string[]>((acc, list) => acc.flatMap((prefix) => list.map((k) => (prefix === "" ? k : `${prefix}${DIMENSION_SEPARATOR}${k}`))), [""]).filter((k) => k !== "" || lists.length === 0);
}

/** A multi-dimensional key as { dimension: key }. */
export function splitPartitionKey(def: PartitionsDef, key: string): Record<string, string> {
  if (!def.dimensions) throw new PipelineUsageError(`partition definition ${def.id} has no dimensions.`);
  def.check(key);
  const parts = key.split(DIMENSION_SEPARATOR);
  return Object.fromEntries(def.dimensions.map((d, i) => [d.name, parts[i]!]));
}

/** Replaces the dynamic sets in a definition (also dimensions of a multi one) by their current keys. */
export function bindPartitions(def: PartitionsDef, keysOf: (set: string) => readonly string[]): PartitionsDef {
  if (def.kind === "dynamic") return listPartitions("dynamic", def.id, [...keysOf(def.set!)], def.set);
  if (def.kind === "multi" && def.dimensions!.some((d) => d.def.kind === "dynamic")) {
    return multiPartitions(Object.fromEntries(def.dimensions!.map((d) => [d.name, bindPartitions(d.def, keysOf)])));
  }
  return def;
}

/** The dynamic sets a definition reads. */
export function dynamicSets(def: PartitionsDef | undefined): string[] {
  if (!def) return [];
  if (def.kind === "dynamic") return [def.set!];
  return (def.dimensions ?? []).flatMap((d) => dynamicSets(d.def));
}

/**
 * "A..B" → the keys of the range. For a multi-dimensional definition each dimension is written on its own,
 * joined by "|": a range `A..B`, a set `a,b,c`, one key, or `*` for all of them; the keys are the product,
 * e.g. `2024-03-01..2024-03-03|acme,globex` → 6 keys.
 */
export function parseBackfill(def: PartitionsDef, spec: string): string[] {
  if (def.kind === "multi") {
    const dims = def.dimensions!;
    const parts = spec.split(DIMENSION_SEPARATOR);
    if (parts.length !== dims.length) {
      throw new PipelineUsageError(
        `--backfill ${JSON.stringify(spec)}: give one part per dimension (${dims.map((d) => d.name).join(DIMENSION_SEPARATOR)}) joined by "|", each a range FROM..TO, a list a,b or *; e.g. ${dims.map((d) => `${d.def.example}..${d.def.example}`).join(DIMENSION_SEPARATOR)}.`,
      );
    }
    return product(parts.map((part, i) => dimensionKeys(dims[i]!, part)));
  }
  const parts = spec.split("..");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new PipelineUsageError(`--backfill ${JSON.stringify(spec)}: write it as FROM..TO, e.g. ${def.example}..${def.example}.`);
  }
  return def.range(parts[0], parts[1]);
}

function dimensionKeys(dim: { name: string; def: PartitionsDef }, part: string): string[] {
  const where = (error: unknown) => new PipelineUsageError(`--backfill, dimension ${dim.name}: ${(error as Error).message}`);
  try {
    if (part === "*") return dim.def.keys();
    if (part.includes("..")) return parseBackfill(dim.def, part);
    const keys = part.split(",").filter((k) => k !== "");
    if (keys.length === 0) throw new PipelineUsageError(`empty; write a key, a list a,b, a range FROM..TO or *.`);
    if (new Set(keys).size !== keys.length) throw new PipelineUsageError(`${part} lists a key twice.`);
    return keys.map((k) => dim.def.check(k));
  } catch (error) {
    throw where(error);
  }
}
