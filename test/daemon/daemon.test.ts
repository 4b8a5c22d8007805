// The daemon against a real store and the real runner, with an injected clock: hours pass without sleeping.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { fnOp, hourlyPartitions, pipeline, PipelineUsageError, type Pipeline } from "../../src/pipeline/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { Daemon, sourceId } from "../../src/daemon/daemon.js";
import { schedule, ticksBetween } from "../../src/daemon/schedules.js";
import { assetSensor, fileSensor } from "../../src/daemon/sensors.js";

let root: string;
let store: AssetStore;
let clock: number;
const now = () => clock;
const at = (iso: string) => Date.parse(iso);
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-daemon-"));
  store = new AssetStore(join(root, "store"));
});
afterEach(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

/** An hourly pipeline whose op counts its runs per partition. */
function hourly(runs: string[], options: Parameters<typeof pipeline>[2] = {}): Pipeline {
  return pipeline(
    "clicks",
    [
      fnOp({
        name: "hourly_stats",
        partitions: hourlyPartitions({ start: "2024-03-01T00" }),
        outputs: ["clicks/hourly"],
        run: (ctx) => {
          runs.push(ctx.partitionKey!);
          return [{ hour: ctx.partitionKey, clicks: runs.length }];
        },
      }),
    ],
    options,
  );
}

function ticksOf(source: string) {
  const state = new PipelineState(store);
  try {
    return state.run("ticks", source, 1000).reverse();
  } finally {
    state.close();
  }
}

describe("schedules", () => {
  it("ticks between two times follow the cron expression; a bad expression is a clear error", () => {
    const s = schedule({ name: "h", cron: "5 * * * *" });
    expect(ticksBetween(s, at("2024-03-01T00:30:00Z"), at("2024-03-01T03:05:00Z")).map((t) => new Date(t).toISOString())).toEqual([
      "2024-03-01T01:05:00.000Z", "2024-03-01T02:05:00.000Z", "2024-03-01T03:05:00.000Z",
    ]);
    expect(() => schedule({ name: "h", cron: "61 * * * *" })).toThrow(PipelineUsageError);
    expect(() => schedule({ name: "h", cron: "61 * * * *" })).toThrow(/five fields/);
  });

  it("fires each due tick exactly once across a daemon restart, for the hour that ended", async () => {
    const runs: string[] = [];
    const p = hourly(runs, { schedules: [schedule({ name: "hourly", cron: "5 * * * *" })] });
    const source = sourceId("clicks", { kind: "schedule", name: "hourly" });
    clock = at("2024-03-01T00:30:00Z");
    const first = new Daemon({ store, pipelines: [p], now });
    expect(await first.evaluate()).toEqual([]); // starts watching from now
    clock = at("2024-03-01T03:10:00Z");
    const fired = await first.evaluate();
    expect(fired.map((o) => [o.partition, o.status])).toEqual([["2024-03-01T00", "succeeded"], ["2024-03-01T01", "succeeded"], ["2024-03-01T02", "succeeded"]]);
    expect(await first.evaluate()).toEqual([]); // same time again: nothing due
    first.close();

    // The daemon was down for two hours; a new one runs the missed ticks, and only those.
    clock = at("2024-03-01T05:06:00Z");
    const second = new Daemon({ store, pipelines: [p], now });
    expect((await second.evaluate()).map((o) => o.partition)).toEqual(["2024-03-01T03", "2024-03-01T04"]);
    second.close();
    expect(runs).toEqual(["2024-03-01T00", "2024-03-01T01", "2024-03-01T02", "2024-03-01T03", "2024-03-01T04"]);
    const ticks = ticksOf(source);
    expect(ticks.map((t) => [t.tick_key, t.status])).toEqual([
      ["2024-03-01T01:05:00.000Z", "succeeded"], ["2024-03-01T02:05:00.000Z", "succeeded"], ["2024-03-01T03:05:00.000Z", "succeeded"],
      ["2024-03-01T04:05:00.000Z", "succeeded"], ["2024-03-01T05:05:00.000Z", "succeeded"],
    ]);
    // Each tick's run is in the store under the id the tick recorded.
    for (const t of ticks) expect(store.run(t.run_id!)?.status).toBe("succeeded");
  });

  it("a tick claimed by a daemon that died before its run started runs once, under the claimed run id", async () => {
    const runs: string[] = [];
    const p = hourly(runs, { schedules: [schedule({ name: "hourly", cron: "0 * * * *" })] });
    const source = sourceId("clicks", { kind: "schedule", name: "hourly" });
    clock = at("2024-03-01T01:30:00Z");
    const first = new Daemon({ store, pipelines: [p], now });
    await first.evaluate();
    first.close();
    // What a daemon killed between claiming the 02:00 tick and starting its run leaves behind.
    const state = new PipelineState(store);
    state.run("claimTick", { source, tick_key: "2024-03-01T02:00:00.000Z", tick_time: at("2024-03-01T02:00:00Z"), status: "requested", run_id: "20240301T020000-crashed", partition: "2024-03-01T01", reason: null }, JSON.stringify({ after: at("2024-03-01T02:00:00Z") }), clock);
    state.close();
    clock = at("2024-03-01T03:00:00Z");
    const second = new Daemon({ store, pipelines: [p], now });
    const outcomes = await second.evaluate();
    expect(outcomes.map((o) => [o.tickKey, o.status, o.runId?.startsWith("20240301T030000") ? "new" : o.runId])).toEqual([
      ["2024-03-01T02:00:00.000Z", "succeeded", "20240301T020000-crashed"],
      ["2024-03-01T03:00:00.000Z", "succeeded", "new"],
    ]);
    expect(await second.evaluate()).toEqual([]);
    second.close();
    expect(runs).toEqual(["2024-03-01T01", "2024-03-01T02"]);
  });

  it("records skipped ticks with their reason (shouldRun, catch-up limit)", async () => {
    const runs: string[] = [];
    const p = hourly(runs, {
      schedules: [schedule({ name: "hourly", cron: "0 * * * *", catchUp: 2, shouldRun: (t) => (t.getUTCHours() === 4 ? "maintenance window" : true) })],
    });
    clock = at("2024-03-01T00:30:00Z");
    const d = new Daemon({ store, pipelines: [p], now });
    await d.evaluate();
    clock = at("2024-03-01T05:00:00Z");
    const outcomes = await d.evaluate();
    d.close();
    expect(outcomes.map((o) => [o.tickKey.slice(11, 13), o.status])).toEqual([["01", "skipped"], ["02", "skipped"], ["03", "skipped"], ["04", "skipped"], ["05", "succeeded"]]);
    expect(outcomes[0]!.reason).toMatch(/catchUp: 2 runs only the latest 2 of 5 missed ticks/);
    expect(outcomes[3]!.reason).toBe("maintenance window");
    expect(runs).toEqual(["2024-03-01T04"]);
  });
});

describe("sensors", () => {
  it("a file sensor fires once per new file, also across a restart", async () => {
    const raw = join(root, "raw");
    mkdirSync(raw);
    const runs: string[] = [];
    const sensor = fileSensor({ name: "raw", path: raw, pattern: /\.csv$/, partition: (f) => f.name.slice(0, 13) });
    const p = hourly(runs, { sensors: [sensor] });
    clock = at("2024-03-01T10:00:00Z");
    const d = new Daemon({ store, pipelines: [p], now });
    expect(await d.evaluate()).toEqual([]);
    writeFileSync(join(raw, "2024-03-01T03.csv"), "a\n1\n");
    writeFileSync(join(raw, "notes.txt"), "ignored");
    expect((await d.evaluate()).map((o) => [o.tickKey, o.partition, o.status])).toEqual([["file:2024-03-01T03.csv", "2024-03-01T03", "succeeded"]]);
    expect(await d.evaluate()).toEqual([]);
    d.close();
    writeFileSync(join(raw, "2024-03-01T04.csv"), "a\n2\n");
    const again = new Daemon({ store, pipelines: [p], now });
    expect((await again.evaluate()).map((o) => o.partition)).toEqual(["2024-03-01T04"]);
    expect(await again.evaluate()).toEqual([]);
    again.close();
    expect(runs).toEqual(["2024-03-01T03", "2024-03-01T04"]);
  });

  it("an asset sensor fires once per new materialization of its upstream asset", async () => {
    const seen: string[] = [];
    const downstream = pipeline(
      "report",
      [fnOp({ name: "report", inputs: { h: "clicks/hourly" }, outputs: ["clicks/report"], run: async (ctx, i) => (seen.push(ctx.runId), i.h) })],
      { sensors: [assetSensor({ name: "on_hourly", asset: "clicks/hourly" })] },
    );
    await store.materialize("clicks/hourly", [{ clicks: 1 }]);
    clock = at("2024-03-01T10:00:00Z");
    const d = new Daemon({ store, pipelines: [downstream], now });
    expect(await d.evaluate()).toEqual([]); // starts from the latest one
    await store.materialize("clicks/hourly", [{ clicks: 2 }]);
    const fired = await d.evaluate();
    expect(fired.map((o) => o.status)).toEqual(["succeeded"]);
    expect(fired[0]!.reason).toMatch(/new materialization .* of clicks\/hourly/);
    expect(await d.evaluate()).toEqual([]);
    d.close();
    expect(seen).toHaveLength(1);
    expect((await (await store.read("clicks/report")).collect()).toRecords().map((r) => Number(r.clicks))).toEqual([2]);
  });
});
