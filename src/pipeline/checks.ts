// Asset checks: tests of a materialized table, declared on a pipeline and run right after the op that
// materializes the asset. Each result is recorded in the catalog (check_results) with its metadata. A failing
// *blocking* check fails the op for that partition, so only that partition's downstream does not run.
import { LazyFrame, col, type Expression } from "../frame/index.js";
import { normalizeAssetKey, type AssetStore, type Materialization } from "../store/index.js";
import { PipelineUsageError } from "./errors.js";
import type { CheckResultRow, PipelineState } from "./state.js";
import type { ReportedCheck } from "./executors/types.js";

export interface CheckOutcome {
  passed: boolean;
  /** One line a person reads: what was found. */
  description?: string;
  metadata?: Record<string, unknown>;
}

export interface CheckContext {
  /** The asset's materialization being checked. */
  materialization: Materialization;
  partition: string | undefined;
  store: AssetStore;
}

export interface AssetCheck {
  readonly name: string;
  /** The asset key it checks. */
  readonly asset: string;
  /** A failure stops the downstream ops of the checked partition. */
  readonly blocking: boolean;
  evaluate(table: LazyFrame, ctx: CheckContext): Promise<CheckOutcome>;
}

export interface CheckOptions {
  /** Default: a name made from the check and its column. */
  name?: string;
  blocking?: boolean;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
function make(asset: string, name: string, blocking: boolean | undefined, evaluate: AssetCheck["evaluate"]): AssetCheck {
  if (!NAME.test(name)) throw new PipelineUsageError(`asset check name ${JSON.stringify(name)}: use letters, digits and _ . - only.`);
  return { name, asset: normalizeAssetKey(asset), blocking: blocking ?? false, evaluate };
}

/** Any test as a function of the table: return true/false or { passed, description, metadata }. */
export function assetCheck(options: { name: string; asset: string; blocking?: boolean; check: (table: LazyFrame, ctx: CheckContext) => boolean | CheckOutcome | Promise<boolean | CheckOutcome> }): AssetCheck {
  if (typeof options?.check !== "function") throw new PipelineUsageError(`assetCheck ${options?.name}: check must be a function (table, ctx) => boolean or { passed, description, metadata }.`);
  return make(options.asset, options.name, options.blocking, async (table, ctx) => {
    const r = await options.check(table, ctx);
    return typeof r === "boolean" ? { passed: r } : r;
  });
}

/** The table has at least `min` (default 1) and at most `max` rows. */
export function rowCountCheck(asset: string, options: CheckOptions & { min?: number; max?: number } = {}): AssetCheck {
  const min = options.min ?? 1;
  const max = options.max ?? Infinity;
  return make(asset, options.name ?? "row_count", options.blocking, async (table) => {
    const rows = await table.count();
    const passed = rows >= min && rows <= max;
    return { passed, description: `${rows} rows${passed ? "" : `; expected ${max === Infinity ? `at least ${min}` : `${min} to ${max}`}`}`, metadata: { rows, min, ...(max !== Infinity ? { max } : {}) } };
  });
}

/** No nulls in these columns (e.g. a key). */
export function noNullsCheck(asset: string, columns: string | string[], options: CheckOptions = {}): AssetCheck {
  const list = typeof columns === "string" ? [columns] : [...columns];
  if (list.length === 0) throw new PipelineUsageError("noNullsCheck: name at least one column.");
  return violations(asset, options.name ?? `no_nulls_${list.join("_")}`, options.blocking, list.map((c) => col(c).isNull()).reduce((a, b) => a.or(b)), `null in ${list.join(", ")}`);
}

/** Every value of `column` lies within [min, max] (either bound may be left out; nulls are not checked here). */
export function rangeCheck(asset: string, column: string, bounds: { min?: number; max?: number }, options: CheckOptions = {}): AssetCheck {
  if (bounds.min === undefined && bounds.max === undefined) throw new PipelineUsageError(`rangeCheck ${column}: give min, max or both.`);
  const out: Expression[] = [];
  if (bounds.min !== undefined) out.push(col(column).lt(bounds.min));
  if (bounds.max !== undefined) out.push(col(column).gt(bounds.max));
  const what = `${column} outside ${bounds.min ?? "-∞"}..${bounds.max ?? "∞"}`;
  return violations(asset, options.name ?? `range_${column}`, options.blocking, out.reduce((a, b) => a.or(b)), what);
}

/**
 * A custom query: `query(table)` returns the rows that violate the rule (e.g. with the sql`…` tag); it passes
 * when there are none. The first five violating rows are kept in the result's metadata.
 */
export function queryCheck(asset: string, name: string, query: (table: LazyFrame) => LazyFrame | Promise<LazyFrame>, options: Omit<CheckOptions, "name"> = {}): AssetCheck {
  return make(asset, name, options.blocking, async (table) => describeViolations(await query(table), name));
}

function violations(asset: string, name: string, blocking: boolean | undefined, predicate: Expression, what: string): AssetCheck {
  return make(asset, name, blocking, async (table) => describeViolations(table.filter(predicate), what));
}

async function describeViolations(bad: LazyFrame, what: string): Promise<CheckOutcome> {
  if (!(bad instanceof LazyFrame)) throw new PipelineUsageError(`check ${what}: the query must return a lazy frame of the violating rows.`);
  const count = await bad.count();
  if (count === 0) return { passed: true, description: `no rows with ${what}`, metadata: { violations: 0 } };
  const sample = (await bad.limit(5).collect()).toRecords().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  return { passed: false, description: `${count} row(s) with ${what}`, metadata: { violations: count, sample } };
}

export interface CheckRunResult {
  check: string;
  asset: string;
  partition: string | undefined;
  version: string;
  passed: boolean;
  blocking: boolean;
  description: string | undefined;
  metadata: Record<string, unknown>;
}

/**
 * Runs the checks of one materialization and records their results. A check that throws fails (its error
 * is the description). Returns the results; the caller fails the op when a blocking one failed.
 */
export async function runChecks(checks: readonly AssetCheck[], m: Materialization, store: AssetStore, state: PipelineState, runId: string): Promise<CheckRunResult[]> {
  const mine = checks.filter((c) => c.asset === m.key);
  if (mine.length === 0) return [];
  const table = m.format === "parquet" ? await store.read(m.key, { version: m.version }) : undefined;
  const results: CheckRunResult[] = [];
  for (const check of mine) {
    let outcome: CheckOutcome;
    try {
      if (!table) throw new PipelineUsageError(`${m.key} is a ${m.format} file, not a table; checks read tables.`);
      outcome = await check.evaluate(table, { materialization: m, partition: m.partition, store });
    } catch (error) {
      outcome = { passed: false, description: `the check failed to run: ${(error as Error).message}`, metadata: { error: (error as Error).message } };
    }
    results.push({ check: check.name, asset: m.key, partition: m.partition, version: m.version, passed: outcome.passed, blocking: check.blocking, description: outcome.description, metadata: outcome.metadata ?? {} });
  }
  record(state, results, runId);
  return results;
}

function record(state: PipelineState, results: readonly CheckRunResult[], runId: string): void {
  const at = Date.now();
  state.run(
    "recordCheckResults",
    results.map((r): CheckResultRow => ({
      run_id: runId, asset_key: r.asset, partition: r.partition ?? "", check_name: r.check, version: r.version, passed: r.passed ? 1 : 0,
      blocking: r.blocking ? 1 : 0, description: r.description ?? null, metadata: JSON.stringify(r.metadata), created_at: at,
    })),
  );
}

/**
 * Records the checks a step reported itself (a notebook cell's `context.check`) against the versions the
 * step materialized. A check of an output the step did not materialize fails, saying so.
 */
export async function recordReportedChecks(reported: readonly ReportedCheck[], outputs: readonly Materialization[], store: AssetStore, runId: string): Promise<CheckRunResult[]> {
  if (!reported.length) return [];
  const results = reported.map((c): CheckRunResult => {
    const m = outputs.find((o) => o.key === c.asset);
    if (!m) return { check: c.name, asset: c.asset, partition: undefined, version: "", passed: false, blocking: c.blocking, description: `the step reported this check but materialized no ${c.asset}`, metadata: c.metadata ?? {} };
    return { check: c.name, asset: c.asset, partition: m.partition, version: m.version, passed: c.passed, blocking: c.blocking, description: c.description, metadata: c.metadata ?? {} };
  });
  const { PipelineState } = await import("./state.js");
  const state = new PipelineState(store);
  try {
    record(state, results.filter((r) => r.version !== ""), runId);
  } finally {
    state.close();
  }
  return results;
}

/** The message an op fails with when blocking checks failed (undefined: none did). */
export function blockingFailure(results: readonly CheckRunResult[]): string | undefined {
  const failed = results.filter((r) => r.blocking && !r.passed);
  if (!failed.length) return undefined;
  return failed.map((r) => `blocking check ${r.check} of ${r.asset}${r.partition ? ` (${r.partition})` : ""} failed: ${r.description ?? "no details"}`).join("; ");
}

/** Latest recorded results of an asset's checks (per partition), for `sluice assets show` and freshness. */
export function latestCheckResults(state: PipelineState, asset: string, partition?: string): CheckRunResult[] {
  return state.run("latestCheckResults", normalizeAssetKey(asset), partition ?? null).map((r) => ({
    check: r.check_name, asset: r.asset_key, partition: r.partition || undefined, version: r.version, passed: r.passed === 1,
    blocking: r.blocking === 1, description: r.description ?? undefined, metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  }));
}

/** Checks declared for assets no op of the pipeline produces are a mistake worth naming. */
export function checkProblems(checks: readonly AssetCheck[], produced: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of checks) {
    if (!produced.has(c.asset)) problems.push(`check ${c.name} is of ${c.asset}, which no op of the pipeline produces; name one of ${[...produced].join(", ") || "(no outputs)"}.`);
    const id = `${c.asset}#${c.name}`;
    if (seen.has(id)) problems.push(`two checks of ${c.asset} are named ${c.name}; give each its own name.`);
    seen.add(id);
  }
  return problems;
}

