// partitionWiseAggregation on real hive-partitioned Parquet written by DuckDB: which plans it splits, that
// each partition value lands in exactly one slice, and that results equal the unsplit plan and hand SQL.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { col, count, scan, type LazyFrame } from "../../src/index.js";
import { connect } from "../../src/engine/instance.js";
import type { Plan } from "../../src/plan/nodes.js";
import { planTree } from "../../src/plan/tree.js";
import { BYTES_PER_SLICE, MAX_SLICES, partitionWiseAggregation } from "../../src/plan/passes/partitionWiseAggregation.js";

let dir = "";
let small = "";
const CUSTOMERS = 12;

/** Sums every file's size below `d`. */
function bytesBelow(d: string): number {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".parquet"))
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

async function write(target: string, rows: number): Promise<void> {
  const conn = await connect();
  try {
    // md5 session ids barely compress, so a few hundred thousand rows make several MB of Parquet.
    await conn.run(`COPY (
      SELECT 'c' || (hash(i * 4 + 1) % ${CUSTOMERS}) AS customer,
             hash(i * 4 + 2) % 7 AS region,
             '/p/' || (hash(i * 4 + 3) % 40) AS url,
             md5(CAST(hash(i * 4 + 4) % ${Math.max(1, rows / 3)} AS VARCHAR)) AS session_id,
             ['a', 'b', 'c', NULL][1 + CAST(hash(i) % 4 AS BIGINT)] AS referrer,
             i AS n
      FROM range(${rows}) AS r(i)) TO '${target}' (FORMAT parquet, PARTITION_BY (customer, region))`);
  } finally {
    conn.closeSync();
  }
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "sluice-pwa-"));
  dir = join(root, "events");
  small = join(root, "small");
  await write(dir, 400_000);
  await write(small, 2_000);
});

afterAll(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

const sliced = (p: Plan): Plan[] => (p.kind === "union" ? [...p.inputs] : []);
function scanFiles(p: Plan): string[] {
  if (p.kind === "scan") return (p.files ?? (p.source.kind === "parquet" ? p.source.files : [])).map((f) => f.path);
  return "input" in p ? scanFiles(p.input) : [];
}
const customerOf = (path: string) => /customer=([^/]+)/.exec(path)![1];

async function visitsBy(keys: string[]): Promise<LazyFrame> {
  const events = await scan.parquet(dir, { hive: true });
  return events
    .groupBy(...keys)
    .agg(count().as("views"), col("session_id").nUnique().as("visitors"), col("referrer").valueCounts().as("referrers"), col("n").sum().as("total"));
}

/** Rows as sorted JSON lines, so row order does not matter. */
async function rowsOf(f: LazyFrame): Promise<string[]> {
  const df = await f.collect();
  return df
    .toRecords()
    .map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? String(v) : v instanceof Map ? [...v].sort() : v)))
    .sort();
}

