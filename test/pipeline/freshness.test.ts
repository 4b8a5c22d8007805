// Freshness targets and pools against a real store and real concurrent ops.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { freshness, freshnessStatus } from "../../src/pipeline/freshness.js";
import { rowCountCheck, runChecks } from "../../src/pipeline/checks.js";
import { acquirePool, configurePools, poolUsage } from "../../src/pipeline/pools.js";
import { PipelineUsageError } from "../../src/pipeline/errors.js";

let root: string;
let store: AssetStore;
let state: PipelineState;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-fresh-"));
  store = new AssetStore(join(root, "store"));
  state = new PipelineState(store);
});
afterEach(() => {
  state.close();
  store.close();
  rmSync(root, { recursive: true, force: true });
});

const HOUR = 3_600_000;

describe("freshness", () => {
  it("parses targets and refuses nonsense", () => {
    expect(freshness("clicks/daily", "26h").maxAgeMs).toBe(26 * HOUR);
    expect(freshness("a", "90m").maxAgeMs).toBe(90 * 60_000);
    expect(() => freshness("a", "soon")).toThrow(PipelineUsageError);
  });

  it("lists what is overdue and why: never made, no new upstream, new upstream not yet used, a failing check", async () => {
    const raw1 = await store.materialize("clicks/raw", [{ n: 1 }]);
    const daily = await store.materialize("clicks/daily", [{ n: 1 }], { op: "rollup", inputs: [{ key: "clicks/raw", version: raw1.version, dataVersion: raw1.version }] });
    const policies = [freshness("clicks/daily", "2h"), freshness("clicks/never", "1h")];
    const fresh = freshnessStatus(store, state, policies, daily.createdAt + HOUR);
    expect(fresh.map((s) => [s.asset, s.overdue])).toEqual([["clicks/daily", false], ["clicks/never", true]]);
    expect(fresh[1]!.reasons).toEqual(["never materialized"]);

    const late = freshnessStatus(store, state, policies, daily.createdAt + 3 * HOUR)[0]!;
    expect(late.overdue).toBe(true);
    expect(late.reasons).toEqual(["no new upstream data since it was made (clicks/raw unchanged)"]);

    await store.materialize("clicks/raw", [{ n: 2 }]);
    const [failing] = await runChecks([rowCountCheck("clicks/daily", { min: 5, blocking: true })], daily, store, state, "run-x");
    expect(failing!.passed).toBe(false);
    const reasons = freshnessStatus(store, state, policies, daily.createdAt + 3 * HOUR)[0]!.reasons;
    expect(reasons[0]).toBe("blocking check row_count fails: 1 rows; expected at least 5");
    expect(reasons[1]).toMatch(/^new upstream data the op has not run on: clicks\/raw at /);
  });
});

describe("pools", () => {
  it("at most `limit` holders at once across callers; the smaller of two limits wins", async () => {
    configurePools({ test_pool_a: 3 });
    configurePools({ test_pool_a: 2 });
    expect(() => configurePools({ bad: 0 })).toThrow(/whole number ≥ 1/);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const work = async (i: number) => {
      const release = await acquirePool("test_pool_a");
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      order.push(i);
      running -= 1;
      release();
    };
    await Promise.all(Array.from({ length: 7 }, (_, i) => work(i)));
    expect(peak).toBe(2);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(poolUsage().test_pool_a).toEqual({ limit: 2, running: 0, waiting: 0 });
  });

  it("a waiter whose run is cancelled leaves the queue", async () => {
    configurePools({ test_pool_b: 1 });
    const first = await acquirePool("test_pool_b");
    const cancel = new AbortController();
    const waiting = acquirePool("test_pool_b", cancel.signal);
    expect(poolUsage().test_pool_b!.waiting).toBe(1);
    cancel.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
    expect(poolUsage().test_pool_b).toEqual({ limit: 1, running: 1, waiting: 0 });
    first();
    expect(poolUsage().test_pool_b!.running).toBe(0);
  });
});
