/// <reference lib="dom" />
// Widgets in a real JupyterLab with its standard widget manager (the jupyterlab_widgets package, no
// Sluice widget views involved): a slider moved by the test re-runs an interact function and its lazy
// query; the data grid scrolls to row 5,000,000 of a 10M-row lazy frame and sorts it, showing the rows
// DuckDB itself puts there, while the kernel's memory stays flat (it fetched pages, not the frame).
// After a reload the widgets come back from the kernel; a custom ES-module widget (anywidget style) is
// drawn by anywidget's own front end, which the Sluice extension registers with that manager; the
// explorer example (notebooks/widgets/explorer.ipynb) follows a customer and an hour range picked in the page.
import { DuckDBInstance } from "@duckdb/node-api";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelIdle, launchBrowser, notebookJson, repo, runCell, screenshot, screenshotFailures, startLab, visibleCells, type Lab } from "../extension/lab.js";
import { clickstreamStore, CUSTOMERS, type ClickstreamStore } from "./clickstream.js";

let lab: Lab;
let browser: Browser;
let page: Page;
let clicks: ClickstreamStore;

const cells = visibleCells;
// A custom widget in the anywidget style: a button counting clicks into the model; a custom message
// from the kernel is shown and answered.
const COUNTER_ESM = [
  "export default {",
  "  render({ model, el }) {",
  "    const button = document.createElement('button');",
  "    button.className = 'sluice-counter';",
  "    const show = () => { button.textContent = 'clicked ' + model.get('count') + ' times'; };",
  "    button.onclick = () => { model.set('count', model.get('count') + 1); model.save_changes(); };",
  "    model.on('change:count', show);",
  "    model.on('msg:custom', (msg) => { button.dataset.said = msg.text; model.send({ echo: msg.text.toUpperCase() }); });",
  "    show();",
  "    el.append(button);",
  "  },",
  "};",
].join("\n");
const FRAME_SQL = "select range as id, 'c' || (range % 97) as customer, (range * 7919) % 10000019 as amount from range(10000000)";



const output = (index: number) => page.locator(cells).nth(index).locator(".jp-Cell-outputArea");

/** The JSON a cell printed as its result (a JSON.stringify string shown as '...'). */
async function jsonResult(index: number): Promise<any> {
  const text = (await output(index).locator(".jp-OutputArea-output").last().innerText()).trim();
  return JSON.parse(text.replace(/^'|'$/g, ""));
}

async function expectedRows(offset: number, n: number): Promise<Array<{ id: number; customer: string; amount: number }>> {
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  const reader = await connection.runAndReadAll(`select * from (${FRAME_SQL}) order by amount desc limit ${n} offset ${offset}`);
  const rows = reader.getRowObjectsJS().map((r: any) => ({ id: Number(r.id), customer: String(r.customer), amount: Number(r.amount) }));
  connection.closeSync();
  db.closeSync();
  return rows;
}

/**
 * The example explorer.ipynb with one more cell reading the kernel's side of what the page shows: the
 * title of the chart in interact's output (JupyterLab draws Vega-Lite on a canvas, so the page has no
 * title text to read).
 */
function explorerWithCheck(): string {
  const nb = JSON.parse(readFileSync(join(repo, "notebooks", "widgets", "explorer.ipynb"), "utf8"));
  nb.cells.push({
    id: "test-check", cell_type: "code", metadata: {}, outputs: [], execution_count: null,
    source: 'JSON.stringify(explorer.output.outputs.map((o: any) => o.data?.["application/vnd.vegalite.v5+json"]?.title))',
  });
  return JSON.stringify(nb);
}

beforeAll(async () => {
  lab = await startLab({
    "widgets.ipynb": notebookJson([
      `import { sql, col, grid, interact, IntSlider } from "sluice";`,
      // The function runs a lazy query each time the slider moves.
      `const numbers = await sql\`select range as i from range(1000)\`;\n` +
        `const n = new IntSlider({ value: 3, min: 0, max: 20, description: "below" });\n` +
        `interact(async ({ n }) => \`rows below \${n}: \${await numbers.filter(col("i").lt(n)).count()}\`, { n })`,
      `const frame = await sql\`${FRAME_SQL}\`;\nconst before = process.memoryUsage();\nconst g = grid(frame);\ng`,
      `const sorted = process.memoryUsage();\nJSON.stringify({ before, sorted, stats: g.stats, state: g.gridState, total: g.totalRows, page: g.page.slice(0, 3) })`,
      `const after = process.memoryUsage();\nJSON.stringify({ sorted, after, stats: g.stats })`,
      `JSON.stringify({ state: g.gridState, total: g.totalRows, readBack: await g.frame().count(), first: g.page[0] })`,
      `import { AnyWidget } from "sluice";\n` +
        `const counter = new AnyWidget({ esm: ${JSON.stringify(COUNTER_ESM)}, css: ".sluice-counter { font-weight: 700 }", state: { count: 0 } });\n` +
        `const seen: number[] = [];\nconst echoes: unknown[] = [];\n` +
        `counter.observe("count", ({ new: count }) => seen.push(count));\ncounter.onMessage((content) => echoes.push(content));\ncounter`,
      `JSON.stringify({ count: counter.get("count"), seen })`,
      `const clicked = JSON.stringify({ count: counter.get("count"), seen });\ncounter.set({ count: 10 });\ncounter.send({ text: "hello" });\nclicked`,
      `JSON.stringify({ echoes, seen })`,
    ]),
    "explorer.ipynb": explorerWithCheck(),
  });
  // The explorer reads the default store (./.sluice beside the notebook, where its kernel runs).
  clicks = await clickstreamStore(join(lab.root, ".sluice"));
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
}, 180_000);

