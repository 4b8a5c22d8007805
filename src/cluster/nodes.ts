// `sluice cluster start|join|status|stop`: Ray nodes started by this tool, as `ray start --block` processes
// that run detached with their output in a log file, and the head's agent (src/cluster/agent.ts). Their pids
// are kept in a state file, so `stop` ends exactly those (SIGTERM to each, which stops its raylet, GCS and
// workers) and never anyone else's Ray (`ray stop` would kill every Ray process of the user).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { connect, createServer, type AddressInfo } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { isAgent, startAgent } from "./agent.js";
import { ClusterError, ClusterUsageError } from "./errors.js";
import { helperScript, lastJson, requireRay } from "./python.js";
import { spawnSync } from "node:child_process";

export interface NodeRecord {
  pid: number;
  /** A Ray node, or the head's agent (a Ray driver that runners share). */
  role: "head" | "worker" | "agent";
  /** The head's HOST:PORT (for a worker: the address it joined). */
  address: string;
  nodeIp?: string;
  resources?: Record<string, number>;
  log: string;
  startedAt: string;
  /** The agent's Unix socket. */
  socket?: string;
}

export interface StartOptions {
  port?: number;
  resources?: string;
  nodeIp?: string;
  numCpus?: number;
  objectStoreMemory?: number;
  /** Folder of the state file and logs (default $SLUICE_CLUSTER_DIR or ~/.sluice/cluster). */
  stateDir?: string;
  /** With --head: start the agent that runners on this machine share (default true). */
  agent?: boolean;
}

export function stateDir(explicit?: string): string {
  return explicit ?? process.env.SLUICE_CLUSTER_DIR ?? join(homedir(), ".sluice", "cluster");
}

const stateFile = (dir: string) => join(dir, "nodes.json");

export function readState(dir: string): NodeRecord[] {
  const file = stateFile(dir);
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { nodes: NodeRecord[] }).nodes;
  } catch (error) {
    throw new ClusterError(`the cluster state file ${file} cannot be read: ${(error as Error).message}.`, { hint: "Stop the Ray nodes listed in it by hand (kill PID), then delete the file." });
  }
}

function writeState(dir: string, nodes: NodeRecord[]): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `${stateFile(dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ nodes }, null, 1) + "\n");
  renameSync(tmp, stateFile(dir));
}

/** `{"worker1": 1}`: a JSON object of non-negative numbers, as `ray start --resources` takes it. */
export function parseResources(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClusterUsageError(`--resources ${JSON.stringify(text)} is not JSON (${(error as Error).message}).`, { hint: `Give a JSON object of resource names and amounts, e.g. --resources '{"worker1": 1}'.` });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ClusterUsageError(`--resources ${JSON.stringify(text)} must be a JSON object, e.g. '{"worker1": 1}'.`);
  }
  for (const [name, amount] of Object.entries(value)) {
    if (typeof amount !== "number" || !Number.isFinite(amount) || amount < 0) throw new ClusterUsageError(`--resources: ${JSON.stringify(name)} must be a non-negative number, got ${JSON.stringify(amount)}.`);
    if (name === "CPU" || name === "GPU" || name === "memory") throw new ClusterUsageError(`--resources: ${name} is set by Ray itself; use --num-cpus for CPUs.`);
  }
  return value as Record<string, number>;
}

/** HOST:PORT, as `cluster join` and `--address` take it. */
export function parseAddress(text: string): { host: string; port: number } {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new ClusterUsageError(`${JSON.stringify(text)} is not a cluster address; give the head's HOST:PORT, e.g. 10.0.0.5:6379.`);
  return { host: m[1]!, port };
}

