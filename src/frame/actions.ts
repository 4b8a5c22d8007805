// Actions that need more than one step: profile, cache and describe.
import * as A from "../engine/apache_arrow.js";
import type { SqlParams } from "../plan/extensions.js";
import type { ExtensionParams, Plan } from "../plan/nodes.js";
import { optimize } from "../plan/optimizer.js";
import { jobDescription, planTree } from "../plan/tree.js";
import { isFloat, isNumeric, isTemporal, type Field } from "../plan/types.js";
import { collectTable, materialize, profileTable, type ActionInfo } from "../engine/execute.js";
import { releaseWhenUnreachable } from "../engine/memory.js";
import { quoteIdent } from "../engine/sql/quote.js";
import { DataFrame } from "./dataframe.js";
import { Profile } from "./explain.js";
import { setOwn } from "./values.js";
import type { LazyFrame } from "./lazy.js";

export async function profilePlan(plan: Plan, info: ActionInfo): Promise<Profile> {
  const { table, operators } = await profileTable(plan, info);
  return new Profile(new DataFrame(table), operators, plan);
}

export async function cachePlan(plan: Plan, info: ActionInfo): Promise<Plan> {
  const { name, schema } = await materialize(plan, info);
  const source = { kind: "table", name, schema, label: `cache ${name}` } as const;
  releaseWhenUnreachable(source, name); // dropped from the engine once no frame can read it
  return { kind: "scan", source, filters: [] };
}

/** Polars' describe rows, in its order and spelling; percentiles are Polars' "nearest" (see percentileSql). */
const STATISTICS = ["count", "null_count", "mean", "std", "min", "25%", "50%", "75%", "max"] as const;
type Statistic = (typeof STATISTICS)[number];
const PERCENTILES: [Statistic, number][] = [["25%", 0.25], ["50%", 0.5], ["75%", 0.75]];

/** How describe summarises a column; like Polars: numbers and booleans as numbers, dates and text as text. */
type Kind = "float" | "number" | "bool" | "temporal" | "text" | "other";

function kindOf(type: string): Kind {
  if (isFloat(type)) return "float";
  if (isNumeric(type)) return "number";
  if (type === "BOOLEAN") return "bool";
  if (isTemporal(type) || type === "TIME" || type === "TIME WITH TIME ZONE" || type === "INTERVAL") return "temporal";
  if (type === "VARCHAR" || type === "BLOB" || type === "UUID") return "text";
  return "other";
}

/**
 * Floats above this (in absolute value) could overflow DuckDB's running variance (it raises "STDDEV_SAMP is
 * out of range" instead of returning inf); their std is computed on values scaled by a power of two.
 */
const SAFE_FOR_VARIANCE = "1e120";

/** The column's non-null values in ascending order (NaN last, as Polars sorts them). */
function sortedList(x: string): string {
  return `list_sort(list(${x}) FILTER (WHERE ${x} IS NOT NULL))`;
}

/**
 * Polars' "nearest" percentile of a sorted list: the element at round((n - 1) * q), halves away from zero.
 * (DuckDB's quantile_disc picks another rank, and its q must be a constant, so it cannot follow the count.)
 * The list holds the column's values once, as DuckDB's quantile would.
 */
function percentileSql(sorted: string, q: number): string {
  return `${sorted}[CAST(round((len(${sorted}) - 1) * ${q}) AS BIGINT) + 1]`;
}

/**
 * Summary statistics per column, as Polars' describe(): one row per statistic (count, null_count, mean, std,
 * min, 25%, 50%, 75%, max), one column per input column, plus the label column `statistic` (`statistic_` when
 * a data column is already called `statistic`, so labels and data never collide). Numeric and boolean columns
 * give numbers; dates, times and text give text. Never fails on NaN, ±inf or huge floats: like Polars, mean and
 * std are NaN or inf when non-finite values are present, and min/max skip NaN.
 */
