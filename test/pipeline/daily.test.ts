// Partition mappings, multi-dimensional and dynamic partitions, blocking checks and pools through the real runner and store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { LazyFrame } from "../../src/frame/index.js";
import {
  dailyPartitions,
  dynamicPartitions,
  fnOp,
  hourlyPartitions,
  hourlyToDaily,
  multiPartitions,
  pipeline,
  PipelineValidationError,
  rangeCheck,
  rowCountCheck,
  runPipeline,
  staticPartitions,
  type RunOptions,
} from "../../src/pipeline/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { latestCheckResults } from "../../src/pipeline/checks.js";

let root: string;
let store: AssetStore;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-daily-"));
  store = new AssetStore(join(root, "store"));
});
afterEach(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});
const quiet = (extra: RunOptions = {}): RunOptions => ({ store, reporter: false, ...extra });
const rows = async (f: unknown) => (await (f as LazyFrame).collect()).toRecords().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));

const hours = hourlyPartitions({ start: "2024-03-01T00" });
const days = dailyPartitions({ start: "2024-03-01" });
/** Clicks of an hour: a deterministic function of the hour, plus the `late` clicks of a raw correction. */
const clicksOf = (key: string, late = 0) => Number(key.slice(11, 13)) * 10 + Number(key.slice(8, 10)) + late;

function hourlyDaily(seen: { daily: number[] }) {
  return pipeline("rollup", [
    // Reads the hour's partition of raw/corrections, which the pipeline does not make (late data lands there).
    fnOp({
      name: "hourly",
      partitions: hours,
      inputs: { raw: "raw/corrections" },
      outputs: ["clicks/hourly"],
      run: async (ctx, inputs) => [{ hour: ctx.partitionKey, clicks: clicksOf(ctx.partitionKey!, (await rows(inputs.raw))[0]!.late as number) }],
    }),
    fnOp({
      name: "daily",
      partitions: days,
      inputs: { hours: "clicks/hourly" },
      partitionMappings: { hours: hourlyToDaily() },
      outputs: ["clicks/daily"],
      run: async (ctx, inputs) => {
        const parts = inputs.hours as LazyFrame[];
        seen.daily.push(parts.length);
        let total = 0;
        for (const part of parts) for (const r of await rows(part)) total += r.clicks as number;
        return [{ day: ctx.partitionKey, clicks: total }];
      },
    }),
  ]);
}