/** Resolves when a TCP connection to the address opens; a clear error when it does not within `timeoutMs`. */
export function checkReachable(address: string, timeoutMs = 5000): Promise<void> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new ClusterError(`cannot reach the Ray head at ${address}: ${why}.`, { hint: "Check the address printed by `sluice cluster start --head` on the head node, and that its port is open from here." }));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs / 1000} s`));
    socket.once("connect", () => (socket.end(), resolve()));
    socket.once("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
  });
}

/** A TCP port free on `host` right now (the OS picks it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** SIGKILL to the process group a node's `ray start` leads (it runs detached: the group is its own). */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* the group is gone */
  }
}

/** Is the recorded process still the one that was started (a node's `ray start`, or the agent)? */
function isRunning(record: NodeRecord): boolean {
  return record.role === "agent" ? isAgent(record.pid) : isRayStart(record.pid);
}

/** Is `pid` a running `ray start` process (not a recycled pid of something else)? */
function isRayStart(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
    return state !== "Z" && cmd.includes("ray.scripts.scripts") && cmd.includes("start");
  } catch {
    return false;
  }
}

async function startNode(role: "head" | "worker", args: string[], options: StartOptions, address: string | undefined, resources: Record<string, number> | undefined): Promise<NodeRecord> {
  const { python } = requireRay();
  const dir = stateDir(options.stateDir);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${role}-${Date.now()}.log`);
  const fd = openSync(log, "a");
  // No dashboard, autoscaler monitor or log monitor: steps are tasks with their own output, and every Python
  // process less makes a node start faster (a node whose agents miss Ray's 30 s start window fails).
  const rayArgs = ["start", "--block", "--disable-usage-stats", "--include-log-monitor=false", ...args];
  if (role === "head") rayArgs.push("--include-dashboard=false", "--no-monitor");
  if (options.nodeIp) rayArgs.push(`--node-ip-address=${options.nodeIp}`);
  if (resources) rayArgs.push(`--resources=${JSON.stringify(resources)}`);
  if (options.numCpus !== undefined) rayArgs.push(`--num-cpus=${options.numCpus}`);
  if (options.objectStoreMemory !== undefined) rayArgs.push(`--object-store-memory=${options.objectStoreMemory}`);
  // With port 0, Ray's raylet waits at most 30 s for its Python agents to write their port files, which a
  // busy machine misses (the node then fails to start): give them free ports up front instead.
  const ip = options.nodeIp ?? "127.0.0.1";
  for (const flag of ["--dashboard-agent-grpc-port", "--dashboard-agent-listen-port", "--runtime-env-agent-port", "--metrics-export-port"]) {
    rayArgs.push(`${flag}=${await freePort(ip)}`);
  }
  // Detached: its own session, so a Ctrl-C in this terminal does not stop the node.
  const child = spawn(python, ["-c", "import sys; from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()", ...rayArgs], {
    detached: true,
    stdio: ["ignore", fd, fd],
    // A busy machine starts Ray's Python agents slowly; the raylet gives up on them after 30 s by default.
    env: { RAY_agent_register_timeout_ms: "120000", ...process.env, RAY_USAGE_STATS_ENABLED: "0" },
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid!;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const text = readFileSync(log, "utf8");
    if (text.includes("Ray runtime started")) {
      const head = /ray start --address='([^']+)'/.exec(text)?.[1];
      return { pid, role, address: address ?? head ?? "", nodeIp: options.nodeIp, resources, log, startedAt: new Date().toISOString() };
    }
    const exited = child.exitCode !== null || child.signalCode !== null || !isRayStart(pid);
    if (exited || Date.now() > deadline) {
      // Its raylet may have died leaving Ray's agents behind: they are in the node's process group.
      killGroup(pid);
      const tail = text.trim().split("\n").filter((l) => !/^\s*$/.test(l)).slice(-6).join("\n  ");
      throw new ClusterError(`the Ray ${role} node did not start${exited ? "" : " within 120 s"}; its log (${log}) ends with:\n  ${tail}`, {
        hint: role === "head" ? "Another process may use the port (try --port), or --node-ip is not an address of this machine." : "Check that the head runs and that --node-ip is an address of this machine.",
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts the head node and, unless `agent` is false, its agent; a failed agent is reported, not fatal (runs then start their own driver). */
export async function startHead(options: StartOptions): Promise<NodeRecord & { agent?: NodeRecord; agentError?: string }> {
  const resources = parseResources(options.resources);
  const port = options.port ?? 6379;
  requireRay();
  const dir = stateDir(options.stateDir);
  const node = await startNode("head", ["--head", `--port=${port}`], options, options.nodeIp ? `${options.nodeIp}:${port}` : undefined, resources);
  writeState(dir, [...readState(dir), node]);
  if (options.agent === false) return node;
  const log = join(dir, `agent-${Date.now()}.log`);
  try {
    const { pid, socket } = await startAgent(node.address, log);
    const agent: NodeRecord = { pid, role: "agent", address: node.address, log, socket, startedAt: new Date().toISOString() };
    writeState(dir, [...readState(dir), agent]);
    return { ...node, agent };
  } catch (error) {
    return { ...node, agentError: (error as Error).message };
  }
}

export async function joinCluster(address: string, options: StartOptions): Promise<NodeRecord> {
  const resources = parseResources(options.resources);
  parseAddress(address);
  requireRay();
  await checkReachable(address);
  const node = await startNode("worker", [`--address=${address}`], options, address, resources);
  writeState(stateDir(options.stateDir), [...readState(stateDir(options.stateDir)), node]);
  return node;
}

export interface ClusterStatus {
  address: string;
  nodes: Array<{ nodeId: string; address: string; alive: boolean; resources: Record<string, number> }>;
  available: Record<string, number>;
  /** Nodes this tool started on this machine (from the state file), with whether each still runs. */
  started: Array<NodeRecord & { running: boolean }>;
}

/** The head address to use: explicit, else $SLUICE_RAY_ADDRESS, else the head this tool started here. */
export function defaultAddress(explicit?: string, dir?: string): string | undefined {
  if (explicit) return explicit;
  if (process.env.SLUICE_RAY_ADDRESS) return process.env.SLUICE_RAY_ADDRESS;
  return readState(stateDir(dir)).find((n) => n.role === "head" && isRunning(n))?.address;
}

export async function clusterStatus(address: string | undefined, dir?: string): Promise<ClusterStatus> {
  const target = defaultAddress(address, dir);
  if (!target) throw new ClusterUsageError("no cluster address: pass --address HOST:PORT or set SLUICE_RAY_ADDRESS (no head was started here with `sluice cluster start --head`).");
  await checkReachable(target);
  const { python } = requireRay();
  const r = spawnSync(python, [helperScript(), "status", target], { encoding: "utf8", timeout: 90_000 });
  const out = lastJson(r.stdout);
  if (r.status !== 0 || !out || !Array.isArray(out.nodes)) {
    throw new ClusterError(`cannot read the status of the Ray cluster at ${target}: ${String(out?.message ?? r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`)}.`);
  }
  const started = readState(stateDir(dir)).map((n) => ({ ...n, running: isRunning(n) }));
  return { address: target, nodes: out.nodes as ClusterStatus["nodes"], available: out.available as Record<string, number>, started };
}

const STOP_ORDER: Record<NodeRecord["role"], number> = { agent: 0, worker: 1, head: 2 };

/** Stops what this tool started (the agent, then workers, then the head), by SIGTERM to their own pids; SIGKILL after 20 s. */
export async function stopNodes(dir?: string): Promise<Array<NodeRecord & { was: "stopped" | "not running" }>> {
  const folder = stateDir(dir);
  const nodes = readState(folder).sort((a, b) => STOP_ORDER[a.role] - STOP_ORDER[b.role]);
  const done: Array<NodeRecord & { was: "stopped" | "not running" }> = [];
  for (const node of nodes) {
    if (!isRunning(node)) {
      done.push({ ...node, was: "not running" });
      continue;
    }
    process.kill(node.pid, "SIGTERM");
    const deadline = Date.now() + 20_000;
    while (isRunning(node) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Stragglers (an agent whose raylet died first) share the node's process group.
    killGroup(node.pid);
    done.push({ ...node, was: "stopped" });
    writeState(folder, readState(folder).filter((n) => n.pid !== node.pid));
  }
  writeState(folder, readState(folder).filter(isRunning));
  return done;
}
