// Hive partition pruning: files in pruned partitions are never opened — proven with a corrupt file.
import { readdirSync, writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SourceError, col, count, fromRecords, scan } from "../../src/index.js";
import type { Plan } from "../../src/plan/nodes.js";

const ROWS = [
  { day: "2024-01-01", hour: 1, customer: "acme", v: 1 },
  { day: "2024-01-01", hour: 2, customer: "acme", v: 2 },
  { day: "2024-01-01", hour: 2, customer: "zeta", v: 3 },
  { day: "2024-01-02", hour: 1, customer: "acme", v: 4 },
  { day: "2024-01-02", hour: 5, customer: "zeta", v: 5 },
];
let root = "";

function scanOf(p: Plan): Extract<Plan, { kind: "scan" }> {
  return p.kind === "scan" ? p : scanOf("input" in p ? p.input : (p as { left: Plan }).left);
}

beforeAll(async () => {
  root = join(mkdtempSync(join(tmpdir(), "sluice-hive-")), "events");
  await fromRecords(ROWS).write.parquet(root, { partitionBy: ["day", "hour", "customer"] });
  // Corrupt every file of day=2024-01-02: any query that opens one fails.
  for (const hour of readdirSync(join(root, "day=2024-01-02")))
    for (const cust of readdirSync(join(root, "day=2024-01-02", hour)))
      for (const f of readdirSync(join(root, "day=2024-01-02", hour, cust))) writeFileSync(join(root, "day=2024-01-02", hour, cust, f), "not parquet at all");
});

describe("hive partition pruning", () => {
  it("partition columns come from the folders, typed from their values", async () => {
    const f = await scan.parquet(root, { hive: true });
    expect(f.schema).toEqual([
      { name: "v", type: "BIGINT" },
      { name: "day", type: "DATE" },
      { name: "hour", type: "BIGINT" },
      { name: "customer", type: "VARCHAR" },
    ]);
  });

  it("a query on unpruned data opens the corrupt file and fails (the control)", async () => {
    const f = await scan.parquet(root, { hive: true });
    await expect(f.collect()).rejects.toThrow(SourceError);
  });

  it("a filter on partition columns prunes the corrupt partition: the query succeeds without opening it", async () => {
    const f = await scan.parquet(root, { hive: true });
    const q = f.filter(col("day").eq("2024-01-01")).groupBy("customer").agg(col("v").sum().as("v"), count().as("n")).sort("customer");
    const s = scanOf(q.optimizedPlan());
    expect(s.files!.length).toBe(3);
    expect(s.files!.every((x) => x.path.includes("day=2024-01-01"))).toBe(true);
    expect((await q.collect()).toRecords()).toEqual([
      { customer: "acme", v: 3, n: 2 },
      { customer: "zeta", v: 3, n: 1 },
    ]);
    expect(String(await q.explain())).toContain("files 3/5");
  });

  it("prunes on integers, IN lists, OR, NOT and ranges across several partition keys", async () => {
    const f = await scan.parquet(root, { hive: true });
    const cases: [ReturnType<typeof col>, number[]][] = [
      [col("day").lt(new Date("2024-01-02T00:00:00Z")).and(col("hour").eq(2)), [2, 3]],
      [col("customer").isIn(["zeta"]).and(col("day").neq("2024-01-02")), [3]],
      [col("hour").le(1).or(col("customer").eq("zeta")).and(col("day").eq("2024-01-01")), [1, 3]],
      [col("day").eq("2024-01-02").not().and(col("hour").ge(2)), [2, 3]],
    ];
    for (const [pred, expected] of cases) {
      const q = f.filter(pred).filter(col("v").gt(0));
      expect(scanOf(q.optimizedPlan()).files!.every((x) => !x.path.includes("2024-01-02"))).toBe(true);
      expect((await q.sort("v").collect()).column("v")).toEqual(expected);
    }
  });

  it("pruning every partition gives an empty result with the right columns", async () => {
    const f = await scan.parquet(root, { hive: true });
    const df = await f.filter(col("day").eq("1999-01-01")).collect();
    expect(df.numRows).toBe(0);
    expect(df.columns).toEqual(["v", "day", "hour", "customer"]);
  });

  it("conditions mixing data and partition columns do not prune wrongly", async () => {
    const f = await scan.parquet(root, { hive: true });
    const q = f.filter(col("day").eq("2024-01-01").or(col("v").eq(4)));
    expect(scanOf(q.optimizedPlan()).files).toBeUndefined();
  });
});
