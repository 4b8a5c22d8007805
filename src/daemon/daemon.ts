// `sluice daemon`: one process that evaluates every schedule and sensor of the pipelines it was given
// and runs what is due through the same runner as `sluice pipeline run`.
//
// Exactly once: a tick is claimed in the catalog (daemon_ticks, primary key source + tick key) in the same
// transaction that moves its source's cursor, before its run starts; the claimed tick holds the run id.
// A daemon that restarts finds claimed ticks still "requested" and finishes them instead of claiming
// them again: a run that never started starts now under its id, an abandoned run resumes from its
// failure, a finished run only has its outcome recorded. So no tick runs twice and none is skipped.
// Time comes from an injected clock, so tests step through hours without sleeping.
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { AssetStore } from "../store/index.js";
import type { Pipeline } from "../pipeline/graph.js";
import type { RunOptions, RunResult } from "../pipeline/run.js";
import { pipelineSource } from "../pipeline/load.js";
import { PipelineState, type TickRow, type TickStatus } from "../pipeline/state.js";
import { nextTick, tickPartition, ticksBetween, type ScheduleDef } from "./schedules.js";
import type { SensorDef } from "./sensors.js";

export type Launch = (p: Pipeline, options: RunOptions) => Promise<RunResult>;

export interface DaemonOptions {
  store: AssetStore;
  pipelines: readonly Pipeline[];
  /** The time (ms since the epoch); tests pass a clock they move by hand. */
  now?: () => number;
  /** Runs a pipeline (default: runPipeline). */
  launch?: Launch;
  /** One line per thing the daemon does. */
  log?: (line: string) => void;
  /** Options for every run (e.g. a notebook runner in tests). */
  runOptions?: Omit<RunOptions, "store" | "partition" | "runId" | "fromFailure">;
}

export interface TickOutcome {
  source: string;
  tickKey: string;
  status: TickStatus;
  runId?: string;
  partition?: string;
  reason?: string;
}

interface Source {
  id: string;
  pipeline: Pipeline;
  def: ScheduleDef | SensorDef;
}

/** The row of the daemon itself in daemon_cursors. */
export const DAEMON_SOURCE = "daemon";

/** The id of a schedule or sensor in the catalog: "schedule:<pipeline>/<name>". */
export function sourceId(pipeline: string, def: { kind: string; name: string }): string {
  return `${def.kind}:${pipeline}/${def.name}`;
}

function runIdFor(at: number, name: string): string {
  return `${new Date(at).toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${randomBytes(3).toString("hex")}`;
}

export class Daemon {
  private readonly state: PipelineState;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly sources: Source[];
  private recovered = false;
  private launchImpl: Launch | undefined;

  constructor(private readonly options: DaemonOptions) {
    this.state = new PipelineState(options.store);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.launchImpl = options.launch;
    this.sources = options.pipelines.flatMap((p) => [...p.options.schedules, ...p.options.sensors].map((def) => ({ id: sourceId(p.name, def), pipeline: p, def })));
    const ids = new Set<string>();
    for (const s of this.sources) {
      if (ids.has(s.id)) throw new Error(`two ${s.def.kind}s are named ${s.id}; give each its own name.`);
      ids.add(s.id);
    }
  }

  get sourceIds(): string[] {
    return this.sources.map((s) => s.id);
  }

  close(): void {
    this.state.close();
  }

  /**
   * One evaluation: finishes ticks an earlier daemon claimed but did not finish, then evaluates every
   * schedule and sensor at the clock's time and runs what is due (sources in parallel, each source's
   * ticks in order). Resolves when those runs have ended.
   */
  async evaluate(): Promise<TickOutcome[]> {
    const outcomes: TickOutcome[] = [];
    if (!this.recovered) {
      this.recovered = true;
      for (const source of this.sources) outcomes.push(...(await this.recover(source)));
    }
    const perSource = await Promise.all(this.sources.map((source) => this.evaluateSource(source)));
    // The daemon's own row: when it last looked, for `sluice daemon status`.
    this.state.run("noteEvaluation", DAEMON_SOURCE, this.now(), this.nextDue() ?? null, `pid ${process.pid}; ${this.sources.length} schedule(s)/sensor(s) of ${this.options.pipelines.map((p) => p.name).join(", ")}`);
    return [...outcomes, ...perSource.flat()];
  }

