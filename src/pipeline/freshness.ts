// Freshness: an asset may declare how old its latest materialization may get. `sluice assets stale`
// lists the overdue ones and why: never materialized, a failing check, the last run of its op failed,
// or no new upstream data (or new upstream data the op has not run on yet).
import { normalizeAssetKey, type AssetStore, type Materialization } from "../store/index.js";
import { PipelineUsageError } from "./errors.js";
import { latestCheckResults } from "./checks.js";
import type { PipelineState } from "./state.js";

export interface FreshnessPolicy {
  readonly asset: string;
  /** Overdue when the latest materialization is older than this (ms). */
  readonly maxAgeMs: number;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `freshness("clicks/daily", "26h")`: the asset must have been materialized within the last 26 hours. */
export function freshness(asset: string, maxAge: string | number): FreshnessPolicy {
  const ms = typeof maxAge === "number" ? maxAge : parseAge(maxAge);
  if (!Number.isFinite(ms) || ms <= 0) throw new PipelineUsageError(`freshness ${asset}: maxAge ${JSON.stringify(maxAge)} must be a positive duration such as "90m", "26h" or "2d" (or ms).`);
  return { asset: normalizeAssetKey(asset), maxAgeMs: ms };
}

function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
}

export function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1).replace(/\.0$/, "")}h`;
  return `${(ms / 86_400_000).toFixed(1).replace(/\.0$/, "")}d`;
}

export interface FreshnessStatus {
  asset: string;
  maxAgeMs: number;
  /** undefined: never materialized. */
  lastMaterializedAt: number | undefined;
  ageMs: number | undefined;
  overdue: boolean;
  reasons: string[];
}

/** The freshness of each policy's asset at `now`, with the reasons an overdue one is overdue. */
export function freshnessStatus(store: AssetStore, state: PipelineState, policies: readonly FreshnessPolicy[], now = Date.now()): FreshnessStatus[] {
  return policies.map((policy) => {
    const m = store.latest(policy.asset);
    if (!m) return { asset: policy.asset, maxAgeMs: policy.maxAgeMs, lastMaterializedAt: undefined, ageMs: undefined, overdue: true, reasons: ["never materialized"] };
    const age = now - m.createdAt;
    const overdue = age > policy.maxAgeMs;
    return { asset: policy.asset, maxAgeMs: policy.maxAgeMs, lastMaterializedAt: m.createdAt, ageMs: age, overdue, reasons: overdue ? reasonsFor(store, state, m) : [] };
  });
}

function reasonsFor(store: AssetStore, state: PipelineState, m: Materialization): string[] {
  const reasons: string[] = [];
  for (const r of latestCheckResults(state, m.key)) {
    if (!r.passed) reasons.push(`${r.blocking ? "blocking " : ""}check ${r.check} fails${r.partition ? ` for ${r.partition}` : ""}: ${r.description ?? "no details"}`);
  }
  if (m.op) {
    // The latest run that tried this asset's op, if it is newer than the materialization and failed.
    for (const run of store.runs({ limit: 50 })) {
      if (run.startedAt <= m.createdAt) break;
      const attempts = store.opRuns(run.runId).filter((o) => o.op === m.op);
      const failed = attempts.find((o) => o.status === "failed" || o.status === "upstream_failed");
      if (failed) {
        reasons.push(`run ${run.runId} (${new Date(run.startedAt).toISOString()}) ${failed.status === "failed" ? `failed in ${failed.nodeId}: ${failed.error ?? "no error recorded"}` : `did not run ${failed.nodeId}: ${failed.reason ?? "an upstream op failed"}`}`);
        break;
      }
      if (run.abandoned || run.status === "failed") {
        if (attempts.length) {
          reasons.push(`run ${run.runId} ${run.abandoned ? "was abandoned" : "failed"}: ${run.error ?? "no error recorded"}`);
          break;
        }
      }
    }
  }
  const newer: string[] = [];
  const same: string[] = [];
  for (const input of m.inputs) {
    const latest = store.latest(input.key, { partition: input.partition });
    if (latest && latest.version !== input.version) newer.push(`${input.key}${input.partition ? ` (${input.partition})` : ""} at ${new Date(latest.createdAt).toISOString()}`);
    else same.push(input.key);
  }
  if (newer.length) reasons.push(`new upstream data the op has not run on: ${[...new Set(newer)].join(", ")}`);
  else if (m.inputs.length) reasons.push(`no new upstream data since it was made (${[...new Set(same)].join(", ")} unchanged)`);
  else if (!reasons.length) reasons.push(`its op ${m.op ?? "(none recorded)"} has not run since ${new Date(m.createdAt).toISOString()}`);
  return reasons;
}
