// Runs a pipeline: expands ops into nodes (partitions × items), schedules ready nodes within the
// concurrency bound, skips nodes whose data version is already materialized, retries with backoff,
// and stops only the downstream of a failed node.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { LazyFrame } from "../frame/index.js";
import { AssetStore, normalizeAssetKey, type OpRunRecord, type InputRef, type Materialization, type MetadataInput, type TableData } from "../store/index.js";
import { PipelineUsageError, OpOutputError } from "./errors.js";
import { checkOptionNames } from "../plan/errors.js";
import { buildGraph, type OpGraph, type Pipeline } from "./graph.js";
import { canonicalJson, sha256, type Op, type OpContext } from "./ops.js";
import { compareNodes, mappingKeys, nodeId, storePartition, type NodeOutput, type RunNode } from "./nodes.js";
import { parseBackfill } from "./partitions.js";
import { consoleReporter, ganttSpec, summarize, type PipelineEvent, type RunSummary } from "./report.js";
import { codeVersionOf, notebookChecker, runNotebookNode, type NotebookRunner } from "./notebook.js";
import { PipelineJob } from "./progress.js";
import { withRunLog } from "./runlog.js";

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
}

export interface RunResult extends RunSummary {
  runId: string;
  status: "succeeded" | "failed" | "cancelled";
  /** The run's job on the progress bus (src/progress). */
  jobId: string;
  nodes: RunNode[];
  runDir: string;
  ganttPath: string;
}

const DONE = new Set(["succeeded", "skipped", "reused"]);
const BROKEN = new Set(["failed", "upstream_failed"]);

