// What `sluice daemon status` shows: per schedule and sensor its last evaluation, next tick and
// recent ticks (runs with their outcome, skips with their reason), read from the catalog alone.
import type { AssetStore } from "../store/index.js";
import { PipelineState, type TickRow } from "../pipeline/state.js";
import { DAEMON_SOURCE } from "./daemon.js";

export interface SourceStatus {
  source: string;
  evaluatedAt: number | undefined;
  nextAt: number | undefined;
  note: string | undefined;
  ticks: Array<{ tick: string; tickTime: number; status: string; runId: string | undefined; partition: string | undefined; reason: string | undefined }>;
}

export interface DaemonStatus {
  daemon: { evaluatedAt: number | undefined; nextAt: number | undefined; note: string | undefined } | undefined;
  sources: SourceStatus[];
}

export function daemonStatus(store: AssetStore, limit: number): DaemonStatus {
  const state = new PipelineState(store);
  try {
    const cursors = state.run("cursors");
    const self = cursors.find((c) => c.source === DAEMON_SOURCE);
    const ticks = (t: TickRow) => ({ tick: t.tick_key, tickTime: Number(t.tick_time), status: t.status, runId: t.run_id ?? undefined, partition: t.partition ?? undefined, reason: t.reason ?? undefined });
    return {
      daemon: self ? { evaluatedAt: num(self.evaluated_at), nextAt: num(self.next_at), note: self.note ?? undefined } : undefined,
      sources: cursors
        .filter((c) => c.source !== DAEMON_SOURCE)
        .map((c) => ({ source: c.source, evaluatedAt: num(c.evaluated_at), nextAt: num(c.next_at), note: c.note ?? undefined, ticks: state.run("ticks", c.source, limit).map(ticks) })),
    };
  } finally {
    state.close();
  }
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? undefined : Number(v));
const iso = (ms: number | undefined) => (ms === undefined ? "never" : new Date(ms).toISOString().replace(/\.000Z$/, "Z"));

export function formatDaemonStatus(status: DaemonStatus, now: number): string {
  if (!status.daemon && status.sources.length === 0) return "No daemon has run against this store; start one with `sluice daemon PIPELINE_FILE…`.\n";
  const lines: string[] = [];
  if (status.daemon) {
    const ago = status.daemon.evaluatedAt === undefined ? "" : ` (${Math.round((now - status.daemon.evaluatedAt) / 1000)} s ago)`;
    lines.push(`daemon: last evaluation ${iso(status.daemon.evaluatedAt)}${ago}; next schedule tick ${iso(status.daemon.nextAt)}; ${status.daemon.note ?? ""}`);
  }
  for (const s of status.sources) {
    lines.push("", `${s.source}`, `  last evaluated ${iso(s.evaluatedAt)}${s.note ? `: ${s.note}` : ""}`);
    if (s.nextAt !== undefined) lines.push(`  next tick ${iso(s.nextAt)}`);
    if (s.ticks.length === 0) lines.push("  no ticks yet");
    for (const t of s.ticks) {
      lines.push(`  ${t.tick.padEnd(26)} ${t.status.padEnd(9)} ${t.partition ? `partition ${t.partition} ` : ""}${t.runId ? `run ${t.runId}` : ""}${t.reason && t.status !== "succeeded" ? `  — ${t.reason}` : t.reason ? `  (${t.reason})` : ""}`);
    }
  }
  return lines.join("\n") + "\n";
}
