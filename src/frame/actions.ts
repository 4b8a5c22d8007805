// Actions that need more than one step: profile, cache and describe.
import * as A from "../engine/apache_arrow.js";
import { colRef, type Expr } from "../plan/expr.js";
import type { Plan } from "../plan/nodes.js";
import { isNumeric, isTemporal } from "../plan/types.js";
import { materialize, profileTable, type ActionInfo } from "../engine/execute.js";
import { DataFrame } from "./dataframe.js";
import { Profile } from "./explain.js";
import type { LazyFrame } from "./lazy.js";

export async function profilePlan(plan: Plan, info: ActionInfo): Promise<Profile> {
  const { table, operators } = await profileTable(plan, info);
  return new Profile(new DataFrame(table), operators, plan);
}

export async function cachePlan(plan: Plan, info: ActionInfo): Promise<Plan> {
  const { name, schema } = await materialize(plan, info);
  return { kind: "scan", source: { kind: "table", name, schema, label: `cache ${name}` }, filters: [] };
}

const STATISTICS = ["count", "null_count", "mean", "std", "min", "median", "max"] as const;

/** Summary statistics per column (Polars' describe): one row per statistic, one column per input column. */
export async function describeFrame(frame: LazyFrame): Promise<DataFrame> {
  const schema = frame.schema;
  const aggs: Expr[] = [];
  const agg = (fn: string, c: string, name: string): Expr => ({ kind: "alias", name, expr: { kind: "agg", fn, args: [colRef(c)] } });
  schema.forEach((f, i) => {
    const numeric = isNumeric(f.type);
    const ordered = numeric || isTemporal(f.type) || f.type === "VARCHAR";
    aggs.push(agg("count", f.name, `${i}_count`));
    aggs.push({ kind: "alias", name: `${i}_rows`, expr: { kind: "agg", fn: "count_star", args: [] } });
    if (numeric) {
      aggs.push(agg("mean", f.name, `${i}_mean`), agg("std", f.name, `${i}_std`), agg("median", f.name, `${i}_median`));
    }
    if (ordered) aggs.push(agg("min", f.name, `${i}_min`), agg("max", f.name, `${i}_max`));
  });
  const stats = (await new (frame.constructor as typeof LazyFrame)({ kind: "aggregate", input: frame.plan, keys: [], aggs }).collect()).toRecords()[0] ?? {};
  const columns: Record<string, A.Vector> = { statistic: A.vectorFromArray([...STATISTICS], new A.Utf8()) };
  schema.forEach((f, i) => {
    const numeric = isNumeric(f.type);
    const value = (s: (typeof STATISTICS)[number]): unknown => {
      if (s === "null_count") return Number(stats[`${i}_rows`]) - Number(stats[`${i}_count`]);
      return stats[`${i}_${s}`] ?? null;
    };
    const values = STATISTICS.map(value);
    columns[f.name] = numeric
      ? A.vectorFromArray(values.map((v) => (v === null ? null : Number(v))), new A.Float64())
      : A.vectorFromArray(values.map((v) => (v === null ? null : v instanceof Date ? v.toISOString() : String(v))), new A.Utf8());
  });
  return new DataFrame(new A.Table(columns));
}
