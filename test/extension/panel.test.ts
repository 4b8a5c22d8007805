/// <reference lib="dom" />
// The JupyterLab extension in a real JupyterLab and Chromium: a query over millions of rows shows
// inline progress that advances and a panel job that runs then succeeds with operator metrics; the
// panel's rows fit its default width and their In [n] link scrolls to the cell; explain() scan nodes
// show the file, files kept and pushed filters; a long query is followed by the open detail and
// cancelled from the panel, and the next cell runs; after a page reload the panel shows the jobs
// again; 1,000 jobs and a 10,000-task job stay virtualized and can be searched; a kernel restart keeps
// the history and marks the job it cut off lost; a pipeline run nests its ops and their jobs.
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, notebookJson, screenshot, screenshotFailures, startLab, type Lab } from "./lab.js";

let lab: Lab;
let browser: Browser;
let page: Page;
let trips: string;
let storeDir: string;

const SETUP = (path: string) => `import { scan, col, emitProgress, newJobId } from "sluice";\nconst trips = await scan.parquet(${JSON.stringify(path)});\nconst keep = 42;`;
// Two joins over 8 million rows and a group-by: a few seconds of DuckDB work.
const QUERY = `await trips.join(trips.select("i", "zone"), { on: "i" }).join(trips.select("i", "fare"), { on: "i" }).groupBy("zone").agg(col("fare").sum().alias("total")).sort("zone").collect()`;
// A self-join on a key with 200 values: billions of rows; it runs until cancelled.
const LONG = `await trips.join(trips, { on: "zone" }).count()`;
const MANY = `for (let j = 0; j < 1000; j++) {
  const id = newJobId();
  emitProgress({ type: "job.start", jobId: id, description: \`small job \${j}\`, startedAt: Date.now() });
  emitProgress({ type: "job.end", jobId: id, status: "succeeded", endedAt: Date.now(), operators: [{ id: "0", name: "SCAN", rows: j, timeMs: 1 }] });
}
const big = newJobId();
emitProgress({ type: "job.start", jobId: big, description: "10,000 tasks", startedAt: Date.now() });
for (let t = 0; t <= 10000; t++) {
  emitProgress({ type: "stage.progress", jobId: big, stageId: "scan", name: "scan", tasksTotal: 10000, tasksDone: t, rows: t * 10, bytes: t * 80 });
  if (t % 1000 === 0) await new Promise((r) => setTimeout(r, 20));
}
emitProgress({ type: "stage.end", jobId: big, stageId: "scan", name: "scan", tasksTotal: 10000, tasksDone: 10000, rows: 100000, bytes: 800000 });
emitProgress({ type: "job.end", jobId: big, status: "succeeded", endedAt: Date.now(), operators: [] });
"done"`;

// A small pipeline run from a cell: two function ops, each materializing a query into the store.
const PIPELINE = (store: string) => `import { pipeline, fnOp, runPipeline, openStore } from "sluice";
const demo = pipeline("panel-demo", [
  fnOp({ name: "zones", outputs: ["demo/zones"], run: () => trips.groupBy("zone").agg(col("fare").sum().alias("total")) }),
  fnOp({ name: "top", inputs: { z: "demo/zones" }, outputs: ["demo/top"], run: (_ctx, { z }) => (z as any).sort("total", { descending: true }).limit(5) }),
]);
const run = await runPipeline(demo, { store: openStore(${JSON.stringify(store)}), force: true });
run.status`;

