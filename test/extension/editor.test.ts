/// <reference lib="dom" />
// What a person sees while editing in a real JupyterLab and Chromium: a plot draws as a chart (an SVG
// or canvas, no fallback text); the first Tab on a fresh kernel pops a completion list with `groupBy`
// (JupyterLab drops slow completion replies, so a popup after one Tab is the proof the reply was fast);
// a library error's traceback shows the cell as In [n] and no library-internal frames.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { launchBrowser, notebookJson, runCell, screenshot, screenshotFailures, repo, startLab, type Lab } from "./lab.js";

let lab: Lab;
let browser: Browser;
let page: Page;
let spec: TempKernelspec;

const cells = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell";

async function shot(name: string): Promise<void> {
  await screenshot(page, `editor-${name}`);
}

/** Opens a notebook and waits until its cells are shown and its kernel is idle. */
async function openNotebook(name: string): Promise<void> {
  // ?reset: only this notebook, not every tab an earlier test left open (restoring them all on a busy
  // machine kept the page moving for half a minute).
  await page.goto(lab.url(`/lab/tree/${name}?reset`));
  await page.locator(cells).first().waitFor({ timeout: 60_000 });
  await kernelIdle();
}

/** The shown notebook's own kernel (its toolbar names it) is connected and idle. */
async function kernelIdle(): Promise<void> {
  await page.waitForFunction(
    () =>
      /TypeScript \(Sluice\)/.test(document.querySelector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName")?.textContent ?? "") &&
      /\(Sluice\) \| Idle/.test(document.querySelector("#jp-main-statusbar")?.textContent ?? ""),
    undefined,
    { timeout: 90_000 },
  );
}


function output(index: number) {
  return page.locator(cells).nth(index).locator(".jp-OutputArea");
}

beforeAll(async () => {
  lab = await startLab({
    "chart.ipynb": notebookJson([
      `import { fromRecords } from "sluice";\nconst df = await fromRecords([{ k: "a", n: 3 }, { k: "b", n: 5 }, { k: "c", n: 2 }]);`,
      `await df.plot.bar({ x: "k", y: "n", title: "Counts by k" })`,
    ]),
    // No cell spells the method's name: only the kernel can offer it.
    "complete.ipynb": notebookJson([`import { sql } from "sluice";\nconst df = await sql\`select range as i, range % 3 as g from range(10)\`;`, "", `df.select("nope")`]),
    "dates.ipynb": notebookJson([
      `import { sql } from "sluice";\nawait (await sql\`select DATE '2024-03-01' as day, TIMESTAMP '2024-03-01 09:30:00' as at, 'a rather long text value that would take the room' as note from range(3)\`).collect()`,
    ]),
    "hourly-stats.ipynb": readFileSync(join(repo, "notebooks", "clickstream", "hourly-stats.ipynb"), "utf8"),
  });
  // A notebook executed by `sluice run` (outside JupyterLab), then opened in it.
  spec = installTempKernelspec();
  const executed = join(lab.root, "plot-run.ipynb");
  writeFileSync(executed, notebookJson([`import { fromRecords } from "sluice";\nconst df = await fromRecords([{ k: "x", n: 4 }, { k: "y", n: 1 }]);`, `await df.plot.bar({ x: "k", y: "n", title: "Saved chart" })`]));
  execFileSync(process.execPath, [join(repo, "bin", "sluice.js"), "run", executed, join(lab.root, "plot-run.out.ipynb"), "--no-progress"], { env: { ...process.env, ...spec.env }, cwd: lab.root, stdio: "pipe" });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
}, 180_000);

screenshotFailures(() => page, "editor-");

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  spec?.cleanup();
});

