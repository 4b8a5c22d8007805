// A real JupyterLab for the browser tests: the venv's jupyter lab on 127.0.0.1 (free port, token,
// temp root and Jupyter dirs) with the Sluice extension and kernel installed by `sluice lab install
// --prefix`, and Debian's Chromium driven by playwright-core.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { beforeEach } from "vitest";

export const repo = resolve(import.meta.dirname, "..", "..");
export const artifacts = join(repo, "test-artifacts", "extension");
const venvBin = join(repo, ".venv", "bin");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * A private copy of the built Sluice (dist/, bin/, the built extension; node_modules linked), like an
 * installed package: other suites rebuilding dist/ meanwhile cannot pull files from under our kernels.
 * Returns the path of its `bin/sluice.js`.
 */
export async function snapshotSluice(dest: string): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 30; attempt++) {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    try {
      cpSync(join(repo, "dist"), join(dest, "dist"), { recursive: true });
      cpSync(join(repo, "bin"), join(dest, "bin"), { recursive: true });
      cpSync(join(repo, "package.json"), join(dest, "package.json"));
      const build = join(repo, "extension", "sluice", "labextension");
      if (existsSync(build)) cpSync(build, join(dest, "extension", "sluice", "labextension"), { recursive: true });
      symlinkSync(join(repo, "node_modules"), join(dest, "node_modules"), "dir");
      const bin = join(dest, "bin", "sluice.js");
      // A complete copy loads the whole library and every CLI area.
      execFileSync(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(join(dest, "dist", "src", "index.js")).href)})`], { stdio: "pipe" });
      execFileSync(process.execPath, [bin, "lab", "--help"], { stdio: "pipe" });
      return bin;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error(`could not copy a complete build of dist/ (is \`npm run build\` failing?): ${(lastError as Error)?.message}`);
}

export interface Lab {
  base: string;
  token: string;
  root: string;
  url(path: string): string;
  stop(): Promise<void>;
}

export function notebookJson(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: "sluice", display_name: "TypeScript (Sluice)", language: "typescript" },
      language_info: { name: "typescript" },
    },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })),
  });
}

export async function startLab(files: Record<string, string>): Promise<Lab> {
  const build = join(repo, "extension", "sluice", "labextension", "package.json");
  if (!existsSync(build)) throw new Error(`the JupyterLab extension is not built (${build}); run \`npm run build:extension\``);
  const home = mkdtempSync(join(tmpdir(), "sluice-lab-test-"));
  const prefix = join(home, "prefix");
  const root = join(home, "root");
  mkdirSync(root, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  const sluice = await snapshotSluice(join(home, "sluice"));
  // No "get notified about news?" toast over the page.
  const settings = join(home, "settings", "@jupyterlab", "apputils-extension");
  mkdirSync(settings, { recursive: true });
  writeFileSync(join(settings, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  execFileSync(process.execPath, [sluice, "lab", "install", "--prefix", prefix], { encoding: "utf8" });

  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const env = {
    ...process.env,
    JUPYTER_PATH: join(prefix, "share", "jupyter"),
    JUPYTER_DATA_DIR: join(home, "data"),
    JUPYTER_CONFIG_DIR: join(home, "config"),
    JUPYTER_RUNTIME_DIR: join(home, "runtime"),
    JUPYTERLAB_SETTINGS_DIR: join(home, "settings"),
    JUPYTERLAB_WORKSPACES_DIR: join(home, "workspaces"),
    HOME: home,
  };
  const child: ChildProcess = spawn(
    join(venvBin, "jupyter"),
    [
      "lab",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${root}`,
      "--LabApp.news_url=None",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      // CI containers run as root; Jupyter refuses that unless told.
      ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
    ],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: false },
  );
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jupyter lab exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${base}/api/status?token=${token}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`jupyter lab did not start in 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    token,
    root,
    url: (path: string) => `${base}${path}${path.includes("?") ? "&" : "?"}token=${token}`,
    async stop() {
      // Shut kernels down through the server so no kernel process outlives the test.
      try {
        const sessions = (await (await fetch(`${base}/api/kernels?token=${token}`)).json()) as Array<{ id: string }>;
        for (const k of sessions) await fetch(`${base}/api/kernels/${k.id}?token=${token}`, { method: "DELETE" });
      } catch {
        // the server is gone already
      }
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Saves a screenshot of the page as test-artifacts/extension/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** Every failing test of the file leaves a screenshot named after it (`<prefix>failed-<test name>.png`). */
export function screenshotFailures(page: () => Page | undefined, prefix = ""): void {
  beforeEach(({ onTestFailed, task }) => {
    onTestFailed(async () => {
      const current = page();
      if (current) await screenshot(current, `${prefix}failed-${task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, "-")}`);
    });
  });
}

/** The cells of the notebook shown in the main area. */
export const visibleCells = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell";

/** The status bar says the Sluice kernel is idle. */
export async function kernelIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => /\(Sluice\) \| Idle/.test(document.querySelector("#jp-main-statusbar")?.textContent ?? ""), undefined, { timeout: 90_000 });
}

/**
 * Runs cell `index` of the shown notebook from the keyboard (select it, Shift+Enter) and waits until its prompt
 * shows an execution count. A cell sent while a fresh notebook's kernel is still starting can fall back to
 * "[ ]": it is sent again once the kernel is idle.
 */
export async function runCell(page: Page, index: number, options: { timeoutMs?: number; idle?: (page: Page) => Promise<void> } = {}): Promise<void> {
  const cell = page.locator(visibleCells).nth(index);
  const prompt = cell.locator(".jp-InputPrompt");
  for (let attempt = 0; ; attempt++) {
    await cell.locator(".jp-InputArea-editor").click();
    await page.keyboard.press("Shift+Enter");
    const started = await page
      .waitForFunction((el) => /\[(\*|\d+)\]/.test((el as HTMLElement).innerText), await prompt.elementHandle(), { timeout: 5000 })
      .then(() => true, () => false);
    if (started) {
      await page.waitForFunction((el) => /\[(\d+| )\]/.test((el as HTMLElement).innerText), await prompt.elementHandle(), { timeout: options.timeoutMs ?? 180_000 });
      if (/\[\d+\]/.test(await prompt.innerText())) return;
    }
    if (attempt === 4) throw new Error(`cell ${index} did not run after Shift+Enter`);
    await (options.idle ?? kernelIdle)(page);
  }
}
