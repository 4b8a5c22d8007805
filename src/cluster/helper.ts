// The runner's side of the Ray helper protocol (python/sluice_ray.py; docs/contracts.md, "Ray helper protocol"):
// JSON lines with a Ray driver; each `submit` becomes a Ray task that runs a command on some node and answers
// with its exit code, output and the node. The driver is the cluster's agent when `sluice cluster start --head`
// started one on this machine (a session on its Unix socket: no driver to start, and the Ray workers keep their
// warm step processes from run to run), else a `serve` process of this run's own, which dies with this process
// (stdin EOF, PR_SET_PDEATHSIG). Either way, when this process goes, its tasks are cancelled with force.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import { createInterface, type Interface } from "node:readline";
import { agentSocketPath } from "./agent.js";
import { helperScript, requireRay } from "./python.js";
import { ClusterError } from "./errors.js";

export interface RayNode {
  nodeId: string;
  address: string;
  alive: boolean;
  resources: Record<string, number>;
}

export interface TaskRequest {
  /** argv; the program must exist at the same path on every node. */
  cmd: string[];
  cwd?: string;
  /** Added to the node's environment. */
  env?: Record<string, string>;
  stdin?: string;
  /** Ray resources; CPU defaults to 1 (a task never runs unbounded). */
  resources?: Record<string, number>;
  /** Re-runs after a lost worker or node, or the command killed by a signal (Ray's max_retries). */
  maxRetries?: number;
  /** Shown in Ray's task list. */
  name?: string;
  /**
   * Keep `cmd` running on the Ray worker between tasks (started on first use, again when it died or
   * cmd/cwd/env changed): `stdin` is one line for it, and the task's stdout is the one line it answers
   * on the file descriptor that replaces the argument "{resultFd}". Killed on cancel or a failure mid-task.
   */
  warm?: boolean;
}

export interface TaskResult {
  exit: number;
  stdout: string;
  stderr: string;
  /** IP address of the node it ran on. */
  node: string;
  nodeId: string;
  workerPid: number;
}

/** The task did not complete: cancelled, lost with its node after every retry, unschedulable, or broke. */
export class TaskFailedError extends ClusterError {
  constructor(
    readonly kind: "cancelled" | "lost" | "killed" | "unschedulable" | "error",
    message: string,
  ) {
    super(message);
  }
}

type Pending = { resolve(r: TaskResult): void; reject(e: Error): void };

/** Where the protocol's lines travel: a helper process's stdio, or a session on the agent's socket. */
interface Channel {
  readonly pid: number;
  readonly lines: Interface;
  send(line: string): void;
  /** `listener` is called once, when the other side is gone, with why. */
  onGone(listener: (why: string) => void): void;
  /** Ends the session (the agent cancels what it still runs) or the process; resolves when it is over. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  timeoutMs?: number;
  /** Use the cluster's agent on this machine when there is one (default: true unless $SLUICE_RAY_AGENT is "0"); false starts a driver of this run's own. */
  agent?: boolean;
}

/** Asks the other side to close (it cancels what still runs), ends our side, and forces it after 10 s. */
async function closeGently(channel: Channel, end: () => void, over: Promise<void>, force: () => void): Promise<void> {
  channel.send(JSON.stringify({ type: "close" }) + "\n");
  end();
  const timer = setTimeout(force, 10_000);
  await over;
  clearTimeout(timer);
}

export class RayHelper {
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private exited: Error | undefined;
  readonly nodes: RayNode[];
  /** True when this is a session with the cluster's agent (its pid is the agent's, which outlives this run). */
  readonly viaAgent: boolean;

  private constructor(
    private readonly channel: Channel,
    ready: { nodes: RayNode[]; agent?: boolean },
  ) {
    this.nodes = ready.nodes;
    this.viaAgent = ready.agent === true;
  }

