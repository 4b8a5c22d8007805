/// <reference lib="dom" />
// Every example notebook as a person meets it: a real JupyterLab in Chromium on an example store
// (the example pipelines run into it first, with the real kernel executing their notebook ops), each
// notebook under notebooks/ opened and run whole with Run All. What the page shows is checked: every
// chart drawn as SVG or canvas, no chart fallback text, no error output outside cells tagged
// raises-exception. Then the Runs and Assets views show that store: runs with their status, a Gantt
// chart with a time axis that stays in view while the rows scroll, a node's log and executed
// notebook, assets with partitions, metadata, lineage and history.
//
// With SLUICE_SCREENSHOTS=1 (`npm run screenshots`) the same states are saved as docs/*.png, on a
// store as `npm start` makes it (the whole clickstream day), plus the jobs panel during a query.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { artifacts, launchBrowser, notebookJson, repo, snapshotSluice, startLab, type Lab } from "./lab.js";

const SCREENSHOTS = Boolean(process.env.SLUICE_SCREENSHOTS);
const docs = join(repo, "docs");
/** Hours of the clickstream day to backfill: enough nodes (3 per hour) that the Gantt chart scrolls. */
const CLICKSTREAM_HOURS = SCREENSHOTS ? "2024-03-01T00..2024-03-01T23" : "2024-03-01T00..2024-03-01T07";

let work: string;
let storeRoot: string;
let lab: Lab;
let browser: Browser;
let page: Page;
const savedStoreEnv = process.env.SLUICE_STORE;

interface CliResult {
  code: number | null;
  output: string;
}

function run(bin: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const clean = { ...process.env };
  delete clean.SLUICE_STORE;
  delete clean.SLUICE_EXAMPLE_SIZE;
  const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((res) => child.on("close", (code) => res({ code, output })));
}

/** The example pipelines into a fresh store, as `npm start` runs them (clickstream over fewer hours unless screenshots). */
async function buildStore(): Promise<void> {
  const bin = await snapshotSluice(join(work, "sluice"));
  const kernels = join(work, "kernels");
  const install = await run(bin, ["kernel", "install", "--prefix", kernels], {});
  expect(install.code, install.output).toBe(0);
  const env = { JUPYTER_PATH: join(kernels, "share", "jupyter"), JUPYTER_DATA_DIR: join(work, "jupyter-user"), SLUICE_EXAMPLES_DIR: join(repo, "notebooks") };
  const [examples, clickstream] = await Promise.all([
    run(bin, ["examples", "--store", storeRoot, "lazy-handoff", "batch-etl", "catalog"], env),
    run(bin, ["pipeline", "run", join(repo, "notebooks", "clickstream", "pipeline.ts"), "--store", storeRoot, "--backfill", CLICKSTREAM_HOURS], env),
  ]);
  expect(examples.code, examples.output).toBe(0);
  expect(clickstream.code, clickstream.output).toBe(0);
}

function exampleNotebooks(dir = join(repo, "notebooks")): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...exampleNotebooks(path));
    else if (name.endsWith(".ipynb")) out.push(relative(join(repo, "notebooks"), path));
  }
  return out;
}

async function shot(name: string, where = artifacts): Promise<void> {
  mkdirSync(where, { recursive: true });
  await page.screenshot({ path: join(where, `${name}.png`) });
}

const active = ".jp-NotebookPanel:not(.lm-mod-hidden)";

/** Opens a notebook by URL (alone: `reset` drops the tabs of the last one) and waits for its kernel to be idle. */
async function openNotebook(path: string): Promise<void> {
  await page.goto(lab.url(`/lab/tree/${path}?reset`));
  await page.locator(`${active} .jp-Cell`).first().waitFor({ timeout: 60_000 });
  await page.waitForFunction(
    (sel) =>
      document.querySelector(`${sel} .jp-Notebook-ExecutionIndicator`)?.getAttribute("data-status") === "idle" &&
      !document.querySelector(`${sel} .jp-Spinner`) &&
      /TypeScript \(Sluice\) \| Idle/.test((document.querySelector("#jp-main-statusbar") ?? document.body).textContent ?? ""),
    active,
    { timeout: 90_000 },
  );
}

