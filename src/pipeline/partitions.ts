// Partition definitions: a static list of keys, or daily / hourly time windows (UTC).
// Keys are plain strings: "eu", "2024-01-31", "2024-01-31T05".
import { PipelineUsageError } from "./errors.js";

export interface PartitionsDef {
  readonly kind: "static" | "daily" | "hourly";
  /** Identity of the definition, to check that all partitioned ops agree. */
  readonly id: string;
  /** Throws PipelineUsageError when the key does not belong to the definition. */
  check(key: string): string;
  /** The keys from `from` to `to`, inclusive, in order. */
  range(from: string, to: string): string[];
  /** An example key, for messages. */
  readonly example: string;
}

export function staticPartitions(keys: readonly string[]): PartitionsDef {
  const list = [...keys];
  if (list.length === 0) throw new PipelineUsageError("staticPartitions needs at least one key.");
  if (new Set(list).size !== list.length) throw new PipelineUsageError(`staticPartitions has duplicate keys: ${list.join(", ")}.`);
  for (const key of list) {
    if (!/^[A-Za-z0-9_.=-]+$/.test(key)) throw new PipelineUsageError(`partition key ${JSON.stringify(key)}: use letters, digits and _ . = - only.`);
  }
  const check = (key: string) => {
    if (!list.includes(key)) throw new PipelineUsageError(`partition ${JSON.stringify(key)} is not one of ${list.join(", ")}.`);
    return key;
  };
  return {
    kind: "static",
    id: `static:${list.join(",")}`,
    example: list[0]!,
    check,
    range(from, to) {
      const a = list.indexOf(check(from));
      const b = list.indexOf(check(to));
      if (a > b) throw new PipelineUsageError(`backfill ${from}..${to} runs backwards; the keys are ordered ${list.join(", ")}.`);
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
  return {
    kind,
    id: `${kind}:${start}:${end ?? ""}`,
    example,
    check,
    range(from, to) {
      const a = parse(check(from), "backfill start");
      const b = parse(check(to), "backfill end");
      if (a > b) throw new PipelineUsageError(`backfill ${from}..${to} runs backwards; put the earlier key first.`);
      const keys: string[] = [];
      for (let t = a; t <= b; t += step) keys.push(format(t));
      return keys;
    },
  };
}

export function dailyPartitions(options: { start: string; end?: string }): PartitionsDef {
  return timeWindows("daily", options.start, options.end);
}

export function hourlyPartitions(options: { start: string; end?: string }): PartitionsDef {
  return timeWindows("hourly", options.start, options.end);
}

/** "A..B" → the keys of the range. */
export function parseBackfill(def: PartitionsDef, spec: string): string[] {
  const parts = spec.split("..");
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new PipelineUsageError(`--backfill ${JSON.stringify(spec)}: write it as FROM..TO, e.g. ${def.example}..${def.example}.`);
  }
  return def.range(parts[0], parts[1]);
}