describe("partition mappings in a run", () => {
  it("a daily op gets its 24 hourly inputs; its output equals the direct computation; a late hour makes its day stale", async () => {
    const seen = { daily: [] as number[] };
    const p = hourlyDaily(seen);
    for (const h of hours.range("2024-03-01T00", "2024-03-02T23")) await store.materialize("raw/corrections", [{ late: 0 }], { partition: h });
    // One hour alone: its day is not complete yet, so the day is left out of the run.
    const hourOnly = await runPipeline(p, quiet({ partition: "2024-03-01T05" }));
    expect(hourOnly.nodes.map((n) => n.id)).toEqual(["hourly[2024-03-01T05]"]);
    const first = await runPipeline(p, quiet({ backfill: "2024-03-01T00..2024-03-02T23" }));
    expect(first.status).toBe("succeeded");
    expect(first.nodes.filter((n) => n.op.name === "daily").map((n) => n.id)).toEqual(["daily[2024-03-01]", "daily[2024-03-02]"]);
    expect(seen.daily).toEqual([24, 24]);
    for (const day of ["2024-03-01", "2024-03-02"]) {
      const direct = hours.range(`${day}T00`, `${day}T23`).reduce((s, h) => s + clicksOf(h), 0);
      expect(await rows(await store.read("clicks/daily", { partition: day }))).toEqual([{ day, clicks: direct }]);
    }
    // Late data for one hour: that hour and its day are recomputed, nothing else.
    await store.materialize("raw/corrections", [{ late: 1000 }], { partition: "2024-03-02T07" });
    const late = await runPipeline(p, quiet({ partition: "2024-03-02T07" }));
    expect(late.nodes.map((n) => [n.id, n.status])).toEqual([["hourly[2024-03-02T07]", "succeeded"], ["daily[2024-03-02]", "succeeded"]]);
    expect(late.nodes[1]!.reason).toMatch(/input clicks\/hourly changed/);
    const direct = hours.range("2024-03-02T00", "2024-03-02T23").reduce((s, h) => s + clicksOf(h, h === "2024-03-02T07" ? 1000 : 0), 0);
    expect(await rows(await store.read("clicks/daily", { partition: "2024-03-02" }))).toEqual([{ day: "2024-03-02", clicks: direct }]);
    // Asking for the day runs (or skips) its 24 hours first, and the day is now up to date.
    const again = await runPipeline(p, quiet({ partition: "2024-03-02" }));
    expect(again.nodes.filter((n) => n.op.name === "hourly")).toHaveLength(24);
    expect(again.nodes.filter((n) => n.status !== "skipped").map((n) => `${n.id}: ${n.status} ${n.reason}`)).toEqual([]);
  });

  it("differing partitions without a mapping are a validation error naming the fix", async () => {
    const p = pipeline("bad", [
      fnOp({ name: "hourly", partitions: hours, outputs: ["a/h"], run: () => [{ x: 1 }] }),
      fnOp({ name: "daily", partitions: days, inputs: { h: "a/h" }, outputs: ["a/d"], run: () => [{ x: 1 }] }),
    ]);
    await expect(runPipeline(p, quiet({ partition: "2024-03-01" }))).rejects.toThrow(PipelineValidationError);
    await expect(runPipeline(p, quiet({ partition: "2024-03-01" }))).rejects.toThrow(/declare a partition mapping for that input/);
  });
});

describe("multi-dimensional and dynamic partitions in a run", () => {
  it("a backfill over a range of days × a set of customers runs exactly those keys", async () => {
    const def = multiPartitions({ day: days, customer: staticPartitions(["acme", "globex", "initech"]), region: staticPartitions(["eu", "us"]) });
    const ran: string[] = [];
    const p = pipeline("multi", [fnOp({ name: "sales", partitions: def, outputs: ["sales/daily"], run: (ctx) => (ran.push(ctx.partitionKey!), [{ key: ctx.partitionKey }]) })]);
    const r = await runPipeline(p, quiet({ backfill: "2024-03-01..2024-03-02|acme,initech|eu" }));
    expect(r.status).toBe("succeeded");
    expect(ran.sort()).toEqual(["2024-03-01|acme|eu", "2024-03-01|initech|eu", "2024-03-02|acme|eu", "2024-03-02|initech|eu"]);
    expect(store.partitions("sales/daily").sort()).toEqual(ran);
  });

  it("keys added to a dynamic set are picked up by the next run", async () => {
    const ran: string[] = [];
    const p = pipeline("dyn", [fnOp({ name: "per_customer", partitions: dynamicPartitions("customers"), outputs: ["c/out"], run: (ctx) => (ran.push(ctx.partitionKey!), [{ c: ctx.partitionKey }]) })]);
    await expect(runPipeline(p, quiet())).rejects.toThrow(/dynamic partition set customers has no keys yet; add some with `sluice partitions add customers KEY…`/);
    const state = new PipelineState(store);
    state.run("addPartitions", "customers", ["acme", "globex"], Date.now(), "test");
    expect((await runPipeline(p, quiet())).nodes.map((n) => n.id)).toEqual(["per_customer[acme]", "per_customer[globex]"]);
    state.run("addPartitions", "customers", ["umbrella"], Date.now(), "test");
    state.close();
    const next = await runPipeline(p, quiet());
    expect(next.nodes.map((n) => [n.id, n.status])).toEqual([["per_customer[acme]", "skipped"], ["per_customer[globex]", "skipped"], ["per_customer[umbrella]", "succeeded"]]);
    await expect(runPipeline(p, quiet({ partition: "initech" }))).rejects.toThrow(/sluice partitions add customers initech/);
    expect(ran).toEqual(["acme", "globex", "umbrella"]);
  });
});