/** Shuts down the kernels of the notebooks opened so far (their sessions), so they do not pile up. */
async function closeNotebookSessions(): Promise<void> {
  const sessions = (await (await fetch(lab.url("/api/sessions"))).json()) as Array<{ id: string; type: string }>;
  for (const s of sessions) if (s.type === "notebook") await fetch(lab.url(`/api/sessions/${s.id}`), { method: "DELETE" });
}

/** Run All Cells, from the command palette; tried again if no cell started (a click can land while the page settles). */
async function runAll(path: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+Shift+C");
    const input = page.locator(".lm-CommandPalette-input");
    await input.waitFor({ timeout: 10_000 });
    await input.fill("Run All Cells");
    await page.locator(".lm-CommandPalette-item:not(.lm-mod-disabled)").filter({ has: page.locator(".lm-CommandPalette-itemLabel", { hasText: /^Run All Cells$/ }) }).first().click();
    const started = await page
      .waitForFunction((sel) => Array.from(document.querySelectorAll(`${sel} .jp-CodeCell .jp-InputPrompt`)).some((p) => /\[(\*|\d+)\]/.test(p.textContent ?? "")), active, { timeout: 15_000 })
      .then(() => true, () => false);
    if (started) return;
  }
  await shot(`failed-start-${path.replace(/[^a-z0-9]+/gi, "-")}`);
  throw new Error(`${path}: Run All Cells started no cell`);
}

/** Waits until every code cell has an execution count and the kernel is idle again. */
async function waitForAllCells(path: string): Promise<void> {
  try {
    await page.waitForFunction(
      (sel) => {
        const prompts = Array.from(document.querySelectorAll(`${sel} .jp-CodeCell .jp-InputPrompt`)).map((p) => p.textContent ?? "");
        const idle = document.querySelector(`${sel} .jp-Notebook-ExecutionIndicator`)?.getAttribute("data-status") === "idle";
        return idle && prompts.length > 0 && prompts.every((p) => /\[\d+\]/.test(p));
      },
      active,
      { timeout: 150_000, polling: 250 },
    );
  } catch (error) {
    const prompts = await page.locator(`${active} .jp-CodeCell .jp-InputPrompt`).allTextContents();
    await shot(`failed-run-${path.replace(/[^a-z0-9]+/gi, "-")}`);
    throw new Error(`${path}: not every cell ran (prompts ${prompts.join(" ")}): ${(error as Error).message}`);
  }
}

interface CellView {
  index: number;
  tags: string[];
  source: string;
  /** Vega-lite outputs in the saved notebook. */
  charts: number;
  errors: string[];
}

