// Every catalog operation, written once for both backends (docs/catalog.md). An operation is a generator
// that yields SQL steps and receives their results: the SQLite backend drives it synchronously inside one
// better-sqlite3 transaction, the PostgreSQL backend drives it asynchronously in its worker thread inside
// one BEGIN/COMMIT. So each store method is one atomic transaction with the same SQL on both sides.
// The SQL is the common subset of SQLite and PostgreSQL, with `?` placeholders; a step marked `only`
// runs on that backend alone (PostgreSQL's write lock and notifications).
// This module is loaded by the PostgreSQL worker: it imports nothing heavy.

export type Backend = "sqlite" | "postgres";

export interface Step {
  sql: string;
  params: unknown[];
  /** get: first row or undefined; all: rows; run: { changes }. */
  mode: "get" | "all" | "run";
  only?: Backend;
}

export type Query<R> = Generator<Step, R, unknown>;


// The pipeline features' tables (dynamic partitions, check results, daemon ticks) are operations of the catalog too.
import { STATE_TABLES, all, exec, get, stateQueries, WRITE_LOCK, type CheckResultRow, type CursorRow, type TickRow } from "./statequeries.js";
/** Lock number of PostgreSQL's catalog write lock (pg_advisory_xact_lock): one writer of materializations at a time. */
export { WRITE_LOCK };
/** The NOTIFY channel of live updates (docs/catalog.md). */
export const NOTIFY_CHANNEL = "sluice_catalog";

/**
 * Writers of materializations take one catalog-wide lock for the length of their transaction, as SQLite's
 * BEGIN IMMEDIATE does: the id is drawn under the lock, so ids follow commit order, "latest" (the highest id)
 * is the last commit, and the per-asset counters of two runners committing the same asset never race.
 * A commit holds it ~2 ms, so this costs nothing next to writing the data file.
 */
function* lockWrites(): Generator<Step, void, unknown> {
  yield { sql: `SELECT pg_advisory_xact_lock(${WRITE_LOCK})`, params: [], mode: "get", only: "postgres" };
}

/** Sends a live-update event when (and only if) the transaction commits. */
function* notify(event: Record<string, unknown>): Generator<Step, void, unknown> {
  yield { sql: `SELECT pg_notify('${NOTIFY_CHANNEL}', ?)`, params: [JSON.stringify(event)], mode: "get", only: "postgres" };
}

/** A materializations row as stored (JSON columns as text, so both backends hold the same bytes). */
export interface MaterializationRow {
  id: number;
  asset_key: string;
  partition: string;
  version: string;
  data_version: string | null;
  run_id: string | null;
  op: string | null;
  params: string | null;
  code_version: string | null;
  inputs: string;
  path: string;
  format: string;
  row_count: number | null;
  byte_size: number;
  schema: string | null;
  preview: string | null;
  metadata: string;
  created_at: number;
}

export type NewMaterializationRow = Omit<MaterializationRow, "id">;

export interface RunRow {
  run_id: string;
  pipeline: string;
  status: string;
  started_at: number;
  ended_at: number | null;
  args: string;
  error: string | null;
  summary: string | null;
  heartbeat_at?: number | null;
  lease_ms?: number | null;
}

export interface OpRunRow {
  run_id: string;
  node_id: string;
  op: string;
  partition: string;
  item: string | null;
  status: string;
  reason: string | null;
  attempts: number;
  started_at: number | null;
  ended_at: number | null;
  error: string | null;
  data_version: string | null;
  items: string | null;
}

/** Every row of a catalog, in a fixed order: what `sluice store migrate` copies and compares. */
export interface CatalogDump {
  materializations: MaterializationRow[];
  assets: Array<Record<string, unknown>>;
  asset_deps: Array<Record<string, unknown>>;
  lineage: Array<Record<string, unknown>>;
  runs: RunRow[];
  op_runs: OpRunRow[];
  dynamic_partitions: Array<Record<string, unknown>>;
  check_results: CheckResultRow[];
  daemon_ticks: TickRow[];
  daemon_cursors: CursorRow[];
}