describe("asset checks in a run", () => {
  it("a failing blocking check stops downstream for that partition only; results are recorded and the partition is not taken as up to date", async () => {
    const regions = staticPartitions(["eu", "us", "apac"]);
    const counts: Record<string, number[]> = { eu: [5, 6], us: [-3], apac: [0] };
    const p = pipeline(
      "checked",
      [
        fnOp({ name: "stats", partitions: regions, params: { v: 1 }, outputs: ["s/stats"], run: (ctx) => counts[ctx.partitionKey!]!.map((n) => ({ n })) }),
        fnOp({ name: "report", partitions: regions, inputs: { s: "s/stats" }, outputs: ["s/report"], run: (_c, i) => i.s }),
      ],
      { checks: [rangeCheck("s/stats", "n", { min: 0 }, { name: "no_negative", blocking: true }), rowCountCheck("s/stats", { name: "at_least_two", min: 2 })] },
    );
    // us has a negative count (blocking check fails); apac has one row (a non-blocking check fails: its report still runs).
    const r = await runPipeline(p, quiet({ backfill: "eu..apac" }));
    expect(r.status).toBe("failed");
    const status = Object.fromEntries(r.nodes.map((n) => [n.id, n.status]));
    expect(status).toEqual({ "stats[eu]": "succeeded", "stats[us]": "failed", "stats[apac]": "succeeded", "report[eu]": "succeeded", "report[us]": "upstream_failed", "report[apac]": "succeeded" });
    expect(r.nodes.find((n) => n.id === "stats[us]")!.error).toMatch(/blocking check no_negative of s\/stats \(us\) failed: 1 row\(s\) with n outside 0..∞/);
    const state = new PipelineState(store);
    expect(latestCheckResults(state, "s/stats", "apac").map((c) => [c.check, c.passed])).toEqual([["at_least_two", false], ["no_negative", true]]);
    expect(r.checks.filter((c) => !c.passed).map((c) => `${c.check}@${c.partition}`).sort()).toEqual(["at_least_two@apac", "at_least_two@us", "no_negative@us"]);
    state.close();
    // The data is fixed at the source (the op's code and parameters are unchanged): us runs again because its
    // stored version failed a blocking check; the others are up to date.
    counts.us = [3, 4];
    const fixed = await runPipeline(p, quiet({ backfill: "eu..apac" }));
    expect(Object.fromEntries(fixed.nodes.map((n) => [n.id, n.status]))).toMatchObject({ "stats[eu]": "skipped", "stats[us]": "succeeded", "report[us]": "succeeded" });
  });
});

describe("pools in runs", () => {
  it("two runs at once share a pool: at most its limit of their ops run at the same time", async () => {
    let running = 0;
    let peak = 0;
    const op = (name: string) =>
      fnOp({
        name,
        pool: "daily_test_db",
        outputs: [`pool/${name}`],
        run: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 30));
          running -= 1;
          return [{ x: 1 }];
        },
      });
    const a = pipeline("pool_a", [op("a1"), op("a2"), op("a3")], { maxConcurrency: 3, pools: { daily_test_db: 2 } });
    const b = pipeline("pool_b", [op("b1"), op("b2"), op("b3")], { maxConcurrency: 3 });
    const [ra, rb] = await Promise.all([runPipeline(a, quiet({ force: true })), runPipeline(b, quiet({ force: true }))]);
    expect([ra.status, rb.status]).toEqual(["succeeded", "succeeded"]);
    expect(peak).toBe(2);
    await expect(runPipeline(pipeline("bad", [op("c")], { pools: { x: 0 } }), quiet())).rejects.toThrow(/pool x: the limit must be a whole number ≥ 1/);
  });
});