export async function describeFrame(frame: LazyFrame): Promise<DataFrame> {
  const schema = frame.schema;
  const inner: string[] = ["count(*) AS rows"];
  const outer: string[] = ["rows"];
  const outSchema: Field[] = [{ name: "rows", type: "BIGINT" }];
  const out = (sql: string, name: string, type: string) => {
    outer.push(`${sql} AS ${name}`);
    outSchema.push({ name, type });
  };
  const kinds = schema.map((f) => kindOf(f.type));
  schema.forEach((f, i) => {
    const kind = kinds[i];
    const x = `src.${quoteIdent(f.name)}`;
    const a = (stat: string) => `s${i}_${stat}`;
    const c = (stat: string) => `c${i}_${stat}`;
    inner.push(`count(${x}) AS ${a("count")}`);
    out(a("count"), c("count"), "BIGINT");
    const text = kind === "temporal" || kind === "text";
    const type = text ? "VARCHAR" : "DOUBLE";
    const as = (sql: string) => `CAST(${sql} AS ${type})`;
    if (kind === "float") {
      const v = `CAST(${x} AS DOUBLE)`;
      inner.push(
        `avg(${v}) AS ${a("mean")}`,
        `count(${v}) FILTER (WHERE NOT isfinite(${v})) AS ${a("nonfinite")}`,
        `count(${v}) FILTER (WHERE abs(${v}) > ${SAFE_FOR_VARIANCE}) AS ${a("big")}`,
        `stddev_samp(${v}) FILTER (WHERE abs(${v}) <= ${SAFE_FOR_VARIANCE}) AS ${a("std")}`,
        `max(abs(${v})) FILTER (WHERE isfinite(${v})) AS ${a("scale")}`,
        `coalesce(min(${v}) FILTER (WHERE NOT isnan(${v})), min(${v})) AS ${a("min")}`,
        `coalesce(max(${v}) FILTER (WHERE NOT isnan(${v})), max(${v})) AS ${a("max")}`,
        `${sortedList(v)} AS ${a("sorted")}`,
      );
      // Only reached when every value is finite and some are huge: an exact power of two keeps the digits.
      const scale = `pow(2, floor(log2(${a("scale")})))`;
      const scaled = `list_stddev_samp([v / ${scale} FOR v IN ${a("sorted")}]) * ${scale}`;
      out(a("mean"), c("mean"), type);
      out(
        `CASE WHEN ${a("count")} < 2 THEN NULL WHEN ${a("nonfinite")} > 0 OR NOT isfinite(${a("mean")}) THEN CAST('NaN' AS DOUBLE) ` +
          `WHEN ${a("big")} = 0 THEN ${a("std")} ELSE ${scaled} END`,
        c("std"),
        type,
      );
    } else if (kind === "number" || kind === "temporal") {
      inner.push(`avg(${x}) AS ${a("mean")}`, `min(${x}) AS ${a("min")}`, `max(${x}) AS ${a("max")}`, `${sortedList(x)} AS ${a("sorted")}`);
      out(as(a("mean")), c("mean"), type);
      if (kind === "number") {
        inner.push(`stddev_samp(CAST(${x} AS DOUBLE)) AS ${a("std")}`);
        out(a("std"), c("std"), type);
      }
    } else if (kind === "bool") {
      const v = `CAST(${x} AS DOUBLE)`;
      inner.push(`avg(${v}) AS ${a("mean")}`, `min(${v}) AS ${a("min")}`, `max(${v}) AS ${a("max")}`);
      out(a("mean"), c("mean"), type);
    } else if (kind === "text") {
      inner.push(`min(${x}) AS ${a("min")}`, `max(${x}) AS ${a("max")}`);
    }
    if (kind === "other") return;
    out(as(a("min")), c("min"), type);
    // Percentiles need the sorted values, kept for numbers and dates/times (not for booleans and text).
    if (kind !== "text" && kind !== "bool")
      for (const [stat, q] of PERCENTILES) out(as(percentileSql(a("sorted"), q)), c(stat.replace("%", "")), type);
    out(as(a("max")), c("max"), type);
  });
  const params: SqlParams = {
    text: [`SELECT ${outer.join(", ")} FROM (SELECT ${inner.join(", ")} FROM `, ` AS src) AS stats`],
    slots: [{ frame: 0 }],
    values: [],
    schema: outSchema,
  };
  const plan = optimize({ kind: "extension", op: "sql", inputs: [frame.plan], params: params as unknown as ExtensionParams }, frame.optimizerFlags);
  const table = await collectTable(plan, { description: jobDescription("describe", plan.kind === "extension" ? plan.inputs[0] : plan), planTree: planTree(plan) });
  const stats = new DataFrame(table).toRecords()[0] ?? {};

  let label = "statistic";
  while (schema.some((f) => f.name === label)) label += "_";
  const columns: Record<string, A.Vector> = {};
  setOwn(columns, label, A.vectorFromArray([...STATISTICS], new A.Utf8()));
  schema.forEach((f, i) => {
    const text = kinds[i] === "temporal" || kinds[i] === "text";
    const value = (s: Statistic): unknown => {
      if (s === "null_count") return Number(stats.rows) - Number(stats[`c${i}_count`]);
      if (s === "count") return Number(stats[`c${i}_count`]);
      return stats[`c${i}_${s.replace("%", "")}`] ?? null;
    };
    const values = STATISTICS.map(value);
    setOwn(
      columns,
      f.name,
      text
        ? A.vectorFromArray(values.map((v) => (v === null ? null : String(v))), new A.Utf8())
        : A.vectorFromArray(values.map((v) => (v === null ? null : Number(v))), new A.Float64()),
    );
  });
  return new DataFrame(new A.Table(columns));
}