/** Boxes in the panel's rows that stick out of their row or overlap one another (at the panel's current width). */
async function layoutProblems(): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const panel = document.querySelector("#sluice-jobs")!.getBoundingClientRect();
    document.querySelectorAll<HTMLElement>(".sluice-job-row").forEach((row) => {
      const r = row.getBoundingClientRect();
      if (r.bottom <= panel.top || r.top >= panel.bottom) return;
      const name = row.dataset.jobId ?? row.dataset.op ?? "?";
      if (r.right > panel.right + 0.5 || r.left < panel.left - 0.5) out.push(`row ${name} is outside the panel`);
      row.querySelectorAll<HTMLElement>(".sluice-job-line").forEach((line) => {
        const parts = Array.from(line.children).map((c) => ({ c: (c as HTMLElement).className, b: c.getBoundingClientRect() })).filter((p) => p.b.width > 0);
        for (const p of parts) if (p.b.right > r.right + 0.5 || p.b.bottom > r.bottom + 0.5) out.push(`${p.c} of ${name} sticks out of its row`);
        for (let i = 0; i < parts.length; i++)
          for (let j = i + 1; j < parts.length; j++) {
            const [a, b] = [parts[i]!.b, parts[j]!.b];
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push(`${parts[i]!.c} overlaps ${parts[j]!.c} in ${name}`);
          }
      });
    });
    return out;
  });
}

async function shot(name: string): Promise<void> {
  await screenshot(page, `${name}`);
}

/** Opens a notebook and waits until its Sluice kernel is idle and the panel is connected to it. */
async function openNotebook(name: string): Promise<void> {
  await page.goto(lab.url(`/lab/tree/${name}`));
  await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 60_000 });
  await showPanel();
  // Connected to this notebook's kernel (not still showing the previous notebook's).
  await page.waitForFunction(
    (n) => document.querySelector("#sluice-jobs")?.getAttribute("data-state") === "connected" && document.querySelector(".sluice-jobs-status")?.textContent?.startsWith(`${n} · connected`),
    name,
    { timeout: 60_000 },
  );
}

async function showPanel(): Promise<void> {
  const panel = page.locator("#sluice-jobs");
  // Clicking the tab of a panel that is already open closes it; after a reload JupyterLab may still be
  // restoring the side bar when we look, so check again after each click.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await panel.isVisible()) return;
    await page.locator('.jp-SideBar.jp-mod-right .lm-TabBar-tab[title="Sluice jobs"]').click();
    if (await panel.waitFor({ state: "visible", timeout: 5000 }).then(() => true, () => false)) return;
  }
  await panel.waitFor({ state: "visible" });
}

/** Runs the notebook's cell `index` from the keyboard (select it, Shift+Enter) and waits until it started. */
async function runCell(index: number): Promise<void> {
  const cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(index);
  const prompt = cell.locator(".jp-InputPrompt");
  const before = (await prompt.innerText()).trim();
  for (let attempt = 0; attempt < 5; attempt++) {
    await cell.locator(".jp-InputArea-editor").click();
    await page.keyboard.press("Shift+Enter");
    // The prompt turns to [*] (queued or running) or to the new execution count.
    const started = await page
      .waitForFunction(
        ([el, was]) => {
          const now = (el as HTMLElement).innerText.trim();
          return now !== was && /\[(\*|\d+)\]/.test(now);
        },
        [await prompt.elementHandle(), before] as const,
        { timeout: 3000 },
      )
      .then(() => true)
      .catch(() => false);
    if (started) return;
  }
  throw new Error(`cell ${index} did not start after Shift+Enter`);
}

async function cellOutput(index: number): Promise<string> {
  return (await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(index).locator(".jp-OutputArea").innerText()).trim();
}