/** Every table `sluice store migrate` copies, in load order. */
export const CATALOG_TABLES = ["materializations", "assets", "asset_deps", "lineage", "runs", "op_runs", ...(Object.keys(STATE_TABLES) as Array<keyof typeof STATE_TABLES>)] as const;

const MATERIALIZATION_COLUMNS = [
  "asset_key", "partition", "version", "data_version", "run_id", "op", "params", "code_version", "inputs",
  "path", "format", "row_count", "byte_size", "schema", "preview", "metadata", "created_at",
] as const;
const RUN_COLUMNS = ["run_id", "pipeline", "status", "started_at", "ended_at", "args", "error", "summary", "heartbeat_at", "lease_ms"] as const;
const OP_RUN_COLUMNS = [
  "run_id", "node_id", "op", "partition", "item", "status", "reason", "attempts", "started_at", "ended_at", "error", "data_version", "items",
] as const;
const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
/** "No limit" in both dialects (SQLite's -1 is an error in PostgreSQL). */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

export interface LineageWalk {
  upstream: Array<{ key: string; depth: number }>;
  downstream: Array<{ key: string; depth: number }>;
  edges: Array<{ from: string; to: string }>;
}

interface QueryDef<A extends unknown[], R> {
  /** Writes: SQLite begins IMMEDIATE, PostgreSQL a read-write transaction (refused on a read-only store). */
  write: boolean;
  /** Retried after a lost connection (every write here is idempotent, see insertMaterialization); a lease renewal is not. */
  retry: boolean;
  run: (...args: A) => Query<R>;
}
const def = <A extends unknown[], R>(write: boolean, run: (...args: A) => Query<R>, retry = true): QueryDef<A, R> => ({ write, retry, run });

/** Whether a table exists: a read-only look at a catalog written before the state tables has none of them. */
function* hasTable(name: string): Generator<Step, boolean, unknown> {
  const sqlite = yield { sql: `SELECT 1 AS yes FROM sqlite_master WHERE type = 'table' AND name = ?`, params: [name], mode: "get", only: "sqlite" };
  const postgres = (yield { sql: `SELECT to_regclass(?) IS NOT NULL AS yes`, params: [name], mode: "get", only: "postgres" }) as { yes: boolean } | undefined;
  return sqlite !== undefined || postgres?.yes === true;
}

function* countRows(): Query<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of CATALOG_TABLES) {
    out[table] = table in STATE_TABLES && !(yield* hasTable(table)) ? 0 : Number((yield* get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n);
  }
  return out;
}

function* stateRows<T>(table: keyof typeof STATE_TABLES): Query<T[]> {
  if (!(yield* hasTable(table))) return [];
  const { columns, order } = STATE_TABLES[table];
  return yield* all<T>(`SELECT ${columns.join(", ")} FROM ${table} ORDER BY ${order}`);
}

function* dumpRows(): Query<CatalogDump> {
  return {
    materializations: yield* all<MaterializationRow>(`SELECT id, ${MATERIALIZATION_COLUMNS.join(", ")} FROM materializations ORDER BY id`),
    assets: yield* all(`SELECT asset_key, latest_id, materializations, partitions, first_at, last_at FROM assets ORDER BY asset_key`),
    asset_deps: yield* all(`SELECT asset_key, input_key FROM asset_deps ORDER BY asset_key, input_key`),
    lineage: yield* all(`SELECT version, input_key, input_version FROM lineage ORDER BY version, input_key, input_version`),
    runs: yield* all<RunRow>(`SELECT ${RUN_COLUMNS.join(", ")} FROM runs ORDER BY run_id`),
    op_runs: yield* all<OpRunRow>(`SELECT ${OP_RUN_COLUMNS.join(", ")} FROM op_runs ORDER BY run_id, node_id`),
    dynamic_partitions: yield* stateRows("dynamic_partitions"),
    check_results: yield* stateRows<CheckResultRow>("check_results"),
    daemon_ticks: yield* stateRows<TickRow>("daemon_ticks"),
    daemon_cursors: yield* stateRows<CursorRow>("daemon_cursors"),
  };
}

