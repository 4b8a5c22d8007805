// `sluice cluster`, its agent and the Ray helper on a real 2-node Ray cluster (127.0.0.2 head, 127.0.0.3 worker),
// started once for this file and stopped by pid. Commands here are trivial `node -e` programs: the
// pipeline steps on Ray are in pipeline.test.ts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { RayHelper, TaskFailedError } from "../../src/cluster/helper.js";
import { isRunning } from "../helpers/processes.js";
import { repoRoot, run } from "../helpers/python.js";
import { freePort } from "../../src/cluster/nodes.js";
import { HEAD_IP, WORKER_IP, startTestCluster, type TestCluster } from "./cluster.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sluice = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [join(repoRoot, "bin/sluice.js"), ...args], { env, timeoutMs: 120_000 });

/** Pids of processes whose command line contains `marker`. */
function pidsWith(marker: string): number[] {
  const found: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(marker) && isRunning(Number(p))) found.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return found;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("sluice cluster: bad input, before any cluster", () => {
  it("refuses bad --resources, a malformed or unreachable address, start without --head, and says how to get Ray", async () => {
    const state = mkdtempSync(join(tmpdir(), "sluice-ray-state-"));
    const env = { SLUICE_CLUSTER_DIR: state };
    try {
      const badJson = await sluice(["cluster", "start", "--head", "--resources", "{worker1: 1}"], env);
      expect(badJson.code).toBe(2);
      expect(badJson.stderr).toMatch(/--resources "\{worker1: 1\}" is not JSON/);
      expect(badJson.stderr).toContain(`'{"worker1": 1}'`);
      const negative = await sluice(["cluster", "join", "127.0.0.2:6399", "--resources", '{"gpu_slots": -1}'], env);
      expect(negative.code).toBe(2);
      expect(negative.stderr).toMatch(/"gpu_slots" must be a non-negative number, got -1/);
      const noHead = await sluice(["cluster", "start"], env);
      expect(noHead.code).toBe(2);
      expect(noHead.stderr).toMatch(/add --head.*sluice cluster join HOST:PORT/s);
      const malformed = await sluice(["cluster", "join", "localhost"], env);
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toMatch(/"localhost" is not a cluster address; give the head's HOST:PORT/);
      // Nothing listens on this port of 127.0.0.4.
      const unreachable = await sluice(["cluster", "join", "127.0.0.4:9"], env);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toMatch(/cannot reach the Ray head at 127\.0\.0\.4:9: ECONNREFUSED/);
      const noRay = await sluice(["cluster", "start", "--head"], { ...env, SLUICE_RAY_PYTHON: "/usr/bin/python3" });
      expect(noRay.code).toBe(2);
      expect(noRay.stderr).toMatch(/Ray is not installed for \/usr\/bin\/python3/);
      expect(noRay.stderr).toContain("PIP_RETRIES=0 .venv-ray/bin/pip install ray==2.58.0");
      // A pipeline run on Ray without Ray: refused before the run is recorded, saying how to get it.
      writeFileSync(join(state, "p.ts"), `import { fnOp, pipeline } from "sluice";\nexport default pipeline("p", [fnOp({ name: "a", outputs: ["p/a"], run: () => [{ x: 1 }] })]);\n`);
      const store = join(state, "store");
      const noRayRun = await sluice(["pipeline", "run", join(state, "p.ts"), "--store", store, "--executor", "ray", "--address", "127.0.0.2:6399"], { ...env, SLUICE_RAY_PYTHON: "/usr/bin/python3" });
      expect(noRayRun.code).toBe(2);
      expect(noRayRun.stderr).toMatch(/Ray is not installed for \/usr\/bin\/python3/);
      expect(noRayRun.stderr).toContain("Without Ray, pipelines run with the local executor (the default).");
      const runs = await sluice(["pipeline", "runs", "--store", store], env);
      expect(runs.stdout.trim()).toBe("");
      const noAddress = await sluice(["cluster", "status"], { ...env, SLUICE_RAY_ADDRESS: "" });
      expect(noAddress.code).toBe(2);
      expect(noAddress.stderr).toMatch(/no cluster address: pass --address HOST:PORT or set SLUICE_RAY_ADDRESS/);
      // Nothing was started, so nothing is recorded and stop has nothing to do.
      const stop = await sluice(["cluster", "stop"], env);
      expect(stop.code).toBe(0);
      expect(stop.stdout).toMatch(/no node started by `sluice cluster` is recorded here/);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe("a head whose agent cannot start", () => {
  it("starts anyway, says so, records no agent, and runs get a Ray driver of their own", { timeout: 240_000 }, async () => {
    const state = mkdtempSync(join(tmpdir(), "sluice-ray-noagent-"));
    const env = { SLUICE_CLUSTER_DIR: state, SLUICE_AGENT_DIR: join(state, "x".repeat(120)) }; // a socket path Linux cannot take
    const port = await freePort("127.0.0.4");
    try {
      const start = await sluice(["cluster", "start", "--head", "--port", String(port), "--node-ip", "127.0.0.4", "--num-cpus", "1", "--object-store-memory", "300000000"], env);
      expect(start.code, start.stderr).toBe(0);
      expect(start.stdout).toMatch(/warning: the Sluice agent did not start \(the agent's socket path .* would be longer than 107 bytes/);
      expect(start.stdout).toMatch(/each run starts a Ray driver of its own/);
      const status = await sluice(["cluster", "status", "--json", "--address", `127.0.0.4:${port}`], env);
      expect((JSON.parse(status.stdout) as { started: Array<{ role: string }> }).started.map((n) => n.role)).toEqual(["head"]);
      const helper = await RayHelper.connect(`127.0.0.4:${port}`);
      try {
        expect(helper.viaAgent).toBe(false);
        expect((await helper.run({ cmd: [process.execPath, "-e", "console.log('own driver')"] })).stdout.trim()).toBe("own driver");
      } finally {
        await helper.close();
      }
    } finally {
      await sluice(["cluster", "stop"], env);
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe("a 2-node Ray cluster", { timeout: 180_000 }, () => { // each test starts Ray tasks: minutes on a loaded machine
  let cluster: TestCluster;
  let helper: RayHelper;
  beforeAll(async () => {
    cluster = await startTestCluster();
    helper = await RayHelper.connect(cluster.address);
  }, 400_000);
  afterAll(async () => {
    await helper?.close();
    await cluster?.stop();
    // Stopped by pid: neither node's `ray start` process nor the agent is left.
    if (cluster && !process.env.SLUICE_TEST_RAY_STATE) for (const pid of [cluster.headPid, cluster.workerPid, cluster.agentPid]) expect(isRunning(pid)).toBe(false);
  }, 120_000);

  it("sluice cluster status lists both nodes with their resources and the nodes started here", async () => {
    const r = await cluster.sluice(["cluster", "status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { address: string; nodes: Array<{ address: string; alive: boolean; resources: Record<string, number> }>; started: Array<{ pid: number; role: string; running: boolean }> };
    expect(s.address).toBe(cluster.address);
    const byIp = new Map(s.nodes.filter((n) => n.alive).map((n) => [n.address, n.resources]));
    expect(byIp.get(HEAD_IP)).toMatchObject({ CPU: 1, head: 1 });
    expect(byIp.get(WORKER_IP)).toMatchObject({ CPU: 1, worker1: 1 });
    expect(s.started.map((n) => [n.role, n.pid, n.running])).toEqual([
      ["head", cluster.headPid, true],
      ["agent", cluster.agentPid, true],
      ["worker", cluster.workerPid, true],
    ]);
    const text = await cluster.sluice(["cluster", "status"]);
    expect(text.stdout).toMatch(new RegExp(`127\\.0\\.0\\.3\\s+alive\\s+CPU 1\\s+worker1=1`));
  });

  it("runs a command as a Ray task on the node its resources pin it to, with stdin, env and cwd", async () => {
    const cmd = [process.execPath, "-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify({s,env:process.env.SLUICE_TEST_VALUE,cwd:process.cwd(),node:process.env.SLUICE_RAY_NODE})))"];
    const onWorker = await helper.run({ cmd, stdin: "hello", env: { SLUICE_TEST_VALUE: "42" }, cwd: tmpdir(), resources: { worker1: 1 } });
    expect(onWorker.exit).toBe(0);
    expect(onWorker.node).toBe(WORKER_IP);
    expect(JSON.parse(onWorker.stdout)).toEqual({ s: "hello", env: "42", cwd: tmpdir(), node: WORKER_IP });
    const onHead = await helper.run({ cmd, stdin: "", resources: { head: 1 } });
    expect(onHead.node).toBe(HEAD_IP);
    // A command's own failure is its exit code and output, not a Ray retry.
    const failing = await helper.run({ cmd: [process.execPath, "-e", "console.error('bad row'); process.exit(3)"] });
    expect(failing.exit).toBe(3);
    expect(failing.stderr).toContain("bad row");
  });

  it("refuses resources no node has, at once, naming the resources the nodes do have", async () => {
    const error = await helper.run({ cmd: ["true"], resources: { gpu_box: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).kind).toBe("unschedulable");
    expect((error as Error).message).toMatch(/no alive node of the cluster has the resources \{"CPU": 1, "gpu_box": 1\}; the nodes have .*worker1/);
  });

  it("a Ray worker process killed mid-task: the task runs again and succeeds", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-ray-kill-"));
    try {
      // The first attempt records its worker's pid and waits; a later attempt finishes at once.
      const script = `const fs=require("fs"),p=require("path");const d=${JSON.stringify(dir)};const n=fs.readdirSync(d).length;` +
        `fs.writeFileSync(p.join(d,"attempt-"+(n+1)),process.env.SLUICE_RAY_WORKER_PID);if(n===0)setTimeout(()=>{},600000);else console.log("attempt "+(n+1));`;
      const task = helper.run({ cmd: [process.execPath, "-e", script], maxRetries: 2 });
      const workerPid = Number(await waitFor("the first attempt", () => existsSync(join(dir, "attempt-1")) && readFileSync(join(dir, "attempt-1"), "utf8")));
      process.kill(workerPid, "SIGKILL");
      const r = await task;
      expect(r.exit).toBe(0);
      expect(r.stdout.trim()).toBe("attempt 2");
      expect(r.workerPid).not.toBe(workerPid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cancel stops the running command", async () => {
    const marker = `sluice-cancel-${process.pid}-${Date.now()}`;
    const cancel = new AbortController();
    const task = helper.run({ cmd: [process.execPath, "-e", `setTimeout(()=>{},600000) // ${marker}`] }, cancel.signal);
    await waitFor("the command to start", () => pidsWith(marker).length > 0);
    cancel.abort();
    const error = await task.catch((e: unknown) => e);
    expect((error as TaskFailedError).kind).toBe("cancelled");
    await waitFor("the command to be gone", () => pidsWith(marker).length === 0, 10_000);
  });

  it("the runner killed -9: its own helper (no agent), Ray task and command are gone within 3 s", async () => {
    const marker = `sluice-orphan-${process.pid}-${Date.now()}`;
    // A runner: connects a helper of its own, starts a long task on each node, prints its helper's pid.
    const runner = spawn(process.execPath, ["--input-type=module", "-e", `
      import { RayHelper } from ${JSON.stringify(join(repoRoot, "dist/src/cluster/helper.js"))};
      const h = await RayHelper.connect(${JSON.stringify(cluster.address)}, { agent: false });
      if (h.viaAgent || h.pid === ${cluster.agentPid}) throw new Error("connected through the agent");
      console.log(h.pid);
      for (const r of [{ head: 1 }, { worker1: 1 }]) h.run({ cmd: [process.execPath, "-e", "setTimeout(()=>{},600000) // ${marker}"], resources: r }).catch(() => {});
      setInterval(() => {}, 1000);
    `], { stdio: ["ignore", "pipe", "inherit"] });
    // A failure before the kill must not leave this runner (and its tasks) holding the cluster's CPUs for the next tests.
    onTestFinished(() => void runner.kill("SIGKILL"));
    const helperPid = Number(await new Promise<string>((resolve) => runner.stdout.once("data", (d) => resolve(String(d)))));
    // The runner's own command line holds the marker too (its script does): only the commands count.
    const running = () => pidsWith(marker).filter((pid) => pid !== runner.pid);
    await waitFor("both commands to run", () => running().length === 2, 120_000);
    const commands = running();
    runner.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor("the helper and both commands to be gone", () => !isRunning(helperPid) && commands.every((p) => !isRunning(p)) && pidsWith(marker).length === 0, 10_000);
    const goneAfterMs = Date.now() - killedAt;
    console.log(`runner killed -9: helper and commands gone after ${goneAfterMs} ms`);
    expect(goneAfterMs).toBeLessThanOrEqual(3000);
  }, 240_000); // it waits up to 120 s for both commands to start (a loaded machine: cut at the 60 s default in CI)

  it("through the agent: a runner killed -9 loses its Ray tasks and commands within 3 s, and the agent serves the next runner", async () => {
    expect(helper.viaAgent).toBe(true);
    expect(helper.pid).toBe(cluster.agentPid);
    const marker = `sluice-agent-orphan-${process.pid}-${Date.now()}`;
    const runner = spawn(process.execPath, ["--input-type=module", "-e", `
      import { RayHelper } from ${JSON.stringify(join(repoRoot, "dist/src/cluster/helper.js"))};
      const h = await RayHelper.connect(${JSON.stringify(cluster.address)});
      console.log(JSON.stringify({ pid: h.pid, viaAgent: h.viaAgent }));
      for (const r of [{ head: 1 }, { worker1: 1 }]) h.run({ cmd: [process.execPath, "-e", "setTimeout(()=>{},600000) // ${marker}"], resources: r }).catch(() => {});
      setInterval(() => {}, 1000);
    `], { stdio: ["ignore", "pipe", "inherit"] });
    // A failure before the kill must not leave this runner (and its tasks) holding the cluster's CPUs for the next tests.
    onTestFinished(() => void runner.kill("SIGKILL"));
    const session = JSON.parse(await new Promise<string>((resolve) => runner.stdout.once("data", (d) => resolve(String(d))))) as { pid: number; viaAgent: boolean };
    expect(session).toEqual({ pid: cluster.agentPid, viaAgent: true });
    // The runner's own command line holds the marker too (its script does): only the commands count.
    const running = () => pidsWith(marker).filter((pid) => pid !== runner.pid);
    await waitFor("both commands to run", () => running().length === 2, 120_000);
    const commands = running();
    runner.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor("both commands to be gone", () => commands.every((p) => !isRunning(p)) && pidsWith(marker).length === 0, 10_000);
    const goneAfterMs = Date.now() - killedAt;
    console.log(`runner killed -9 (through the agent): commands gone after ${goneAfterMs} ms`);
    expect(goneAfterMs).toBeLessThanOrEqual(3000);
    // The agent lives on: the runner's session ended, nobody else's (this file's own session still works).
    expect(isRunning(cluster.agentPid)).toBe(true);
    const next = await RayHelper.connect(cluster.address);
    try {
      expect(next.viaAgent).toBe(true);
      expect((await next.run({ cmd: [process.execPath, "-e", "console.log('next')"], resources: { worker1: 1 } })).stdout.trim()).toBe("next");
    } finally {
      await next.close();
    }
    expect((await helper.run({ cmd: [process.execPath, "-e", "console.log('still here')"] })).stdout.trim()).toBe("still here");
  }, 240_000);

  // Last: it ends this file's session and opens another (the agent's Ray workers then keep warm processes).
  it("warm-up starts a warm process on every node, which the node's next warm task uses", async () => {
    // Each warm process answers every line with its pid; the argument makes it findable among the processes.
    const marker = `sluice-warm-up-${process.pid}-${Date.now()}`;
    const cmd = [process.execPath, "-e", "require('readline').createInterface({ input: process.stdin }).on('line', () => require('fs').writeSync(Number(process.argv[1]), process.pid + '\\n'))", "{resultFd}", marker];
    expect(await helper.warm({ cmd, stdin: "warm up" }, 4)).toEqual({ tasks: 2, failed: 0 }); // one CPU per node
    const warmed = pidsWith(marker);
    expect(warmed).toHaveLength(2);
    for (const resources of [{ worker1: 1 }, { head: 1 }] as Array<Record<string, number>>) {
      const r = await helper.run({ cmd, stdin: "step", resources, warm: true });
      expect(warmed).toContain(Number(r.stdout.trim()));
    }
    // The agent's Ray workers keep them after the session ends: the next runner's tasks use the same processes.
    await helper.close();
    helper = await RayHelper.connect(cluster.address);
    expect(helper.viaAgent).toBe(true);
    for (const resources of [{ worker1: 1 }, { head: 1 }] as Array<Record<string, number>>) {
      const r = await helper.run({ cmd, stdin: "next run", resources, warm: true });
      expect(warmed).toContain(Number(r.stdout.trim()));
    }
  });
});