/** Saves the notebook and reads its outputs back through the server (what the page rendered is checked in the DOM). */
async function savedCells(path: string): Promise<CellView[]> {
  // The server may answer with an error while it writes the file: ask again.
  const read = async (): Promise<{ last_modified: string; content: any }> => {
    for (let attempt = 0; ; attempt++) {
      const reply = (await (await fetch(lab.url(`/api/contents/${path}?content=1`))).json()) as { last_modified?: string; content?: any; message?: string };
      if (reply.content?.cells) return reply as { last_modified: string; content: any };
      if (attempt >= 50) throw new Error(`could not read ${path} back from the server: ${JSON.stringify(reply).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const before = (await read()).last_modified;
  const save = page.locator(`${active} .jp-Toolbar [data-command="docmanager:save"]`).first();
  if (await save.isVisible()) await save.click();
  else (await page.keyboard.press("Escape"), await page.keyboard.press("Control+s"));
  // Saved when the tab is no longer marked dirty and the file changed (an earlier autosave does not count).
  await page.waitForFunction(() => !document.querySelector(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current.jp-mod-dirty"), null, { timeout: 30_000 });
  let saved = await read();
  for (let i = 0; i < 150 && saved.last_modified === before; i++) {
    await new Promise((r) => setTimeout(r, 200));
    saved = await read();
  }
  expect(saved.last_modified, `${path} was not saved`).not.toBe(before);
  const nb = saved.content as { cells: Array<{ cell_type: string; source: string | string[]; metadata: { tags?: string[] }; outputs?: Array<Record<string, any>> }> };
  return nb.cells
    .map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.cell_type === "code")
    .map(({ cell, index }) => ({
      index,
      tags: cell.metadata.tags ?? [],
      source: Array.isArray(cell.source) ? cell.source.join("") : cell.source,
      charts: (cell.outputs ?? []).filter((o) => o.data && Object.keys(o.data).some((m) => m.startsWith("application/vnd.vegalite"))).length,
      errors: (cell.outputs ?? []).filter((o) => o.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`),
    }));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sluice-examples-lab-"));
  storeRoot = join(work, "store");
  // The Jupyter server (and so every kernel it starts) opens the example store.
  process.env.SLUICE_STORE = storeRoot;
  // One after the other: on a loaded machine JupyterLab must start within the harness's minute.
  if (SCREENSHOTS) await writeTrips(work);
  lab = await startLab({ ...(SCREENSHOTS ? { "query.ipynb": queryNotebook(work) } : {}) });
  browser = await launchBrowser();
  await buildStore();
  cpSync(join(repo, "notebooks"), join(lab.root, "notebooks"), { recursive: true, filter: (src) => !src.includes(".sluice") && !src.includes(".ipynb_checkpoints") });
  page = await browser.newPage({ viewport: SCREENSHOTS ? { width: 1440, height: 900 } : { width: 1400, height: 950 } });
}, 600_000);

beforeEach(({ onTestFailed, task }) => {
  onTestFailed(() => shot(`failed-${task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, "-")}`));
});

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (savedStoreEnv === undefined) delete process.env.SLUICE_STORE;
  else process.env.SLUICE_STORE = savedStoreEnv;
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A notebook whose second cell runs long enough to be seen running (for the jobs-panel screenshot). */
function queryNotebook(dir: string): string {
  const trips = join(dir, "trips.parquet");
  return notebookJson([
    `import { scan, col, count } from "sluice";\nconst trips = await scan.parquet(${JSON.stringify(trips)});`,
    // Each of 8 million rows meets the 100 rows of its zone in a 20,000-row sample: 800 million join rows.
    `await trips.join(trips.limit(20000).select("zone", col("fare").as("other")), { on: "zone" }).groupBy("zone").agg(count().as("pairs"), col("other").mean().as("mean_other")).sort("zone").collect()`,
  ]);
}

async function writeTrips(dir: string): Promise<void> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const path = join(dir, "trips.parquet").replaceAll("'", "''");
  await conn.run(`COPY (SELECT i, (i * 7919) % 200 AS zone, ((i * 31337) % 5000) / 100.0 AS fare FROM range(8000000) t(i)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 100000)`);
  conn.closeSync();
  db.closeSync();
}