describe("partitionWiseAggregation", () => {
  it("the test data is large enough to be split", () => {
    expect(bytesBelow(dir)).toBeGreaterThan(2 * BYTES_PER_SLICE);
    expect(bytesBelow(small)).toBeLessThan(2 * BYTES_PER_SLICE);
  });

  it("splits a distinct count grouped by a partition column into balanced slices; each customer in one slice", async () => {
    const q = await visitsBy(["customer", "url"]);
    const parts = sliced(q.optimizedPlan());
    const wanted = Math.min(MAX_SLICES, CUSTOMERS, Math.floor(bytesBelow(dir) / BYTES_PER_SLICE));
    expect(parts.length).toBe(wanted);
    const sliceOf = new Map<string, number>();
    parts.forEach((part, i) => {
      expect(part.kind).toBe("aggregate");
      for (const f of scanFiles(part)) {
        const c = customerOf(f);
        expect(sliceOf.get(c) ?? i).toBe(i); // all files of a customer in the same slice
        sliceOf.set(c, i);
      }
    });
    expect(sliceOf.size).toBe(CUSTOMERS);
    // explain() shows one slice and a count, not every copy
    const text = (await q.explain()).toString();
    expect(text).toContain(`UNION ${wanted} inputs`);
    expect(text).toContain(`… and ${wanted - 1} more inputs of the same shape (files per input: `);
    expect(text.split("\n").filter((l) => l.trim().startsWith("AGGREGATE")).length).toBe(2); // logical plan + one slice
    // the plan tree (plan+json, job.start, the panel's DAG) collapses the same way
    const union = planTree(q.optimizedPlan());
    expect(union.name).toBe("UNION");
    expect(union.children.map((c) => c.name)).toEqual(["AGGREGATE", "…"]);
    const total = (await scan.parquet(dir, { hive: true })).plan;
    expect(parts.flatMap(scanFiles).sort()).toEqual(scanFiles(total).sort()); // every file read exactly once
  });

  it("gives the same rows as the unsplit plan and as hand-written SQL", async () => {
    const q = await visitsBy(["customer", "url"]);
    const unsplit = await visitsBy(["customer", "url"]);
    unsplit.optimizerFlags = { partitionWiseAggregation: false };
    expect(sliced(unsplit.optimizedPlan())).toEqual([]);
    const [a, b] = [await rowsOf(q), await rowsOf(unsplit)];
    expect(a.length).toBeGreaterThan(CUSTOMERS * 30);
    expect(a).toEqual(b);

    const conn = await connect();
    try {
      const reader = await conn.runAndReadAll(
        `SELECT customer, url, count(*) AS views, count(DISTINCT session_id) AS visitors, sum(n) AS total
         FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) GROUP BY customer, url`,
      );
      const expected = reader.getRowObjectsJS().map((r) => `${r.customer}|${r.url}|${r.views}|${r.visitors}|${r.total}`).sort();
      const got = (await q.collect()).toRecords().map((r) => `${r.customer}|${r.url}|${r.views}|${r.visitors}|${r.total}`).sort();
      expect(got).toEqual(expected);
    } finally {
      conn.closeSync();
    }
  });

  it("follows a partition column through filters and renaming projections", async () => {
    const events = await scan.parquet(dir, { hive: true });
    const q = events
      .filter(col("url").neq("/p/1"))
      .select(col("customer").as("who"), "session_id", "region")
      .groupBy("who")
      .agg(col("session_id").nUnique().as("visitors"));
    expect(sliced(q.optimizedPlan()).length).toBeGreaterThan(1);
    const off = events.filter(col("url").neq("/p/1")).select(col("customer").as("who"), "session_id", "region").groupBy("who").agg(col("session_id").nUnique().as("visitors"));
    off.optimizerFlags = { partitionWiseAggregation: false };
    expect(await rowsOf(q)).toEqual(await rowsOf(off));
  });

  it("slices by several partition keys when the group keys include them", async () => {
    const q = await visitsBy(["region", "customer"]);
    const parts = sliced(q.optimizedPlan());
    expect(parts.length).toBeGreaterThan(1);
    const unsplit = await visitsBy(["region", "customer"]);
    unsplit.optimizerFlags = { partitionWiseAggregation: false };
    expect(await rowsOf(q)).toEqual(await rowsOf(unsplit));
  });

  it("splits medians and quantiles too, with the same results", async () => {
    const build = async () => (await scan.parquet(dir, { hive: true })).groupBy("customer").agg(col("n").median().as("med"), col("n").quantile(0.9).as("p90"));
    const q = await build();
    expect(sliced(q.optimizedPlan()).length).toBeGreaterThan(1);
    const off = await build();
    off.optimizerFlags = { partitionWiseAggregation: false };
    expect(await rowsOf(q)).toEqual(await rowsOf(off));
  });

  it("leaves alone what it cannot or need not split", async () => {
    const events = await scan.parquet(dir, { hive: true });
    const unchanged = (f: LazyFrame) => expect(partitionWiseAggregation.run(f.plan)).toBe(f.plan);
    // no distinct count, median or quantile: nothing to gain
    unchanged(events.groupBy("customer").agg(count().as("n"), col("n").sum().as("s"), col("url").collectList().as("urls")));
    // no partition column among the keys: a group can span partitions
    unchanged(events.groupBy("url").agg(col("session_id").nUnique().as("v")));
    // a key computed from a partition column may merge values of several partitions
    unchanged(events.withColumns(col("customer").lower().as("c")).groupBy("c").agg(col("session_id").nUnique().as("v")));
    // a window below the aggregate sees every row of its partition, not a slice
    unchanged(events.withColumns(col("n").cumSum().over({ orderBy: "n" }).as("r")).groupBy("customer").agg(col("session_id").nUnique().as("v"), col("r").max().as("r")));
    // a global aggregate has no keys
    unchanged(events.select(col("session_id").nUnique().as("v")));
    // small inputs: each slice has a fixed cost
    unchanged((await scan.parquet(small, { hive: true })).groupBy("customer").agg(col("session_id").nUnique().as("v")));
  });
});
