// The pipeline features' own catalog tables: dynamic partition sets, asset check results, and the
// daemon's schedule/sensor ticks and cursors. Written like src/store/queries.ts (generators of SQL steps
// in the common subset of SQLite and PostgreSQL, `?` placeholders) so a backend can run them as they are;
// today they run on the SQLite catalog file of the store through a connection of their own.
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import type { AssetStore } from "../store/index.js";
import type { Step } from "../store/queries.js";
import { openCatalogReadOnly } from "../store/catalog.js";
import { PipelineUsageError } from "./errors.js";

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

type Query<R> = Generator<Step, R, unknown>;
function* get<T>(sql: string, ...params: unknown[]): Generator<Step, T | undefined, unknown> {
  return (yield { sql, params, mode: "get" }) as T | undefined;
}
function* all<T>(sql: string, ...params: unknown[]): Generator<Step, T[], unknown> {
  return (yield { sql, params, mode: "all" }) as T[];
}
function* exec(sql: string, ...params: unknown[]): Generator<Step, number, unknown> {
  return ((yield { sql, params, mode: "run" }) as { changes: number }).changes;
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

const def = <A extends unknown[], R>(write: boolean, run: (...args: A) => Query<R>) => ({ write, run });

export const stateQueries = {
  addPartitions: def(true, function* (set: string, keys: readonly string[], at: number, by: string | null) {
    let added = 0;
    for (const key of keys) added += yield* exec(`INSERT INTO dynamic_partitions (set_name, partition_key, added_at, added_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, set, key, at, by);
    return added;
  }),
  removePartitions: def(true, function* (set: string, keys: readonly string[]) {
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
    return yield* all<CheckResultRow>(
      `SELECT c.* FROM check_results c
       WHERE c.asset_key = ? AND (? IS NULL OR c.partition = ?)
         AND c.created_at = (SELECT max(d.created_at) FROM check_results d WHERE d.asset_key = c.asset_key AND d.partition = c.partition AND d.check_name = c.check_name)
       ORDER BY c.partition, c.check_name`,
      assetKey, partition, partition,
    );
  }),
  runCheckResults: def(false, function* (runId: string) {
    return yield* all<CheckResultRow>(`SELECT * FROM check_results WHERE run_id = ? ORDER BY asset_key, partition, check_name`, runId);
  }),

  /** Claims a tick and moves the source's cursor in one transaction: a tick claimed once is never claimed again. */
  claimTick: def(true, function* (tick: Omit<TickRow, "created_at" | "updated_at">, cursor: string, at: number) {
    const inserted = yield* exec(
      `INSERT INTO daemon_ticks (source, tick_key, tick_time, status, run_id, partition, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      tick.source, tick.tick_key, tick.tick_time, tick.status, tick.run_id, tick.partition, tick.reason, at, at,
    );
    yield* exec(
      `INSERT INTO daemon_cursors (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      tick.source, cursor, at,
    );
    return inserted === 1;
  }),
  endTick: def(true, function* (source: string, tickKey: string, status: TickStatus, runId: string | null, reason: string | null, at: number) {
    yield* exec(`UPDATE daemon_ticks SET status = ?, run_id = coalesce(?, run_id), reason = ?, updated_at = ? WHERE source = ? AND tick_key = ?`, status, runId, reason, at, source, tickKey);
  }),
  openTicks: def(false, function* (source: string) {
    return yield* all<TickRow>(`SELECT * FROM daemon_ticks WHERE source = ? AND status = 'requested' ORDER BY tick_time, tick_key`, source);
  }),
  ticks: def(false, function* (source: string | null, limit: number) {
    return yield* all<TickRow>(`SELECT * FROM daemon_ticks WHERE (? IS NULL OR source = ?) ORDER BY tick_time DESC, tick_key DESC LIMIT ?`, source, source, limit);
  }),
  cursor: def(false, function* (source: string) {
    return yield* get<CursorRow>(`SELECT * FROM daemon_cursors WHERE source = ?`, source);
  }),
  cursors: def(false, function* () {
    return yield* all<CursorRow>(`SELECT * FROM daemon_cursors ORDER BY source`);
  }),
  setCursor: def(true, function* (source: string, cursor: string, at: number) {
    yield* exec(
      `INSERT INTO daemon_cursors (source, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      source, cursor, at,
    );
  }),
  /** What `sluice daemon status` shows of a source besides its ticks: when it was looked at, what it said, when it is due next. */
  noteEvaluation: def(true, function* (source: string, evaluatedAt: number, nextAt: number | null, note: string | null) {
    yield* exec(
      `INSERT INTO daemon_cursors (source, cursor, next_at, evaluated_at, note, updated_at) VALUES (?, '', ?, ?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET next_at = excluded.next_at, evaluated_at = excluded.evaluated_at, note = excluded.note`,
      source, nextAt, evaluatedAt, note, evaluatedAt,
    );
  }),
};

type StateQueries = typeof stateQueries;
export type StateQueryName = keyof StateQueries;

/** The state tables of one store. Close it (or let the store's process end) when done. */
export class PipelineState {
  private readonly db: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly cleanup: (() => void) | undefined;

  constructor(readonly store: AssetStore) {
    if (store.backend !== "sqlite") {
      throw new PipelineUsageError(
        `dynamic partitions, check results and the daemon's ticks are kept in the SQLite catalog for now; this store's catalog is ${store.backend} (${store.catalogPath}). Run them against a store with a SQLite catalog.`,
      );
    }
    if (store.readOnly) {
      // A read-only view (status, show): no tables created; a catalog without them reads as empty.
      // Opened as the store opens its catalog then: a snapshot when the folder cannot hold SQLite's -shm file.
      const opened = existsSync(store.catalogPath) ? openCatalogReadOnly(store.catalogPath) : undefined;
      this.db = opened?.db;
      this.cleanup = opened?.cleanup;
    } else {
      this.db = new Database(store.catalogPath, { timeout: 30_000 });
      this.db.pragma("journal_mode = WAL");
      this.db.exec(STATE_SCHEMA);
    }
  }

  run<K extends StateQueryName>(name: K, ...args: Parameters<StateQueries[K]["run"]>): ReturnType<StateQueries[K]["run"]> extends Query<infer R> ? R : never {
    const query = stateQueries[name];
    type R = ReturnType<StateQueries[K]["run"]> extends Query<infer X> ? X : never;
    if (!this.db) return (query.write ? undefined : emptyResult(name)) as R;
    if (query.write && this.store.readOnly) throw new PipelineUsageError(`cannot change ${this.store.root}: the store is ${this.store.readOnly}.`);
    const body = this.db.transaction(() => {
      const steps = (query.run as (...a: unknown[]) => Generator<Step, unknown, unknown>)(...args);
      let next = steps.next();
      while (!next.done) next = steps.next(this.step(next.value));
      return next.value;
    });
    try {
      return (query.write ? body.immediate() : body()) as R;
    } catch (error) {
      // A read-only catalog written before these tables existed: nothing recorded yet.
      if (!query.write && /no such table/.test((error as Error).message)) return emptyResult(name) as R;
      throw error;
    }
  }

  private step(step: Step): unknown {
    if (step.only !== undefined && step.only !== "sqlite") return undefined;
    let statement = this.statements.get(step.sql);
    if (!statement) this.statements.set(step.sql, (statement = this.db!.prepare(step.sql)));
    if (step.mode === "get") return statement.get(...step.params);
    if (step.mode === "all") return statement.all(...step.params);
    return { changes: statement.run(...step.params).changes };
  }

  close(): void {
    if (this.db?.open) this.db.close();
    this.cleanup?.();
  }
}

function emptyResult(name: StateQueryName): unknown {
  return name === "cursor" ? undefined : [];
}

/** The keys of a dynamic partition set (empty when the set has none yet). */
export function dynamicPartitionKeys(store: AssetStore, set: string): string[] {
  const state = new PipelineState(store);
  try {
    return state.run("partitionKeys", set);
  } finally {
    state.close();
  }
}