export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPipeline(p: Pipeline, options: RunOptions = {}): Promise<RunResult> {
  checkOptionNames(`runPipeline ${p.name}`, options, {
    store: true, partition: true, backfill: true, maxConcurrency: true, force: true, fromFailure: true, only: true, runId: true, reporter: true, notebookRunner: true, signal: true,
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
  const partitions = resolvePartitions(p, graph, options, previous?.args.partitions as string[] | undefined);
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
    job.added(node);
  };
  for (const op of graph.order) {
    if (op.map || !needed.has(op.name)) continue;
    if (op.partitions) partitions.forEach((part, i) => addNode(op, part, i, undefined, -1, undefined));
    else addNode(op, undefined, -1, undefined, -1, undefined);
  }

  const partitionOf = (op: Op, partition: string | undefined) => (op.partitions ? partition : undefined);
  const mappedNodes = (source: string, partition: string | undefined) =>
    [...nodes.values()].filter((n) => n.op.map === source && n.partition === partitionOf(n.op, partition)).sort((a, b) => a.itemIndex - b.itemIndex);

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
    for (const raw of Object.values(node.op.inputs)) {
      const from = graph.producer.get(normalizeAssetKey(raw));
      if (!from) continue;
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

  const running = new Map<string, Promise<void>>();
  try {
    for (;;) {
      let changed = true;
      const ready: RunNode[] = [];
      while (changed) {
        changed = false;
        ready.length = 0;
        for (const node of nodes.values()) {
          if (node.status !== "pending") continue;
          const deps = depsOf(node);
          if (!deps) continue;
          const broken = deps.find((d) => BROKEN.has(d.status));
          if (broken) {
            node.status = "upstream_failed";
            node.reason = `upstream ${broken.id} ${broken.status === "failed" ? "failed" : "did not run"}`;
            onDone(node);
            changed = true;
          } else if (deps.every((d) => DONE.has(d.status))) ready.push(node);
        }
      }
      ready.sort(order);
      while (!cancelled.aborted && running.size < maxConcurrency && ready.length) {
        const node = ready.shift()!;
        node.status = "running";
        const task = job.within(node, () => runNode(node)).then(
          () => {},
          (error: unknown) => {
            node.status = "failed";
            node.error = error instanceof Error ? error.message : String(error);
            node.endedAt ??= Date.now();
          },
        );
        running.set(
          node.id,
          task.then(() => {
            running.delete(node.id);
            onDone(node);
          }),
        );
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } catch (error) {
    // Something outside an op broke (a reporter, the catalog): let running ops finish, record the run as failed.
    await Promise.allSettled(running.values());
    clearInterval(flusher);
    flush();
    store.endRun(runId, "failed", { error: error instanceof Error ? error.message : String(error) });
    job.end("failed", error instanceof Error ? error.message : String(error));
    throw error;
  }

  async function runNode(node: RunNode): Promise<void> {
    const op = node.op;
    const partition = storePartition(node);
    const inputs = resolveInputs(node);
    const codeVersion = await codeVersionOf(op);
    node.dataVersion = sha256(
      canonicalJson({ code: codeVersion, params: op.params, partition: node.partition, item: node.mappingKey, inputs: inputs.map((i) => [i.alias, i.refs.map((r) => r.dataVersion)]) }),
    ).slice(0, 16);
    node.startedAt = Date.now();

    if (!node.selected) {
      // Outputs come from the store: the node ran in an earlier run.
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
      return;
    }

    const skipReason = options.force ? undefined : upToDate(node, inputs, codeVersion);
    if (skipReason === undefined || typeof skipReason !== "string") {
      node.reason = options.force ? "--force" : (skipReason?.run ?? "run");
    } else {
      node.status = "skipped";
      node.reason = skipReason;
      node.endedAt = Date.now();
      return;
    }

    report({ type: "node.start", runId, node, counts: counts() });
    job.nodeStarted(node);
    const inputRefs: InputRef[] = inputs.flatMap((i) => i.refs.map(({ key, partition, version, dataVersion }) => ({ key, partition, version, dataVersion })));
    for (let attempt = 1; ; attempt++) {
      node.attempts = attempt;
      try {
        if (op.kind === "fn") await runFnNode(node, op, inputs, inputRefs, codeVersion, attempt);
        else await runNotebookNode({ node, op, runId, store, inputs, inputRefs, codeVersion, attempt, runner: options.notebookRunner, signal: cancelled, log: (text) => report({ type: "node.log", runId, node, text }) });
        node.status = "succeeded";
        node.error = undefined; // earlier attempts' errors were reported as retries
        node.endedAt = Date.now();
        return;
      } catch (error) {
        node.error = error instanceof Error ? error.message : String(error);
        if (attempt > op.retry.max || cancelled.aborted) throw error;
        const wait = op.retry.backoffMs * op.retry.factor ** (attempt - 1);
        report({ type: "node.retry", runId, node, attempt, waitMs: wait, error: node.error });
        await sleep(wait);
        if (cancelled.aborted) throw error;
      }
    }
  }

  /** Where each input comes from: a node of this run (in memory or its materialization) or the store. */
  function resolveInputs(node: RunNode): ResolvedInput[] {
    return Object.entries(node.op.inputs).map(([alias, raw]) => {
      const key = normalizeAssetKey(raw);
      const from = graph.producer.get(key);
      if (!from) {
        const m = store.latest(key, { partition: storePartition(node) }) ?? store.latest(key);
        if (!m) throw new OpOutputError(`input ${alias} = ${key} of op ${node.op.name} has no materialization.`);
        return { alias, key, many: false, refs: [{ key, partition: m.partition, version: m.version, dataVersion: m.dataVersion ?? m.version, materialization: m, hasValue: false }] };
      }
      const sources =
        from.map && node.op.collect === from.map
          ? mappedNodes(from.map, node.partition).filter((n) => n.op === from)
          : [nodes.get(nodeId(from.name, partitionOf(from, node.partition), from.map ? node.mappingKey : undefined))!];
      const refs = sources.map((s) => {
        const out = s.outputs.get(key)!;
        const m = out.materialization;
        return { key, partition: m?.partition, version: m?.version ?? `memory:${out.dataVersion}`, dataVersion: out.dataVersion, materialization: m, value: out.value, hasValue: out.hasValue };
      });
      return { alias, key, many: Boolean(from.map && node.op.collect === from.map), refs };
    });
  }

  /** A skip reason when every materialized output already has this data version; else why it must run. */
  function upToDate(node: RunNode, inputs: ResolvedInput[], codeVersion: string): string | { run: string } {
    const op = node.op;
    if (op.outputs.length === 0 && !op.dynamic) return { run: "no outputs to check" };
    if (op.outputs.some((o) => !o.materialize)) return { run: "in-memory outputs are recomputed" };
    const partition = storePartition(node);
    const found: Materialization[] = [];
    for (const out of op.outputs) {
      const m = store.latest(out.key, { partition });
      if (!m) return { run: `no materialization of ${out.key}${partition ? ` (${partition})` : ""} yet` };
      if (m.dataVersion !== node.dataVersion) return { run: changeReason(m, op, codeVersion, inputs) };
      try {
        store.verify(m);
      } catch (error) {
        return { run: (error as Error).message };
      }
      found.push(m);
    }
    if (op.dynamic) {
      const items = store.itemsFor(op.name, node.dataVersion!);
      if (!items) return { run: "no recorded items for this data version" };
      node.items = items;
    }
    for (const m of found) node.outputs.set(m.key, { key: m.key, dataVersion: m.dataVersion!, materialization: m, hasValue: false });
    return `up to date (data version ${node.dataVersion})`;
  }

  async function runFnNode(node: RunNode, op: Extract<Op, { kind: "fn" }>, inputs: ResolvedInput[], inputRefs: InputRef[], codeVersion: string, attempt: number) {
    node.outputs.clear();
    const partition = storePartition(node);
    const declared = new Map(op.outputs.map((o) => [normalizeAssetKey(o.key), o]));
    const yieldAsset = async (rawKey: string, data: unknown, opts: { metadata?: MetadataInput } = {}) => {
      const key = normalizeAssetKey(rawKey);
      const spec = declared.get(key);
      if (!spec) throw new OpOutputError(`op ${op.name} yielded ${key}, which is not among its outputs (${[...declared.keys()].join(", ") || "none"}); declare it in outputs.`);
      if (node.outputs.has(key)) throw new OpOutputError(`op ${op.name} yielded ${key} twice.`);
      if (!spec.materialize) {
        node.outputs.set(key, { key, dataVersion: node.dataVersion!, value: data, hasValue: true });
        return undefined;
      }
      const m = await store.materialize(key, data as TableData, {
        partition,
        runId,
        op: op.name,
        params: op.params,
        codeVersion,
        dataVersion: node.dataVersion,
        inputs: inputRefs,
        metadata: opts.metadata,
      });
      node.outputs.set(key, { key, dataVersion: node.dataVersion!, materialization: m, value: data, hasValue: true });
      return m;
    };
    const values: Record<string, unknown> = {};
    // Tables arrive as lazy frames: the producer's own frame when it ran here (so the optimizer sees the
    // whole chain), else a scan of the stored version. In-memory outputs arrive as they were produced.
    const loadRef = async (ref: ResolvedRef) =>
      ref.hasValue && (!ref.materialization || ref.value instanceof LazyFrame) ? ref.value : store.read(ref.key, { version: ref.version });
    for (const input of inputs) values[input.alias] = input.many ? await Promise.all(input.refs.map(loadRef)) : await loadRef(input.refs[0]!);
    const ctx: OpContext = {
      runId,
      op: op.name,
      partitionKey: node.partition,
      item: node.item,
      mappingKey: node.mappingKey,
      params: op.params,
      attempt,
      storeRoot: store.root,
      log: (...args: unknown[]) => report({ type: "node.log", runId, node, text: args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ") }),
      input: async (rawKey: string) => {
        const key = normalizeAssetKey(rawKey);
        const input = inputs.find((i) => i.key === key);
        if (!input) throw new OpOutputError(`op ${op.name} asked for input ${key}, which is not among its inputs (${inputs.map((i) => i.key).join(", ") || "none"}).`);
        return input.many ? Promise.all(input.refs.map(loadRef)) : loadRef(input.refs[0]!);
      },
      yieldAsset,
    };
    const result = await op.run(ctx, values);
    if (op.dynamic) {
      if (!Array.isArray(result)) throw new OpOutputError(`dynamic op ${op.name} must return an array of items, got ${typeof result}.`);
      node.items = result;
    } else {
      const missing = [...declared.keys()].filter((k) => !node.outputs.has(k));
      if (missing.length === 1 && result !== undefined && !(isPlainObject(result) && missing[0]! in result)) await yieldAsset(missing[0]!, result);
      else if (missing.length && isPlainObject(result)) for (const k of missing) if (k in result) await yieldAsset(k, result[k]);
    }
    const still = [...declared.keys()].filter((k) => !node.outputs.has(k));
    if (still.length) throw new OpOutputError(`op ${op.name} finished without producing ${still.join(", ")}; return it (or {"${still[0]}": data}) or call ctx.yieldAsset("${still[0]}", data).`);
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
  const result: RunResult = { runId, status, jobId: job.jobId, nodes: [...nodes.values()], runDir, ganttPath, ...summary };
  report({ type: "run.end", runId, result });
  return result;
}

export interface ResolvedRef {
  key: string;
  partition: string | undefined;
  version: string;
  dataVersion: string;
  materialization?: Materialization;
  value?: unknown;
  hasValue: boolean;
}
export interface ResolvedInput {
  alias: string;
  key: string;
  /** Collected from every item of a mapped op. */
  many: boolean;
  refs: ResolvedRef[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function changeReason(m: Materialization, op: Op, codeVersion: string, inputs: ResolvedInput[]): string {
  if (m.codeVersion !== undefined && m.codeVersion !== codeVersion) return `code of ${op.name} changed`;
  if (canonicalJson(m.params ?? {}) !== canonicalJson(op.params)) {
    const before = m.params ?? {};
    const changed = [...new Set([...Object.keys(before), ...Object.keys(op.params)])].filter((k) => canonicalJson(before[k]) !== canonicalJson(op.params[k]));
    return `parameters changed (${changed.map((k) => `${k}: ${JSON.stringify(before[k])} → ${JSON.stringify(op.params[k])}`).join(", ")})`;
  }
  const previous = new Map(m.inputs.map((i) => [`${i.key}|${i.partition ?? ""}`, i.dataVersion ?? i.version]));
  for (const input of inputs) {
    for (const ref of input.refs) {
      if (previous.get(`${ref.key}|${ref.partition ?? ""}`) !== ref.dataVersion) return `input ${ref.key} changed`;
    }
  }
  return "data version changed";
}

function resolvePartitions(p: Pipeline, graph: OpGraph, options: RunOptions, previous: string[] | undefined): string[] {
  const def = p.ops.find((op) => op.partitions)?.partitions;
  if (!def) {
    if (options.partition !== undefined || options.backfill !== undefined) throw new PipelineUsageError(`pipeline ${p.name} has no partitioned ops; drop --partition/--backfill.`);
    return [];
  }
  if (options.partition !== undefined && options.backfill !== undefined) throw new PipelineUsageError("give either --partition or --backfill, not both.");
  if (options.partition !== undefined) return [def.check(options.partition)];
  if (options.backfill !== undefined) return parseBackfill(def, options.backfill);
  if (previous?.length) return previous;
  const names = [...graph.byName.values()].filter((op) => op.partitions).map((op) => op.name);
  throw new PipelineUsageError(
    `pipeline ${p.name} has partitioned ops (${names.join(", ")}); pass --partition KEY or --backfill FROM..TO (e.g. --partition ${def.example}).`,
  );
}
