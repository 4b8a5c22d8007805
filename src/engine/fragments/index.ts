// Partition-wise fragments run outside the driver's DuckDB, smallpond-style: each fragment (some slices of a
// partition-wise union) runs its own single-thread DuckDB over its files, as a local child process or a Ray
// task, and writes a Parquet part under a scratch folder; the driver then runs the rest of the plan with the
// parts in place of the union. One job ("fragments") shows a stage per fragment; the driver's query is its child.
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Plan } from "../../plan/nodes.js";
import { emitProgress, newJobId, onCancelRequest, onProgress, requestCancel, withinJob } from "../../progress/index.js";
import { getHost } from "../../host/index.js";
import { CancelledError, EngineError } from "../errors.js";
import { toEngineError } from "../jobs.js";
import { SluiceError } from "../../errors.js";
import { connect, engineConfig } from "../instance.js";
import { literalPath } from "../paths.js";
import { quoteString } from "../sql/quote.js";
import { clusterConfig, type ClusterConfig } from "./config.js";
import { findFragmentedUnions, fragmentSql, partsScan, replaceUnions, type Fragment, type FragmentedUnion } from "./plan.js";
import { FragmentLost, runWorkerProcess } from "./local.js";
import { newScratchFolder } from "./scratch.js";
import type { WorkerResult, WorkerSpec } from "./protocol.js";

export { checkClusterConfig, clusterConfig, setClusterConfig, type ClusterConfig } from "./config.js";
export { gcScratch } from "./scratch.js";

/** Runs fragments somewhere: local child processes or Ray tasks. */
export interface FragmentRunner {
  /** "local processes" or "Ray 127.0.0.2:6379", for job names and explain(). */
  where: string;
  run(spec: WorkerSpec, signal: AbortSignal): Promise<WorkerResult>;
  close(): Promise<void>;
}

/** A lost local process (killed, out of memory) is run again this many times; Ray retries its own tasks. */
const LOCAL_RETRIES = 2;

const localRunner: FragmentRunner = {
  where: "local processes",
  async run(spec, signal) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await runWorkerProcess(spec, signal);
      } catch (err) {
        if (!(err instanceof FragmentLost) || signal.aborted || attempt >= LOCAL_RETRIES) throw err;
      }
    }
  },
  close: async () => undefined,
};

