// `sluice pipeline run --executor ray` on a real 2-node Ray cluster (127.0.0.2 head with resource "head",
// 127.0.0.3 worker with "worker1"), started once for this file and stopped by pid. The clickstream example
// gives the same assets and values as a local run; pinned ops run where their resources are; a killed
// worker or raylet re-runs the step; a runner killed -9 leaves nothing behind. The raylet test kills the
// worker node, so it runs last.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { isRunning, sluiceKernelPids } from "../helpers/processes.js";
import { repoRoot } from "../helpers/python.js";
import { installSluiceKernel, notebook, writeNotebook } from "../run/helpers.js";
import { HEAD_IP, WORKER_IP, rayletOf, startTestCluster, type TestCluster } from "./cluster.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `probe` until it returns a value; fails when `timeoutMs` pass or the run `ended` (it cannot happen then). */
async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 120_000, ended?: Promise<{ code: number | null; stderr: string }>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let finished: { code: number | null; stderr: string } | undefined;
  void ended?.then((r) => (finished = r));
  for (;;) {
    if (finished) throw new Error(`the run ended (exit ${finished.code}) before ${what}: ${finished.stderr.slice(-1500)}`);
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Pids of processes whose command line contains `text` (not this one). */
function processesWith(text: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(text) && isRunning(Number(p));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process's environment as its NUL-separated text ("" when it is gone). */
function environOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return "";
  }
}

interface SummaryNode {
  id: string;
  status: string;
  attempts: number;
  host?: string;
}
/** The run's record of its steps (runs/<runId>/summary.json): status, attempts and the host of each. */
const summaryOf = (store: string, runId: string) => {
  const s = JSON.parse(readFileSync(join(store, "runs", runId, "summary.json"), "utf8")) as { status: string; summaries: SummaryNode[] };
  return { status: s.status, nodes: s.summaries };
};

let cluster: TestCluster;
let dir: string;
let jupyterPath: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-ray-pipe-"));
  jupyterPath = installSluiceKernel();
  cluster = await startTestCluster();
}, 400_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

/** `sluice pipeline run ARGS --json` with this cluster; resolves with the exit code and the JSON summary. */
async function pipelineRun(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await cluster.sluice(["pipeline", "run", ...args, "--json"], { cwd: dir, env: { JUPYTER_PATH: jupyterPath, ...env }, timeoutMs: 900_000 });
  let json: { runId: string; status: string } | undefined;
  try {
    json = JSON.parse(r.stdout) as { runId: string; status: string };
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/** Every materialization of every asset in a store: key → partition → rows (store paths made relative). */
async function storeContents(root: string): Promise<Record<string, Record<string, unknown[]>>> {
  const store = new AssetStore(root, { readOnly: true });
  try {
    const out: Record<string, Record<string, unknown[]>> = {};
    for (const asset of store.list()) {
      if (asset.latest.format === "ipynb") continue; // executed notebooks: their timestamps differ by run
      out[asset.key] = {};
      // An unpartitioned asset is listed under "".
      const partitions = store.partitions(asset.key);
      for (const partition of partitions.length ? partitions : [""]) {
        const rows = await store.readRows(asset.key, partition ? { partition } : {});
        const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)).split(root).join("<store>");
        out[asset.key]![partition] = (JSON.parse(text) as unknown[]).map((r) => JSON.stringify(r)).sort();
      }
    }
    return out;
  } finally {
    store.close();
  }
}

