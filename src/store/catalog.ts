// The SQLite catalog (better-sqlite3, WAL): materializations with their metadata and lineage,
// a per-asset summary row (so `assets ls` never scans history), and pipeline runs.
import Database from "better-sqlite3";
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CatalogSchemaError } from "./errors.js";
import { queries, type CatalogBackend, type QueryArgs, type QueryName, type QueryResult, type Step } from "./queries.js";
import { STATE_SCHEMA } from "./statequeries.js";

export type CatalogDb = Database.Database;

/** The schema version this code writes (sluice_catalog.schema_version); PostgreSQL's migrations use the same numbers. */
export const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS materializations (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  asset_key     TEXT NOT NULL,
  partition     TEXT NOT NULL DEFAULT '',
  version       TEXT NOT NULL UNIQUE,
  data_version  TEXT,
  run_id        TEXT,
  op            TEXT,
  params        TEXT,
  code_version  TEXT,
  inputs        TEXT NOT NULL DEFAULT '[]',
  path          TEXT NOT NULL,
  format        TEXT NOT NULL,
  row_count     INTEGER,
  byte_size     INTEGER NOT NULL,
  schema        TEXT,
  preview       TEXT,
  metadata      TEXT NOT NULL DEFAULT '{}',
  created_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS materializations_key ON materializations (asset_key, partition, id);
CREATE INDEX IF NOT EXISTS materializations_run ON materializations (run_id);

CREATE TABLE IF NOT EXISTS assets (
  asset_key        TEXT PRIMARY KEY,
  latest_id        INTEGER NOT NULL,
  materializations INTEGER NOT NULL,
  partitions       INTEGER NOT NULL DEFAULT 0,
  first_at         INTEGER NOT NULL,
  last_at          INTEGER NOT NULL
);

-- Asset-level graph (one row per edge) and version-level lineage.
CREATE TABLE IF NOT EXISTS asset_deps (
  asset_key TEXT NOT NULL,
  input_key TEXT NOT NULL,
  PRIMARY KEY (asset_key, input_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS asset_deps_input ON asset_deps (input_key, asset_key);
CREATE TABLE IF NOT EXISTS lineage (
  version       TEXT NOT NULL,
  input_key     TEXT NOT NULL,
  input_version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lineage_version ON lineage (version);
CREATE INDEX IF NOT EXISTS lineage_input ON lineage (input_version);

CREATE TABLE IF NOT EXISTS runs (
  run_id     TEXT PRIMARY KEY,
  pipeline   TEXT NOT NULL,
  status     TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  args       TEXT NOT NULL DEFAULT '{}',
  error      TEXT,
  summary    TEXT,
  -- The runner renews heartbeat_at while it runs; a running run whose lease ran out was abandoned.
  heartbeat_at INTEGER,
  lease_ms     INTEGER
);
-- Catalog facts: schema_version (migrations), and for a PostgreSQL catalog the store it belongs to.
CREATE TABLE IF NOT EXISTS sluice_catalog (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS op_runs (
  run_id       TEXT NOT NULL,
  node_id      TEXT NOT NULL,
  op           TEXT NOT NULL,
  partition    TEXT NOT NULL DEFAULT '',
  item         TEXT,
  status       TEXT NOT NULL,
  reason       TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER,
  ended_at     INTEGER,
  error        TEXT,
  data_version TEXT,
  items        TEXT,
  PRIMARY KEY (run_id, node_id)
);
-- Version 3: the pipeline features' tables (dynamic partitions, check results, daemon ticks and cursors).
${STATE_SCHEMA}`;

/** Columns added after the first release: ALTER'd into older catalogs when they are opened for writing. */
const ADDED_COLUMNS: Array<[table: string, column: string, type: string]> = [
  ["runs", "heartbeat_at", "INTEGER"],
  ["runs", "lease_ms", "INTEGER"],
];

/** SQLite's words for a file that is not (or no longer) a database. */
export function isCorruptionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB");
}

export interface OpenedCatalog {
  db: CatalogDb;
  /** Removes what a read-only snapshot left in the temporary folder. */
  cleanup?: () => void;
}

export function openCatalog(path: string): CatalogDb {
  const db = new Database(path, { timeout: 30_000 });
  db.pragma("journal_mode = WAL");
  // FULL: a committed materialization survives a crash of the whole machine, not just the process.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // Two processes opening a fresh store at once both run the DDL; IF NOT EXISTS makes that safe.
  db.transaction(() => {
    db.exec(SCHEMA);
    for (const [table, column, type] of ADDED_COLUMNS) {
      const has = (db.prepare(`SELECT count(*) AS n FROM pragma_table_info(?) WHERE name = ?`).get(table, column) as { n: number }).n > 0;
      if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    }
    const recorded = db.prepare(`SELECT value FROM sluice_catalog WHERE name = 'schema_version'`).get() as { value: string } | undefined;
    if (recorded && Number(recorded.value) > SCHEMA_VERSION) {
      throw new CatalogSchemaError(path, Number(recorded.value), SCHEMA_VERSION);
    }
    db.prepare(`INSERT INTO sluice_catalog (name, value) VALUES ('schema_version', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
  }).immediate();
  return db;
}

/** An empty catalog in memory: what a read-only look at a store without a catalog (and without data) sees. */
export function emptyCatalog(): CatalogDb {
  const db = new Database(":memory:");
  db.exec(SCHEMA);
  return db;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens an existing catalog without writing anything: no WAL switch, no schema setup. In WAL mode SQLite
 * needs to create a -shm file next to the catalog even to read; when the folder is not writable it reads
 * a snapshot instead (in memory, or copied with its -wal to a temporary folder so recent commits are seen).
 */
export function openCatalogReadOnly(path: string): OpenedCatalog {
  const probe = (db: CatalogDb) => db.prepare(`SELECT count(*) FROM sqlite_master`).get();
  const folder = dirname(path);
  if (writable(folder) || existsSync(`${path}-shm`)) {
    const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 30_000 });
    try {
      probe(db);
      return { db };
    } catch (error) {
      db.close();
      const code = String((error as { code?: unknown }).code);
      if (!code.startsWith("SQLITE_READONLY") && code !== "SQLITE_CANTOPEN") throw error;
    }
  }
  const wal = `${path}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) {
    const copy = mkdtempSync(join(tmpdir(), "sluice-catalog-"));
    copyFileSync(path, join(copy, "catalog.sqlite"));
    copyFileSync(wal, join(copy, "catalog.sqlite-wal"));
    const db = new Database(join(copy, "catalog.sqlite"), { readonly: true, fileMustExist: true });
    try {
      probe(db);
    } catch (error) {
      db.close();
      rmSync(copy, { recursive: true, force: true });
      throw error;
    }
    return { db, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
  }
  const image = readFileSync(path);
  // A serialized image cannot be opened in WAL mode (header bytes 18-19 = 2); as a rollback-journal image it reads the same.
  if (image.length >= 20 && image[18] === 2 && image[19] === 2) (image[18] = 1), (image[19] = 1);
  const db = new Database(image, { readonly: true });
  probe(db);
  return { db };
}

/** The SQLite backend: each operation of queries.ts runs synchronously in one better-sqlite3 transaction. */
export class SqliteCatalog implements CatalogBackend {
  readonly kind = "sqlite" as const;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly db: CatalogDb,
    readonly location: string,
  ) {}

  run<K extends QueryName>(name: K, ...args: QueryArgs<K>): QueryResult<K> {
    const query = queries[name];
    const body = this.db.transaction(() => {
      const steps = (query.run as (...a: unknown[]) => Generator<Step, unknown, unknown>)(...args);
      let next = steps.next();
      while (!next.done) next = steps.next(this.step(next.value));
      return next.value;
    });
    // IMMEDIATE takes the write lock up front, so two writers queue instead of failing on a lock upgrade.
    return (query.write ? body.immediate() : body()) as QueryResult<K>;
  }

  private step(step: Step): unknown {
    if (step.only !== undefined && step.only !== "sqlite") return undefined;
    let statement = this.statements.get(step.sql);
    if (!statement) this.statements.set(step.sql, (statement = this.db.prepare(step.sql)));
    if (step.mode === "get") return statement.get(...step.params);
    if (step.mode === "all") return statement.all(...step.params);
    return { changes: statement.run(...step.params).changes };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
