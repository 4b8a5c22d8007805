// The pipeline features' tables in the catalog: dynamic partition sets, asset check results, and the
// daemon's schedule/sensor ticks and cursors (src/pipeline/state.ts is their API; docs/catalog.md).
// Written like queries.ts: generators of SQL steps in the common subset of SQLite and PostgreSQL, so the
// store's backend runs each as one transaction on either catalog. Their SQLite schema is part of the
// catalog's (catalog.ts), their PostgreSQL schema is migration 3 (postgres/schema.ts).
// This module is loaded by the PostgreSQL worker: it imports nothing heavy.
import type { Query, Step } from "./queries.js";

/** The tables as SQLite creates them (CREATE … IF NOT EXISTS, with the rest of the catalog). */
export const STATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS dynamic_partitions (
  set_name      TEXT NOT NULL,
  partition_key TEXT NOT NULL,
  added_at      BIGINT NOT NULL,
  added_by      TEXT,
  PRIMARY KEY (set_name, partition_key)
);
CREATE TABLE IF NOT EXISTS check_results (
  run_id      TEXT NOT NULL,
  asset_key   TEXT NOT NULL,
  partition   TEXT NOT NULL DEFAULT '',
  check_name  TEXT NOT NULL,
  version     TEXT NOT NULL DEFAULT '',
  passed      INTEGER NOT NULL,
  blocking    INTEGER NOT NULL,
  description TEXT,
  metadata    TEXT NOT NULL DEFAULT '{}',
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (run_id, asset_key, partition, check_name)
);
CREATE INDEX IF NOT EXISTS check_results_asset ON check_results (asset_key, partition, created_at);
CREATE TABLE IF NOT EXISTS daemon_ticks (
  source     TEXT NOT NULL,
  tick_key   TEXT NOT NULL,
  tick_time  BIGINT NOT NULL,
  status     TEXT NOT NULL,
  run_id     TEXT,
  partition  TEXT,
  reason     TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (source, tick_key)
);
CREATE INDEX IF NOT EXISTS daemon_ticks_time ON daemon_ticks (source, tick_time);
CREATE TABLE IF NOT EXISTS daemon_cursors (
  source       TEXT PRIMARY KEY,
  cursor       TEXT NOT NULL,
  next_at      BIGINT,
  evaluated_at BIGINT,
  note         TEXT,
  updated_at   BIGINT NOT NULL
);
`;

/** The state tables with their columns, in the order `sluice store migrate` copies and compares them. */
export const STATE_TABLES = {
  dynamic_partitions: { columns: ["set_name", "partition_key", "added_at", "added_by"], order: "set_name, partition_key" },
  check_results: {
    columns: ["run_id", "asset_key", "partition", "check_name", "version", "passed", "blocking", "description", "metadata", "created_at"],
    order: "run_id, asset_key, partition, check_name",
  },
  daemon_ticks: { columns: ["source", "tick_key", "tick_time", "status", "run_id", "partition", "reason", "created_at", "updated_at"], order: "source, tick_key" },
  daemon_cursors: { columns: ["source", "cursor", "next_at", "evaluated_at", "note", "updated_at"], order: "source" },
} as const;
export type StateTable = keyof typeof STATE_TABLES;

// The step builders of every catalog query (queries.ts imports them from here: this module must not import it at run time).
export function* get<T>(sql: string, ...params: unknown[]): Generator<Step, T | undefined, unknown> {
  return (yield { sql, params, mode: "get" }) as T | undefined;
}
export function* all<T>(sql: string, ...params: unknown[]): Generator<Step, T[], unknown> {
  return (yield { sql, params, mode: "all" }) as T[];
}
export function* exec(sql: string, ...params: unknown[]): Generator<Step, number, unknown> {
  return ((yield { sql, params, mode: "run" }) as { changes: number }).changes;
}

/**
 * Lock number of PostgreSQL's catalog write lock (pg_advisory_xact_lock), defined here and used by queries.ts too
 * (which imports this module, not the other way round). State writes take it as materializations do, so on
 * PostgreSQL they queue behind each other as SQLite's BEGIN IMMEDIATE makes them.
 */
export const WRITE_LOCK = 7_264_115;
function* lockWrites(): Generator<Step, void, unknown> {
  yield { sql: `SELECT pg_advisory_xact_lock(${WRITE_LOCK})`, params: [], mode: "get", only: "postgres" };
}

export interface CheckResultRow {
  run_id: string;
  asset_key: string;
  partition: string;
  check_name: string;
  version: string;
  passed: number;
  blocking: number;
  description: string | null;
  metadata: string;
  created_at: number;
}

export type TickStatus = "requested" | "succeeded" | "failed" | "cancelled" | "skipped";
export interface TickRow {
  source: string;
  tick_key: string;
  tick_time: number;
  status: TickStatus;
  run_id: string | null;
  partition: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
}
export interface CursorRow {
  source: string;
  cursor: string;
  next_at: number | null;
  evaluated_at: number | null;
  note: string | null;
  updated_at: number;
}

// Same shape as queries.ts's operations; every write here is safe to retry after a lost connection
// (a retry whose first try committed finds its own rows and answers as the first try would have).
const def = <A extends unknown[], R>(write: boolean, run: (...args: A) => Query<R>) => ({ write, retry: true, run });

export const stateQueries = {
  addPartitions: def(true, function* (set: string, keys: readonly string[], at: number, by: string | null) {
    yield* lockWrites();
    let added = 0;
    for (const key of keys) {
      if (yield* exec(`INSERT INTO dynamic_partitions (set_name, partition_key, added_at, added_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, set, key, at, by)) added++;
      // Added by this very call's first try, whose COMMIT's answer was lost.
      else if (yield* get(`SELECT 1 AS yes FROM dynamic_partitions WHERE set_name = ? AND partition_key = ? AND added_at = ? AND coalesce(added_by, '') = ?`, set, key, at, by ?? "")) added++;
    }
    return added;
  }),
  removePartitions: def(true, function* (set: string, keys: readonly string[]) {
    yield* lockWrites();
    let removed = 0;
    for (const key of keys) removed += yield* exec(`DELETE FROM dynamic_partitions WHERE set_name = ? AND partition_key = ?`, set, key);
    return removed;
  }),
  partitionKeys: def(false, function* (set: string) {
    return (yield* all<{ partition_key: string }>(`SELECT partition_key FROM dynamic_partitions WHERE set_name = ? ORDER BY added_at, partition_key`, set)).map((r) => r.partition_key);
  }),
  partitionSets: def(false, function* () {
    return yield* all<{ set_name: string; keys: number; last_added_at: number }>(
      `SELECT set_name, count(*) AS keys, max(added_at) AS last_added_at FROM dynamic_partitions GROUP BY set_name ORDER BY set_name`,
    );
  }),

  recordCheckResults: def(true, function* (rows: readonly CheckResultRow[]) {
    yield* lockWrites();
    for (const r of rows) {
      yield* exec(
        `INSERT INTO check_results (run_id, asset_key, partition, check_name, version, passed, blocking, description, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, asset_key, partition, check_name) DO UPDATE SET version = excluded.version, passed = excluded.passed,
           blocking = excluded.blocking, description = excluded.description, metadata = excluded.metadata, created_at = excluded.created_at`,
        r.run_id, r.asset_key, r.partition, r.check_name, r.version, r.passed, r.blocking, r.description, r.metadata, r.created_at,
      );
    }
  }),
  /** The latest result of each check of an asset (per partition when given). */
  latestCheckResults: def(false, function* (assetKey: string, partition: string | null) {
    // CAST: PostgreSQL cannot type a bare `? IS NULL`.
    return yield* all<CheckResultRow>(
      `SELECT c.* FROM check_results c
       WHERE c.asset_key = ? AND (CAST(? AS TEXT) IS NULL OR c.partition = ?)
         AND c.created_at = (SELECT max(d.created_at) FROM check_results d WHERE d.asset_key = c.asset_key AND d.partition = c.partition AND d.check_name = c.check_name)
       ORDER BY c.partition, c.check_name`,
      assetKey, partition, partition,
    );
  }),
  runCheckResults: def(false, function* (runId: string) {
    return yield* all<CheckResultRow>(`SELECT * FROM check_results WHERE run_id = ? ORDER BY asset_key, partition, check_name`, runId);
  }),

  /**
   * Claims a tick and moves the source's cursor in one transaction: a tick claimed once is never claimed again,
   * by this process or another. A claim retried after a lost connection knows its own tick by its run id.
   */
  claimTick: def(true, function* (tick: Omit<TickRow, "created_at" | "updated_at">, cursor: string, at: number) {
    yield* lockWrites();
    const inserted = yield* exec(
      `INSERT INTO daemon_ticks (source, tick_key, tick_time, status, run_id, partition, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      tick.source, tick.tick_key, tick.tick_time, tick.status, tick.run_id, tick.partition, tick.reason, at, at,
    );
    if (inserted !== 1) {
      const held = yield* get<{ run_id: string | null }>(`SELECT run_id FROM daemon_ticks WHERE source = ? AND tick_key = ?`, tick.source, tick.tick_key);
      // Run ids carry random bytes, so only this claim's own earlier try has the same one.
      const ours = tick.run_id !== null && held?.run_id === tick.run_id;
      if (!ours) return false;
    }
    yield* exec(
      `INSERT INTO daemon_cursors (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      tick.source, cursor, at,
    );
    return true;
  }),
  endTick: def(true, function* (source: string, tickKey: string, status: TickStatus, runId: string | null, reason: string | null, at: number) {
    yield* lockWrites();
    yield* exec(`UPDATE daemon_ticks SET status = ?, run_id = coalesce(?, run_id), reason = ?, updated_at = ? WHERE source = ? AND tick_key = ?`, status, runId, reason, at, source, tickKey);
  }),
  openTicks: def(false, function* (source: string) {
    return yield* all<TickRow>(`SELECT * FROM daemon_ticks WHERE source = ? AND status = 'requested' ORDER BY tick_time, tick_key`, source);
  }),
  ticks: def(false, function* (source: string | null, limit: number) {
    return yield* all<TickRow>(`SELECT * FROM daemon_ticks WHERE (CAST(? AS TEXT) IS NULL OR source = ?) ORDER BY tick_time DESC, tick_key DESC LIMIT ?`, source, source, limit);
  }),
  cursor: def(false, function* (source: string) {
    return yield* get<CursorRow>(`SELECT * FROM daemon_cursors WHERE source = ?`, source);
  }),
  cursors: def(false, function* () {
    return yield* all<CursorRow>(`SELECT * FROM daemon_cursors ORDER BY source`);
  }),
  setCursor: def(true, function* (source: string, cursor: string, at: number) {
    yield* lockWrites();
    yield* exec(
      `INSERT INTO daemon_cursors (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      source, cursor, at,
    );
  }),
  /** What `sluice daemon status` shows of a source besides its ticks: when it was looked at, what it said, when it is due next. */
  noteEvaluation: def(true, function* (source: string, evaluatedAt: number, nextAt: number | null, note: string | null) {
    yield* lockWrites();
    yield* exec(
      `INSERT INTO daemon_cursors (source, cursor, next_at, evaluated_at, note, updated_at) VALUES (?, '', ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET next_at = excluded.next_at, evaluated_at = excluded.evaluated_at, note = excluded.note`,
      source, nextAt, evaluatedAt, note, evaluatedAt,
    );
  }),
};

export type StateQueries = typeof stateQueries;
export type StateQueryName = keyof StateQueries;
