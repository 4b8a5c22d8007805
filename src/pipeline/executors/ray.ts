// The Ray executor: each step runs as a Ray task on whichever node has the resources the op asks for (one
// CPU by default), through the cluster's agent or a Ray helper of the run's own (src/cluster/helper.ts). The task
// hands the step spec to its Ray worker's warm `node <sluice> step serve` process (started by the warm-up when
// connected, or on first use; kept while Ray reuses the worker, which through the agent spans runs): loading Node,
// Sluice and DuckDB once per worker instead of once per step (docs/scaling.md).
// Every node needs the same code and store at the same paths (docs/scaling.md). A lost worker or node
// re-runs the task (Ray's max_retries, invisible to the runner); an op's own failure comes back as a
// result with ok: false and is retried, or not, by the runner's policy.
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RayHelper, TaskFailedError } from "../../cluster/helper.js";
import { ClusterUsageError } from "../../cluster/errors.js";
import { defaultAddress, parseAddress } from "../../cluster/nodes.js";
import { packageRoot, requireRay } from "../../cluster/python.js";
import { stepServeCommand } from "./subprocess.js";
import { toJson } from "./result.js";
import { STEP_SPEC_VERSION, type Executor, type ExecutorPrepareInfo, type StepServeWarmUp, type ExecutorRunInfo, type StepHooks, type StepResult, type StepTask } from "./types.js";

/** Step processes warmed per node when connecting (one per CPU, up to this): each costs ~100 MB while idle. */
const WARM_PER_NODE = 4;
/** How long a run waits for its warm-up (a slow node's steps then start cold). */
const WARM_UP_WAIT_MS = 30_000;

export interface RayExecutorOptions {
  /** The head's HOST:PORT (default: $SLUICE_RAY_ADDRESS, else a head started here by `sluice cluster start`). */
  address?: string;
  /** Working folder of the step processes (the same path must exist on every node). */
  cwd?: string;
  /** Ray re-runs of a task whose worker or node was lost (default 3). */
  maxRetries?: number;
}

export function createRayExecutor(options: RayExecutorOptions = {}): RayExecutor {
  return new RayExecutor(options);
}

export class RayExecutor implements Executor {
  readonly name = "ray";
  readonly inProcess = false;
  private helper: RayHelper | undefined;
  private connecting: Promise<RayHelper> | undefined;
  private warming: Promise<void> | undefined;
  private serve: { cmd: string[]; cwd: string; env: Record<string, string> } | undefined;
  private readonly address: string;

  constructor(private readonly options: RayExecutorOptions) {
    const address = defaultAddress(options.address);
    if (!address) {
      throw new ClusterUsageError("--executor ray needs the cluster's address: pass --address HOST:PORT or set SLUICE_RAY_ADDRESS.", {
        hint: "Start a cluster with `sluice cluster start --head` (it prints the address), or run without --executor ray to run locally.",
      });
    }
    parseAddress(address);
    // Refused before the run is recorded, saying how to get Ray (cached: the helper does not check again).
    requireRay();
    this.address = address;
  }

  /** Connecting costs about a second without the agent (Python, Ray's import, registering a driver): started ahead by `prepare`. */
  prepare(ahead: ExecutorPrepareInfo = {}): void {
    if (this.helper || this.connecting) return;
    this.connecting = RayHelper.connect(this.address);
    // Each node's step processes start loading Sluice, DuckDB and the pipeline (~0.8 s) while the run prepares.
    const warmUp: StepServeWarmUp = { warmUp: true, ...(ahead.pipelineFile ? { pipelineFile: resolve(ahead.pipelineFile) } : {}) };
    this.warming = this.connecting.then((helper) => helper.warm({ ...this.serveTask(), stdin: JSON.stringify(warmUp) }, WARM_PER_NODE)).then(
      () => {},
      () => {}, // a failed connect is reported by open(); a failed warm-up only costs the first steps their start
    );
  }