/** Records the states the inline progress output and the panel rows go through (every DOM change). */
async function recordStates(): Promise<void> {
  await page.evaluate(() => {
    const seen: Array<{ where: string; jobId: string; status: string; width: string; stats?: string }> = [];
    (window as any).__sluiceSeen = seen;
    const look = () => {
      document.querySelectorAll<HTMLElement>(".sluice-progress-output > div[data-job-id]").forEach((box) => {
        const fill = box.querySelector<HTMLElement>(".sluice-progress-fill");
        const stats = box.querySelector(".sluice-progress-stats")?.textContent ?? "";
        seen.push({ where: "inline", jobId: box.dataset.jobId!, status: box.dataset.status!, width: fill?.style.width ?? "", stats });
      });
      document.querySelectorAll<HTMLElement>(".sluice-job-row").forEach((row) => {
        const fill = row.querySelector<HTMLElement>(".sluice-progress-fill");
        seen.push({ where: "panel", jobId: row.dataset.jobId!, status: row.dataset.status!, width: fill?.style.width ?? "" });
      });
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
}

beforeAll(async () => {
  const home = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "sluice-ext-data-"));
  trips = join(home, "trips.parquet");
  storeDir = join(home, "store");
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT i, (i * 7919) % 200 AS zone, ((i * 31337) % 5000) / 100.0 AS fare FROM range(8000000) t(i)) TO '${trips.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 100000)`,
  );
  conn.closeSync();
  db.closeSync();
  lab = await startLab({
    "query.ipynb": notebookJson([SETUP(trips), QUERY, `await trips.filter(col("fare").gt(10)).select("zone", "fare").explain()`]),
    "cancel.ipynb": notebookJson([SETUP(trips), "await trips.limit(3).count()", LONG, "keep + 1"]),
    "many.ipynb": notebookJson([SETUP(trips), MANY, "await trips.limit(3).count()", LONG]),
    "pipeline.ipynb": notebookJson([SETUP(trips), PIPELINE(storeDir)]),
    "python.ipynb": JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
      cells: [{ id: "p0", cell_type: "code", source: "1 + 1", metadata: {}, outputs: [], execution_count: null }],
    }),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
}, 180_000);

screenshotFailures(() => page, "");

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
});

