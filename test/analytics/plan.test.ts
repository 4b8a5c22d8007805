// The analytics operators in the plan: explain/progress show them, the optimizer passes treat them
// soundly (same results with every pass off), and projection pushdown still narrows the scans below.
import { describe, expect, it } from "vitest";
import { PASSES, col, fromRecords, onProgress, rank, type LazyFrame, type ProgressEvent } from "../../src/index.js";

const ROWS = Array.from({ length: 40 }, (_, i) => ({ id: i, shop: ["n", "s", "e"][i % 3], product: ["tea", "cake"][i % 2], qty: (i * 7) % 11, note: `row ${i}` }));
const frame = () => fromRecords(ROWS);
const allOff = Object.fromEntries(PASSES.map((p) => [p.name, false]));

function scans(plan: unknown): { columns?: string[] }[] {
  const out: { columns?: string[] }[] = [];
  const walk = (p: unknown) => {
    if (!p || typeof p !== "object") return;
    const node = p as Record<string, unknown>;
    if (node.kind === "scan") out.push(node as { columns?: string[] });
    for (const v of Object.values(node)) if (Array.isArray(v)) v.forEach(walk); else if (v && typeof v === "object") walk(v);
  };
  walk(plan);
  return out;
}

describe("analytics operators in the plan", () => {
  it("a query mixing them gives the same rows with the optimizer on and off", async () => {
    const build = () =>
      frame()
        .filter(col("qty").gt(1))
        .withColumns(rank().over({ partitionBy: "shop", orderBy: "qty", descending: true }).as("rk"))
        .filter(col("rk").le(3))
        .pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea", "cake"] })
        .unpivot({ index: "shop" })
        .filter(col("value").isNotNull());
    const on = build();
    const off = build();
    off.optimizerFlags = allOff;
    const a = (await on.sort(["shop", "variable"]).collect()).toRecords();
    const b = (await off.sort(["shop", "variable"]).collect()).toRecords();
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(0);
  });

  it("projection pushdown reads only what pivot needs; filters stay above extension nodes", () => {
    const q = frame().pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea"] }).filter(col("tea").gt(3));
    const plan = q.optimizedPlan();
    expect(scans(plan).map((s) => s.columns?.sort())).toEqual([["product", "qty", "shop"]]);
    expect(plan.kind).toBe("filter");
  });

  it("filters move below extension operators only where the result stays the same, and it does", async () => {
    const prices = fromRecords(ROWS.map((r) => ({ id: r.id, at: r.id * 2, shop: r.shop, price: r.qty * 10 })));
    const nested = frame().groupBy("shop", "product").agg(col("qty").collectList().as("qtys"), col("id").min().as("first"));
    const cases: { name: string; build: () => LazyFrame; below: boolean }[] = [
      { name: "pivot: index column", build: () => frame().pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea", "cake"] }).filter(col("shop").neq("s")), below: true },
      { name: "pivot: pivoted column", build: () => frame().pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea", "cake"] }).filter(col("tea").gt(20)), below: false },
      { name: "unpivot: index column", build: () => frame().select("id", "qty", "note").unpivot({ index: "id", on: ["qty"] }).filter(col("id").lt(10)), below: true },
      { name: "unpivot: value column", build: () => frame().select("id", "qty").unpivot({ index: "id" }).filter(col("value").gt(5)), below: false },
      { name: "explode: other column", build: () => nested.explode("qtys").filter(col("shop").eq("n").and(col("first").gt(0))), below: true },
      { name: "explode: exploded column", build: () => nested.explode("qtys").filter(col("qtys").gt(5)), below: false },
      { name: "asof: left column", build: () => frame().joinAsof(prices.rename({ id: "pid" }), { leftOn: "id", rightOn: "at", by: "shop" }).filter(col("qty").gt(3)), below: true },
      { name: "asof: right column", build: () => frame().joinAsof(prices.rename({ id: "pid" }), { leftOn: "id", rightOn: "at", by: "shop" }).filter(col("price").gt(30)), below: false },
      { name: "fuzzy: left column", build: () => frame().fuzzyJoin(frame().select(col("note").as("n2")), { left: "note", right: "n2", threshold: 0.5 }).filter(col("qty").lt(5)), below: true },
    ];
    for (const c of cases) {
      const plan = c.build().optimizedPlan();
      expect([c.name, plan.kind === "filter" || (plan.kind === "project" && plan.input.kind === "filter")]).toEqual([c.name, !c.below]);
      const off = c.build();
      off.optimizerFlags = { predicatePushdown: false };
      const key = (r: Record<string, unknown>) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? String(v) : v));
      const [a, b] = [(await c.build().collect()).toRecords().map(key).sort(), (await off.collect()).toRecords().map(key).sort()];
      expect([c.name, a]).toEqual([c.name, b]);
      expect([c.name, a.length > 0]).toEqual([c.name, true]);
    }
  });

  it("explain and the progress events name the operators", async () => {
    const events: ProgressEvent[] = [];
    const stop = onProgress((e) => events.push(e));
    try {
      const q = frame().fuzzyJoin(frame(), { left: "note", right: "note", threshold: 1 }).joinAsof(frame().select("id", "qty"), { on: "id" });
      const explain = await q.explain();
      expect(explain.optimized).toMatch(/ASOF JOIN backward id ~ id/);
      expect(explain.optimized).toMatch(/FUZZY JOIN jaccard\(note, note\) >= 1 on words, keep all \(prefix filtering\)/);
      expect(await q.count()).toBe(ROWS.length);
    } finally {
      stop();
    }
    const start = events.find((e) => e.type === "job.start" && JSON.stringify(e).includes("FUZZY JOIN"));
    expect(start).toBeDefined();
    const end = events.find((e) => e.type === "job.end" && e.jobId === (start as { jobId: string }).jobId);
    expect(end).toMatchObject({ status: "succeeded" });
  });
});