screenshotFailures(() => page, "widgets-");

afterAll(async () => {
  clicks?.close();
  await browser?.close();
  await lab?.stop();
});

describe("widgets in JupyterLab's standard widget manager", () => {
  it("a slider moved in the page re-runs the interact function and its query", { timeout: 300_000 }, async () => {
    await page.goto(lab.url("/lab/tree/widgets.ipynb?reset"));
    await page.locator(cells).first().waitFor({ timeout: 60_000 });
    await kernelIdle(page);
    await runCell(page, 0);
    await runCell(page, 1);
    const out = output(1);
    await out.locator(".widget-slider .noUi-handle").first().waitFor({ timeout: 60_000 });
    await out.getByText("rows below 3: 3").waitFor({ timeout: 60_000 });
    await screenshot(page, "widgets-slider-before");
    // The keyboard moves the slider's handle one step a press, as a person can.
    await out.locator(".noUi-handle").first().focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
    await out.getByText("rows below 8: 8").waitFor({ timeout: 60_000 });
    expect(await out.locator(".widget-readout").first().innerText()).toBe("8");
    expect(await out.innerText()).not.toContain("rows below 3: 3");
    await screenshot(page, "widgets-slider-after");
  });

  it("the grid scrolls to row 5,000,000 of 10M rows and sorts it, fetching pages only", { timeout: 400_000 }, async () => {
    await runCell(page, 2);
    const out = output(2);
    const status = out.locator(".widget-label").filter({ hasText: /rows \d/ });
    await status.getByText("rows 1–20 of 10,000,000").waitFor({ timeout: 120_000 });
    await screenshot(page, "widgets-grid-top");

    // Jump to row 5,000,000 with the row box (Enter sends it).
    const rowBox = out.locator(".widget-inline-hbox").filter({ hasText: "Row" }).locator("input").first();
    await rowBox.fill("5000000");
    await rowBox.press("Enter");
    await status.getByText("rows 5,000,001–5,000,020 of 10,000,000").waitFor({ timeout: 120_000 });
    const firstCells = () => out.locator("table.sluice-grid tbody tr").first().locator("td");
    expect(await firstCells().nth(0).innerText()).toBe("5000000");
    expect(await firstCells().nth(1).innerText()).toBe("5000000"); // unsorted: id = row number

    // Sort by amount, descending: the same rows of the sorted frame, as DuckDB orders them.
    await out.locator("select").nth(0).selectOption({ label: "amount" });
    await out.locator("select").nth(1).selectOption({ label: "descending" });
    await status.getByText("rows 5,000,001–5,000,020 of 10,000,000 · sorted by amount descending").waitFor({ timeout: 240_000 });
    const expected = await expectedRows(5_000_000, 3);
    const shown = await out.locator("table.sluice-grid tbody tr").evaluateAll((rows) =>
      rows.slice(0, 3).map((r) => Array.from(r.querySelectorAll("td")).map((td) => (td as HTMLElement).innerText)),
    );
    expect(shown).toEqual(expected.map((row, i) => [String(5_000_000 + i), String(row.id), row.customer, String(row.amount)]));
    expect(await out.locator("table.sluice-grid th").filter({ hasText: "amount ▼" }).count()).toBe(1);
    await screenshot(page, "widgets-grid-sorted");

    // The kernel fetched pages, not the frame: its JavaScript memory stayed flat.
    await runCell(page, 3);
    const r = await jsonResult(3);
    expect(r.total).toBe(10_000_000);
    expect(r.state).toEqual({ offset: 5_000_000, sort: { column: "amount", descending: true } });
    expect(r.page.map((row: any) => Number(row.id))).toEqual(expected.map((row) => row.id));
    expect(r.stats.rowsFetched).toBeLessThanOrEqual(20 * r.stats.pageQueries);
    // 10M rows of three columns would be over 200 MB of Arrow buffers; the pages are a few KB.
    const grown = r.sorted.heapUsed + r.sorted.arrayBuffers - (r.before.heapUsed + r.before.arrayBuffers);
    console.log(`kernel memory after the sorted page at row 5,000,000: JS heap + array buffers grew ${(grown / 1e6).toFixed(1)} MB; RSS ${(r.before.rss / 1e6).toFixed(0)} → ${(r.sorted.rss / 1e6).toFixed(0)} MB (DuckDB's sort)`);
    expect(grown).toBeLessThan(50e6);

    // More deep pages of the sorted frame: memory does not grow page after page.
    for (const [row, label] of [[8_000_000, "8,000,001–8,000,020"], [2_000_000, "2,000,001–2,000,020"], [9_999_980, "9,999,981–10,000,000"]] as const) {
      await rowBox.fill(String(row));
      await rowBox.press("Enter");
      await status.getByText(`rows ${label} of 10,000,000`).waitFor({ timeout: 240_000 });
    }
    await runCell(page, 4);
    const m = await jsonResult(4);
    const rss = m.after.rss - m.sorted.rss;
    const js = m.after.heapUsed + m.after.arrayBuffers - (m.sorted.heapUsed + m.sorted.arrayBuffers);
    console.log(`three more deep pages: RSS ${(m.sorted.rss / 1e6).toFixed(0)} → ${(m.after.rss / 1e6).toFixed(0)} MB, JS heap + array buffers ${(js / 1e6).toFixed(1)} MB; ${m.stats.pageQueries} page queries, ${m.stats.rowsFetched} rows fetched in all`);
    expect(m.stats.rowsFetched).toBeLessThanOrEqual(20 * m.stats.pageQueries);
    expect(js).toBeLessThan(50e6);
    // RSS also holds DuckDB's buffer pool, which keeps the blocks of each boundary query's sort (60–330 MB seen over
    // these three pages); paging from the top-N of the full rows grew it by over 500 MB. The JavaScript side above is
    // the strict check that pages, not the frame, reach the kernel.
    expect(rss).toBeLessThan(450e6);
    await screenshot(page, "widgets-grid-last");

    // Filter customer = c7: a count query, back to the top; the grid's state reads back as a lazy frame.
    await out.locator("select").nth(2).selectOption({ label: "customer" });
    await out.getByPlaceholder("value, then Enter").fill("c7");
    await out.getByPlaceholder("value, then Enter").press("Enter");
    await status.getByText(/rows 1–20 of 103,093 · sorted by amount descending · where customer = c7/).waitFor({ timeout: 240_000 });
    await runCell(page, 5);
    const f = await jsonResult(5);
    expect(f.state).toEqual({ offset: 0, sort: { column: "amount", descending: true }, filter: { column: "customer", op: "=", value: "c7" } });
    expect(f.total).toBe(103_093);
    expect(f.readBack).toBe(103_093);
    expect(f.first.customer).toBe("c7");
    await screenshot(page, "widgets-grid-filtered");
  });

  it("after a page reload the widgets come back from the kernel (jupyter.widget.control)", { timeout: 300_000 }, async () => {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+s");
    await page.waitForFunction(() => !document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-mod-dirty, .lm-TabBar-tab.jp-mod-dirty"), undefined, { timeout: 30_000 });
    await page.reload();
    await page.locator(cells).first().waitFor({ timeout: 60_000 });
    await kernelIdle(page);
    // The saved view names a model the kernel still holds: the manager asks for every state at once.
    const out = output(1);
    await out.locator(".widget-slider .noUi-handle").first().waitFor({ timeout: 60_000 });
    await out.getByText("rows below 8: 8").waitFor({ timeout: 60_000 });
    expect(await out.locator(".widget-readout").first().innerText()).toBe("8");
    await out.locator(".noUi-handle").first().focus();
    await page.keyboard.press("ArrowLeft");
    await out.getByText("rows below 7: 7").waitFor({ timeout: 60_000 });
    await screenshot(page, "widgets-after-reload");
  });

  it("a custom widget from an ES module (render({ model, el })) is drawn by anywidget's front end and syncs both ways", { timeout: 200_000 }, async () => {
    await runCell(page, 6);
    const out = output(6);
    const button = out.locator("button.sluice-counter");
    await button.waitFor({ timeout: 60_000 });
    expect(await button.innerText()).toBe("clicked 0 times");
    expect(await out.innerText()).not.toContain("AnyWidget(");
    // The widget's _css is on the page.
    expect(await button.evaluate((el) => getComputedStyle(el).fontWeight)).toBe("700");
    await button.click();
    await button.click();
    await out.getByText("clicked 2 times").waitFor({ timeout: 30_000 });
    // The view counts at once, but the widget manager sends a model's changes one at a time (the next waits for the
    // kernel to finish the last), so a cell run right now can reach the kernel before the second click: ask (a cell
    // that changes nothing) until both have arrived.
    let state: unknown;
    for (let ask = 0; ask < 20; ask++) {
      await runCell(page, 7);
      state = await jsonResult(7);
      if ((state as { count: number }).count === 2) break;
      await page.waitForTimeout(250);
    }
    expect(state).toEqual({ count: 2, seen: [1, 2] });
    await runCell(page, 8);
    expect(await jsonResult(8)).toEqual({ count: 2, seen: [1, 2] });
    // The kernel's set and custom message reach the view; its answer comes back to onMessage.
    await out.getByText("clicked 10 times").waitFor({ timeout: 30_000 });
    await page.waitForFunction((el) => (el as HTMLElement).dataset.said === "hello", await button.elementHandle(), { timeout: 30_000 });
    await runCell(page, 9);
    expect(await jsonResult(9)).toEqual({ echoes: [{ echo: "HELLO" }], seen: [1, 2, 10] });
    await screenshot(page, "widgets-anywidget");
  });

  it("the explorer example: picking a customer and an hour range updates the chart and the grid", { timeout: 300_000 }, async () => {
    await page.goto(lab.url("/lab/tree/explorer.ipynb"));
    await page.locator(cells).nth(11).waitFor({ timeout: 60_000 });
    await kernelIdle(page);
    for (const index of [1, 3, 5, 7, 9]) await runCell(page, index);
    const explore = output(9);
    const grid = output(7);
    // The chart as drawn on its canvas: a new chart draws other pixels.
    const chartImage = () => explore.locator("canvas").first().evaluate((c) => (c as HTMLCanvasElement).toDataURL(), undefined, { timeout: 60_000 });
    const chartTitles = async () => {
      await runCell(page, 12);
      return jsonResult(12);
    };
    const status = grid.locator(".widget-label").filter({ hasText: /rows \d/ });
    /** The grid's rows shown now: each row's customer and hour cells. */
    const shownRows = () =>
      grid.locator("table.sluice-grid").evaluate((table) => {
        const heads = Array.from(table.querySelectorAll("th")).map((th) => (th as HTMLElement).innerText.replace(/[▲▼]/g, "").trim());
        const [c, h] = [heads.indexOf("customer"), heads.indexOf("hour")];
        return Array.from(table.querySelectorAll("tbody tr")).map((tr) => {
          const tds = tr.querySelectorAll("td");
          return { customer: (tds[c] as HTMLElement).innerText, hour: Number((tds[h] as HTMLElement).innerText) };
        });
      });
    const [first] = CUSTOMERS as [string];
    await status.getByText(`rows 1–12 of ${(await clicks.count(first, 0, 23)).toLocaleString("en-US")} · sorted by ts ascending`).waitFor({ timeout: 60_000 });
    const firstChart = await chartImage();
    expect(await chartTitles()).toEqual([`${first}, hours 0–23: page views per url`]);

    // Another customer: the chart and the grid follow.
    await explore.locator("select").first().selectOption("globex");
    await status.getByText(`rows 1–12 of ${(await clicks.count("globex", 0, 23)).toLocaleString("en-US")} ·`).waitFor({ timeout: 60_000 });
    await expect.poll(chartImage, { timeout: 60_000 }).not.toBe(firstChart);
    const globexChart = await chartImage();
    await expect.poll(chartTitles, { timeout: 60_000 }).toEqual(["globex, hours 0–23: page views per url"]);
    expect(new Set((await shownRows()).map((r) => r.customer))).toEqual(new Set(["globex"]));

    // An hour range, moved by the keyboard as a person can: hours 3–19.
    await explore.locator(".noUi-handle-lower").focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
    await explore.locator(".noUi-handle-upper").focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowLeft");
    const expected = await clicks.count("globex", 3, 19);
    await status.getByText(`rows 1–12 of ${expected.toLocaleString("en-US")} · sorted by ts ascending`).waitFor({ timeout: 60_000 });
    const rows = await shownRows();
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.customer === "globex" && r.hour === 3)).toBe(true); // sorted by ts: the range's first hour
    await expect.poll(chartImage, { timeout: 60_000 }).not.toBe(globexChart);
    // Each key press re-ran the function (cancelling the run before): the last range's chart stays.
    await expect.poll(chartTitles, { timeout: 60_000 }).toEqual(["globex, hours 3–19: page views per url"]);
    await screenshot(page, "widgets-explorer");
    await grid.scrollIntoViewIfNeeded();
    await screenshot(page, "widgets-explorer-grid");

    // What the grid shows reads back as a lazy frame of the same rows.
    await runCell(page, 11);
    expect(await output(11).innerText()).toContain(`rows: ${expected}`);
  });
});
