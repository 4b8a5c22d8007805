// The SQLite catalog (better-sqlite3, WAL): materializations with their metadata and lineage,
// a per-asset summary row (so `assets ls` never scans history), and pipeline runs.
import Database from "better-sqlite3";

export type CatalogDb = Database.Database;

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
  summary    TEXT
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
`;

export function openCatalog(path: string): CatalogDb {
  const db = new Database(path, { timeout: 30_000 });
  db.pragma("journal_mode = WAL");
  // FULL: a committed materialization survives a crash of the whole machine, not just the process.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // Two processes opening a fresh store at once both run the DDL; IF NOT EXISTS makes that safe.
  db.transaction(() => db.exec(SCHEMA)).immediate();
  return db;
}