  /** The warm process every step task hands its spec to: the same command, folder and environment, or Ray starts another. */
  private serveTask(): { cmd: string[]; cwd: string; env: Record<string, string> } {
    if (!this.serve) {
      const { command, args } = stepServeCommand();
      this.serve = { cmd: [command, ...args], cwd: this.options.cwd ?? process.cwd(), env: { ...stepEnv(), SLUICE_CODE_STAMP: codeStamp() } };
    }
    return this.serve;
  }

  /** Connects once per run (a session with the agent, or a helper that is a Ray driver for the run's lifetime). */
  async open(info?: ExecutorRunInfo): Promise<void> {
    if (this.helper) return;
    this.prepare({ pipelineFile: info?.pipelineFile });
    try {
      this.helper = await this.connecting;
    } finally {
      this.connecting = undefined;
    }
    // No step before the warm-up has ended: Ray would queue it behind a warm task on a busy node while another is free.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.warming, new Promise((resolve) => (timer = setTimeout(resolve, WARM_UP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async run(task: StepTask, hooks: StepHooks): Promise<StepResult> {
    await this.open();
    const spec = task.spec;
    let r;
    try {
      r = await this.helper!.run(
        {
          ...this.serveTask(),
          stdin: toJson(spec),
          resources: spec.resources,
          maxRetries: this.options.maxRetries ?? 3,
          name: `${spec.pipeline}:${spec.stepId}`,
          warm: true,
        },
        hooks.signal,
      );
    } catch (error) {
      // Not a failure of the op: the task was cancelled, lost after every retry, or cannot be placed.
      const e = error as Error;
      return failed(task, error instanceof TaskFailedError ? `RayTask${capitalize(error.kind)}` : e.name, e.message, !(error instanceof TaskFailedError && error.kind === "unschedulable"));
    }
    const line = r.stdout.trim().split("\n").pop() ?? "";
    let result: StepResult;
    try {
      result = JSON.parse(line) as StepResult;
    } catch {
      const why = r.stderr.trim().split("\n").slice(-5).join("\n") || `exit ${r.exit}, no output`;
      return { ...failed(task, "StepExecError", `sluice step serve on node ${r.node} answered no result (exit ${r.exit}): ${why}`, true), host: r.node };
    }
    // The step's log lines come in its result's events (the runner reports them when the step ends).
    // Where it ran, as the cluster names the node (the step's own host name is the same machine for every node here).
    return { ...result, host: r.node, pid: result.pid };
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    const helper = this.helper ?? (await connecting?.catch(() => undefined));
    this.helper = undefined;
    await helper?.close();
  }
}

/**
 * When Sluice's own code was built or installed: part of the warm process's environment, so that the Ray workers of
 * the cluster's agent, which keep their warm step processes from run to run, start new ones after a rebuild or an
 * upgrade instead of running steps with the code they loaded before.
 */
function codeStamp(): string {
  return [fileURLToPath(import.meta.url), join(packageRoot(), "package.json")].map((f) => statSync(f).mtimeMs).join("/");
}

/** What a step process needs from the runner's environment besides what the node already has. */
function stepEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  // Sluice's settings, and where Jupyter finds kernelspecs (a notebook step starts a kernel on the node).
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (k.startsWith("SLUICE_") || k === "JUPYTER_PATH" || k === "JUPYTER_DATA_DIR" || k === "NODE_OPTIONS")) env[k] = v;
  delete env.SLUICE_RAY_ADDRESS;
  return env;
}

function failed(task: StepTask, type: string, message: string, retryable: boolean): StepResult {
  return { specVersion: STEP_SPEC_VERSION, stepId: task.spec.stepId, attempt: task.spec.attempt, ok: false, files: [], events: [], error: { type, message, retryable } };
}

const capitalize = (s: string) => s[0]!.toUpperCase() + s.slice(1);
