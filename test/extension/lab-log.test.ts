// `sluice lab` started for real (the venv's JupyterLab on 127.0.0.1, a free port, a temp home): its log
// reaches the terminal without the 13 KB minified yarn dump JupyterLab writes when its Python
// environment sits under a package.json with "type": "module" (as this repository's .venv does).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repo, snapshotSluice } from "./lab.js";

const home = mkdtempSync(join(tmpdir(), "sluice-lab-log-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

describe("sluice lab's log", () => {
  it("has no minified dump at start, only JupyterLab's log lines and a one-line note", { timeout: 180_000 }, async () => {
    const sluice = await snapshotSluice(join(home, "sluice"));
    const port = await freePort();
    const env = {
      ...process.env,
      PATH: `${join(repo, ".venv", "bin")}:${process.env.PATH}`,
      HOME: home,
      XDG_CACHE_HOME: join(home, "cache"),
      JUPYTER_CONFIG_DIR: join(home, "config"),
      JUPYTER_RUNTIME_DIR: join(home, "runtime"),
      JUPYTERLAB_SETTINGS_DIR: join(home, "settings"),
      JUPYTERLAB_WORKSPACES_DIR: join(home, "workspaces"),
    };
    const args = ["lab", "--no-browser", "--ServerApp.ip=127.0.0.1", `--ServerApp.port=${port}`, "--ServerApp.port_retries=0", `--ServerApp.root_dir=${home}`, ...(process.getuid?.() === 0 ? ["--allow-root"] : [])];
    const child = spawn(process.execPath, [sluice, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    try {
      const deadline = Date.now() + 150_000;
      while (!/is running at/.test(log) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(log).toMatch(/Jupyter Server .* is running at/);
      // What JupyterLab logs after it has started (the yarn check runs while it starts).
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    const longest = Math.max(...log.split("\n").map((l) => l.length));
    expect(longest).toBeLessThan(500);
    expect(log).not.toMatch(/Dynamic require|Object\.defineProperty;var/);
    expect(log).toMatch(/sluice lab: extension /);
  });
});
