// Each optimizer pass on plan shapes, alone (plans only: nothing runs; test/frame/optimizer-results.test.ts runs them).
import { describe, expect, it } from "vitest";
import { col, count, fromRecords, lit } from "../../src/index.js";
import { literal } from "../../src/plan/expr.js";
import type { Plan } from "../../src/plan/nodes.js";
import { PASSES, optimize } from "../../src/plan/optimizer.js";
import { combineFilters } from "../../src/plan/passes/combineFilters.js";
import { constantFolding, foldExpr } from "../../src/plan/passes/constantFolding.js";
import { limitPushdown } from "../../src/plan/passes/limitPushdown.js";
import { predicatePushdown } from "../../src/plan/passes/predicatePushdown.js";
import { projectionPushdown } from "../../src/plan/passes/projectionPushdown.js";
import { schemaOf } from "../../src/plan/schema.js";
import { planText } from "../../src/plan/tree.js";

const t = () => fromRecords([{ a: 1, b: "x", c: 2.5, d: 10 }, { a: 2, b: "y", c: 3.5, d: 20 }, { a: 3, b: "x", c: null, d: 30 }]);
const u = () => fromRecords([{ b: "x", e: 100 }, { b: "z", e: 200 }]);
const shape = (p: Plan): string => planText(p).replace(/memory \S+ /g, "");
const kinds = (p: Plan): string[] => planText(p).split("\n").map((l) => l.trim().split(" ")[0]);