describe("sluice pipeline run --executor ray", () => {
  it("the clickstream backfill over 24 partitions records the same assets and values as a local run", async () => {
    const file = join(repoRoot, "notebooks/clickstream/pipeline.ts");
    const local = join(dir, "local-store");
    const onRay = join(dir, "ray-store");
    const backfill = ["--backfill", "2024-03-01T00..2024-03-01T23"];
    const a = await pipelineRun([file, ...backfill, "--store", local]);
    expect(a.code, a.stderr.slice(-2000)).toBe(0);
    const b = await pipelineRun([file, ...backfill, "--store", onRay, "--executor", "ray", "--address", cluster.address]);
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    const summary = summaryOf(onRay, b.json!.runId);
    // 24 hours × (page_views, hourly_stats, ndjson_export) and the day's rollup.
    expect(summary.nodes).toHaveLength(73);
    expect(summary.nodes.every((n) => n.status === "succeeded")).toBe(true);
    // Every step ran on a node of the cluster, and both nodes took some.
    const hosts = new Set(summary.nodes.map((n) => n.host));
    expect([...hosts].sort()).toEqual([HEAD_IP, WORKER_IP]);
    const [x, y] = [await storeContents(local), await storeContents(onRay)];
    expect(Object.keys(y).sort()).toEqual(["clickstream/daily_rollup", "clickstream/ndjson_files", "clickstream/page_stats", "clickstream/raw_files"]);
    expect(existsSync(join(onRay, "data", "hourly_stats", "notebook"))).toBe(true);
    for (const key of ["clickstream/ndjson_files", "clickstream/page_stats", "clickstream/raw_files"]) expect(Object.keys(y[key]!)).toHaveLength(24);
    expect(Object.keys(y["clickstream/daily_rollup"]!)).toEqual(["2024-03-01"]);
    expect(y).toEqual(x);
    // The checks on the hourly stats ran (in the runner) with the same outcomes.
    const checks = (r: typeof a) => ((r.json as unknown as { checks: Array<{ check: string; partition: string; passed: boolean }> }).checks ?? []).map((c) => `${c.check} ${c.partition} ${c.passed}`).sort();
    expect(checks(b)).toHaveLength(48);
    expect(checks(b)).toEqual(checks(a));
  }, 1_200_000);

  it("ops pinned by resources run on the node that has them, as the run's records say", async () => {
    writeFileSync(
      join(dir, "pinned.ts"),
      `import { fnOp, pipeline, staticPartitions } from "sluice";
const parts = staticPartitions(["a", "b"]);
const where = (ctx) => [{ partition: ctx.partitionKey, node: process.env.SLUICE_RAY_NODE }];
export default pipeline("pinned", [
  fnOp({ name: "on_worker", partitions: parts, resources: { worker1: 1 }, outputs: ["pinned/worker"], run: where }),
  fnOp({ name: "on_head", partitions: parts, resources: { head: 1 }, outputs: ["pinned/head"], run: where }),
]);
`,
    );
    const store = join(dir, "pinned-store");
    const r = await pipelineRun(["pinned.ts", "--backfill", "a..b", "--store", store, "--executor", "ray", "--address", cluster.address]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const nodes = summaryOf(store, r.json!.runId).nodes;
    expect(nodes.map((n) => [n.id, n.host]).sort()).toEqual([
      ["on_head[a]", HEAD_IP],
      ["on_head[b]", HEAD_IP],
      ["on_worker[a]", WORKER_IP],
      ["on_worker[b]", WORKER_IP],
    ]);
    // The steps themselves saw the same node.
    const contents = await storeContents(store);
    expect(contents["pinned/worker"]!.a).toEqual([JSON.stringify({ partition: "a", node: WORKER_IP })]);
    expect(contents["pinned/head"]!.b).toEqual([JSON.stringify({ partition: "b", node: HEAD_IP })]);
    // A resource no node has fails the step at once, naming what the cluster has.
    writeFileSync(join(dir, "nowhere.ts"), `import { fnOp, pipeline } from "sluice";\nexport default pipeline("nowhere", [fnOp({ name: "gpu", resources: { gpu_box: 1 }, outputs: ["nowhere/x"], run: () => [{ x: 1 }] })]);\n`);
    const nowhere = await pipelineRun(["nowhere.ts", "--store", join(dir, "nowhere-store"), "--executor", "ray", "--address", cluster.address]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/no alive node of the cluster has the resources \{"CPU": 1, "gpu_box": 1\}/);
  }, 600_000);

  it("a Ray worker killed mid-step: the step runs again and the run succeeds", async () => {
    const marks = mkdtempSync(join(dir, "worker-kill-"));
    writeFileSync(
      join(dir, "flaky.ts"),
      `import { fnOp, pipeline } from "sluice";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const marks = ${JSON.stringify(marks)};
export default pipeline("flaky", [
  fnOp({ name: "slow", outputs: ["flaky/out"], run: async () => {
    const n = readdirSync(marks).length + 1;
    writeFileSync(join(marks, "attempt-" + n), process.env.SLUICE_RAY_WORKER_PID ?? "");
    // The first attempt waits to be killed; the next one finishes.
    if (n === 1) await new Promise((r) => setTimeout(r, 600_000));
    return [{ attempt: n }];
  } }),
]);
`,
    );
    const store = join(dir, "flaky-store");
    const run = pipelineRun(["flaky.ts", "--store", store, "--executor", "ray", "--address", cluster.address]);
    const first = join(marks, "attempt-1");
    const workerPid = Number(await waitFor("the first attempt", () => existsSync(first) && statSync(first).size > 0 && readFileSync(first, "utf8"), 300_000, run));
    process.kill(workerPid, "SIGKILL");
    const r = await run;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(readdirSync(marks).sort()).toEqual(["attempt-1", "attempt-2"]);
    expect(readFileSync(join(marks, "attempt-2"), "utf8")).not.toBe(String(workerPid));
    expect((await storeContents(store))["flaky/out"]![""]).toEqual([JSON.stringify({ attempt: 2 })]);
    // Ray's re-run is not an attempt of the op: its retry policy (none here) is untouched.
    expect(summaryOf(store, r.json!.runId).nodes[0]).toMatchObject({ status: "succeeded", attempts: 1 });
  }, 600_000);

  it("the runner killed -9: no Ray task, step process or kernel is left within 3 s", async () => {
    const mark = `sluice-orphan-test-${process.pid}`;
    const napping = join(dir, "napping");
    const nap = writeNotebook(
      dir,
      "nap.ipynb",
      notebook([`import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(napping)}, "");\nawait new Promise((r) => setTimeout(r, 600_000));`], { name: "sluice", language: "typescript" }),
    );
    const sleeping = join(dir, "sleeping");
    writeFileSync(
      join(dir, "orphans.ts"),
      `import { fnOp, notebookOp, pipeline } from "sluice";
import { writeFileSync } from "node:fs";
export default pipeline("orphans", [
  notebookOp({ name: "nap", notebook: ${JSON.stringify(nap)}, outputs: ["orphans/nap"] }),
  fnOp({ name: "sleep", outputs: ["orphans/sleep"], run: async () => { writeFileSync(${JSON.stringify(sleeping)}, ""); await new Promise((r) => setTimeout(r, 600_000)); } }),
]);
`,
    );
    const store = join(dir, "orphans-store");
    const runner = spawn(process.execPath, [join(repoRoot, "bin/sluice.js"), "pipeline", "run", "orphans.ts", "--store", store, "--executor", "ray", "--address", cluster.address], {
      cwd: dir,
      env: { ...process.env, JUPYTER_PATH: jupyterPath, SLUICE_TEST_MARK: mark },
      stdio: "ignore",
    });
    // A failure before the kill must not leave this runner holding the cluster's CPUs for the next tests.
    onTestFinished(() => void runner.kill("SIGKILL"));
    await waitFor("both steps running", () => existsSync(napping) && existsSync(sleeping), 300_000);
    const kernels = sluiceKernelPids(mark);
    // This run's step processes (the agent's Ray workers may keep other runs' idle ones: they are the cluster's, not this run's).
    const steps = processesWith("step\0serve").filter((pid) => environOf(pid).includes(`SLUICE_TEST_MARK=${mark}`));
    const tasks = processesWith("ray::orphans:");
    expect(kernels.length).toBe(1);
    expect(steps.length).toBe(2);
    expect(tasks.length).toBe(2);
    runner.kill("SIGKILL");
    const killedAt = Date.now();
    const leftovers = () => [...kernels.map(Number), ...steps, ...tasks, ...sluiceKernelPids(mark).map(Number), ...processesWith("ray::orphans:")].filter(isRunning);
    await waitFor("every task, step and kernel to be gone", () => leftovers().length === 0, 15_000).catch(() => undefined);
    const goneAfterMs = Date.now() - killedAt;
    console.log(`runner killed -9: Ray tasks, steps and kernel gone after ${goneAfterMs} ms`);
    expect(leftovers()).toEqual([]);
    expect(goneAfterMs).toBeLessThanOrEqual(3000);
  }, 600_000);

  it("steps reuse their Ray worker's warm step process; Ctrl-C kills a running step's process", async () => {
    writeFileSync(
      join(dir, "warm.ts"),
      `import { fnOp, pipeline, staticPartitions } from "sluice";
export default pipeline("warm", [
  fnOp({ name: "where", partitions: staticPartitions(["a", "b", "c", "d"]), resources: { worker1: 1 }, outputs: ["warm/where"],
    run: (ctx) => [{ partition: ctx.partitionKey, pid: process.pid, node: process.env.SLUICE_RAY_NODE }] }),
]);
`,
    );
    const store = join(dir, "warm-store");
    const r = await pipelineRun(["warm.ts", "--backfill", "a..d", "--store", store, "--executor", "ray", "--address", cluster.address]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const rows = Object.values((await storeContents(store))["warm/where"]!).flat().map((x) => JSON.parse(x as string) as { pid: number; node: string });
    expect(rows).toHaveLength(4);
    expect(rows.every((x) => x.node === WORKER_IP)).toBe(true);
    // One CPU on that node: the four steps ran one after another, in the worker's one warm process.
    expect(new Set(rows.map((x) => x.pid)).size).toBeLessThan(4);
    // The next run's steps use the same warm process: the cluster's agent is every run's Ray driver, and its Ray
    // workers keep their warm processes from run to run (no driver, worker or step process started).
    const again = await pipelineRun(["warm.ts", "--backfill", "a..d", "--store", join(dir, "warm-store-2"), "--executor", "ray", "--address", cluster.address]);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    const rowsAgain = Object.values((await storeContents(join(dir, "warm-store-2")))["warm/where"]!).flat().map((x) => JSON.parse(x as string) as { pid: number });
    expect(rowsAgain).toHaveLength(4);
    for (const row of rowsAgain) expect(rows.map((x) => x.pid)).toContain(row.pid);

    const pidFile = join(dir, "hanging-pid");
    writeFileSync(
      join(dir, "hang.ts"),
      `import { fnOp, pipeline } from "sluice";
import { writeFileSync } from "node:fs";
export default pipeline("hang", [
  fnOp({ name: "hang", resources: { worker1: 1 }, outputs: ["hang/x"], run: async () => {
    writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
    await new Promise((r) => setTimeout(r, 600_000));
  } }),
]);
`,
    );
    const runner = spawn(process.execPath, [join(repoRoot, "bin/sluice.js"), "pipeline", "run", "hang.ts", "--store", join(dir, "hang-store"), "--executor", "ray", "--address", cluster.address], {
      cwd: dir,
      env: { ...process.env, JUPYTER_PATH: jupyterPath },
      stdio: "ignore",
    });
    onTestFinished(() => void runner.kill("SIGKILL"));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => runner.on("exit", (code) => resolve({ code, stderr: "" })));
    const stepPid = Number(await waitFor("the step running", () => existsSync(pidFile) && readFileSync(pidFile, "utf8"), 300_000, exited));
    expect(readFileSync(`/proc/${stepPid}/cmdline`, "utf8")).toContain("step\0serve");
    runner.kill("SIGINT");
    expect((await exited).code).toBe(130);
    await waitFor("the step process to be gone", () => !isRunning(stepPid), 15_000).catch(() => undefined);
    expect(isRunning(stepPid)).toBe(false);
  }, 600_000);

  it("a raylet killed: its step re-runs on the other node and the run succeeds", async () => {
    const marks = mkdtempSync(join(dir, "raylet-kill-"));
    writeFileSync(
      join(dir, "nodeloss.ts"),
      `import { fnOp, pipeline, staticPartitions } from "sluice";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const marks = ${JSON.stringify(marks)};
export default pipeline("nodeloss", [
  fnOp({ name: "work", partitions: staticPartitions(["p", "q"]), outputs: ["nodeloss/out"], run: async (ctx) => {
    const node = process.env.SLUICE_RAY_NODE;
    writeFileSync(join(marks, ctx.partitionKey + "@" + node + "@" + Date.now()), "");
    // Both first attempts run at once (one per node); the one on the worker then waits to lose its node.
    while (readdirSync(marks).length < 2) await new Promise((r) => setTimeout(r, 100));
    if (node === ${JSON.stringify(WORKER_IP)}) await new Promise((r) => setTimeout(r, 600_000));
    return [{ partition: ctx.partitionKey, node }];
  } }),
]);
`,
    );
    const store = join(dir, "nodeloss-store");
    const run = pipelineRun(["nodeloss.ts", "--backfill", "p..q", "--store", store, "--executor", "ray", "--address", cluster.address]);
    const onWorker = await waitFor("a step on the worker", () => readdirSync(marks).find((m) => m.includes(`@${WORKER_IP}@`)), 300_000, run);
    const partition = onWorker.split("@")[0]!;
    const raylet = rayletOf(cluster.workerPid)!;
    expect(raylet).toBeGreaterThan(0);
    process.kill(raylet, "SIGKILL");
    const killedAt = Date.now();
    const r = await run;
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const rerun = readdirSync(marks).find((m) => m.startsWith(`${partition}@${HEAD_IP}@`));
    expect(rerun).toBeDefined();
    const rerunAfterMs = Number(rerun!.split("@")[2]) - killedAt;
    console.log(`raylet killed: step ${partition} re-ran on ${HEAD_IP} ${rerunAfterMs} ms after the kill`);
    // The head notices the dead node in ~3 s (FAST_FAILURE_DETECTION) and Ray re-runs its task at once.
    expect(rerunAfterMs).toBeLessThanOrEqual(10_000);
    const nodes = summaryOf(store, r.json!.runId).nodes;
    expect(nodes.find((n) => n.id === `work[${partition}]`)).toMatchObject({ status: "succeeded", host: HEAD_IP });
    expect((await storeContents(store))["nodeloss/out"]![partition]).toEqual([JSON.stringify({ partition, node: HEAD_IP })]);
  }, 600_000);
});