describe("Sluice jobs panel and inline progress in JupyterLab", () => {
  it("shows a query over 8 million rows advancing inline and in the panel, then its operators", { timeout: 180_000 }, async () => {
    await openNotebook("query.ipynb");
    await recordStates();
    await runCell(0);
    await runCell(1);
    await page.waitForSelector('.sluice-progress-output > div[data-status="succeeded"]', { timeout: 120_000 });
    await page.waitForSelector('.sluice-job-row[data-status="succeeded"]', { timeout: 30_000 });
    const seen = (await page.evaluate(() => (window as any).__sluiceSeen)) as Array<{ where: string; jobId: string; status: string; width: string; stats?: string }>;
    const jobId = seen.find((s) => s.status === "succeeded")!.jobId;
    const inline = seen.filter((s) => s.where === "inline" && s.jobId === jobId);
    const panel = seen.filter((s) => s.where === "panel" && s.jobId === jobId);
    // The inline display advanced: it was running with part of the bar filled before it succeeded.
    expect(inline.some((s) => s.status === "running")).toBe(true);
    const partial = inline.filter((s) => s.status === "running").map((s) => parseFloat(s.width));
    expect(partial.some((w) => w > 0 && w < 100)).toBe(true);
    expect(inline.at(-1)!.status).toBe("succeeded");
    // Its line kept changing while it ran (the elapsed time ticks even when no number moves).
    const runningLines = new Set(inline.filter((s) => s.status === "running").map((s) => s.stats));
    expect(runningLines.size).toBeGreaterThanOrEqual(3);
    expect(panel.some((s) => s.status === "running")).toBe(true);
    expect(panel.at(-1)!.status).toBe("succeeded");
    // The final inline state lists DuckDB's operators with their rows and time.
    const final = await page.locator(".sluice-progress-output").last().textContent();
    expect(final).toMatch(/READ_PARQUET\s*8,000,000/);
    await shot("query-inline");

    // At the panel's default width the row's description, time, cell link and bar do not overlap.
    const row = page.locator(`.sluice-job-row[data-job-id="${jobId}"]`);
    expect(await layoutProblems()).toEqual([]);
    expect((await row.boundingBox())!.width).toBeGreaterThan(150);
    // The job's cell as In [n]: the setup ran as [1], the query as [2]; the link scrolls to it and selects it.
    const link = row.locator(".sluice-cell-link");
    await page.waitForFunction((id) => document.querySelector(`.sluice-job-row[data-job-id="${id}"] .sluice-cell-link`)?.textContent === "In [2]", jobId, { timeout: 30_000 });
    const scroller = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer");
    await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(2).click();
    await scroller.evaluate((s) => (s.scrollTop = s.scrollHeight));
    await link.click();
    await page.waitForFunction(() => document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")[1]?.classList.contains("jp-mod-active"), null, { timeout: 10_000 });
    await page.waitForFunction(() => {
      const view = document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer")!.getBoundingClientRect();
      const cell = document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")[1]!.getBoundingClientRect();
      return cell.top < view.bottom && cell.bottom > view.top;
    }, null, { timeout: 10_000 });
    await shot("query-panel-default-width");

    // The job's detail at the side bar's default width: plan DAG, operator metrics, timeline.
    await page.locator(`.sluice-job-row[data-job-id="${jobId}"]`).click();
    await page.waitForSelector(".sluice-job-detail .sluice-dag svg");
    const operators = await page.locator(".sluice-job-detail .sluice-dag-node").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-operator")));
    expect(operators).toEqual(expect.arrayContaining(["SORT", "AGGREGATE", "JOIN", "SCAN"]));
    // DuckDB's physical plan as a DAG, each operator with its rows and time.
    const physical = page.locator(".sluice-job-detail .sluice-dag-physical .sluice-dag-node");
    const joins = await physical.evaluateAll((nodes) => nodes.filter((n) => n.getAttribute("data-operator") === "HASH_JOIN").map((n) => n.textContent));
    expect(joins).toHaveLength(2);
    for (const j of joins) expect(j).toMatch(/8,000,000 rows · [\d.]+ (ms|s)/);
    const metrics = await page.locator(".sluice-job-detail .sluice-operators tbody tr").allInnerTexts();
    expect(metrics.some((r) => /READ_PARQUET\s+8,000,000\s+\d/.test(r))).toBe(true);
    await page.waitForSelector(".sluice-job-detail .sluice-timeline .sluice-tl-bar");
    await shot("query-panel-detail");
    await page.locator(".sluice-job-detail h3:has-text('Physical plan')").evaluate((h) => h.scrollIntoView());
    await shot("query-panel-physical");
    await page.locator(".sluice-back").click();

    // The collected frame and a plan use the extension's renderers.
    const frame = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(1).locator(".sluice-frame-output");
    expect(await frame.locator("thead th").allInnerTexts()).toEqual(["zone\nBIGINT", "total\nDOUBLE"]);
    expect(await frame.locator(".sluice-muted").innerText()).toBe("200 rows × 2 columns (first 20 shown)");
    await runCell(2);
    const plan = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(2).locator(".sluice-plan-output");
    await plan.waitFor({ timeout: 60_000 });
    expect(await plan.locator(".sluice-plan-tab").allInnerTexts()).toEqual(["logical", "optimized", "physical"]);
    expect(await plan.locator(".sluice-dag-node").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-operator")))).toEqual(["SELECT", "SCAN"]);
    // The scan box says what it reads without hovering: the file's name (not a cut absolute path), the
    // files kept of all, the filter pushed into it; every line fits its box.
    const scanNode = plan.locator('.sluice-dag-node[data-operator="SCAN"]');
    const lines = await scanNode.locator("text").allTextContents();
    expect(lines.filter((l) => l.startsWith("parquet …/") && l.endsWith("/trips.parquet"))).toHaveLength(1);
    expect(lines.some((l) => l.includes(trips))).toBe(false);
    expect(lines).toContain("files 1 of 1 kept");
    expect(lines.some((l) => l.startsWith("pushed filter") && l.includes("fare"))).toBe(true);
    const fits = await scanNode.evaluate((g) => {
      const box = g.querySelector("rect")!.getBoundingClientRect();
      return Array.from(g.querySelectorAll("text")).every((t) => t.getBoundingClientRect().right <= box.right + 0.5);
    });
    expect(fits).toBe(true);
    await plan.scrollIntoViewIfNeeded();
    await shot("explain-dag");
    await plan.locator('.sluice-plan-tab[data-variant="physical"]').click();
    expect(await plan.locator(".sluice-plan-body pre").innerText()).toMatch(/PARQUET|READ/i);
  });

  it("follows a new running job from an open detail; cancels it from the panel; the cell fails with CancelledError and the next cell runs", { timeout: 180_000 }, async () => {
    await openNotebook("cancel.ipynb");
    await runCell(0);
    await runCell(1);
    // A finished job's detail is open when the long query starts: the detail moves to the running job.
    const quick = page.locator('.sluice-job-row[data-status="succeeded"]').first();
    await quick.waitFor({ timeout: 60_000 });
    const quickId = await quick.getAttribute("data-job-id");
    await quick.click();
    await page.waitForSelector(`.sluice-detail-head[data-job-id="${quickId}"]`);
    await runCell(2);
    await page.waitForSelector('.sluice-detail-head[data-status="running"]', { timeout: 60_000 });
    expect(await page.locator(".sluice-detail-head").getAttribute("data-job-id")).not.toBe(quickId);
    // The physical plan shows while the query runs (DuckDB's EXPLAIN before the profile): estimates until measured.
    await page.waitForSelector('.sluice-dag-physical[data-live="true"] .sluice-dag-node[data-operator="HASH_JOIN"]', { timeout: 30_000 });
    // At the default width nothing in the running job's detail spills past the panel's edge.
    await page.locator(".sluice-timeline .sluice-tl-bar").first().waitFor();
    const spill = await page.evaluate(() => {
      const detail = document.querySelector<HTMLElement>(".sluice-job-detail")!;
      const edge = detail.getBoundingClientRect().right;
      const bars = Array.from(document.querySelectorAll(".sluice-timeline .sluice-tl-bar, .sluice-timeline .sluice-tl-ticks span")).map((b) => b.getBoundingClientRect().right);
      return { overflow: detail.scrollWidth - detail.clientWidth, past: bars.filter((r) => r > edge + 0.5).length };
    });
    expect(spill).toEqual({ overflow: 0, past: 0 });
    await shot("cancel-running");
    await page.locator(".sluice-cancel").click();
    await page.waitForSelector('.sluice-detail-head[data-status="cancelled"]', { timeout: 30_000 });
    const cancelled = await page.locator(".sluice-detail-head").getAttribute("data-job-id");
    await page.waitForFunction((id) => document.querySelector(".sluice-jobs-status")?.textContent?.includes(`job ${id} cancelled`), cancelled);
    await page.waitForFunction(() => document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")[2]?.textContent?.includes("CancelledError"), null, { timeout: 30_000 });
    expect(await cellOutput(2)).toContain("cancelled");
    await page.locator(".sluice-back").click();
    await runCell(3);
    await page.waitForFunction(() => document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")[3]?.querySelector(".jp-OutputArea-output")?.textContent?.includes("43"), null, { timeout: 30_000 });
    await shot("cancel-done");
  });

  it("shows the jobs again after a page reload, and follows the active notebook", { timeout: 180_000 }, async () => {
    await page.reload();
    await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 60_000 });
    await showPanel();
    await page.waitForSelector('.sluice-job-row[data-status="cancelled"]', { timeout: 60_000 });
    expect(await page.locator(".sluice-jobs-status").innerText()).toContain("cancel.ipynb");
    // The other notebook's tab: the panel switches to that kernel's jobs.
    // (Tried again if the restored layout took the focus back while it settled: by its tab, then by opening
    // it from the file browser, which activates the open document.)
    // A switch counts once it holds: the layout restored after a reload can activate the old notebook
    // again seconds later on a loaded machine, so the panel must still show query.ipynb with its job.
    const onQuery = () => document.querySelector(".sluice-jobs-status")?.textContent?.startsWith("query.ipynb · connected");
    for (let attempt = 0; attempt < 10; attempt++) {
      if (attempt % 2 === 0) await page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab:has-text("query.ipynb")').click({ timeout: 10_000 }).catch(() => undefined);
      else await page.locator('.jp-DirListing-item:has-text("query.ipynb")').dblclick({ timeout: 5000 }).catch(() => undefined);
      const switched = await page.waitForFunction(onQuery, null, { timeout: 10_000 }).then(() => true).catch(() => false);
      if (!switched) continue;
      const shown = await page.waitForSelector('.sluice-job-row[data-status="succeeded"]:has-text("collect:")', { timeout: 15_000 }).then(() => true).catch(() => false);
      await page.waitForTimeout(2000);
      if (shown && (await page.evaluate(onQuery))) break;
    }
    await page.waitForFunction(() => document.querySelector(".sluice-jobs-status")?.textContent?.startsWith("query.ipynb · connected"), null, { timeout: 30_000 });
    await page.waitForSelector('.sluice-job-row[data-status="succeeded"]:has-text("collect:")', { timeout: 60_000 });
    expect(await page.locator('.sluice-job-row[data-status="cancelled"]').count()).toBe(0);
    expect(await page.locator(".sluice-jobs-status").innerText()).toContain("query.ipynb");
    await shot("reload");
  });

  it("stays virtualized with 1,000 jobs and a 10,000-task job", { timeout: 180_000 }, async () => {
    await openNotebook("many.ipynb");
    await runCell(0);
    await runCell(1);
    await page.waitForFunction(() => document.querySelector("#sluice-jobs")?.getAttribute("data-jobs") === "1001", null, { timeout: 120_000 });
    // Only the rows in view exist in the DOM.
    expect(await page.locator(".sluice-job-row").count()).toBeLessThan(60);
    const newest = page.locator(".sluice-job-row").first();
    expect(await newest.innerText()).toContain("10,000 tasks");
    await page.locator(".sluice-jobs-list").evaluate((list) => (list.scrollTop = list.scrollHeight));
    await page.waitForSelector('.sluice-job-row:has-text("small job 0")');
    await page.locator(".sluice-jobs-list").evaluate((list) => (list.scrollTop = 0));
    await page.locator('.sluice-job-row:has-text("10,000 tasks")').click();
    const stage = await page.locator(".sluice-job-detail .sluice-stages tbody tr").first().innerText();
    expect(stage).toMatch(/scan\s+10,000 \/ 10,000/);
    await shot("many-jobs");
    await page.locator(".sluice-back").click();

    // Search by description: "small job 99" and "small job 990" … "small job 999".
    await page.locator(".sluice-jobs-search").fill("small job 99");
    await page.waitForSelector('#sluice-jobs[data-rows="11"]', { timeout: 10_000 });
    const found = await page.locator(".sluice-job-row .sluice-job-desc").allInnerTexts();
    expect(found.sort()).toEqual(["small job 99", ...Array.from({ length: 10 }, (_, i) => `small job 99${i}`)].sort());
    expect(await layoutProblems()).toEqual([]);
    await shot("many-search");
    // The status filter: no job failed.
    await page.locator(".sluice-jobs-filter").selectOption("failed");
    await page.waitForSelector('#sluice-jobs[data-rows="0"]');
    expect(await page.locator(".sluice-empty").innerText()).toBe("No job matches the filter.");
    await page.locator(".sluice-jobs-filter").selectOption("all");
    await page.locator(".sluice-jobs-search").fill("");
    await page.waitForSelector('#sluice-jobs[data-rows="1001"]');
  });

  it("keeps the history over a kernel restart, marks the job it cut off lost, and adds the new kernel's jobs", { timeout: 240_000 }, async () => {
    await runCell(3);
    const running = page.locator('.sluice-job-row[data-status="running"]');
    await running.waitFor({ timeout: 60_000 });
    const cutOff = await running.getAttribute("data-job-id");
    // Running jobs are pinned on top of the 1,001 finished ones.
    expect(await page.locator(".sluice-job-row").first().getAttribute("data-job-id")).toBe(cutOff);
    await page.locator('.lm-MenuBar-itemLabel:text-is("Kernel")').click();
    await page.locator('.lm-Menu-itemLabel:text-is("Restart Kernel…")').click();
    await page.locator(".jp-Dialog-button.jp-mod-accept").click();
    await page.waitForSelector(`.sluice-job-row[data-job-id="${cutOff}"][data-status="lost"]`, { timeout: 60_000 });
    await page.waitForSelector('#sluice-jobs[data-state="connected"]', { timeout: 60_000 });
    expect(await page.locator("#sluice-jobs").getAttribute("data-jobs")).toBe("1002");
    await runCell(0);
    await runCell(2);
    await page.waitForSelector('.sluice-job-row[data-status="succeeded"]:has-text("count: SCAN → LIMIT")', { timeout: 60_000 });
    expect(await page.locator("#sluice-jobs").getAttribute("data-jobs")).toBe("1003");
    expect(await page.locator(".sluice-jobs-status").innerText()).toContain("1 lost in a restart");
    await shot("restart-history");

    // A page reload still shows the jobs of before the restart (kept in the browser), the lost one as lost.
    await page.reload();
    await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 60_000 });
    await showPanel();
    await page.waitForSelector('#sluice-jobs[data-state="connected"]', { timeout: 60_000 });
    await page.waitForSelector('.sluice-job-row[data-status="succeeded"]:has-text("count: SCAN → LIMIT")', { timeout: 60_000 });
    await page.locator(".sluice-jobs-filter").selectOption("lost");
    await page.waitForSelector(`.sluice-job-row[data-job-id="${cutOff}"][data-status="lost"]`, { timeout: 30_000 });
    await page.locator(".sluice-jobs-filter").selectOption("all");
  });

  it("nests a pipeline run started in a cell: the run, its ops, the jobs each op ran", { timeout: 240_000 }, async () => {
    await openNotebook("pipeline.ipynb");
    await runCell(0);
    await runCell(1);
    // The cell has finished when its prompt shows its execution count.
    await page.waitForFunction(() => /\[\d+\]/.test(document.querySelectorAll(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")[1]?.querySelector(".jp-InputPrompt")?.textContent ?? ""), null, { timeout: 180_000 });
    expect(await cellOutput(1)).toContain("succeeded");
    const run = page.locator('.sluice-job-row[data-depth="0"]:has-text("pipeline panel-demo")');
    await run.waitFor({ timeout: 30_000 });
    const runId = await run.getAttribute("data-job-id");
    // The run is one top-level row; the queries its ops ran are not.
    const top = await page.locator('.sluice-job-row[data-depth="0"]').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-job-id")));
    expect(top).toEqual([runId]);
    // Unfold the run: its ops; unfold an op: the jobs it ran, as children of the run.
    if ((await run.getAttribute("data-expanded")) !== "true") await run.locator(".sluice-caret").click();
    const ops = page.locator('.sluice-job-row[data-kind="op"][data-depth="1"]');
    await ops.first().waitFor();
    expect(await ops.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-op")))).toEqual(["zones", "top"]);
    const zones = page.locator('.sluice-job-row[data-op="zones"]');
    if ((await zones.getAttribute("data-expanded")) !== "true") await zones.click();
    const inside = page.locator(`.sluice-job-row[data-depth="2"][data-parent-id="${runId}"]`);
    await inside.first().waitFor({ timeout: 10_000 });
    expect(await inside.count()).toBeGreaterThan(0);
    expect(await layoutProblems()).toEqual([]);
    await shot("pipeline-nested");
    // Folding the run hides everything inside it.
    await run.locator(".sluice-caret").click();
    await page.waitForFunction(() => document.querySelectorAll('.sluice-job-row[data-depth="1"]').length === 0);
  });

  it("says so when the notebook's kernel is not a Sluice kernel", { timeout: 120_000 }, async () => {
    await page.goto(lab.url("/lab/tree/python.ipynb"));
    await page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first().waitFor({ timeout: 60_000 });
    await showPanel();
    await page.waitForSelector('#sluice-jobs[data-state="unavailable"]', { timeout: 60_000 });
    expect(await page.locator(".sluice-jobs-status").innerText()).toContain("python.ipynb · this kernel does not publish Sluice progress");
  });
});
