// Asset checks against real materializations in a real store (DuckDB reads the Parquet files).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { sql } from "../../src/frame/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { assetCheck, blockingFailure, checkProblems, latestCheckResults, noNullsCheck, queryCheck, rangeCheck, rowCountCheck, runChecks } from "../../src/pipeline/checks.js";

let root: string;
let store: AssetStore;
let state: PipelineState;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-checks-"));
  store = new AssetStore(join(root, "store"));
  state = new PipelineState(store);
});
afterEach(() => {
  state.close();
  store.close();
  rmSync(root, { recursive: true, force: true });
});

const checks = [
  rowCountCheck("clicks/hourly", { blocking: true }),
  noNullsCheck("clicks/hourly", "page"),
  rangeCheck("clicks/hourly", "clicks", { min: 0 }, { name: "no_negative_clicks", blocking: true }),
  queryCheck("clicks/hourly", "pages_unique", (t) => sql`SELECT page, count(*) AS n FROM ${t} GROUP BY page HAVING count(*) > 1`),
  assetCheck({ name: "total_below_1000", asset: "clicks/hourly", check: async (t) => (await t.count()) < 1000 }),
  rowCountCheck("other/asset"),
];

describe("asset checks", () => {
  it("pass on good data and record each result with its metadata", async () => {
    const m = await store.materialize("clicks/hourly", [{ page: "a", clicks: 3 }, { page: "b", clicks: 0 }], { partition: "2024-03-01T00" });
    const results = await runChecks(checks, m, store, state, "run-1");
    expect(results.map((r) => [r.check, r.passed])).toEqual([["row_count", true], ["no_nulls_page", true], ["no_negative_clicks", true], ["pages_unique", true], ["total_below_1000", true]]);
    expect(results[0]!.metadata).toEqual({ rows: 2, min: 1 });
    expect(blockingFailure(results)).toBeUndefined();
    const stored = latestCheckResults(state, "clicks/hourly", "2024-03-01T00");
    expect(stored.map((r) => r.check).sort()).toEqual(["no_negative_clicks", "no_nulls_page", "pages_unique", "row_count", "total_below_1000"]);
    expect(stored.every((r) => r.version === m.version && r.partition === "2024-03-01T00")).toBe(true);
  });

  it("fail on bad data with what was found; blocking failures name the check, asset and partition", async () => {
    const m = await store.materialize("clicks/hourly", [{ page: "a", clicks: -2 }, { page: null, clicks: 5 }, { page: "a", clicks: -1 }], { partition: "2024-03-01T01" });
    const results = await runChecks(checks, m, store, state, "run-2");
    const by = Object.fromEntries(results.map((r) => [r.check, r]));
    expect(by.row_count!.passed).toBe(true);
    expect(by.no_nulls_page).toMatchObject({ passed: false, description: "1 row(s) with null in page" });
    expect(by.no_negative_clicks).toMatchObject({ passed: false, blocking: true, description: "2 row(s) with clicks outside 0..∞" });
    expect((by.no_negative_clicks!.metadata.sample as Array<{ clicks: number }>).map((r) => r.clicks).sort((a, b) => a - b)).toEqual([-2, -1]);
    expect(by.pages_unique).toMatchObject({ passed: false, metadata: { violations: 1 } });
    expect(blockingFailure(results)).toBe("blocking check no_negative_clicks of clicks/hourly (2024-03-01T01) failed: 2 row(s) with clicks outside 0..∞");
  });

  it("an empty table fails the row count; a check that throws fails with its error", async () => {
    const empty = await sql`SELECT 'a' AS page, 1 AS clicks WHERE false`;
    const m = await store.materialize("clicks/hourly", empty, { partition: "2024-03-01T02" });
    const [count] = await runChecks([rowCountCheck("clicks/hourly", { blocking: true })], m, store, state, "run-3");
    expect(count).toMatchObject({ passed: false, description: "0 rows; expected at least 1" });
    const ok = await store.materialize("clicks/hourly", [{ page: "a", clicks: 1 }], { partition: "2024-03-01T03" });
    const [broken] = await runChecks([rangeCheck("clicks/hourly", "no_such_column", { max: 1 })], ok, store, state, "run-3");
    expect(broken!.passed).toBe(false);
    expect(broken!.description).toMatch(/the check failed to run: .*no_such_column/);
  });

  it("checks of assets the pipeline does not produce, or named twice, are reported", () => {
    expect(checkProblems(checks, new Set(["clicks/hourly"]))).toEqual(["check row_count is of other/asset, which no op of the pipeline produces; name one of clicks/hourly."]);
    expect(checkProblems([rowCountCheck("a/b"), rowCountCheck("a/b")], new Set(["a/b"]))[0]).toMatch(/two checks of a\/b are named row_count/);
  });
});
