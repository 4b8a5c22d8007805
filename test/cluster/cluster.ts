// A 2-node Ray cluster for a test file: head on 127.0.0.2 (resource "head") with its agent, worker on 127.0.0.3
// (resource "worker1"), one CPU each, started with `sluice cluster start --head` / `sluice cluster join`
// into a private state folder and stopped by the pids recorded there (never `ray stop`). The head
// declares a node dead after ~3 s (health checks every 500 ms) instead of Ray's ~15 s.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, repoRoot } from "../helpers/python.js";
import { freePort } from "../../src/cluster/nodes.js";

export const HEAD_IP = "127.0.0.2";
export const WORKER_IP = "127.0.0.3";
export const FAST_FAILURE_DETECTION = { RAY_health_check_period_ms: "500", RAY_health_check_failure_threshold: "3", RAY_health_check_timeout_ms: "500" };

export interface TestCluster {
  address: string;
  stateDir: string;
  /** pids of the `ray start --block` processes. */
  headPid: number;
  workerPid: number;
  /** pid of the head's agent (the Ray driver runners share). */
  agentPid: number;
  /** Runs `sluice ARGS` with this cluster's state folder. */
  sluice(args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): ReturnType<typeof run>;
  stop(): Promise<void>;
}


const NODE = ["--num-cpus", "1", "--object-store-memory", "300000000"];

export async function startTestCluster(): Promise<TestCluster> {
  // While developing: SLUICE_TEST_RAY_STATE names the state folder of a cluster already running (started
  // as below), which is then used and left running.
  const reuse = process.env.SLUICE_TEST_RAY_STATE;
  const stateDir = reuse ?? mkdtempSync(join(tmpdir(), "sluice-ray-"));
  const env = { SLUICE_CLUSTER_DIR: stateDir, ...FAST_FAILURE_DETECTION };
  // Nodes and their tasks run at a higher priority (nice -10, inherited by every Ray process) so that a
  // machine busy with other suites still starts them inside Ray's own 30 s window; without root, nice
  // only warns and runs the command as it is.
  const sluice: TestCluster["sluice"] = (args, options = {}) =>
    run("nice", ["-n", "-10", process.execPath, join(repoRoot, "bin/sluice.js"), ...args], { timeoutMs: 240_000, ...options, env: { ...env, ...options.env } });
  const pids = () => (JSON.parse(readFileSync(join(stateDir, "nodes.json"), "utf8")) as { nodes: Array<{ pid: number; role: string; address: string }> }).nodes;
  const stop = async () => {
    if (reuse) return;
    await sluice(["cluster", "stop"]);
    // Whatever `cluster stop` could not stop (it failed itself): by pid, never by name.
    try {
      for (const n of pids()) process.kill(n.pid, "SIGKILL");
    } catch {
      /* stopped, or no state file */
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  // A machine busy with other suites can make Ray's own start time out (its raylet waits 30 s for its
  // agents): one more try before giving up.
  const start = async (args: string[]) => {
    let r = await sluice(args);
    if (r.code !== 0 && /timed out during startup/.test(r.stderr)) r = await sluice(args);
    if (r.code !== 0) throw new Error(`sluice ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r;
  };
  if (reuse) {
    const nodes = pids();
    const head = nodes.find((n) => n.role === "head") as { pid: number; address: string } | undefined;
    return { address: head!.address, stateDir, headPid: head!.pid, workerPid: nodes.find((n) => n.role === "worker")!.pid, agentPid: nodes.find((n) => n.role === "agent")?.pid ?? 0, sluice, stop };
  }
  try {
    const port = await freePort(HEAD_IP);
    await start(["cluster", "start", "--head", "--port", String(port), "--node-ip", HEAD_IP, "--resources", '{"head": 1}', ...NODE]);
    const address = `${HEAD_IP}:${port}`;
    await start(["cluster", "join", address, "--node-ip", WORKER_IP, "--resources", '{"worker1": 1}', ...NODE]);
    const nodes = pids();
    const agent = nodes.find((n) => n.role === "agent");
    if (!agent) throw new Error(`sluice cluster start --head started no agent: ${readFileSync(join(stateDir, "nodes.json"), "utf8")}`);
    return { address, stateDir, headPid: nodes.find((n) => n.role === "head")!.pid, workerPid: nodes.find((n) => n.role === "worker")!.pid, agentPid: agent.pid, sluice, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The pid of a node's raylet: the child of that node's `ray start` whose command is the raylet. */
export function rayletOf(rayStartPid: number): number | undefined {
  for (const child of readFileSync(`/proc/${rayStartPid}/task/${rayStartPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) {
    if (readFileSync(`/proc/${child}/cmdline`, "utf8").includes("raylet/raylet")) return Number(child);
  }
  return undefined;
}