function where(config: Required<ClusterConfig>): string {
  return config.address === "local" ? "local processes" : `Ray ${config.address}`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`;
}

/** For explain(): which part of the plan runs where, or undefined when everything runs in the driver. */
export function fragmentsExplanation(plan: Plan): string | undefined {
  const config = clusterConfig();
  if (!config) return undefined;
  const unions = findFragmentedUnions(plan, config.minBytes, config.maxFragments);
  if (unions.length === 0) return undefined;
  const lines = unions.map(
    (u, i) =>
      `partition-wise union ${i + 1} (${u.union.inputs.length} slices, ${mb(u.bytes)}): ${u.fragments.length} fragments as ${where(config)}, ` +
      `each a single-thread DuckDB writing a Parquet part (${u.fragments.map((f) => `${f.files} files`).join(", ")})`,
  );
  return `== distribution ==\n${lines.join("\n")}\nthe rest of the plan runs in the driver over the parts\n\n`;
}

export interface FragmentsInfo {
  description: string;
  planTree?: unknown;
}

/**
 * Runs `run(plan)`, first running the plan's large partition-wise unions as fragments when a cluster (or the
 * local mode) is configured; `run` then gets the plan that reads their parts. Without either, just `run(plan)`.
 */
export async function withFragments<T>(plan: Plan, info: FragmentsInfo, run: (plan: Plan) => Promise<T>): Promise<T> {
  const config = clusterConfig();
  if (!config) return run(plan);
  const unions = findFragmentedUnions(plan, config.minBytes, config.maxFragments);
  if (unions.length === 0) return run(plan);
  let compiled: { sql: string; params?: unknown[] }[][];
  try {
    compiled = unions.map((u) => u.fragments.map(fragmentSql));
  } catch {
    return run(plan); // a slice the workers cannot run on their own: stay in the driver
  }
  if (compiled.flat().some((c) => c.params && !jsonSafe(c.params))) return run(plan);
  const runner = config.address === "local" ? localRunner : await (await import("./ray.js")).openRayRunner(config.address);
  const folder = await newScratchFolder(config.scratch);
  try {
    return await runAsJob(plan, unions, compiled, runner, folder, info, run);
  } finally {
    await rm(folder, { recursive: true, force: true });
    await runner.close();
  }
}

/** Rows each fragment reads, from the Parquet footers (what the progress counts as read); zeros if unknown. */
async function inputRows(fragments: readonly Fragment[]): Promise<number[]> {
  const conn = await connect();
  try {
    const paths = fragments.flatMap((f) => f.paths);
    const reader = await conn.runAndReadAll(`SELECT file_name, num_rows FROM parquet_file_metadata([${paths.map((p) => quoteString(literalPath(p))).join(", ")}])`);
    const rows = new Map(reader.getRows().map((r) => [String(r[0]), Number(r[1])]));
    return fragments.map((f) => f.paths.reduce((n, p) => n + (rows.get(literalPath(p)) ?? rows.get(p) ?? 0), 0));
  } catch {
    return fragments.map(() => 0);
  } finally {
    conn.closeSync();
  }
}

function jsonSafe(values: unknown[]): boolean {
  return values.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v));
}

async function runAsJob<T>(
  plan: Plan,
  unions: FragmentedUnion[],
  compiled: { sql: string; params?: unknown[] }[][],
  runner: FragmentRunner,
  folder: string,
  info: FragmentsInfo,
  run: (plan: Plan) => Promise<T>,
): Promise<T> {
  const jobId = newJobId();
  const startedAt = Date.now();
  const total = unions.reduce((n, u) => n + u.fragments.length, 0);
  const sizes = await Promise.all(unions.map((u) => inputRows(u.fragments)));
  const rowsTotal = sizes.flat().reduce((a, b) => a + b, 0);
  let rowsRead = 0;
  emitProgress({
    type: "job.start",
    jobId,
    description: `${info.description} · ${total} fragments on ${runner.where}`,
    cellId: getHost()?.currentCellId(),
    startedAt,
    plan: info.planTree,
    kind: "query",
  });
  const abort = new AbortController();
  let cancelled = false;
  const children = new Set<string>();
  const stopChildren = onProgress((e) => {
    if (e.type === "job.start" && e.parentId === jobId) children.add(e.jobId);
  });
  const stopCancel = onCancelRequest((id) => {
    if (id !== jobId) return false;
    cancelled = true;
    abort.abort();
    for (const child of children) requestCancel(child); // the driver's query over the parts
    return true;
  });
  let done = 0;
  // rows: what the fragment wrote; rowsTotal: what it reads (its files' rows).
  const stage = (k: number, i: number, f: Fragment, rows: number, bytes: number, finished: boolean, host?: string) => ({
    jobId,
    stageId: `fragment-${k}-${i}`,
    name: `fragment ${i + 1}/${unions[k]!.fragments.length} · ${f.files} files, ${mb(f.bytes)}${host ? ` · ${host}` : ""}`,
    tasksTotal: 1,
    tasksDone: finished ? 1 : 0,
    rows,
    bytes,
    ...(sizes[k]![i]! > 0 ? { rowsTotal: sizes[k]![i]! } : {}),
  });
  const end = (status: "succeeded" | "failed" | "cancelled", error?: string) => {
    stopCancel();
    stopChildren();
    emitProgress({ type: "job.end", jobId, status, ...(error !== undefined ? { error } : {}), endedAt: Date.now(), operators: [] });
  };
  try {
    const replaced = new Map<Plan, Plan>();
    for (const [k, u] of unions.entries()) {
      const parts = u.fragments.map((_, i) => join(folder, `union${k}-part${i}.parquet`));
      let firstError: unknown;
      // Settled, not Promise.all: when one fragment fails or the job is cancelled, the job ends only after
      // every other fragment has stopped too.
      await Promise.allSettled(
        u.fragments.map(async (f, i) => {
          emitProgress({ type: "stage.start", ...stage(k, i, f, 0, 0, false) });
          const { sql, params } = compiled[k]![i]!;
          const memoryLimit = engineConfig().memoryLimit;
          try {
            const result = await runner.run({ sql, ...(params ? { params } : {}), out: parts[i]!, threads: 1, ...(memoryLimit ? { memoryLimit } : {}) }, abort.signal);
            if (!result.ok) {
              // The worker's DuckDB error, classed as the driver's would be (a bad file is a SourceError).
              const e = toEngineError(new Error(result.error));
              e.message = `fragment ${i + 1} of ${u.fragments.length}${result.host ? ` (on ${result.host})` : ""} failed: ${e.message}`;
              throw e;
            }
            const bytes = (await stat(parts[i]!)).size;
            emitProgress({ type: "stage.end", ...stage(k, i, f, result.rows ?? 0, bytes, true, result.host) });
            done += 1;
            rowsRead += sizes[k]![i]!;
            emitProgress({ type: "job.progress", jobId, percent: (done / total) * 100, rowsProcessed: rowsRead, rowsTotal, elapsedMs: Date.now() - startedAt });
          } catch (err) {
            emitProgress({ type: "stage.end", ...stage(k, i, f, 0, 0, false) });
            firstError ??= err;
            abort.abort(); // one fragment failed: the others' results are of no use
          }
        }),
      );
      if (cancelled) throw new CancelledError(jobId);
      if (firstError !== undefined)
        throw firstError instanceof SluiceError ? firstError : new EngineError(`fragments on ${runner.where}: ${String((firstError as Error)?.message ?? firstError)}`);
      replaced.set(u.union, partsScan(u.union, parts, `fragments of ${info.description}`));
    }
    if (cancelled) throw new CancelledError(jobId);
    const result = await withinJob(jobId, undefined, () => run(replaceUnions(plan, replaced)));
    end("succeeded");
    return result;
  } catch (err) {
    const e = cancelled ? new CancelledError(jobId) : err;
    end(e instanceof CancelledError ? "cancelled" : "failed", e instanceof CancelledError ? undefined : String((e as Error)?.message ?? e));
    throw e;
  }
}
