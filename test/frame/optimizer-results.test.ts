// Every optimizer pass together must not change any result: each query runs on DuckDB optimized and with every
// pass off (the passes' plan shapes are checked without running anything in test/plan/passes.test.ts).
import { describe, expect, it } from "vitest";
import { col, count, fromRecords, lit } from "../../src/index.js";
import { PASSES } from "../../src/plan/optimizer.js";

const t = () => fromRecords([{ a: 1, b: "x", c: 2.5, d: 10 }, { a: 2, b: "y", c: 3.5, d: 20 }, { a: 3, b: "x", c: null, d: 30 }]);
const u = () => fromRecords([{ b: "x", e: 100 }, { b: "z", e: 200 }]);

describe("optimizer results", () => {
  it("optimized and unoptimized plans give the same results", async () => {
    const off = Object.fromEntries(PASSES.map((p) => [p.name, false]));
    const queries = [
      t().select(col("a").mul(2).as("a2"), "b").filter(col("a2").gt(2)),
      t().groupBy(col("b").as("k")).agg(count().as("n"), col("c").sum().as("s")).filter(col("k").eq("x").and(col("n").gt(1))),
      t().join(u(), { on: "b", how: "left" }).filter(col("a").gt(1).or(col("e").isNull())),
      t().join(u(), { on: "b", how: "full" }).filter(col("b").neq("y")),
      t().join(u(), { on: "b", how: "right" }).filter(col("b").eq("z")),
      t().join(u(), { on: "b", how: "anti" }).filter(col("a").gt(0)),
      t().union(t()).filter(col("a").ge(2)).limit(3).select("a"),
      t().sort("a", { descending: true }).limit(2).filter(col("a").gt(1)),
      t().unique("b").filter(col("b").eq("x")).select("b"),
      t().filter(lit(1).lt(2).and(col("c").isNotNull())).select(col("c").add(lit(1).add(1))),
    ];
    for (const q of queries) {
      const slow = q.select(q.columns);
      slow.optimizerFlags = off;
      const norm = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r)).sort();
      expect(norm((await q.collect()).toRecords())).toEqual(norm((await slow.collect()).toRecords()));
    }
  });
});