  /** Connects to the cluster at `address` (HOST:PORT): through its agent when one runs here, else a helper process of its own. */
  static async connect(address: string, options: ConnectOptions = {}): Promise<RayHelper> {
    if (options.agent ?? process.env.SLUICE_RAY_AGENT !== "0") {
      const session = await RayHelper.agentSession(address);
      if (session) return session;
    }
    const { python } = requireRay();
    const child = spawn(python, ["-u", helperScript(), "serve", address], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, RAY_DISABLE_USAGE_STATS: "1" } });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-8000)));
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new ClusterError(`the Ray cluster at ${address} did not answer within ${(options.timeoutMs ?? 60_000) / 1000} s.`, { hint: "Check the address (`sluice cluster status`) and that this machine is a node of the cluster." }));
      }, options.timeoutMs ?? 60_000);
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          reject(new ClusterError(`the Ray helper printed ${JSON.stringify(line.slice(0, 200))} instead of its ready line.`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new ClusterError(`the Ray helper exited (${code}) before connecting to ${address}: ${stderr.trim().split("\n").slice(-3).join(" ")}`));
      });
    });
    if (first.type !== "ready") {
      child.kill("SIGKILL");
      throw new ClusterError(`cannot connect to the Ray cluster at ${address}: ${String(first.message ?? JSON.stringify(first))}.`, {
        hint: "Start one with `sluice cluster start --head`, or pass the head's HOST:PORT (--address or SLUICE_RAY_ADDRESS); this machine must be a node of the cluster.",
      });
    }
    const channel: Channel = {
      pid: child.pid!,
      lines,
      send: (line) => void (child.stdin.writable && child.stdin.write(line)),
      onGone: (listener) => void child.once("exit", (code, signal) => listener(`the Ray helper (pid ${child.pid}) exited (${signal ?? code}): ${stderr.trim().split("\n").slice(-3).join(" ")}`)),
      close: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        await closeGently(channel, () => child.stdin.end(), exited, () => child.kill("SIGKILL"));
      },
    };
    return new RayHelper(channel, first as unknown as { nodes: RayNode[] }).listen();
  }

  /** A session with the cluster's agent on this machine, or undefined when none answers (then the run starts its own driver). */
  private static async agentSession(address: string): Promise<RayHelper | undefined> {
    const path = agentSocketPath(address);
    if (!path || !existsSync(path)) return undefined;
    const socket = createConnection(path);
    const lines = createInterface({ input: socket });
    const ready = await new Promise<Record<string, unknown> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 10_000);
      socket.once("error", () => (clearTimeout(timer), resolve(undefined)));
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch {
          resolve(undefined);
        }
      });
    });
    if (ready?.type !== "ready") {
      socket.destroy();
      return undefined;
    }
    let gone = false;
    const closed = new Promise<void>((resolve) => socket.once("close", () => ((gone = true), resolve())));
    socket.on("error", () => {}); // reported as the session's end ("close" follows)
    const channel: Channel = {
      pid: Number(ready.pid),
      lines,
      send: (line) => void (!gone && socket.write(line)),
      onGone: (listener) => void closed.then(() => listener(`the cluster's Ray agent (pid ${String(ready.pid)}) closed the session; is the cluster still running (\`sluice cluster status\`)?`)),
      close: async () => {
        if (!gone) await closeGently(channel, () => socket.end(), closed, () => socket.destroy());
      },
    };
    return new RayHelper(channel, ready as unknown as { nodes: RayNode[]; agent: boolean }).listen();
  }

  /** The driver's pid: this run's helper process, or the cluster's agent (shared, long-lived) when `viaAgent`. */
  get pid(): number {
    return this.channel.pid;
  }

  private listen(): this {
    this.channel.lines.on("line", (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not ours (a library printing to stdout)
      }
      const id = typeof msg.id === "string" ? msg.id : undefined;
      const waiter = id === undefined ? undefined : this.pending.get(id);
      if (!waiter) return;
      if (msg.type === "done" || msg.type === "warmed") {
        this.pending.delete(id!);
        waiter.resolve(msg as unknown as TaskResult);
      } else if (msg.type === "failed" || msg.type === "error") {
        this.pending.delete(id!);
        waiter.reject(new TaskFailedError((msg.kind as TaskFailedError["kind"]) ?? "error", String(msg.message)));
      }
    });
    this.channel.onGone((why) => {
      this.exited = new ClusterError(why);
      for (const w of this.pending.values()) w.reject(this.exited);
      this.pending.clear();
    });
    return this;
  }

  /** Runs one command as a Ray task; `signal` cancels it (force: its worker and command are killed). */
  run(request: TaskRequest, signal?: AbortSignal): Promise<TaskResult> {
    if (this.exited) return Promise.reject(this.exited);
    const id = `t${++this.next}`;
    return new Promise<TaskResult>((resolve, reject) => {
      const onAbort = () => this.send({ type: "cancel", id });
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
      });
      this.send({ type: "submit", id, ...request });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Starts `request.cmd` as the warm process of Ray workers on every node (one per CPU, at most `perNode`),
   * handing each the line `request.stdin`; resolves when every one has answered or failed (best effort: `run`
   * works without). Submit steps after it: Ray keeps a task queued behind a warm task on that node.
   */
  warm(request: Pick<TaskRequest, "cmd" | "cwd" | "env" | "stdin">, perNode: number): Promise<{ tasks: number; failed: number }> {
    if (this.exited) return Promise.reject(this.exited);
    const id = `w${++this.next}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => {
          const { tasks, failed } = r as unknown as { tasks: number; failed: number };
          resolve({ tasks, failed });
        },
        reject,
      });
      this.send({ type: "warm", id, ...request, perNode });
    });
  }

  private send(message: Record<string, unknown>): void {
    this.channel.send(JSON.stringify(message) + "\n");
  }

  /** Cancels what still runs and ends the session (the helper process exits; the agent stays). */
  async close(): Promise<void> {
    await this.channel.close();
  }
}
