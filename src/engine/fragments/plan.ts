// Fragment planning: finds the unions the optimizer's partition-wise pass made (each input the same
// aggregate over another slice of a hive-partitioned scan's files), groups their inputs into at most
// `maxFragments` fragments balanced by bytes, and builds the plan that reads the fragments' Parquet parts
// back in their place. The plan is otherwise unchanged: whatever sits above the union (sort, limit,
// a write) runs in the driver over the parts.
import type { HiveFile, Plan } from "../../plan/nodes.js";
import { inputsOf, withInputs } from "../../plan/nodes.js";
import { schemaOf } from "../../plan/schema.js";
import type { Expr } from "../../plan/expr.js";
import { compile } from "../sql/compiler.js";
import { quoteIdent } from "../sql/quote.js";

type Scan = Extract<Plan, { kind: "scan" }>;
type Union = Extract<Plan, { kind: "union" }>;

/** One fragment: the slices of a partition-wise union it runs, as one plan (a union of them when several). */
export interface Fragment {
  plan: Plan;
  files: number;
  bytes: number;
  /** The files it reads. */
  paths: string[];
}

/** A partition-wise union of the plan, with the fragments it splits into. */
export interface FragmentedUnion {
  union: Union;
  fragments: Fragment[];
  bytes: number;
}

/** The scan at the bottom of a slice (an aggregate over filters and projections of one scan). */
function sliceScan(p: Plan): Scan | undefined {
  if (p.kind === "scan") return p;
  if (p.kind === "aggregate" || p.kind === "filter" || p.kind === "project") return sliceScan(p.input);
  return undefined;
}

/** The plan with the scan's file list left out: two slices of one split are equal under it. */
function shape(p: Plan): string {
  return JSON.stringify(p, (key, value) => (key === "files" && Array.isArray(value) && value.length > 0 && typeof value[0] === "object" && "partition" in value[0] ? undefined : value));
}

/** Whether `p` is a union made by partitionWiseAggregation: aggregates over hive Parquet slices, alike but for their files. */
export function isPartitionWise(p: Plan): p is Union {
  if (p.kind !== "union" || p.inputs.length < 2) return false;
  const scans = p.inputs.map((i) => (i.kind === "aggregate" ? sliceScan(i) : undefined));
  if (scans.some((s) => s === undefined || s.source.kind !== "parquet" || !s.source.hive || s.files === undefined)) return false;
  const first = shape(p.inputs[0]!);
  return p.inputs.every((i) => shape(i) === first);
}

function sliceBytes(p: Plan): { files: number; bytes: number; paths: string[] } {
  const files: readonly HiveFile[] = sliceScan(p)?.files ?? [];
  return { files: files.length, bytes: files.reduce((n, f) => n + (f.bytes ?? 0), 0), paths: files.map((f) => f.path) };
}

/** The union's slices grouped into at most `max` fragments, heaviest first, each to the lightest fragment so far. */
export function fragmentsOf(union: Union, max: number): Fragment[] {
  const slices = union.inputs.map((plan) => ({ plan, ...sliceBytes(plan) })).sort((a, b) => b.bytes - a.bytes);
  const out = Array.from({ length: Math.min(max, slices.length) }, () => ({ plans: [] as Plan[], files: 0, bytes: 0, paths: [] as string[] }));
  for (const s of slices) {
    const lightest = out.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.plans.push(s.plan);
    lightest.files += s.files;
    lightest.bytes += s.bytes;
    lightest.paths.push(...s.paths);
  }
  return out.map((f) => ({ plan: f.plans.length === 1 ? f.plans[0]! : { kind: "union", inputs: f.plans }, files: f.files, bytes: f.bytes, paths: f.paths }));
}

/** Every partition-wise union of `plan` (outermost first) reading at least `minBytes`, split into fragments. */
export function findFragmentedUnions(plan: Plan, minBytes: number, maxFragments: number): FragmentedUnion[] {
  const found: FragmentedUnion[] = [];
  const walk = (p: Plan) => {
    if (isPartitionWise(p)) {
      const bytes = p.inputs.reduce((n, i) => n + sliceBytes(i).bytes, 0);
      if (bytes >= minBytes) found.push({ union: p, fragments: fragmentsOf(p, maxFragments), bytes });
      return;
    }
    inputsOf(p).forEach(walk);
  };
  walk(plan);
  return found;
}

/** Parquet cannot hold these: written as a type it can, cast back by the driver. HUGEINT would become DOUBLE. */
const PARQUET_STAND_INS: Record<string, string> = { HUGEINT: "DECIMAL(38,0)", UHUGEINT: "DECIMAL(38,0)" };

/** The SQL a fragment runs (compiled by Sluice, hive types explicit), with its columns in types Parquet keeps. */
export function fragmentSql(fragment: Fragment): { sql: string; params?: unknown[] } {
  const { sql, params, memorySources } = compile(fragment.plan);
  if (memorySources.length > 0) throw new Error("a fragment reads in-memory data"); // never for a partition-wise slice
  const schema = schemaOf(fragment.plan);
  if (!schema.some((f) => f.type in PARQUET_STAND_INS)) return { sql, params };
  const cols = schema.map((f) => (f.type in PARQUET_STAND_INS ? `CAST(${quoteIdent(f.name)} AS ${PARQUET_STAND_INS[f.type]}) AS ${quoteIdent(f.name)}` : quoteIdent(f.name)));
  return { sql: `SELECT ${cols.join(", ")} FROM (${sql}) AS fragment`, params };
}

/** What the driver reads in place of `union`: the parts, with every column cast back to the union's type. */
export function partsScan(union: Union, parts: readonly string[], label: string): Plan {
  const schema = schemaOf(union);
  const scan: Scan = {
    kind: "scan",
    source: { kind: "parquet", files: parts.map((path) => ({ path, partition: {} })), hive: false, partitionColumns: [], schema, label },
    filters: [],
  };
  const exprs: Expr[] = schema.map((f) => ({ kind: "alias", name: f.name, expr: { kind: "cast", expr: { kind: "col", name: f.name }, to: f.type } }) as Expr);
  return { kind: "project", input: scan, exprs };
}

/** `plan` with each union in `replaced` put in place of by its parts' plan. */
export function replaceUnions(plan: Plan, replaced: ReadonlyMap<Plan, Plan>): Plan {
  const r = replaced.get(plan);
  if (r) return r;
  const inputs = inputsOf(plan);
  if (inputs.length === 0) return plan;
  const next = inputs.map((i) => replaceUnions(i, replaced));
  return next.every((n, i) => n === inputs[i]) ? plan : withInputs(plan, next);
}
