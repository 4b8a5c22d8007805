// The cluster's agent: one long-lived Ray driver on the head's machine (python/sluice_ray.py `agent`), started by
// `sluice cluster start --head` and stopped by `sluice cluster stop` with the nodes. Runners on this machine talk
// to it over a Unix socket (src/cluster/helper.ts) instead of starting a driver each: a run then pays neither
// Python's and Ray's start (~1 s) nor new Ray workers and warm step processes, which stay from run to run
// (docs/scaling.md "Cost per step"). The socket's path follows from the head's address, so a runner finds it
// whatever state folder it was given; only this user can open it.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { parseAddress } from "./nodes.js";
import { helperScript, requireRay } from "./python.js";

/** Unix socket paths are cut at 107 bytes on Linux: a longer one means no agent (runs start their own driver). */
const MAX_SOCKET_PATH = 107;

/** Where the agent of the head at `address` listens, or undefined when that path would be too long. */
export function agentSocketPath(address: string): string | undefined {
  const { host, port } = parseAddress(address);
  const path = join(agentFolder(), `ray-agent-${host.replace(/[^A-Za-z0-9.-]/g, "_")}-${port}.sock`);
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH ? path : undefined;
}

function agentFolder(): string {
  return join(process.env.SLUICE_AGENT_DIR ?? tmpdir(), `sluice-${userInfo().uid}`);
}

/** Is `pid` a running agent (not a recycled pid of something else)? */
export function isAgent(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
    return state !== "Z" && cmd.includes("sluice_ray.py\0agent\0");
  } catch {
    return false;
  }
}

/**
 * Starts the agent for the head at `address`, detached, its output in `log`; resolves with its pid once its socket
 * is listening. Rejects with the log's last lines when it exits or does not listen within `timeoutMs`.
 */
export async function startAgent(address: string, log: string, timeoutMs = 120_000): Promise<{ pid: number; socket: string }> {
  const socket = agentSocketPath(address);
  if (!socket) throw new Error(`the agent's socket path under ${agentFolder()} would be longer than ${MAX_SOCKET_PATH} bytes (set SLUICE_AGENT_DIR to a shorter folder)`);
  const folder = agentFolder();
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const owned = statSync(folder);
  if ((owned.mode & 0o077) !== 0 || owned.uid !== userInfo().uid) throw new Error(`${folder} must be this user's own folder, closed to others (chmod 700)`);
  const { python } = requireRay();
  const fd = openSync(log, "a");
  const child = spawn(python, ["-u", helperScript(), "agent", address, socket], { detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, RAY_DISABLE_USAGE_STATS: "1" } });
  closeSync(fd);
  child.unref();
  const pid = child.pid!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(log, "utf8");
    if (text.includes(`"type": "agent", "pid": ${pid}`) && existsSync(socket)) return { pid, socket };
    if (!isAgent(pid) || Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
      throw new Error(`it did not start${isAgent(pid) ? ` within ${timeoutMs / 1000} s` : ""}; its log (${log}) ends with: ${text.trim().split("\n").slice(-3).join(" ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