describe("the example notebooks in JupyterLab", () => {
  const notebooks = exampleNotebooks();
  let chartsSeen = 0;

  it("finds the example notebooks", () => {
    expect(notebooks).toEqual(expect.arrayContaining(["kernel-tour.ipynb", "clickstream/hourly-stats.ipynb", "batch-etl/report.ipynb"]));
  });

  for (const path of notebooks) {
    it(`${path}: Run All draws every chart and shows no error`, { timeout: 240_000 }, async () => {
      await closeNotebookSessions();
      await openNotebook(`notebooks/${path}`);
      await runAll(path);
      await waitForAllCells(path);
      const cells = await savedCells(`notebooks/${path}`);
      const domCells = page.locator(`${active} .jp-Cell`);
      for (const cell of cells) {
        if (cell.tags.includes("raises-exception")) expect(cell.errors.length, `cell ${cell.index} is tagged raises-exception`).toBeGreaterThan(0);
        else expect(cell.errors, `cell ${cell.index} of ${path}:\n${cell.source}`).toEqual([]);
        const outputs = domCells.nth(cell.index).locator(".jp-Cell-outputArea");
        const text = (await outputs.count()) ? await outputs.innerText() : "";
        expect(text, `cell ${cell.index} of ${path} shows the chart fallback text`).not.toMatch(/open in JupyterLab to see the chart|points; open in/);
        // A cell that plots must have left a chart in the notebook.
        if (/\.plot\.\w+\(/.test(cell.source)) expect(cell.charts, `cell ${cell.index} of ${path} plots`).toBeGreaterThan(0);
        if (cell.charts > 0) {
          // The vega renderer draws asynchronously: each chart output becomes an SVG or a canvas.
          const drawn = outputs.locator(".jp-OutputArea-output").filter({ has: page.locator("svg.marks, canvas") });
          await expect.poll(() => drawn.count(), { timeout: 30_000, message: `charts of cell ${cell.index} of ${path}` }).toBe(cell.charts);
          chartsSeen += cell.charts;
        }
      }
      if (path === "clickstream/hourly-stats.ipynb") {
        const chartCell = cells.find((c) => c.charts > 0)!;
        await domCells.nth(chartCell.index).scrollIntoViewIfNeeded();
        await shot("notebook-chart", SCREENSHOTS ? docs : artifacts);
      }
    });
  }

  it("drew charts in the notebooks that plot", () => {
    // report.ipynb (bar + line), hourly-stats.ipynb (bar), and any other example that plots.
    expect(chartsSeen).toBeGreaterThanOrEqual(3);
  });
});

describe("the Runs and Assets views", () => {
  let store: AssetStore;
  beforeAll(() => {
    store = new AssetStore(storeRoot);
  });
  afterAll(() => store?.close());

  async function openFromSidebar(label: "Runs" | "Assets"): Promise<void> {
    const entry = page.locator(`.sluice-store-entry:has-text("${label}")`);
    if (!(await entry.isVisible())) await page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[title="Sluice store"]').click();
    await entry.click();
    // The side bar closes again, so the view has the width.
    await page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[title="Sluice store"]').click();
    await entry.waitFor({ state: "hidden", timeout: 10_000 });
  }

  it("Runs: lists the store's runs with status; a run's Gantt chart has a time axis that stays in view as its rows scroll", { timeout: 180_000 }, async () => {
    await page.goto(lab.url("/lab"));
    await page.locator(".jp-SideBar.jp-mod-left").waitFor({ timeout: 60_000 });
    await openFromSidebar("Runs");
    const view = page.locator("#sluice-runs");
    await page.waitForFunction(() => document.querySelector("#sluice-runs")?.getAttribute("data-state") === "ready", null, { timeout: 90_000 });
    const expected = store.runs({ limit: 1000 });
    const items = view.locator(".sluice-browse-item");
    expect(await items.count()).toBe(expected.length);
    expect(await items.evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.runId))).toEqual(expected.map((r) => r.runId));
    expect(await view.locator(".sluice-browse-item .sluice-badge").allInnerTexts()).toEqual(expected.map((r) => r.status.toUpperCase()));
    expect(await view.locator(".sluice-browse-status").innerText()).toContain(storeRoot);

    // The clickstream run: a row per node that started, bars on a time axis with ticks in seconds.
    const click = expected.find((r) => r.pipeline === "clickstream")!;
    await view.locator(`.sluice-browse-item[data-run-id="${click.runId}"]`).click();
    await view.locator(`.sluice-run[data-run-id="${click.runId}"] .sluice-gantt-row`).first().waitFor({ timeout: 30_000 });
    const ops = store.opRuns(click.runId).filter((o) => o.startedAt !== undefined);
    const rows = view.locator(".sluice-gantt-row");
    expect(await rows.count()).toBe(ops.length);
    expect(new Set(await rows.evaluateAll((r) => r.map((x) => (x as HTMLElement).dataset.node)))).toEqual(new Set(ops.map((o) => o.nodeId)));
    const ticks = await view.locator(".sluice-gantt-axis .sluice-gantt-tick").allInnerTexts();
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toMatch(/^0 (ms|s)$/);
    for (const t of ticks) expect(t).toMatch(/^\d+(\.\d)? (ms|s|min)/);
    // Every bar lies inside its track.
    const outside = await rows.evaluateAll((r) =>
      r.filter((row) => {
        const track = row.querySelector(".sluice-gantt-track")!.getBoundingClientRect();
        const bar = row.querySelector(".sluice-gantt-bar")!.getBoundingClientRect();
        return bar.left < track.left - 0.5 || bar.right > track.right + 0.5 || bar.width < 1;
      }).length,
    );
    expect(outside).toBe(0);
    // Scrolled to the last row, the axis is still at the top of the chart's box, and the last row shows.
    const scroll = view.locator(".sluice-gantt-scroll");
    const scrolls = await scroll.evaluate((s) => s.scrollHeight > s.clientHeight + 10);
    expect(scrolls).toBe(true);
    await scroll.evaluate((s) => (s.scrollTop = s.scrollHeight));
    const placed = await scroll.evaluate((s) => {
      const box = s.getBoundingClientRect();
      const axis = s.querySelector(".sluice-gantt-axis")!.getBoundingClientRect();
      const last = Array.from(s.querySelectorAll(".sluice-gantt-row")).at(-1)!.getBoundingClientRect();
      return { axisAtTop: Math.abs(axis.top - box.top) < 3, lastVisible: last.bottom <= box.bottom + 1 && last.top >= axis.bottom - 1 };
    });
    expect(placed).toEqual({ axisAtTop: true, lastVisible: true });
    await scroll.evaluate((s) => (s.scrollTop = 0));
    await shot("runs-gantt", SCREENSHOTS ? docs : artifacts);

    // A notebook node: its log (context.log lines, kept in the run's log file) and its executed notebook.
    const hour = ops.find((o) => o.op === "hourly_stats")!;
    await view.locator(`.sluice-gantt-row[data-node="${hour.nodeId}"]`).click();
    const section = view.locator(".sluice-run-node");
    await expect.poll(() => section.locator("h3").first().innerText()).toBe(`NODE ${hour.nodeId}`.toUpperCase());
    await section.locator(".sluice-open-notebook").click();
    const nbView = page.locator(".sluice-notebook-view:not(.lm-mod-hidden)");
    await nbView.waitFor({ timeout: 30_000 });
    expect(await nbView.locator(".sluice-notebook-head").innerText()).toContain(join(storeRoot, "data", "hourly_stats", "notebook"));
    // The executed notebook's chart is drawn there too, from the file in the store (outside JupyterLab's root).
    await nbView.locator(".sluice-nb-output svg.marks, .sluice-nb-output canvas").first().waitFor({ timeout: 30_000 });
    expect(await nbView.locator(".sluice-nb-cell").count()).toBeGreaterThan(5);
    await shot("executed-notebook", SCREENSHOTS ? docs : artifacts);
  });

  it("Runs: the log of the run shows what ops wrote with context.log", { timeout: 60_000 }, async () => {
    const lazy = store.runs({ limit: 1000 }).find((r) => r.pipeline === "lazy-handoff")!;
    await page.locator("#sluice-runs").evaluate((v) => v.scrollIntoView());
    await page.locator(".lm-TabBar-tab", { hasText: "Sluice runs" }).first().click();
    await page.locator(`#sluice-runs .sluice-browse-item[data-run-id="${lazy.runId}"]`).click();
    const log = page.locator(`#sluice-runs .sluice-run[data-run-id="${lazy.runId}"] .sluice-run-log`);
    await log.waitFor({ timeout: 30_000 });
    // over_60 logs its optimized plan (notebooks/lazy-handoff/pipeline.ts).
    expect(await log.innerText()).toMatch(/over_60 .*optimized plan/);
  });

  it("Assets: keys with partitions; an asset's metadata, lineage graph and history", { timeout: 120_000 }, async () => {
    await openFromSidebar("Assets");
    const view = page.locator("#sluice-assets");
    await page.waitForFunction(() => document.querySelector("#sluice-assets")?.getAttribute("data-state") === "ready", null, { timeout: 90_000 });
    const expected = store.list();
    expect(await view.locator(".sluice-browse-item").evaluateAll((r) => r.map((x) => (x as HTMLElement).dataset.key))).toEqual(expected.map((a) => a.key));
    const pageStats = view.locator('.sluice-browse-item[data-key="clickstream/page_stats"]');
    expect(await pageStats.innerText()).toContain(`${store.partitions("clickstream/page_stats").length} partitions`);

    // batch_etl/loaded: made from transformed, used by revenue_by_day and (through it) the report.
    await view.locator('.sluice-browse-item[data-key="batch_etl/loaded"]').click();
    const detail = view.locator('.sluice-asset[data-key="batch_etl/loaded"]');
    await detail.waitFor({ timeout: 30_000 });
    const partitions = await detail.locator(".sluice-asset-partitions tbody tr td:first-child").allInnerTexts();
    expect(partitions).toEqual(store.partitions("batch_etl/loaded"));
    const lineage = store.lineage("batch_etl/loaded");
    const nodes = await detail.locator(".sluice-lineage-node").evaluateAll((n) => n.map((g) => (g as SVGElement).dataset.key));
    expect(new Set(nodes)).toEqual(new Set(["batch_etl/loaded", ...lineage.upstream.map((n) => n.key), ...lineage.downstream.map((n) => n.key)]));
    expect(nodes).toEqual(expect.arrayContaining(["batch_etl/transformed", "batch_etl/revenue_by_day", "batch_etl/revenue_by_country"]));
    const edges = await detail.locator(".sluice-lineage-edge").evaluateAll((e) => e.map((p) => `${(p as SVGElement).dataset.from}→${(p as SVGElement).dataset.to}`));
    expect(new Set(edges)).toEqual(new Set(lineage.edges.map((e) => `${e.from}→${e.to}`)));
    // Upstream above the asset, downstream below it, the whole graph as wide as the pane.
    const y = async (key: string) => (await detail.locator(`.sluice-lineage-node[data-key="${key}"] rect`).boundingBox())!.y;
    expect(await y("batch_etl/transformed")).toBeLessThan(await y("batch_etl/loaded"));
    expect(await y("batch_etl/revenue_by_day")).toBeGreaterThan(await y("batch_etl/loaded"));
    const fits = await detail.locator(".sluice-lineage").evaluate((box) => box.scrollWidth <= box.clientWidth + 1);
    expect(fits).toBe(true);
    const history = await detail.locator(".sluice-asset-history tbody tr").count();
    expect(history).toBe(store.history("batch_etl/loaded").length);

    // A clicked lineage node opens that asset; the report's output carries its metadata.
    await detail.locator('.sluice-lineage-node[data-key="batch_etl/revenue_by_day"]').click();
    const revenue = view.locator('.sluice-asset[data-key="batch_etl/revenue_by_day"]');
    await revenue.waitFor({ timeout: 30_000 });
    await view.locator('.sluice-browse-item[data-key="lazy_handoff/over_60"]').click();
    const over60 = view.locator('.sluice-asset[data-key="lazy_handoff/over_60"]');
    await over60.waitFor({ timeout: 30_000 });
    expect(await over60.locator(".sluice-asset-metadata").innerText()).toMatch(/optimized_plan[\s\S]*SCAN memory people/);
    expect(await over60.locator(".sluice-browse-table").first().isVisible()).toBe(true);

    await view.locator('.sluice-browse-item[data-key="clickstream/page_stats"]').click();
    const stats = view.locator('.sluice-asset[data-key="clickstream/page_stats"]');
    await stats.waitFor({ timeout: 30_000 });
    expect(await stats.locator(".sluice-lineage-node").count()).toBeGreaterThanOrEqual(3);
    await view.locator('.sluice-browse-item[data-key="batch_etl/loaded"]').click();
    await detail.waitFor({ timeout: 30_000 });
    await detail.locator(".sluice-lineage-title").evaluate((title) => title.scrollIntoView({ block: "start" }));
    await shot("assets-lineage", SCREENSHOTS ? docs : artifacts);
  });

  it("Runs and Assets tabs come back after a page reload; the launcher has a Sluice section that opens them", { timeout: 180_000 }, async () => {
    // The two tabs are open from the tests above; JupyterLab saves its layout as it changes.
    await page.waitForTimeout(1500);
    await page.reload();
    await page.waitForFunction(() => document.querySelector("#sluice-runs")?.getAttribute("data-state") === "ready", null, { timeout: 90_000 });
    await page.waitForFunction(() => document.querySelector("#sluice-assets")?.getAttribute("data-state") === "ready", null, { timeout: 90_000 });
    expect(await page.locator("#sluice-assets .sluice-browse-item").count()).toBe(store.list().length);

    // Close both, open a launcher: its Sluice section opens each view again.
    for (const id of ["sluice-runs", "sluice-assets"]) {
      await page.locator(`.lm-DockPanel-tabBar .lm-TabBar-tab[data-id="${id}"] .lm-TabBar-tabCloseIcon`).click();
      await page.locator(`#${id}`).waitFor({ state: "detached", timeout: 30_000 });
    }
    await page.locator(".lm-DockPanel-tabBar .lm-TabBar-addButton").first().click();
    const section = page.locator(".jp-Launcher-section", { has: page.locator(".jp-Launcher-sectionTitle", { hasText: /^Sluice$/ }) }).last();
    await section.waitFor({ timeout: 30_000 });
    expect(await section.locator(".jp-LauncherCard-label").allInnerTexts()).toEqual(["Runs", "Assets"]);
    await shot("launcher-sluice");
    await section.locator(".jp-LauncherCard", { hasText: "Assets" }).click();
    await page.waitForFunction(() => document.querySelector("#sluice-assets")?.getAttribute("data-state") === "ready", null, { timeout: 90_000 });
  });

  it.runIf(SCREENSHOTS)("screenshot: the jobs panel during a query", { timeout: 240_000 }, async () => {
    await closeNotebookSessions();
    await openNotebook("query.ipynb");
    // The file browser out of the way, the jobs panel open and wider.
    const files = page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[title^="File Browser"]');
    if (await page.locator("#filebrowser").isVisible()) await files.click();
    const panel = page.locator("#sluice-jobs");
    if (!(await panel.isVisible())) await page.locator('.jp-SideBar.jp-mod-right .lm-TabBar-tab[title="Sluice jobs"]').click();
    await panel.waitFor({ state: "visible" });
    const handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)").last();
    const box = (await handle.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x - 240, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await runAll("query.ipynb");
    const running = page.locator('.sluice-job-row[data-status="running"]').first();
    await running.waitFor({ timeout: 60_000 });
    // Its detail while it runs (inline progress beside it), then cancel it from there: the kernel keeps its state.
    await running.click();
    await page.waitForTimeout(2500);
    await shot("jobs-panel-running-detail", docs);
    const cancel = page.locator(".sluice-cancel");
    if (await cancel.isVisible()) await cancel.click();
    await waitForAllCells("query.ipynb");
  });
});