export const queries = {
  // ---- asset catalog: materializations, metadata, lineage, partitions ----

  /**
   * Inserts one version's record (materialization, asset summary, lineage) and returns its id. Idempotent:
   * a version already recorded returns its id, so a commit retried after a lost connection (whose first try
   * may have committed) never records a version twice.
   */
  insertMaterialization: def(true, function* (row: NewMaterializationRow) {
    yield* lockWrites();
    const existing = yield* get<{ id: number }>(`SELECT id FROM materializations WHERE version = ?`, row.version);
    if (existing) return Number(existing.id);
    const inserted = yield* get<{ id: number }>(
      `INSERT INTO materializations (${MATERIALIZATION_COLUMNS.join(", ")}) VALUES (${placeholders(MATERIALIZATION_COLUMNS.length)}) RETURNING id`,
      ...MATERIALIZATION_COLUMNS.map((c) => row[c]),
    );
    const id = Number(inserted!.id);
    const count = yield* get<{ n: number }>(`SELECT count(*) AS n FROM materializations WHERE asset_key = ? AND partition = ?`, row.asset_key, row.partition);
    const isNewPartition = Number(count!.n) === 1;
    yield* exec(
      `INSERT INTO assets (asset_key, latest_id, materializations, partitions, first_at, last_at) VALUES (?, ?, 1, 1, ?, ?)
       ON CONFLICT (asset_key) DO UPDATE SET latest_id = excluded.latest_id, materializations = assets.materializations + 1,
         partitions = assets.partitions + ?, last_at = excluded.last_at`,
      row.asset_key, id, row.created_at, row.created_at, isNewPartition ? 1 : 0,
    );
    for (const input of JSON.parse(row.inputs) as Array<{ key: string; version: string }>) {
      yield* exec(`INSERT INTO asset_deps (asset_key, input_key) VALUES (?, ?) ON CONFLICT DO NOTHING`, row.asset_key, input.key);
      yield* exec(`INSERT INTO lineage (version, input_key, input_version) VALUES (?, ?, ?)`, row.version, input.key, input.version);
    }
    yield* notify({ type: "materialization", id, key: row.asset_key, partition: row.partition, version: row.version, runId: row.run_id });
    return id;
  }),

  byId: def(false, function* (id: number) {
    return yield* get<MaterializationRow>(`SELECT * FROM materializations WHERE id = ?`, id);
  }),

  /** The newest materialization of a key (of one partition when given). */
  latest: def(false, function* (key: string, partition: string | undefined) {
    return partition === undefined
      ? yield* get<MaterializationRow>(`SELECT m.* FROM assets a JOIN materializations m ON m.id = a.latest_id WHERE a.asset_key = ?`, key)
      : yield* get<MaterializationRow>(`SELECT * FROM materializations WHERE asset_key = ? AND partition = ? ORDER BY id DESC LIMIT 1`, key, partition);
  }),

  version: def(false, function* (version: string) {
    return yield* get<MaterializationRow>(`SELECT * FROM materializations WHERE version = ?`, version);
  }),

  versions: def(false, function* () {
    return yield* all<MaterializationRow>(`SELECT * FROM materializations ORDER BY id`);
  }),

  history: def(false, function* (key: string, partition: string | undefined, limit: number | undefined) {
    const n = limit ?? NO_LIMIT;
    return partition === undefined
      ? yield* all<MaterializationRow>(`SELECT * FROM materializations WHERE asset_key = ? ORDER BY id DESC LIMIT ?`, key, n)
      : yield* all<MaterializationRow>(`SELECT * FROM materializations WHERE asset_key = ? AND partition = ? ORDER BY id DESC LIMIT ?`, key, partition, n);
  }),

  partitions: def(false, function* (key: string) {
    return (yield* all<{ partition: string }>(`SELECT DISTINCT partition FROM materializations WHERE asset_key = ? ORDER BY partition`, key)).map((r) => r.partition);
  }),

  list: def(false, function* () {
    return yield* all<MaterializationRow & { n: number; p: number }>(
      `SELECT a.materializations AS n, a.partitions AS p, m.* FROM assets a JOIN materializations m ON m.id = a.latest_id ORDER BY a.asset_key`,
    );
  }),

  /** Everything upstream and downstream of a key, with depths, and the edges among them (one snapshot). */
  lineage: def(false, function* (key: string, maxDepth: number) {
    const walk = function* (from: "asset_key" | "input_key", to: "asset_key" | "input_key") {
      const rows = yield* all<{ key: string; depth: number }>(
        `WITH RECURSIVE walk(key, depth) AS (
           SELECT ${to}, 1 FROM asset_deps WHERE ${from} = ?
           UNION
           SELECT d.${to}, w.depth + 1 FROM asset_deps d JOIN walk w ON d.${from} = w.key WHERE w.depth < ?
         ) SELECT key, min(depth) AS depth FROM walk GROUP BY key ORDER BY depth, key`,
        key, maxDepth,
      );
      return rows.map((r) => ({ key: r.key, depth: Number(r.depth) })).filter((n) => n.key !== key);
    };
    const upstream = yield* walk("asset_key", "input_key");
    const downstream = yield* walk("input_key", "asset_key");
    const nodes = [key, ...upstream.map((n) => n.key), ...downstream.map((n) => n.key)];
    const inGraph = new Set(nodes);
    const edges: Array<{ from: string; to: string }> = [];
    for (const node of nodes) {
      for (const { input_key } of yield* all<{ input_key: string }>(`SELECT input_key FROM asset_deps WHERE asset_key = ? ORDER BY input_key`, node)) {
        if (inGraph.has(input_key)) edges.push({ from: input_key, to: node });
      }
    }
    return { upstream, downstream, edges } satisfies LineageWalk;
  }),

  /** Versions computed from this exact version. */
  usedBy: def(false, function* (version: string) {
    return yield* all<MaterializationRow>(`SELECT m.* FROM lineage l JOIN materializations m ON m.version = l.version WHERE l.input_version = ? ORDER BY m.id`, version);
  }),

  /** What a run recorded, optionally of one format (the Runs view lists a run's executed notebooks). */
  runMaterializations: def(false, function* (runId: string, format: string | undefined) {
    return format === undefined
      ? yield* all<MaterializationRow>(`SELECT * FROM materializations WHERE run_id = ? ORDER BY id`, runId)
      : yield* all<MaterializationRow>(`SELECT * FROM materializations WHERE run_id = ? AND format = ? ORDER BY id`, runId, format);
  }),

  /** Deletes all but the newest `keepLast` versions of every (asset, partition); the deleted rows. */
  gc: def(true, function* (keepLast: number) {
    yield* lockWrites();
    const rows = yield* all<{ id: number; version: string; path: string; byte_size: number }>(
      `SELECT id, version, path, byte_size FROM (
         SELECT id, version, path, byte_size, row_number() OVER (PARTITION BY asset_key, partition ORDER BY id DESC) AS rn FROM materializations
       ) AS ranked WHERE rn > ? ORDER BY id`,
      keepLast,
    );
    for (const r of rows) {
      yield* exec(`DELETE FROM materializations WHERE id = ?`, r.id);
      yield* exec(`DELETE FROM lineage WHERE version = ?`, r.version);
    }
    yield* exec(`UPDATE assets SET materializations = (SELECT count(*) FROM materializations m WHERE m.asset_key = assets.asset_key)`);
    return rows.map((r) => ({ ...r, id: Number(r.id), byte_size: Number(r.byte_size) }));
  }),

  knownPaths: def(false, function* () {
    return (yield* all<{ path: string }>(`SELECT path FROM materializations`)).map((r) => r.path);
  }),

  // ---- run log: runs, op runs ----

  /** Records a run as running; "duplicate" when another run has this id (a retried start of the same run is not one). */
  startRun: def(true, function* (run: { runId: string; pipeline: string; args: string; startedAt: number; leaseMs: number }) {
    const existing = yield* get<{ started_at: number; pipeline: string }>(`SELECT started_at, pipeline FROM runs WHERE run_id = ?`, run.runId);
    if (existing) return Number(existing.started_at) === run.startedAt && existing.pipeline === run.pipeline ? "started" : "duplicate";
    yield* exec(
      `INSERT INTO runs (run_id, pipeline, status, started_at, args, heartbeat_at, lease_ms) VALUES (?, ?, 'running', ?, ?, ?, ?)`,
      run.runId, run.pipeline, run.startedAt, run.args, run.startedAt, run.leaseMs,
    );
    yield* notify({ type: "run", runId: run.runId, status: "running" });
    return "started";
  }),

  renewLease: def(true, function* (runId: string, at: number) {
    return yield* exec(`UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND status = 'running'`, at, runId);
  }, false),

  endRun: def(true, function* (runId: string, status: string, endedAt: number, error: string | null, summary: string | null) {
    const changes = yield* exec(`UPDATE runs SET status = ?, ended_at = ?, error = ?, summary = ? WHERE run_id = ?`, status, endedAt, error, summary, runId);
    yield* notify({ type: "run", runId, status });
    return changes;
  }),

  run: def(false, function* (runId: string) {
    return yield* get<RunRow>(`SELECT * FROM runs WHERE run_id = ?`, runId);
  }),

  runs: def(false, function* (limit: number) {
    return yield* all<RunRow>(`SELECT * FROM runs ORDER BY started_at DESC LIMIT ?`, limit);
  }),

  /** Upserts op-run records, all in one transaction. */
  recordOpRuns: def(true, function* (rows: OpRunRow[]) {
    for (const r of rows) {
      yield* exec(
        `INSERT INTO op_runs (${OP_RUN_COLUMNS.join(", ")}) VALUES (${placeholders(OP_RUN_COLUMNS.length)})
         ON CONFLICT (run_id, node_id) DO UPDATE SET ${OP_RUN_COLUMNS.slice(2).map((c) => `${c} = excluded.${c}`).join(", ")}`,
        ...OP_RUN_COLUMNS.map((c) => r[c]),
      );
    }
    return rows.length;
  }),

  opRuns: def(false, function* (runId: string) {
    return yield* all<OpRunRow>(`SELECT * FROM op_runs WHERE run_id = ? ORDER BY started_at, node_id`, runId);
  }),

  lastItems: def(false, function* (op: string, partition: string) {
    const r = yield* get<{ items: string }>(
      `SELECT items FROM op_runs WHERE op = ? AND partition = ? AND status = 'succeeded' AND items IS NOT NULL ORDER BY ended_at DESC LIMIT 1`, op, partition,
    );
    return r?.items;
  }),

  itemsFor: def(false, function* (op: string, dataVersion: string) {
    const r = yield* get<{ items: string }>(
      `SELECT items FROM op_runs WHERE op = ? AND data_version = ? AND status IN ('succeeded', 'skipped', 'reused') AND items IS NOT NULL
       ORDER BY ended_at DESC LIMIT 1`,
      op, dataVersion,
    );
    return r?.items;
  }),

  // ---- whole catalog (migrate) ----

  counts: def(false, countRows),

  dump: def(false, dumpRows),

  /**
   * Copies a whole catalog into this one, ids kept, in one transaction: into an empty catalog, or replacing
   * everything with `replace`. The copy is read back and compared row by row before it commits.
   */
  load: def(true, function* (dump: CatalogDump, replace: boolean) {
    yield* lockWrites();
    const before = yield* countRows();
    const held = Object.entries(before).filter(([, n]) => n > 0);
    if (held.length && !replace) return { loaded: false as const, held: Object.fromEntries(held) };
    for (const table of CATALOG_TABLES) yield* exec(`DELETE FROM ${table}`);
    const insert = function* (table: string, columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>) {
      for (const row of rows) yield* exec(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${placeholders(columns.length)})`, ...columns.map((c) => row[c] ?? null));
    };
    yield* insert("materializations", ["id", ...MATERIALIZATION_COLUMNS], dump.materializations as unknown as Array<Record<string, unknown>>);
    yield* insert("assets", ["asset_key", "latest_id", "materializations", "partitions", "first_at", "last_at"], dump.assets);
    yield* insert("asset_deps", ["asset_key", "input_key"], dump.asset_deps);
    yield* insert("lineage", ["version", "input_key", "input_version"], dump.lineage);
    yield* insert("runs", RUN_COLUMNS, dump.runs as unknown as Array<Record<string, unknown>>);
    yield* insert("op_runs", OP_RUN_COLUMNS, dump.op_runs as unknown as Array<Record<string, unknown>>);
    for (const [table, { columns }] of Object.entries(STATE_TABLES)) {
      yield* insert(table, columns, (dump[table as keyof typeof STATE_TABLES] ?? []) as unknown as Array<Record<string, unknown>>);
    }
    // PostgreSQL's identity does not move past ids given explicitly (SQLite's AUTOINCREMENT does).
    yield {
      sql: `SELECT setval(pg_get_serial_sequence('materializations', 'id'), GREATEST((SELECT max(id) FROM materializations), 1), (SELECT count(*) > 0 FROM materializations))`,
      params: [],
      mode: "get",
      only: "postgres",
    };
    const copy = yield* dumpRows();
    for (const table of Object.keys(dump) as Array<keyof CatalogDump>) {
      const differs = firstDifference(dump[table] as unknown[], copy[table] as unknown[]);
      if (differs !== undefined) throw new Error(`the copy differs from the source in table ${table} at row ${differs} (nothing was kept)`);
    }
    return { loaded: true as const, held: {} as Record<string, number> };
  }),

  // ---- pipeline state: dynamic partitions, check results, daemon ticks and cursors (statequeries.ts) ----
  ...stateQueries,
};

export type Queries = typeof queries;
export type QueryName = keyof Queries;
export type QueryArgs<K extends QueryName> = Parameters<Queries[K]["run"]>;
export type QueryResult<K extends QueryName> = ReturnType<Queries[K]["run"]> extends Query<infer R> ? R : never;

/** A catalog backend: runs one operation as one transaction and returns its result. */
export interface CatalogBackend {
  readonly kind: Backend;
  /** Where the catalog is, for messages: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  run<K extends QueryName>(name: K, ...args: QueryArgs<K>): QueryResult<K>;
  close(): void;
}

/** Index of the first row that differs between two tables' rows (compared as JSON, columns and rows in one order), or undefined. */
export function firstDifference(a: readonly unknown[], b: readonly unknown[]): number | undefined {
  // Sorted here, not by SQL: a server's collation may order text differently from SQLite.
  const canonical = (rows: readonly unknown[]) =>
    rows.map((row) => JSON.stringify(Object.entries(row as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))).sort();
  const [x, y] = [canonical(a), canonical(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return i;
  return undefined;
}

/** `?` placeholders as PostgreSQL's $1, $2... (the SQL here has no `?` inside literals). */
export function dollarParams(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
