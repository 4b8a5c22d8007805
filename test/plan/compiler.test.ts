// The SQL the compiler writes for typical plans, as snapshots (test/plan/__snapshots__/compiler.test.ts.snap):
// a change to any query's SQL shows in review. Pure: plans are built as data, nothing loads DuckDB.
import { describe, expect, it } from "vitest";
import { col, concatStr, count, lit, struct, when, type Expression } from "../../src/frame/expr.js";
import "../../src/frame/window.js";
import { rank } from "../../src/frame/window.js";
import "../../src/frame/nested.js";
import type { Expr } from "../../src/plan/expr.js";
import type { HiveFile, Plan } from "../../src/plan/nodes.js";
import { optimize } from "../../src/plan/optimizer.js";
import { compile } from "../../src/engine/sql/compiler.js";

const e = (x: Expression): Expr => x.node;
const MB = 1024 * 1024;

/** A hive-partitioned clickstream scan: 2 days × 2 customers, 3 MB per file. */
function events(): Plan {
  const files: HiveFile[] = [];
  for (const day of ["2024-01-01", "2024-01-02"])
    for (const customer of ["acme", "zeta"])
      files.push({ path: `/data/events/day=${day}/customer=${customer}/part-0.parquet`, partition: { day, customer }, bytes: 3 * MB });
  return {
    kind: "scan",
    filters: [],
    source: {
      kind: "parquet",
      files,
      hive: true,
      partitionColumns: [{ name: "day", type: "DATE" }, { name: "customer", type: "VARCHAR" }],
      schema: [
        { name: "ts", type: "TIMESTAMP" },
        { name: "url", type: "VARCHAR" },
        { name: "session_id", type: "BIGINT" },
        { name: "referrer", type: "VARCHAR" },
        { name: "day", type: "DATE" },
        { name: "customer", type: "VARCHAR" },
      ],
      label: "/data/events",
    },
  };
}

const users = (): Plan => ({
  kind: "scan",
  filters: [],
  source: { kind: "csv", path: "/data/users.csv", options: { delimiter: ";", header: true, nullString: "NA" }, schema: [{ name: "customer", type: "VARCHAR" }, { name: "plan", type: "VARCHAR" }], label: "/data/users.csv" },
});

/** The clickstream benchmark's query (bench/clickstream/workloads.ts) as a plan. */
function clickstream(input: Plan): Plan {
  const withHour: Plan = { kind: "project", input, exprs: [...["ts", "url", "session_id", "referrer", "day", "customer"].map((n) => e(col(n))), e(col("ts").floor("1h").as("hour_ts"))] };
  const agg: Plan = {
    kind: "aggregate",
    input: withHour,
    keys: [e(col("customer")), e(col("url")), e(col("hour_ts"))],
    aggs: [e(count().as("page_views")), e(col("session_id").nUnique().as("visitors")), e(col("referrer").valueCounts().as("referrers"))],
  };
  const fmt = "%Y-%m-%dT%H:%M:%S";
  return {
    kind: "project",
    input: agg,
    exprs: [
      e(concatStr([col("url"), col("customer"), col("hour_ts").format(fmt)], "|").as("_id")),
      e(col("customer")),
      e(col("url")),
      e(col("hour_ts").format(fmt).as("ts")),
      e(struct({ page_views: col("page_views"), visitors: col("visitors") }).as("metrics")),
      e(col("referrers")),
    ],
  };
}

const sql = (p: Plan) => compile(p).sql;

describe("compiler output", () => {
  it("the clickstream query, as written", () => {
    expect(sql(clickstream(events()))).toMatchSnapshot();
  });

  it("the clickstream query after the optimizer: partition-wise slices by customer and day", () => {
    const optimized = optimize(clickstream(events()));
    expect(optimized.kind === "project" && optimized.input.kind === "union" && optimized.input.inputs.length).toBe(2);
    expect(sql(optimized)).toMatchSnapshot();
  });

  it("a filter on a partition column prunes files and pushes the rest into the scan", () => {
    const p: Plan = {
      kind: "limit",
      n: 10,
      offset: 5,
      input: {
        kind: "sort",
        keys: [{ expr: e(col("ts")), descending: true, nullsLast: true }],
        input: {
          kind: "filter",
          predicate: e(col("customer").eq("acme").and(col("url").startsWith("/shop")).and(col("session_id").isIn([1, 2, 3]))),
          input: { kind: "project", input: events(), exprs: [e(col("ts")), e(col("url")), e(col("session_id")), e(col("customer"))] },
        },
      },
    };
    expect(sql(optimize(p))).toMatchSnapshot();
  });

  it("a left join to a CSV scan, with a conditional column", () => {
    const p: Plan = {
      kind: "project",
      input: { kind: "join", left: events(), right: users(), how: "left", leftOn: [e(col("customer"))], rightOn: [e(col("customer"))], suffix: "_right" },
      exprs: [e(col("url")), e(when(col("plan").eq("pro")).then(lit(1)).otherwise(lit(0)).as("pro")), e(col("referrer").fillNull("(direct)").lower().as("ref"))],
    };
    expect(sql(optimize(p))).toMatchSnapshot();
  });

  it("window functions: rank, lag with a default, a rolling mean", () => {
    const p: Plan = {
      kind: "project",
      input: events(),
      exprs: [
        e(col("url")),
        e(rank().over({ partitionBy: "customer", orderBy: "ts" }).as("r")),
        e(col("session_id").lag(1, 0).over({ partitionBy: "customer", orderBy: "ts" }).as("prev")),
        e(col("session_id").rollingMean(3).over({ orderBy: "ts" }).as("avg3")),
      ],
    };
    expect(sql(optimize(p))).toMatchSnapshot();
  });

  it("distinct, sample and a union of two scans", () => {
    const p: Plan = {
      kind: "sample",
      seed: 42,
      n: 100,
      input: { kind: "distinct", subset: ["url"], input: { kind: "union", inputs: [events(), events()] } },
    };
    expect(sql(optimize(p))).toMatchSnapshot();
  });

  it("identifiers and literals are quoted", () => {
    const odd: Plan = {
      kind: "filter",
      predicate: e(col('we"ird').eq("it's")),
      input: { kind: "scan", filters: [], source: { kind: "ndjson", path: "/data/o'dd.ndjson", schema: [{ name: 'we"ird', type: "VARCHAR" }], label: "odd" } },
    };
    expect(sql(odd)).toMatchSnapshot();
  });
});
