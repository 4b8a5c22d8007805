// partitionWiseAggregation: a group-by whose keys include a hive partition column never has a group that
// spans two values of that column, so it can run as one aggregation per slice of the partitions, glued
// with UNION ALL. We only do it for aggregates that keep a set or the values of each group (distinct
// counts, medians, quantiles), where smaller slices keep those in cache and it pays: on the clickstream
// benchmark (10M rows, grouped by customer) count(DISTINCT) runs 1.68 s → 1.36 s and median/quantile
// 0.66 s → 0.56 s; plain sums, counts and lists gain nothing, and on small inputs each slice costs a
// little, so slices are sized by bytes read.
import { children, containsWindow, stripAlias, type Expr } from "../expr.js";
import { transformUp, type HiveFile, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";
import { partitionValue } from "../hive.js";

/** Bytes of Parquet each slice should read at least; below two slices' worth the plan is left alone. */
export const BYTES_PER_SLICE = 2 * 1024 * 1024;
/** At most this many slices: beyond it, the fixed cost of each one outweighs the smaller sets. */
export const MAX_SLICES = 48;

type Scan = Extract<Plan, { kind: "scan" }>;

/** Aggregates whose per-group state is a set or the group's values (measured to gain from slicing). */
const SLICED_AGGREGATES = new Set(["nUnique", "median", "quantile"]);

function hasSetAggregate(e: Expr): boolean {
  return (e.kind === "agg" && SLICED_AGGREGATES.has(e.fn)) || children(e).some(hasSetAggregate);
}

/**
 * The scan under an aggregate through filters and window-free projections only, and for each output column of the
 * chain that is a partition column passed through unchanged (possibly renamed), that partition column.
 */
function scanBelow(p: Plan): { scan: Scan; partitionOf: (name: string) => string | undefined } | undefined {
  if (p.kind === "scan") {
    if (p.source.kind !== "parquet" || !p.source.hive) return undefined;
    const names = new Set(p.source.partitionColumns.map((c) => c.name));
    return { scan: p, partitionOf: (name) => (names.has(name) ? name : undefined) };
  }
  if (p.kind === "filter") return scanBelow(p.input);
  // A window sees all rows of its partition: over a slice it would give other values.
  if (p.kind !== "project" || p.exprs.some(containsWindow)) return undefined;
  const below = scanBelow(p.input);
  if (!below) return undefined;
  const passed = new Map<string, string>(); // output name → input column it copies
  for (const e of p.exprs) {
    const inner = stripAlias(e);
    if (inner.kind === "col") passed.set(e.kind === "alias" ? e.name : inner.name, inner.name);
  }
  return { scan: below.scan, partitionOf: (name) => (passed.has(name) ? below.partitionOf(passed.get(name)!) : undefined) };
}

/** Replaces the scan at the bottom of a project/filter chain. */
function withScan(p: Plan, scan: Scan): Plan {
  if (p.kind === "scan") return scan;
  if (p.kind === "filter" || p.kind === "project") return { ...p, input: withScan(p.input, scan) };
  return p;
}

/** Files grouped by their values of `columns` (as DuckDB types them), balanced by bytes into `n` slices. */
function slices(files: readonly HiveFile[], columns: readonly { name: string; type: string }[], n: number): HiveFile[][] {
  const byValue = new Map<string, { files: HiveFile[]; bytes: number }>();
  for (const f of files) {
    const key = JSON.stringify(columns.map((c) => partitionValue(f.partition[c.name], c.type)));
    const entry = byValue.get(key) ?? byValue.set(key, { files: [], bytes: 0 }).get(key)!;
    entry.files.push(f);
    entry.bytes += f.bytes ?? 0;
  }
  const out = Array.from({ length: Math.min(n, byValue.size) }, () => ({ files: [] as HiveFile[], bytes: 0 }));
  // Largest values first, each to the lightest slice so far.
  for (const v of [...byValue.values()].sort((a, b) => b.bytes - a.bytes)) {
    const lightest = out.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.files.push(...v.files);
    lightest.bytes += v.bytes;
  }
  return out.map((s) => s.files);
}

function split(p: Plan): Plan {
  if (p.kind !== "aggregate" || p.keys.length === 0 || !p.aggs.some(hasSetAggregate)) return p;
  const below = scanBelow(p.input);
  if (!below) return p;
  const partitionKeys = new Set<string>();
  for (const k of p.keys) {
    const inner = stripAlias(k);
    const column = inner.kind === "col" ? below.partitionOf(inner.name) : undefined;
    if (column) partitionKeys.add(column);
  }
  if (partitionKeys.size === 0) return p;
  const { scan } = below;
  const files = scan.files ?? (scan.source.kind === "parquet" ? scan.source.files : []);
  const bytes = files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
  const wanted = Math.min(MAX_SLICES, Math.floor(bytes / BYTES_PER_SLICE));
  if (wanted < 2 || scan.source.kind !== "parquet") return p;
  const columns = scan.source.partitionColumns.filter((c) => partitionKeys.has(c.name));
  const parts = slices(files, columns, wanted);
  if (parts.length < 2) return p;
  return { kind: "union", partitionWise: true, inputs: parts.map((f) => ({ ...p, input: withScan(p.input, { ...scan, files: f }) })) };
}

export const partitionWiseAggregation: Pass = {
  name: "partitionWiseAggregation",
  description: "run a group-by with distinct counts, medians or quantiles, keyed on a hive partition column, as one aggregation per slice of partitions (UNION ALL)",
  run: (plan) => transformUp(plan, split),
};