describe("editing in JupyterLab", () => {
  it("draws a plot as a Vega chart with no fallback text", { timeout: 240_000 }, async () => {
    await openNotebook("chart.ipynb");
    await runCell(page, 0, { idle: kernelIdle });
    await runCell(page, 1, { idle: kernelIdle });
    const out = output(1);
    await out.locator(".jp-RenderedVegaLite svg, .jp-RenderedVegaLite canvas").first().waitFor({ timeout: 60_000 });
    const text = await out.innerText();
    expect(text).not.toMatch(/open in JupyterLab|points>|<Chart/);
    // The bars are drawn: one mark per record.
    const marks = await out.locator(".jp-RenderedVegaLite .mark-rect path, .jp-RenderedVegaLite canvas").count();
    expect(marks).toBeGreaterThan(0);
    await shot("chart");
  });

  it("draws the chart of a notebook executed by sluice run and opened afterwards", { timeout: 240_000 }, async () => {
    await openNotebook("plot-run.out.ipynb");
    const out = output(1);
    await out.locator(".jp-RenderedVegaLite svg, .jp-RenderedVegaLite canvas").first().waitFor({ timeout: 60_000 });
    expect(await out.innerText()).not.toMatch(/open in JupyterLab|<Chart/);
    await shot("chart-executed");
    // sluice run saved the kernel's own language_info, as JupyterLab would on connecting. (The notebook
    // still opens modified: JupyterLab's Vega renderer adds a PNG of each chart to its output.)
    const saved = JSON.parse(readFileSync(join(lab.root, "plot-run.out.ipynb"), "utf8"));
    expect(saved.metadata.language_info).toMatchObject({ name: "typescript", codemirror_mode: "typescript", pygments_lexer: "typescript" });
  });

  it("pops a completion list with groupBy on the first Tab of a fresh kernel, in JupyterLab's time limit", { timeout: 240_000 }, async () => {
    await openNotebook("complete.ipynb");
    await runCell(page, 0, { idle: kernelIdle });
    const editor = page.locator(cells).nth(1).locator(".jp-InputArea-editor");
    await editor.click();
    await page.keyboard.type("df.");
    // One Tab: JupyterLab asks the kernel and drops a reply slower than its provider timeout, so a popup
    // is the proof that the first reply came in time.
    await page.keyboard.press("Tab");
    await page.locator(".jp-Completer").waitFor({ state: "visible", timeout: 30_000 });
    await page.keyboard.type("gro");
    await page.locator(".jp-Completer .jp-Completer-item", { hasText: "groupBy" }).first().waitFor({ state: "visible", timeout: 10_000 });
    await shot("completion");
    await page.keyboard.press("Escape");
  });

  it("shows a library error's traceback at In [n], without Sluice's internal frames", { timeout: 240_000 }, async () => {
    await openNotebook("complete.ipynb");
    await runCell(page, 0, { idle: kernelIdle });
    await runCell(page, 2, { idle: kernelIdle });
    const error = output(2).locator(".jp-OutputArea-output").first();
    await error.waitFor({ timeout: 60_000 });
    const text = await error.innerText();
    const count = (await page.locator(cells).nth(2).locator(".jp-InputPrompt").innerText()).match(/\d+/)![0];
    expect(text).toContain("ColumnNotFoundError");
    expect(text).toContain(`In [${count}]:1:`);
    expect(text).not.toMatch(/dist\/|node:internal|cell-\d+\.ts/);
    await shot("traceback");
  });

  it("shows DATE and TIMESTAMP cells as DuckDB prints them, on one line", { timeout: 240_000 }, async () => {
    await openNotebook("dates.ipynb");
    await runCell(page, 0, { idle: kernelIdle });
    const table = output(0).locator("table.sluice-frame");
    await table.waitFor({ timeout: 60_000 });
    const temporal = table.locator("td.sluice-temporal");
    expect(await temporal.allInnerTexts()).toEqual(["2024-03-01", "2024-03-01 09:30:00", "2024-03-01", "2024-03-01 09:30:00", "2024-03-01", "2024-03-01 09:30:00"]);
    expect(await temporal.first().evaluate((td) => getComputedStyle(td).whiteSpace)).toBe("nowrap");
    expect(await table.innerText()).not.toMatch(/T\d\d:\d\d|\.000Z/);
    await shot("dates");
  });

  it("opens an example notebook without marking it modified", { timeout: 240_000 }, async () => {
    await openNotebook("hourly-stats.ipynb");
    // The kernel has connected and answered kernel_info (language_info) by now; give the model a moment.
    await page.waitForTimeout(3000);
    const tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current");
    await shot("example-opened");
    expect(await tab.getAttribute("class")).not.toContain("jp-mod-dirty");
  });
});
