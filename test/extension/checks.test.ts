/// <reference lib="dom" />
// Asset check results in JupyterLab's Assets view (real JupyterLab in Chromium, the Sluice kernel serving
// the store): a pipeline whose blocking check fails on one day; the asset list marks the asset with its
// failing check, and the asset's Checks table shows each check's latest result per partition with what it
// found and its metadata, failures first — the same results `sluice assets show` prints.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyPartitions, fnOp, pipeline, rangeCheck, rowCountCheck, runPipeline } from "../../src/index.js";
import { AssetStore } from "../../src/store/index.js";
import { launchBrowser, screenshot, screenshotFailures, startLab, type Lab } from "./lab.js";

let work: string;
let lab: Lab;
let browser: Browser;
let page: Page;
const savedStoreEnv = process.env.SLUICE_STORE;
screenshotFailures(() => page, "checks-");

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sluice-checks-lab-"));
  const storeRoot = join(work, "store");
  const store = new AssetStore(storeRoot);
  try {
    const days = dailyPartitions({ start: "2024-03-01" });
    const p = pipeline(
      "shop",
      [
        fnOp({ name: "counts", partitions: days, outputs: ["shop/counts"], run: (ctx) => [{ day: ctx.partitionKey, n: ctx.partitionKey === "2024-03-02" ? -5 : 3 }] }),
        fnOp({ name: "report", partitions: days, inputs: { c: "shop/counts" }, outputs: ["shop/report"], run: (_ctx, i) => i.c }),
      ],
      { checks: [rowCountCheck("shop/counts", { name: "not_empty" }), rangeCheck("shop/counts", "n", { min: 0 }, { name: "no_negative", blocking: true })] },
    );
    const result = await runPipeline(p, { store, backfill: "2024-03-01..2024-03-02", reporter: () => {} });
    expect(result.status).toBe("failed");
  } finally {
    store.close();
  }
  // The Jupyter server (and so its kernels) opens this store.
  process.env.SLUICE_STORE = storeRoot;
  lab = await startLab({});
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (savedStoreEnv === undefined) delete process.env.SLUICE_STORE;
  else process.env.SLUICE_STORE = savedStoreEnv;
  rmSync(work, { recursive: true, force: true });
});

describe("asset checks in the Assets view", () => {
  it("the list marks an asset with failing checks; its Checks table shows each result per partition, failures first", { timeout: 180_000 }, async () => {
    await page.goto(lab.url("/lab"));
    await page.locator(".jp-SideBar.jp-mod-left").waitFor({ timeout: 60_000 });
    await page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[title="Sluice store"]').click();
    await page.locator('.sluice-store-entry:has-text("Assets")').click();
    await page.waitForFunction(() => document.querySelector("#sluice-assets")?.getAttribute("data-state") === "ready", null, { timeout: 90_000 });
    const view = page.locator("#sluice-assets");
    expect(await view.locator('.sluice-browse-item[data-key="shop/counts"] .sluice-check-failing').innerText()).toBe(" · ✗ 1 check failing");
    // The report never ran for the failing day, and its own asset has no checks.
    expect(await view.locator('.sluice-browse-item[data-key="shop/report"] .sluice-check-failing').count()).toBe(0);

    await view.locator('.sluice-browse-item[data-key="shop/counts"]').click();
    const detail = view.locator('.sluice-asset[data-key="shop/counts"]');
    await detail.waitFor({ timeout: 30_000 });
    expect(await detail.locator("h3", { hasText: "Checks" }).innerText()).toMatch(/checks \(3 passed, 1 failed\)/i);
    const rows = await detail.locator(".sluice-asset-checks tbody tr").evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td"), (td) => td.textContent ?? "")));
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ["no_negative", "2024-03-02", "✗ failed · blocking"],
      ["no_negative", "2024-03-01", "✓ passed · blocking"],
      ["not_empty", "2024-03-01", "✓ passed"],
      ["not_empty", "2024-03-02", "✓ passed"],
    ]);
    expect(rows[0]![3]).toBe("1 row(s) with n outside 0..∞");
    expect(JSON.parse(rows[0]![4]!)).toMatchObject({ violations: 1, sample: [{ day: "2024-03-02", n: -5 }] });
    expect(JSON.parse(rows[2]![4]!)).toEqual({ rows: 1, min: 1 });
    await detail.locator(".sluice-asset-checks").evaluate((t) => t.scrollIntoView({ block: "center" }));
    await screenshot(page, "asset-checks");
  });
});
