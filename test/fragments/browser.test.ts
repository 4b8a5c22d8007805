/// <reference lib="dom" />
// Fragments in JupyterLab (real Lab, Chromium): a notebook turns on local fragments and runs a partition-wise
// aggregation; the cell's inline progress lists one line per fragment with its rows and time, and the Sluice
// jobs panel shows the fragments job with the driver's query nested under it. Screenshot: fragments-inline.png.
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, notebookJson, runCell, screenshot, screenshotFailures, startLab, type Lab } from "../extension/lab.js";
import { writeEvents } from "./data.js";

let lab: Lab | undefined;
let browser: Browser | undefined;
let page: Page;
let dir = "";

beforeAll(async () => {
  dir = await writeEvents(400_000);
  const setup =
    `import { scan, col, configureEngine } from "sluice";\n` +
    `await configureEngine({ cluster: { address: "local", minBytes: 0, maxFragments: 3, scratch: ${JSON.stringify(join(dir, "..", "scratch"))} } });\n` +
    `const events = await scan.parquet(${JSON.stringify(dir)}, { hive: true });`;
  const query = `await events.groupBy("day", "tag").agg(col("session_id").nUnique().as("visitors"), col("n").median().as("median_n")).sort(["day", "tag"]).collect()`;
  lab = await startLab({ "fragments.ipynb": notebookJson([setup, query]) });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
}, 240_000);

screenshotFailures(() => page, "fragments-");

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
});


describe("fragments in JupyterLab", () => {
  it("the inline progress lists each fragment with rows and time; the panel shows the job and its query", async () => {
    await page.goto(lab!.url("/lab/tree/fragments.ipynb"));
    await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 60_000 });
    const panel = page.locator("#sluice-jobs");
    if (!(await panel.isVisible())) await page.locator('.jp-SideBar.jp-mod-right .lm-TabBar-tab[title="Sluice jobs"]').click();
    await panel.waitFor({ state: "visible", timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector("#sluice-jobs")?.getAttribute("data-state") === "connected", undefined, { timeout: 120_000 });
    await runCell(page, 0);
    await runCell(page, 1);
    const output = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(1).locator(".jp-OutputArea");
    await page.waitForFunction((el) => ((el as HTMLElement).innerText.match(/fragment \d\/3 .*1\/1 done, [\d,]+ rows in/g) ?? []).length === 3, await output.elementHandle(), { timeout: 60_000 });
    const text = await output.innerText();
    expect(text).toMatch(/fragments on local processes/);
    expect(text).toMatch(/visitors/); // the result table follows the progress
    const row = page.locator(".sluice-job-row", { hasText: "fragments on local processes" }).first();
    await row.waitFor({ timeout: 30_000 });
    await page.waitForFunction((el) => (el as HTMLElement).dataset.status === "succeeded", await row.elementHandle(), { timeout: 60_000 });
    await screenshot(page, "fragments-inline");
  }, 400_000);
});
