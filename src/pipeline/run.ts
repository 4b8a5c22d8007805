// Runs a pipeline: expands ops into nodes (partitions × items), schedules ready nodes within the
// concurrency bound, skips nodes whose data version is already materialized, retries with backoff,
// and stops only the downstream of a failed node.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { randomBytes } from "node:crypto";
import { LazyFrame } from "../frame/index.js";
import { AssetStore, normalizeAssetKey, type OpRunRecord, type InputRef, type Materialization } from "../store/index.js";
import { PipelineUsageError, OpOutputError } from "./errors.js";
import { checkOptionNames } from "../plan/errors.js";
import { buildGraph, type OpGraph, type Pipeline } from "./graph.js";
import type { Op } from "./ops.js";
import { compareNodes, mappingKeys, nodeId, storePartition, type RunNode } from "./nodes.js";
import { mappedInputPartitions, resolveRunPartitions } from "./runplan.js";
import { blockingFailure, checkOutputs, failedBlockingChecks, recordReportedChecks, type CheckRunResult } from "./checks.js";
import { acquirePool, configurePools } from "./pools.js";
import { consoleReporter, ganttSpec, summarize, type PipelineEvent, type RunSummary } from "./report.js";
import { codeVersionOf, notebookChecker, type NotebookRunner } from "./notebook.js";
import { Scheduler, type DoneState } from "./scheduler.js";
import { inputRefsOf, partitionOf, resolveInputs, stepInputsOf, type ResolvedInput, type ResolvedRef, type RunSteps } from "./inputs.js";
import { dataVersionOf, staleness } from "./staleness.js";
import { pipelineCodeVersion } from "./codeversion.js";
import { pipelineSource } from "./load.js";
import { InProcessExecutor, type InProcessStep } from "./executors/inprocess.js";
import { STEP_SPEC_VERSION, type Executor, type StepFile, type StepSpec } from "./executors/types.js";
import { PipelineJob } from "./progress.js";
import { withRunLog } from "./runlog.js";
import { PipelineState } from "./state.js";

export interface RunOptions {
  store?: AssetStore;
  partition?: string;
  /** "FROM..TO" */
  backfill?: string;
  maxConcurrency?: number;
  force?: boolean;
  /** Re-run the nodes of this run that failed or never ran; take the others' outputs from the store. */
  fromFailure?: string;
  /** Run only these ops; read their inputs from the store. */
  only?: string[];
  runId?: string;
  /** Receives every event; default prints a live view. Pass false for silence. */
  reporter?: ((event: PipelineEvent) => void) | false;
  /** Executes notebook ops (default: `sluice run`'s executeNotebook with SLUICE_CONTEXT). */
  notebookRunner?: NotebookRunner;
  /** Aborting cancels the run: nothing new starts, running notebook ops are interrupted, the run ends "cancelled". */
  signal?: AbortSignal;
  /** Where steps run (default: the in-process executor); see docs/pipelines.md "Executors". */
  executor?: Executor;
}

export interface RunResult extends RunSummary {
  runId: string;
  status: "succeeded" | "failed" | "cancelled";
  /** The run's job on the progress bus (src/progress). */
  jobId: string;
  nodes: RunNode[];
  runDir: string;
  ganttPath: string;
  /** Every asset check run in this run, in the order they ran. */
  checks: CheckRunResult[];
}

const DONE = new Set(["succeeded", "skipped", "reused"]);
const BROKEN = new Set(["failed", "upstream_failed"]);

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
}

export async function runPipeline(p: Pipeline, options: RunOptions = {}): Promise<RunResult> {
  checkOptionNames(`runPipeline ${p.name}`, options, {
    store: true, partition: true, backfill: true, maxConcurrency: true, force: true, fromFailure: true, only: true, runId: true, reporter: true, notebookRunner: true, signal: true, executor: true,
  } satisfies Record<keyof RunOptions, true>, PipelineUsageError);
  const ownStore = !options.store;
  const store = options.store ?? new AssetStore();
  try {
    return await execute(p, store, options);
  } finally {
    if (ownStore) store.close();
  }
}

