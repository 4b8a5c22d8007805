// The analytics operators in the plan: explain/progress show them, the optimizer passes treat them
// soundly (same results with every pass off), and projection pushdown still narrows the scans below.
import { describe, expect, it } from "vitest";
import { PASSES, col, fromRecords, onProgress, rank, type ProgressEvent } from "../../src/index.js";

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
