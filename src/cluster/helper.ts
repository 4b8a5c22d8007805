// The runner's side of the Ray helper (python/sluice_ray.py `serve`): one Python process per run,
// JSON lines over its stdio (docs/contracts.md, "Ray helper protocol"). The helper is a Ray driver; each
// `submit` becomes a Ray task that runs a command on some node and answers with its exit code, output and
// the node. The helper dies with this process (stdin EOF, PR_SET_PDEATHSIG) and cancels its tasks then.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
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

export class RayHelper {
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private stderrTail = "";
  private exited: Error | undefined;
  readonly nodes: RayNode[];

  private constructor(
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
    ready: { nodes: RayNode[] },
  ) {
    this.nodes = ready.nodes;
  }

  /** Starts the helper and connects it to the cluster at `address` (HOST:PORT). */
  static async connect(address: string, options: { timeoutMs?: number } = {}): Promise<RayHelper> {
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
    const helper = new RayHelper(child, first as unknown as { nodes: RayNode[] });
    helper.stderrTail = stderr;
    helper.listen(lines);
    return helper;
  }

  get pid(): number {
    return this.child.pid!;
  }

  private listen(lines: ReturnType<typeof createInterface>): void {
    this.child.stderr.on("data", (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-8000)));
    lines.on("line", (line) => {
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
    this.child.once("exit", (code, signal) => {
      this.exited = new ClusterError(`the Ray helper (pid ${this.child.pid}) exited (${signal ?? code}): ${this.stderrTail.trim().split("\n").slice(-3).join(" ")}`);
      for (const w of this.pending.values()) w.reject(this.exited);
      this.pending.clear();
    });
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
    if (!this.child.stdin.writable) return;
    this.child.stdin.write(JSON.stringify(message) + "\n");
  }

  /** Cancels what still runs and waits for the helper to exit. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.send({ type: "close" });
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