/** Runs the checks of a step's materializations (its own connection to the state tables). */
export async function checkOutputs(checks: readonly AssetCheck[], outputs: readonly Materialization[], store: AssetStore, runId: string): Promise<CheckRunResult[]> {
  const relevant = outputs.filter((m) => checks.some((c) => c.asset === m.key));
  if (!relevant.length) return [];
  const { PipelineState } = await import("./state.js");
  const state = new PipelineState(store);
  try {
    const results: CheckRunResult[] = [];
    for (const m of relevant) results.push(...(await runChecks(checks, m, store, state, runId)));
    return results;
  } finally {
    state.close();
  }
}

/**
 * Why stored outputs cannot be taken as up to date: a blocking check failed on that very version (undefined:
 * none did). `anyCheck`: look at every output (a notebook's own checks are not declared on the pipeline).
 */
export async function failedBlockingChecks(checks: readonly AssetCheck[], outputs: readonly Materialization[], store: AssetStore, anyCheck = false): Promise<string | undefined> {
  const relevant = outputs.filter((m) => anyCheck || checks.some((c) => c.asset === m.key && c.blocking));
  if (!relevant.length) return undefined;
  const { PipelineState } = await import("./state.js");
  const state = new PipelineState(store);
  try {
    for (const m of relevant) {
      const failed = latestCheckResults(state, m.key, m.partition ?? "").find((r) => r.blocking && !r.passed && r.version === m.version);
      if (failed) return `blocking check ${failed.check} failed on the stored ${m.key}${m.partition ? ` (${m.partition})` : ""}`;
    }
    return undefined;
  } finally {
    state.close();
  }
}