  /** When the next schedule tick is due (undefined: no schedules). Sensors are polled every interval. */
  nextDue(): number | undefined {
    const at = this.now();
    const times = this.sources.filter((s) => s.def.kind === "schedule").map((s) => nextTick(s.def as ScheduleDef, at));
    return times.length ? Math.min(...times) : undefined;
  }

  /** Evaluates until `signal` aborts: at every schedule tick, and every `intervalMs` for sensors. Real time only. */
  async runForever(signal: AbortSignal, intervalMs = 30_000): Promise<void> {
    while (!signal.aborted) {
      await this.evaluate();
      const wait = Math.max(250, Math.min(intervalMs, (this.nextDue() ?? Infinity) - this.now()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  private async launch(p: Pipeline, options: RunOptions): Promise<RunResult> {
    if (!this.launchImpl) this.launchImpl = (await import("../pipeline/run.js")).runPipeline;
    return this.launchImpl(p, { reporter: false, ...this.options.runOptions, ...options, store: this.options.store });
  }

  private async recover(source: Source): Promise<TickOutcome[]> {
    const out: TickOutcome[] = [];
    for (const tick of this.state.run("openTicks", source.id)) {
      const run = tick.run_id ? this.options.store.run(tick.run_id) : undefined;
      if (run && run.status === "running" && !run.abandoned) {
        this.log(`${source.id}: tick ${tick.tick_key} is still running as ${run.runId}; leaving it`);
        continue;
      }
      if (run && !run.abandoned && run.status !== "running") {
        // The run ended; the daemon stopped before recording it.
        out.push(this.end(source, tick, run.status as TickStatus, run.runId, run.error ?? undefined));
      } else if (run) {
        this.log(`${source.id}: tick ${tick.tick_key}: run ${run.runId} was abandoned; resuming it from its failure`);
        out.push(await this.runTick(source, tick, { fromFailure: run.runId }));
      } else {
        this.log(`${source.id}: tick ${tick.tick_key} was claimed but its run never started; starting it`);
        out.push(await this.runTick(source, tick, {}));
      }
    }
    return out;
  }

  private async evaluateSource(source: Source): Promise<TickOutcome[]> {
    return source.def.kind === "schedule" ? this.evaluateSchedule(source, source.def) : this.evaluateSensor(source, source.def);
  }

  private async evaluateSchedule(source: Source, s: ScheduleDef): Promise<TickOutcome[]> {
    const at = this.now();
    const cursor = this.state.run("cursor", source.id);
    if (!cursor?.cursor) {
      // First sight of this schedule: it starts from now (history before the daemon knew it is not owed).
      this.state.run("setCursor", source.id, JSON.stringify({ after: at }), at);
      this.state.run("noteEvaluation", source.id, at, nextTick(s, at), "started; first tick at the next due time");
      this.log(`${source.id}: watching from ${new Date(at).toISOString()}`);
      return [];
    }
    const after = (JSON.parse(cursor.cursor) as { after: number }).after;
    const due = ticksBetween(s, after, at);
    const out: TickOutcome[] = [];
    const def = source.pipeline.ops.find((op) => op.partitions)?.partitions;
    for (const [i, t] of due.entries()) {
      const tickKey = new Date(t).toISOString();
      const newCursor = JSON.stringify({ after: t });
      let partition: string | undefined;
      let skip: string | undefined;
      if (due.length - i > s.catchUp) skip = `missed while the daemon was not running; catchUp: ${s.catchUp} runs only the latest ${s.catchUp} of ${due.length} missed ticks`;
      else {
        const verdict = s.shouldRun?.(new Date(t)) ?? true;
        if (verdict !== true) skip = verdict;
        else {
          try {
            partition = tickPartition(s, def, t);
            if (partition !== undefined && def && def.kind !== "dynamic") def.check(partition);
          } catch (error) {
            skip = (error as Error).message;
          }
        }
      }
      const tick = { source: source.id, tick_key: tickKey, tick_time: t, status: (skip ? "skipped" : "requested") as TickStatus, run_id: skip ? null : runIdFor(t, s.name), partition: partition ?? null, reason: skip ?? null };
      if (!this.state.run("claimTick", tick, newCursor, this.now())) continue; // another daemon claimed it
      if (skip) {
        this.log(`${source.id}: tick ${tickKey} skipped: ${skip}`);
        out.push({ source: source.id, tickKey, status: "skipped", reason: skip });
        continue;
      }
      out.push(await this.runTick(source, { ...tick, created_at: at, updated_at: at }, {}));
    }
    this.state.run("noteEvaluation", source.id, at, nextTick(s, at), due.length ? null : "no tick due");
    return out;
  }

  private async evaluateSensor(source: Source, s: SensorDef): Promise<TickOutcome[]> {
    const at = this.now();
    const cursor = this.state.run("cursor", source.id)?.cursor || undefined;
    const file = pipelineSource(source.pipeline)?.file;
    let evaluation;
    try {
      evaluation = s.evaluate(cursor, { store: this.options.store, baseDir: file ? dirname(file) : process.cwd() });
    } catch (error) {
      this.state.run("noteEvaluation", source.id, at, null, `sensor failed: ${(error as Error).message}`);
      this.log(`${source.id}: sensor failed: ${(error as Error).message}`);
      return [];
    }
    const out: TickOutcome[] = [];
    if (evaluation.requests.length === 0) this.state.run("setCursor", source.id, evaluation.cursor, at);
    for (const request of evaluation.requests) {
      const tick = { source: source.id, tick_key: request.key, tick_time: at, status: "requested" as TickStatus, run_id: runIdFor(at, s.name), partition: request.partition ?? null, reason: request.reason };
      // The cursor moves with the first claim; a request key seen before is never claimed again.
      if (!this.state.run("claimTick", tick, evaluation.cursor, this.now())) continue;
      out.push(await this.runTick(source, { ...tick, created_at: at, updated_at: at }, {}));
    }
    this.state.run("noteEvaluation", source.id, at, null, evaluation.note ?? `${evaluation.requests.length} new: ${evaluation.requests.map((r) => r.reason).join("; ")}`);
    return out;
  }

  private async runTick(source: Source, tick: TickRow, extra: Pick<RunOptions, "fromFailure">): Promise<TickOutcome> {
    const runId = extra.fromFailure ? undefined : (tick.run_id ?? undefined);
    this.log(`${source.id}: tick ${tick.tick_key}: running ${source.pipeline.name}${tick.partition ? ` for ${tick.partition}` : ""}`);
    try {
      const result = await this.launch(source.pipeline, { partition: extra.fromFailure ? undefined : (tick.partition ?? undefined), runId, ...extra });
      const why = result.status === "succeeded" ? tick.reason : (result.nodes.filter((n) => n.status === "failed").map((n) => `${n.id}: ${n.error}`).join("; ") || result.status);
      return this.end(source, tick, result.status, result.runId, why ?? undefined);
    } catch (error) {
      // The run could not start (an invalid pipeline, a bad partition): the tick failed, with the reason.
      return this.end(source, tick, "failed", runId, (error as Error).message);
    }
  }

  private end(source: Source, tick: TickRow, status: TickStatus, runId: string | undefined, reason: string | undefined): TickOutcome {
    this.state.run("endTick", source.id, tick.tick_key, status, runId ?? null, reason ?? null, this.now());
    this.log(`${source.id}: tick ${tick.tick_key}: ${status}${runId ? ` (run ${runId})` : ""}${reason && status !== "succeeded" ? `: ${reason}` : ""}`);
    return { source: source.id, tickKey: tick.tick_key, status, runId, partition: tick.partition ?? undefined, reason };
  }
}