describe("optimizer passes", () => {
  it("the pass list is in one place, each pass named and described", () => {
    expect(PASSES.map((p) => p.name)).toEqual([
      "constantFolding",
      "combineFilters",
      "predicatePushdown",
      "partitionPruning",
      "limitPushdown",
      "projectionPushdown",
      "partitionWiseAggregation",
    ]);
    for (const p of PASSES) expect(p.description.length).toBeGreaterThan(10);
  });

  it("constantFolding computes literal expressions and removes always-true filters", () => {
    expect(foldExpr(lit(1).add(2).mul(3).node)).toEqual(literal(9));
    expect(foldExpr(lit("a").eq("a").node)).toEqual(literal(true));
    expect(foldExpr(col("a").gt(1).and(lit(true)).node)).toEqual(col("a").gt(1).node);
    expect(foldExpr(col("a").gt(1).or(lit(true)).node)).toEqual(literal(true));
    expect(foldExpr(lit(2 ** 53).mul(4).node).kind).toBe("call"); // would lose precision: left to the engine
    const plan = constantFolding.run(t().filter(lit(1).lt(2)).select(col("a").add(lit(2).mul(3))).plan);
    expect(kinds(plan)).toEqual(["SELECT", "SCAN"]);
    expect(shape(plan)).toContain('col("a").add(lit(6))');
  });

  it("combineFilters merges stacked filters", () => {
    const plan = combineFilters.run(t().filter(col("a").gt(1)).filter(col("b").eq("x")).plan);
    expect(kinds(plan)).toEqual(["FILTER", "SCAN"]);
    expect(shape(plan)).toContain('col("a").gt(lit(1)).and(col("b").eq(lit("x")))');
  });

  it("predicatePushdown moves filters through projections (rewriting names) into the scan", () => {
    const plan = predicatePushdown.run(t().select(col("a").mul(2).as("a2"), "b").filter(col("a2").gt(2)).plan);
    expect(kinds(plan)).toEqual(["SELECT", "SCAN"]);
    expect(shape(plan)).toContain('filter col("a").mul(lit(2)).gt(lit(2))');
  });

  it("predicatePushdown moves key-only conditions below an aggregation, keeps the rest above", () => {
    const plan = predicatePushdown.run(
      t().groupBy(col("b").as("k")).agg(count().as("n")).filter(col("k").eq("x").and(col("n").gt(1))).plan,
    );
    expect(kinds(plan)).toEqual(["FILTER", "AGGREGATE", "SCAN"]);
    expect(shape(plan)).toMatch(/^FILTER col\("n"\)\.gt\(lit\(1\)\)/);
    expect(shape(plan)).toContain('filter col("b").eq(lit("x"))');
  });

  it("predicatePushdown sends each condition to its side of a join, and not below the null side of an outer join", () => {
    const inner = predicatePushdown.run(t().join(u(), { on: "b" }).filter(col("a").gt(1).and(col("e").lt(150)).and(col("b").eq("x"))).plan);
    expect(kinds(inner)).toEqual(["JOIN", "SCAN", "SCAN"]);
    const [, left, right] = shape(inner).split("\n");
    expect(left).toContain('col("a").gt(lit(1))');
    expect(left).toContain('col("b").eq(lit("x"))');
    expect(right).toContain('col("e").lt(lit(150))');
    const outer = predicatePushdown.run(t().join(u(), { on: "b", how: "left" }).filter(col("a").gt(1).and(col("e").lt(150))).plan);
    expect(kinds(outer)).toEqual(["FILTER", "JOIN", "SCAN", "SCAN"]);
    expect(shape(outer).split("\n")[0]).toContain('col("e").lt(lit(150))');
    expect(shape(outer).split("\n")[2]).toContain('col("a").gt(lit(1))');
  });

  it("predicatePushdown stops at a limit and goes through sort and union", () => {
    expect(kinds(predicatePushdown.run(t().limit(2).filter(col("a").gt(1)).plan))).toEqual(["FILTER", "LIMIT", "SCAN"]);
    expect(kinds(predicatePushdown.run(t().sort("a").filter(col("a").gt(1)).plan))).toEqual(["SORT", "SCAN"]);
    const un = predicatePushdown.run(t().union(t()).filter(col("a").gt(1)).plan);
    expect(kinds(un)).toEqual(["UNION", "SCAN", "SCAN"]);
  });

  it("limitPushdown moves a limit below projections, merges limits and limits each union side", () => {
    expect(kinds(limitPushdown.run(t().select("a").limit(1).plan))).toEqual(["SELECT", "LIMIT", "SCAN"]);
    const merged = limitPushdown.run(t().slice(1, 10).limit(1).plan);
    expect(merged).toMatchObject({ kind: "limit", n: 1, offset: 1 });
    const un = limitPushdown.run(t().union(t()).limit(2).plan);
    expect(kinds(un)).toEqual(["LIMIT", "UNION", "LIMIT", "SCAN", "LIMIT", "SCAN"]);
    expect(kinds(limitPushdown.run(t().sort("a").limit(1).plan))).toEqual(["LIMIT", "SORT", "SCAN"]);
  });

  it("projectionPushdown has scans read only the columns used", () => {
    const plan = projectionPushdown.run(t().filter(col("d").gt(0)).groupBy("b").agg(col("a").sum()).plan);
    expect(shape(plan)).toContain("columns [a, b, d]");
    const joined = projectionPushdown.run(t().join(u(), { on: "b" }).select("a", "e").plan);
    const lines = shape(joined).split("\n");
    expect(lines[2]).toContain("columns [a, b]");
    expect(lines[3]).not.toContain("columns"); // u has only b and e, both needed
    const counted = projectionPushdown.run(t().select(count()).plan);
    expect(shape(counted)).toContain("columns [a]");
    // Output schemas never change.
    for (const f of [t().join(u(), { on: "b" }), t().unique(), t().select("a").union(t().select("a"))])
      expect(schemaOf(projectionPushdown.run(f.plan))).toEqual(schemaOf(f.plan));
  });

  it("a pass can be switched off by its flag", () => {
    const f = t().filter(col("a").gt(1));
    f.optimizerFlags = { predicatePushdown: false };
    expect(kinds(f.optimizedPlan())).toEqual(["FILTER", "SCAN"]);
    expect(kinds(optimize(f.plan))).toEqual(["SCAN"]);
  });

});
