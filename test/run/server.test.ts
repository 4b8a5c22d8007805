// `sluice run --server URL --token T` against a real Jupyter Server (jupyter_server from the venv),
// started on a free 127.0.0.1 port and stopped by the test.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { notebook, python, readJson, runCli, tempDir, writeNotebook, outputsText } from "./helpers.js";

let server: ChildProcess;
let url: string;
let root: string;
const token = "sluice-test-token";

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

beforeAll(async () => {
  root = tempDir("sluice-server-root-");
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  const args = ["-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${root}`];
  if (process.getuid?.() === 0) args.push("--allow-root");
  server = spawn(python, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  server.stderr!.on("data", (d) => (log += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`${url}api/status`, { headers: { Authorization: `token ${token}` } });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`jupyter server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (server.exitCode === null) server.kill("SIGKILL");
  }
});

describe("sluice run --server", () => {
  it("runs a parameterized notebook on the server's kernel, with SLUICE_CONTEXT and the notebook's folder as cwd", async () => {
    mkdirSync(join(root, "sub"));
    const input = writeNotebook(join(root, "sub"), "remote.ipynb", notebook([
      { source: "n: int = 1", tags: ["parameters"] },
      "import os, json\nprint(n * 10, json.loads(os.environ['SLUICE_CONTEXT'])['params']['n'], os.path.basename(os.getcwd()))",
    ]));
    const output = join(root, "remote.out.ipynb");
    const r = await runCli([input, output, "--server", url, "--token", token, "-p", "n", "4", "--cwd", "sub"]);
    expect(r.stderr).toContain("succeeded");
    expect(r.code).toBe(0);
    const nb = readJson(output);
    expect(outputsText(nb.cells[2])).toBe("40 4 sub\n");
    expect(nb.metadata.sluice).toMatchObject({ status: "succeeded", parameters: { n: 4 } });
    expect(Object.keys(nb.cells[2].metadata.execution)).toHaveLength(4);
    // the run's session is gone from the server
    const sessions = await (await fetch(`${url}api/sessions`, { headers: { Authorization: `token ${token}` } })).json();
    expect(sessions).toEqual([]);
  });

  it("a failing cell exits 1; stdout carries only the notebook", async () => {
    const nb = notebook(["import os, json\nprint('ok', sorted(json.loads(os.environ['SLUICE_CONTEXT'])))", "raise ValueError('remote boom')"]);
    const r = await runCli(["-", "-", "--server", url, "--token", token], { input: JSON.stringify(nb) });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.metadata.sluice.error).toMatchObject({ kind: "cell", ename: "ValueError", evalue: "remote boom" });
    // no parameters, yet the remote kernel has its context
    expect(outputsText(out.cells.find((c: any) => c.id === "cell-0"))).toBe("ok ['params', 'runId']\n");
  });

  it("a cell over --cell-timeout is interrupted through the server → exit 3", async () => {
    const input = writeNotebook(root, "slow.ipynb", notebook(["import time\nfor i in range(600): time.sleep(0.1)"]));
    const output = join(root, "slow.out.ipynb");
    const r = await runCli([input, output, "--server", url, "--token", token, "--cell-timeout", "1"]);
    expect(r.code).toBe(3);
    const cell = readJson(output).cells.find((c: any) => c.id === "cell-0");
    expect(cell.outputs.some((o: any) => o.ename === "KeyboardInterrupt")).toBe(true);
  });

  it("a wrong token or an unknown kernel is a usage error (exit 2)", async () => {
    const input = writeNotebook(root, "t.ipynb", notebook(["1"]));
    const bad = await runCli([input, join(root, "t.out.ipynb"), "--server", url, "--token", "wrong"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot reach Jupyter Server .*Forbidden.*check --server and --token/);
    const kernel = await runCli([input, join(root, "t.out.ipynb"), "--server", url, "--token", token, "--kernel", "nope"]);
    expect(kernel.code).toBe(2);
    expect(kernel.stderr).toMatch(/no kernel named "nope"; installed kernels: .*python3/);
  });
});

describe("sluice run --server, kernel death", () => {
  it("the server's kernel killed mid-cell → exit 4 (seen through the server's kernel status)", async () => {
    const { startCli, waitFor } = await import("./helpers.js");
    const input = writeNotebook(root, "kill.ipynb", notebook(["import os; print(os.getpid())", "import time; time.sleep(120)"]));
    const output = join(root, "kill.out.ipynb");
    const { done } = startCli([input, output, "--server", url, "--token", token]);
    const partial = await waitFor(() => {
      const nb = readJson(output);
      return nb.cells[1].metadata.sluice?.status === "running" ? nb : undefined;
    }, 30_000, "cell 2 running");
    process.kill(Number(outputsText(partial.cells[0]).trim()), "SIGKILL");
    const r = await done;
    expect(r.stderr).toMatch(/kernel python3 on the Jupyter Server died/);
    expect(r.code, r.stderr).toBe(4);
    expect(readJson(output).metadata.sluice.status).toBe("kernel-died");
  });
});