async function execute(p: Pipeline, store: AssetStore, options: RunOptions): Promise<RunResult> {
  const graph = buildGraph(p, { store, checkNotebook: notebookChecker });
  const previous = options.fromFailure !== undefined ? store.run(options.fromFailure) : undefined;
  if (options.fromFailure !== undefined && !previous) {
    throw new PipelineUsageError(`--from-failure ${options.fromFailure}: no such run in ${store.root}; list runs with \`sluice pipeline runs\` or see the run id printed by the failed run.`);
  }
  if (previous?.status === "running") {
    // Its runner still renews its lease: resuming now would run the same ops twice at once.
    throw new PipelineUsageError(
      `--from-failure ${options.fromFailure}: that run is still running (its runner renewed its lease at ${new Date(previous.heartbeatAt ?? previous.startedAt).toISOString()}); ` +
        `wait for it to end, or stop it. A killed run reads as failed (abandoned) once its lease expires.`,
    );
  }
  if (previous && previous.pipeline !== p.name) {
    throw new PipelineUsageError(`--from-failure ${options.fromFailure}: that run is of pipeline ${previous.pipeline}, not ${p.name}.`);
  }
  for (const name of options.only ?? []) {
    if (!graph.byName.has(name)) throw new PipelineUsageError(`--only ${name}: no op of that name; ops are ${[...graph.byName.keys()].join(", ")}.`);
  }
  // Each op's partitions: the keys asked for, carried through partition mappings; dynamic sets read now.
  const plan = resolveRunPartitions(p, graph, store, options, previous?.args.partitions as string[] | undefined);
  const partitions = plan.requested;
  configurePools(p.options.pools);
  const checkResults: CheckRunResult[] = [];
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? p.options.maxConcurrency);
  const runId = options.runId ?? newRunId();
  // Log lines, retries and failures are also kept in <store>/runs/<runId>/log.ndjson.
  const report = withRunLog(store.root, runId, options.reporter === false ? () => {} : (options.reporter ?? consoleReporter()));
  const prevNodes = new Map((previous ? store.opRuns(previous.runId) : []).map((r) => [r.nodeId, r]));
  const selected = (node: RunNode): boolean => {
    // In-memory outputs exist only in the process that computed them: such nodes always run.
    if (node.op.outputs.some((o) => !o.materialize)) return true;
    if (options.only?.length) return options.only.includes(node.op.name);
    if (previous) return !DONE.has(prevNodes.get(node.id)?.status ?? "");
    return true;
  };

  // With --only, ops neither named nor upstream of a named op are left out of the run entirely.
  const needed = new Set<string>(options.only?.length ? options.only : p.ops.map((op) => op.name));
  for (const name of [...needed]) {
    const stack = [name];
    while (stack.length) for (const dep of graph.upstream.get(stack.pop()!) ?? []) if (!needed.has(dep)) (needed.add(dep), stack.push(dep));
  }

  const declIndex = new Map(p.ops.map((op, i) => [op.name, i]));
  const order = compareNodes(graph.depth, declIndex);
  const nodes = new Map<string, RunNode>();
  // The scheduler decides what starts when; the executor runs each attempt; only this runner writes the catalog.
  const scheduler = new Scheduler({
    maxConcurrency,
    compare: (a, b) => order(nodes.get(a)!, nodes.get(b)!),
    waitsFor: (id) => depsOf(nodes.get(id)!)?.map((n) => n.id),
  });
  const executor: Executor = options.executor ?? new InProcessExecutor(options.notebookRunner);
  const job = new PipelineJob(p.name, graph.order.filter((op) => needed.has(op.name)));
  // Cancelled by the caller's signal or by a cancel request for the run's job (the Sluice jobs panel).
  const cancel = new AbortController();
  const cancelled = cancel.signal;
  if (options.signal?.aborted) cancel.abort();
  else options.signal?.addEventListener("abort", () => cancel.abort(), { once: true });
  const addNode = (op: Op, partition: string | undefined, partitionIndex: number, item: unknown, itemIndex: number, mappingKey: string | undefined) => {
    const node: RunNode = {
      id: nodeId(op.name, partition, mappingKey),
      op,
      partition,
      partitionIndex,
      item,
      itemIndex,
      mappingKey,
      status: "pending",
      attempts: 0,
      outputs: new Map(),
      selected: true,
    };
    node.selected = selected(node);
    nodes.set(node.id, node);
    scheduler.add(node.id, node.op.retry);
    job.added(node);
  };
  for (const op of graph.order) {
    if (op.map || !needed.has(op.name)) continue;
    if (op.partitions) (plan.byOp.get(op.name) ?? []).forEach((part, i) => addNode(op, part, i, undefined, -1, undefined));
    else addNode(op, undefined, -1, undefined, -1, undefined);
  }

  const mappedNodes = (source: string, partition: string | undefined) =>
    [...nodes.values()].filter((n) => n.op.map === source && n.partition === partitionOf(n.op, partition)).sort((a, b) => a.itemIndex - b.itemIndex);
  const steps: RunSteps = {
    graph,
    store,
    get: (id) => nodes.get(id),
    mapped: mappedNodes,
    partitionsOf: (op, alias, from, partition) => mappedInputPartitions(op, alias, from, partition, plan.defs),
  };

  /** The nodes a node waits for, or undefined while they are not known yet (items of a dynamic op). */
  const depsOf = (node: RunNode): RunNode[] | undefined => {
    const deps: RunNode[] = [];
    const source = node.op.map ?? node.op.collect;
    if (source) {
      const s = nodes.get(nodeId(source, partitionOf(graph.byName.get(source)!, node.partition), undefined));
      if (!s) return undefined;
      deps.push(s);
      if (!DONE.has(s.status)) return BROKEN.has(s.status) ? deps : undefined;
    }
    for (const [alias, raw] of Object.entries(node.op.inputs)) {
      const from = graph.producer.get(normalizeAssetKey(raw));
      if (!from) continue;
      const mapped = steps.partitionsOf!(node.op, alias, from, node.partition);
      if (mapped) {
        // A partition-mapped input waits for the upstream partitions in this run; the others come from the store.
        for (const key of mapped.keys) {
          const n = nodes.get(nodeId(from.name, key, undefined));
          if (n) deps.push(n);
        }
        continue;
      }
      if (from.map && node.op.collect === from.map) deps.push(...mappedNodes(from.map, node.partition).filter((n) => n.op === from));
      else if (from.map) {
        const n = nodes.get(nodeId(from.name, partitionOf(from, node.partition), node.mappingKey));
        if (!n) return undefined;
        deps.push(n);
      } else deps.push(nodes.get(nodeId(from.name, partitionOf(from, node.partition), undefined))!);
    }
    if (node.op.collect) deps.push(...mappedNodes(node.op.collect, node.partition));
    return deps;
  };

  // Refused before the run is recorded: steps that other processes cannot run.
  if (!executor.inProcess) {
    const inMemory = p.ops.filter((op) => needed.has(op.name) && op.outputs.some((o) => !o.materialize));
    if (inMemory.length) {
      throw new PipelineUsageError(
        `the ${executor.name} executor runs steps in other processes, but ${inMemory.map((op) => op.name).join(", ")} ${inMemory.length === 1 ? "has" : "have"} in-memory outputs (materialize: false); materialize them or use the in-process executor.`,
      );
    }
  }
  const pipelineVersion = executor.inProcess ? "in-process" : await pipelineCodeVersion(p);
  store.startRun({
    runId,
    pipeline: p.name,
    args: { partitions, force: options.force ?? false, only: options.only, fromFailure: options.fromFailure, maxConcurrency },
  });
  const startedAt = Date.now();
  report({ type: "run.start", runId, pipeline: p.name, partitions, maxConcurrency, storeRoot: store.root });
  job.start(() => cancel.abort());

  // Op-run records are batched (a transaction every 200 ms and at the end): one fsync per batch, not per op.
  // Materializations are committed one by one as they happen; these records only serve --from-failure and reports.
  let buffered: OpRunRecord[] = [];
  const flush = () => {
    const batch = buffered;
    buffered = [];
    store.recordOpRuns(batch);
  };
  const flusher = setInterval(flush, 200);
  flusher.unref();
  const record = (node: RunNode) =>
    buffered.push({
      runId,
      nodeId: node.id,
      op: node.op.name,
      partition: node.partition ?? "",
      item: node.mappingKey,
      status: node.status,
      reason: node.reason,
      attempts: node.attempts,
      startedAt: node.startedAt,
      endedAt: node.endedAt,
      error: node.error,
      dataVersion: node.dataVersion,
      items: node.items,
    });

  const onDone = (node: RunNode) => {
    record(node);
    report({ type: "node.end", runId, node, counts: counts() });
    if (node.op.dynamic && DONE.has(node.status)) {
      const items = node.items ?? [];
      const keys = mappingKeys(items);
      for (const op of graph.order) {
        if (op.map !== node.op.name || !needed.has(op.name)) continue;
        items.forEach((item, i) => addNode(op, partitionOf(op, node.partition), node.partitionIndex, item, i, keys[i]));
      }
    }
    job.nodeEnded(node);
  };

  const counts = () => {
    const c = { pending: 0, running: 0, succeeded: 0, skipped: 0, failed: 0, upstream_failed: 0, reused: 0 };
    for (const n of nodes.values()) c[n.status] += 1;
    return c;
  };

  const prepared = new Map<string, PreparedStep>();
  const running = new Map<string, Promise<void>>();
  // A promise that settles when the run is cancelled, to wake the loop (retries waiting are failed then).
  const cancelledWake = new Promise<void>((resolve) => (cancelled.aborted ? resolve() : cancelled.addEventListener("abort", () => resolve(), { once: true })));
  const onCancel = () => {
    for (const id of scheduler.cancel()) {
      const node = nodes.get(id)!;
      node.status = "failed";
      node.endedAt = Date.now();
      onDone(node);
    }
  };
  if (cancelled.aborted) onCancel();
  else cancelled.addEventListener("abort", onCancel, { once: true });

  const settle = (node: RunNode, outcome: AttemptOutcome) => {
    running.delete(node.id);
    if (outcome.done) {
      scheduler.done(node.id, outcome.done);
      return onDone(node);
    }
    const decision = scheduler.failed(node.id, Date.now(), { retryable: outcome.retryable });
    if (decision.retry) {
      report({ type: "node.retry", runId, node, attempt: decision.attempt, waitMs: decision.waitMs, error: node.error! });
      return;
    }
    node.status = "failed";
    node.endedAt ??= Date.now();
    onDone(node);
  };

  try {
    await executor.open?.({ runId, pipeline: p.name, pipelineFile: pipelineSource(p)?.file, storeRoot: store.root, codeVersion: pipelineVersion, maxConcurrency });
    const pipelineFile = pipelineSource(p)?.file ?? "";
    for (;;) {
      const { start, upstreamFailed } = scheduler.next(Date.now());
      for (const u of upstreamFailed) {
        const node = nodes.get(u.id)!;
        node.status = "upstream_failed";
        node.reason = `upstream ${u.cause} ${u.causeState === "failed" ? "failed" : "did not run"}`;
        onDone(node);
      }
      for (const id of start) {
        const node = nodes.get(id)!;
        node.status = "running";
        const attempt = scheduler.attempts(id);
        const task = job
          .within(node, () => runAttempt(node, attempt, pipelineFile, pipelineVersion))
          .then(
            (outcome) => settle(node, outcome),
            (error: unknown) => {
              node.error = error instanceof Error ? error.message : String(error);
              node.endedAt ??= Date.now();
              settle(node, { retryable: true });
            },
          );
        running.set(id, task);
      }
      if (scheduler.finished) break;
      const wakeAt = scheduler.nextWakeAt();
      // Once cancelled (handled by onCancel), only running steps and due retries wake the loop.
      const timers: Promise<unknown>[] = [...running.values(), ...(cancelled.aborted ? [] : [cancelledWake])];
      let timer: NodeJS.Timeout | undefined;
      if (wakeAt !== undefined) timers.push(new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, wakeAt - Date.now())))));
      await Promise.race(timers);
      clearTimeout(timer);
    }
  } catch (error) {
    // Something outside an op broke (a reporter, the catalog, the executor): let running steps finish, record the run as failed.
    await Promise.allSettled(running.values());
    await executor.close?.().catch(() => {}); // also after a failed open: it may have started something
    clearInterval(flusher);
    flush();
    store.endRun(runId, "failed", { error: error instanceof Error ? error.message : String(error) });
    job.end("failed", error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    cancelled.removeEventListener("abort", onCancel);
  }
  // Every step has ended; a close that fails (a helper already gone) does not change the run's outcome.
  await executor.close?.().catch(() => {});

  /** One attempt of a step: on the first, resolve inputs and decide reuse/skip; then run it on the executor. */
  async function runAttempt(node: RunNode, attempt: number, pipelineFile: string, pipelineVersion: string): Promise<AttemptOutcome> {
    const op = node.op;
    let step = prepared.get(node.id);
    if (!step) {
      const inputs = resolveInputs(node, steps);
      const codeVersion = await codeVersionOf(op);
      node.dataVersion = dataVersionOf(node, inputs, codeVersion);
      node.startedAt = Date.now();
      if (!node.selected) {
        reuse(node);
        return { done: "reused" };
      }
      const stale = options.force ? undefined : staleness(store, node, inputs, codeVersion);
      // Outputs whose blocking check failed are not taken as up to date: the step runs again.
      // (A notebook's cells may report checks of their own, so a notebook op's outputs are always looked at.)
      const blocked = stale?.upToDate && (p.options.checks.length || op.kind === "notebook") ? await failedBlockingChecks(p.options.checks, stale.outputs, store, op.kind === "notebook") : undefined;
      if (stale?.upToDate && !blocked) {
        for (const m of stale.outputs) node.outputs.set(m.key, { key: m.key, dataVersion: m.dataVersion!, materialization: m, hasValue: false });
        if (stale.items) node.items = stale.items;
        node.status = "skipped";
        node.reason = stale.reason;
        node.endedAt = Date.now();
        return { done: "skipped" };
      }
      node.reason = options.force ? "--force" : (blocked ?? stale?.reason ?? "run");
      step = { inputs, inputRefs: inputRefsOf(inputs), codeVersion };
      prepared.set(node.id, step);
      report({ type: "node.start", runId, node, counts: counts() });
      job.nodeStarted(node);
    }
    node.attempts = attempt;
    node.outputs.clear();
    const spec: StepSpec = {
      specVersion: STEP_SPEC_VERSION,
      runId,
      stepId: node.id,
      pipelineFile,
      pipeline: p.name,
      op: op.name,
      ...(node.partition !== undefined ? { partition: node.partition } : {}),
      ...(node.mappingKey !== undefined ? { item: node.item, mappingKey: node.mappingKey } : {}),
      ...(storePartition(node) !== undefined ? { outputPartition: storePartition(node) } : {}),
      storeRoot: store.root,
      codeVersion: pipelineVersion,
      dataVersion: node.dataVersion!,
      attempt,
      inputs: stepInputsOf(step.inputs),
      ...(op.resources ? { resources: op.resources } : {}),
    };
    const committed = new Set<string>();
    const commits: Promise<unknown>[] = [];
    const commit = (file: StepFile) => {
      committed.add(file.path);
      const done = commitStepFile(node, step!, file, attempt);
      commits.push(done.catch(() => {}));
      return done;
    };
    const local: InProcessStep = {
      op,
      load: (input, index) => loadRef(step!.inputs.find((i) => i.alias === input.alias)!.refs[index]!),
      keep: (key, value, m) => node.outputs.set(key, { key, dataVersion: node.dataVersion!, materialization: m, value, hasValue: true }),
    };
    // A pool slot (op option `pool`) is held while the step runs; pools are shared by every run in this process.
    const release = await acquirePool(op.pool, cancelled);
    const result = await executor
      .run({ spec, local: executor.inProcess ? local : undefined }, { signal: cancelled, log: (text) => report({ type: "node.log", runId, node, text }), wrote: commit })
      .finally(release);
    for (const event of result.events) if (event.type === "log") report({ type: "node.log", runId, node, text: event.text });
    await Promise.all(commits);
    let error = result.ok ? undefined : (result.error?.message ?? "the step failed");
    // Files the executor did not stream: committed now, also those of a failed attempt (the executed notebook).
    for (const file of result.files) {
      if (committed.has(file.path)) continue;
      try {
        await commit(file);
      } catch (e) {
        error ??= (e as Error).message;
      }
    }
    if (result.host !== undefined) node.host = result.host;
    if (!error) {
      const missing = op.outputs.map((o) => normalizeAssetKey(o.key)).filter((k) => !node.outputs.has(k));
      if (missing.length) error = new OpOutputError(`op ${op.name} finished without producing ${missing.join(", ")}.`).message;
      else if (op.dynamic && !Array.isArray(result.items)) error = new OpOutputError(`dynamic op ${op.name} must return an array of items, got ${typeof result.items}.`).message;
    }
    if (error !== undefined) {
      node.error = error;
      return { retryable: result.error?.retryable ?? true };
    }
    if (p.options.checks.length || result.checks?.length) {
      // Checks of what the step materialized (the pipeline's, then those its notebook cells reported); a failing
      // blocking check fails the step (its partition's downstream does not run).
      const made = [...node.outputs.values()].flatMap((o) => (o.materialization ? [o.materialization] : []));
      const results = [...(await checkOutputs(p.options.checks, made, store, runId)), ...(await recordReportedChecks(result.checks ?? [], made, store, runId))];
      checkResults.push(...results);
      for (const r of results) {
        if (!r.passed) report({ type: "node.log", runId, node, text: `check ${r.check} of ${r.asset}${r.partition ? ` (${r.partition})` : ""} failed${r.blocking ? " (blocking)" : ""}: ${r.description ?? "no details"}` });
      }
      const blockedBy = blockingFailure(results);
      if (blockedBy) {
        node.error = blockedBy;
        return { retryable: false };
      }
    }
    if (result.partitionsAdded?.length) {
      // Dynamic partition keys the op added: in the catalog now, bound by the runs that start after this one.
      const state = new PipelineState(store);
      for (const { set, keys } of result.partitionsAdded) state.run("addPartitions", set, keys, Date.now(), `op ${op.name} run ${runId}`);
    }
    if (op.dynamic) node.items = result.items;
    node.status = "succeeded";
    node.error = undefined; // earlier attempts' errors were reported as retries
    node.endedAt = Date.now();
    return { done: "succeeded" };
  }

  /** Records a data file a step wrote: its materialization with lineage (the executed notebook without a data version). */
  async function commitStepFile(node: RunNode, step: PreparedStep, file: StepFile, attempt: number): Promise<Materialization> {
    const op = node.op;
    const key = normalizeAssetKey(file.key);
    const declared = op.outputs.some((o) => normalizeAssetKey(o.key) === key);
    const isNotebook = file.notebook !== undefined && op.kind === "notebook" && key === normalizeAssetKey(`${op.name}/notebook`);
    // A file from another process is checked before it is recorded: a declared key, in its own folder of this store.
    const dir = join(store.dataDir, ...key.split("/")) + sep;
    if ((!declared && !isNotebook) || !resolve(store.root, file.path).startsWith(dir)) {
      throw new OpOutputError(`op ${op.name} reported a file for ${key} at ${file.path}, which is not one of its outputs (${op.outputs.map((o) => o.key).join(", ") || "none"}) inside ${store.dataDir}.`);
    }
    if (!isNotebook && node.outputs.has(key)) throw new OpOutputError(`op ${op.name} yielded ${key} twice.`);
    const partition = storePartition(node);
    try {
      const m = await store.commit(
        { key, version: file.version, path: file.path, format: file.format, byteSize: file.byteSize, summary: file.summary },
        {
          partition,
          runId,
          op: op.name,
          params: op.params,
          codeVersion: step.codeVersion,
          ...(isNotebook ? {} : { dataVersion: node.dataVersion }),
          inputs: step.inputRefs,
          metadata: isNotebook ? { ...(file.metadata ?? {}), attempt } : file.metadata,
        },
      );
      if (!isNotebook) node.outputs.set(key, { key, dataVersion: node.dataVersion!, materialization: m, hasValue: false });
      return m;
    } catch (error) {
      rmSync(resolve(store.root, file.path), { force: true });
      throw error;
    }
  }

  /** Outputs come from the store: the node ran in an earlier run. */
  function reuse(node: RunNode): void {
    const op = node.op;
    const partition = storePartition(node);
    for (const out of op.outputs) {
      const m = store.latest(out.key, { partition });
      if (!m) throw new OpOutputError(`op ${op.name} was not selected to run, but ${out.key}${partition ? ` (${partition})` : ""} was never materialized; include ${op.name} in --only or run without it.`);
      node.outputs.set(out.key, { key: out.key, dataVersion: m.dataVersion ?? m.version, materialization: m, hasValue: false });
    }
    node.dataVersion = op.outputs.length ? node.outputs.get(op.outputs[0]!.key)!.dataVersion : node.dataVersion;
    if (op.dynamic) node.items = prevNodes.get(node.id)?.items ?? store.lastItems(op.name, node.partition ?? "") ?? [];
    node.status = "reused";
    node.reason = options.only ? "not in --only: outputs from the store" : `succeeded in run ${previous?.runId}`;
    node.endedAt = Date.now();
  }

  // Tables arrive as lazy frames: the producer's own frame when it ran here (so the optimizer sees the
  // whole chain), else a scan of the stored version. In-memory outputs arrive as they were produced.
  async function loadRef(ref: ResolvedRef): Promise<unknown> {
    return ref.hasValue && (!ref.materialization || ref.value instanceof LazyFrame) ? ref.value : store.read(ref.key, { version: ref.version });
  }

  clearInterval(flusher);
  flush();
  const summary = summarize([...nodes.values()], startedAt, Date.now());
  const status = cancelled.aborted ? "cancelled" : summary.counts.failed + summary.counts.upstream_failed > 0 ? "failed" : "succeeded";
  const failures = [...nodes.values()].filter((n) => n.status === "failed").map((n) => `${n.id}: ${n.error}`).join("\n");
  // The job ends before the run's files are written: a full disk must not leave it running in the panel.
  job.end(status, status !== "succeeded" ? failures || status : undefined);
  const runDir = join(store.root, "runs", runId);
  mkdirSync(runDir, { recursive: true });
  const ganttPath = join(runDir, "gantt.vl.json");
  writeFileSync(ganttPath, JSON.stringify(ganttSpec(p.name, runId, [...nodes.values()]), null, 1));
  writeFileSync(join(runDir, "summary.json"), JSON.stringify({ runId, pipeline: p.name, status, ...summary }, null, 1));
  store.endRun(runId, status, { summary, error: status !== "succeeded" ? failures || status : undefined });
  const result: RunResult = { runId, status, jobId: job.jobId, nodes: [...nodes.values()], runDir, ganttPath, checks: checkResults, ...summary };
  report({ type: "run.end", runId, result });
  return result;
}

export type { ResolvedInput, ResolvedRef } from "./inputs.js";

interface PreparedStep {
  inputs: ResolvedInput[];
  inputRefs: InputRef[];
  /** The op's code version (function source or notebook code cells). */
  codeVersion: string;
}

/** How an attempt ended: done (the scheduler's done state) or failed (node.error says why). */
type AttemptOutcome = { done: DoneState; retryable?: undefined } | { done?: undefined; retryable: boolean };
