// The asset store: Parquet data files under data/<key>/<version>.parquet and a SQLite catalog.
// Write path: temporary file → fsync → rename → fsync(dir) → ONE SQLite transaction. A crash at any
// point leaves the previous version readable and no half row; an orphan file is removed by gc.
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { openCatalog, type CatalogDb } from "./catalog.js";
import type { LazyFrame } from "../frame/index.js";
import { AssetDataCorruptError, AssetDataMissingError, AssetNotFoundError, InvalidAssetKeyError, UnsupportedAssetDataError } from "./errors.js";
import { checkOptionNames } from "../plan/errors.js";
import { normalizeAssetKey, type AssetKeyLike } from "./keys.js";
import { normalizeMetadata, jsonSafe, type MetadataEntry, type MetadataInput } from "./metadata.js";
import type { TableData } from "./parquet.js";

// The Parquet side (DuckDB, Arrow, lazy frames) loads on first use, so commands that only read the
// catalog (`sluice assets ls|show|history|lineage`) start in a fraction of the time.
const parquet = () => import("./parquet.js");
const frames = () => import("../frame/index.js");

export type AssetFormat = "parquet" | "ipynb";

export interface InputRef {
  key: string;
  partition?: string;
  version: string;
  dataVersion?: string;
}

export interface Materialization {
  id: number;
  key: string;
  partition: string | undefined;
  version: string;
  dataVersion: string | undefined;
  runId: string | undefined;
  op: string | undefined;
  params: Record<string, unknown> | undefined;
  codeVersion: string | undefined;
  inputs: InputRef[];
  /** Path of the data file relative to the store root. */
  path: string;
  format: AssetFormat;
  rowCount: number | undefined;
  byteSize: number;
  schema: Array<{ name: string; type: string }> | undefined;
  preview: Record<string, unknown>[] | undefined;
  metadata: Record<string, MetadataEntry>;
  createdAt: number;
}

export interface MaterializeOptions {
  partition?: string;
  runId?: string;
  op?: string;
  params?: Record<string, unknown>;
  codeVersion?: string;
  /** Hash of code, parameters and input data versions; defaults to the storage version. */
  dataVersion?: string;
  inputs?: InputRef[];
  metadata?: MetadataInput;
}

/** A data file written and renamed into place but not yet in the catalog. */
export interface PreparedFile {
  key: string;
  version: string;
  path: string;
  format: AssetFormat;
  byteSize: number;
}

export interface AssetSummary {
  key: string;
  materializations: number;
  partitions: number;
  latest: Materialization;
}

export interface LineageNode {
  key: string;
  depth: number;
}
export interface Lineage {
  key: string;
  upstream: LineageNode[];
  downstream: LineageNode[];
  /** Every edge reachable from the key, input → asset. */
  edges: Array<{ from: string; to: string }>;
  /** The exact input versions of the latest materialization. */
  inputs: InputRef[];
}

export interface GcResult {
  deletedVersions: number;
  deletedFiles: number;
  freedBytes: number;
}

export interface RunRecord {
  runId: string;
  pipeline: string;
  status: string;
  startedAt: number;
  endedAt: number | undefined;
  args: Record<string, unknown>;
  error: string | undefined;
  summary: unknown;
}

export interface OpRunRecord {
  runId: string;
  nodeId: string;
  op: string;
  partition: string;
  item: string | undefined;
  status: string;
  reason: string | undefined;
  attempts: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
  error: string | undefined;
  dataVersion: string | undefined;
  items: unknown[] | undefined;
}

interface MaterializationRow {
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

function parse<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

function fromRow(row: MaterializationRow): Materialization {
  return {
    id: row.id,
    key: row.asset_key,
    partition: row.partition === "" ? undefined : row.partition,
    version: row.version,
    dataVersion: row.data_version ?? undefined,
    runId: row.run_id ?? undefined,
    op: row.op ?? undefined,
    params: parse(row.params),
    codeVersion: row.code_version ?? undefined,
    inputs: JSON.parse(row.inputs) as InputRef[],
    path: row.path,
    format: row.format as AssetFormat,
    rowCount: row.row_count ?? undefined,
    byteSize: row.byte_size,
    schema: parse(row.schema),
    preview: parse(row.preview),
    metadata: JSON.parse(row.metadata) as Record<string, MetadataEntry>,
    createdAt: row.created_at,
  };
}

/** Sortable, unique across processes: time, then randomness. */
export function newVersionId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "").replace(".", "");
  return `${t}-${randomBytes(5).toString("hex")}`;
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the data file of a new version under `<root>/data/<key>/` (temp file, fsync, rename, fsync of the
 * folder) without touching the catalog: a notebook kernel writes its outputs this way and the runner commits them.
 */
export async function writeAssetFile(root: string, keyLike: AssetKeyLike, data: TableData | { ipynb: string | Uint8Array }): Promise<PreparedFile> {
  const key = normalizeAssetKey(keyLike);
  const storeRoot = resolve(root);
  const dataDir = join(storeRoot, "data");
  const dir = resolve(dataDir, ...key.split("/"));
  // Belt and braces over key validation: the folder must stay inside data/.
  if (!dir.startsWith(dataDir + sep)) throw new InvalidAssetKeyError(`asset key ${JSON.stringify(key)} escapes the store.`);
  mkdirSync(dir, { recursive: true });
  const version = newVersionId();
  const format: AssetFormat = typeof data === "object" && data !== null && "ipynb" in data ? "ipynb" : "parquet";
  const final = join(dir, `${version}.${format}`);
  const temp = join(dir, `.tmp-${version}.${format}`);
  try {
    if (format === "ipynb") writeFileSync(temp, (data as { ipynb: string | Uint8Array }).ipynb);
    else await (await parquet()).writeParquet(data as TableData, temp);
    fsyncPath(temp, "r+");
    renameSync(temp, final);
    fsyncPath(dir, "r");
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { key, version, path: relative(storeRoot, final).split(sep).join("/"), format, byteSize: statSync(final).size };
}

/** Old enough that no live writer can still be between rename and commit. */
const ORPHAN_AGE_MS = 10 * 60_000;

export class AssetStore {
  readonly root: string;
  readonly dataDir: string;
  readonly catalogPath: string;
  private readonly db: CatalogDb;

  constructor(root: string = process.env.SLUICE_STORE ?? "./.sluice") {
    this.root = resolve(root);
    this.dataDir = join(this.root, "data");
    this.catalogPath = join(this.root, "catalog.sqlite");
    mkdirSync(this.dataDir, { recursive: true });
    this.db = openCatalog(this.catalogPath);
  }

  static open(root?: string): AssetStore {
    return new AssetStore(root);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  absolutePath(m: Pick<Materialization, "path">): string {
    return join(this.root, m.path);
  }

  /** Writes the data file of a new version (temp file, fsync, rename). Not yet visible in the catalog. */
  async writeFile(keyLike: AssetKeyLike, data: TableData | { ipynb: string | Uint8Array }): Promise<PreparedFile> {
    return writeAssetFile(this.root, keyLike, data);
  }

  /** Records a written file in the catalog, in one transaction. */
  async commit(file: PreparedFile, options: MaterializeOptions = {}): Promise<Materialization> {
    const metadata = normalizeMetadata(options.metadata);
    const summary = file.format === "parquet" ? await (await parquet()).inspectParquet(join(this.root, file.path)) : undefined;
    const partition = options.partition ?? "";
    const inputs = (options.inputs ?? []).map((i) => ({ ...i, key: normalizeAssetKey(i.key) }));
    const now = Date.now();
    const insert = this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO materializations (asset_key, partition, version, data_version, run_id, op, params, code_version, inputs,
             path, format, row_count, byte_size, schema, preview, metadata, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          file.key,
          partition,
          file.version,
          options.dataVersion ?? file.version,
          options.runId ?? null,
          options.op ?? null,
          options.params === undefined ? null : JSON.stringify(options.params, jsonSafe),
          options.codeVersion ?? null,
          JSON.stringify(inputs),
          file.path,
          file.format,
          summary?.rowCount ?? null,
          file.byteSize,
          summary ? JSON.stringify(summary.schema) : null,
          summary ? JSON.stringify(summary.preview, jsonSafe) : null,
          JSON.stringify(metadata),
          now,
        );
      const id = Number(info.lastInsertRowid);
      const isNewPartition =
        (this.db.prepare(`SELECT count(*) AS n FROM materializations WHERE asset_key = ? AND partition = ?`).get(file.key, partition) as { n: number }).n === 1;
      this.db
        .prepare(
          `INSERT INTO assets (asset_key, latest_id, materializations, partitions, first_at, last_at) VALUES (?, ?, 1, 1, ?, ?)
           ON CONFLICT (asset_key) DO UPDATE SET latest_id = excluded.latest_id, materializations = materializations + 1,
             partitions = partitions + ?, last_at = excluded.last_at`,
        )
        .run(file.key, id, now, now, isNewPartition ? 1 : 0);
      const dep = this.db.prepare(`INSERT OR IGNORE INTO asset_deps (asset_key, input_key) VALUES (?, ?)`);
      const edge = this.db.prepare(`INSERT INTO lineage (version, input_key, input_version) VALUES (?, ?, ?)`);
      for (const input of inputs) {
        dep.run(file.key, input.key);
        edge.run(file.version, input.key, input.version);
      }
      return id;
    });
    const id = insert.immediate();
    return this.byId(id)!;
  }

  /** Writes data and records it: the one call most code needs. */
  async materialize(key: AssetKeyLike, data: TableData, options: MaterializeOptions = {}): Promise<Materialization> {
    checkOptionNames("materialize", options, {
      partition: true, runId: true, op: true, params: true, codeVersion: true, dataVersion: true, inputs: true, metadata: true,
    } satisfies Record<keyof MaterializeOptions, true>);
    normalizeMetadata(options.metadata); // fail on bad metadata before writing anything
    const file = await this.writeFile(key, data);
    try {
      return await this.commit(file, options);
    } catch (error) {
      rmSync(join(this.root, file.path), { force: true });
      throw error;
    }
  }

  private byId(id: number): Materialization | undefined {
    const row = this.db.prepare(`SELECT * FROM materializations WHERE id = ?`).get(id) as MaterializationRow | undefined;
    return row && fromRow(row);
  }

  /** The newest materialization of a key (of one partition when given; else of any partition). */
  latest(keyLike: AssetKeyLike, options: { partition?: string } = {}): Materialization | undefined {
    const key = normalizeAssetKey(keyLike);
    const row = (
      options.partition === undefined
        ? this.db.prepare(`SELECT m.* FROM assets a JOIN materializations m ON m.id = a.latest_id WHERE a.asset_key = ?`).get(key)
        : this.db.prepare(`SELECT * FROM materializations WHERE asset_key = ? AND partition = ? ORDER BY id DESC LIMIT 1`).get(key, options.partition)
    ) as MaterializationRow | undefined;
    return row && fromRow(row);
  }

  /** One exact version. */
  version(version: string): Materialization | undefined {
    const row = this.db.prepare(`SELECT * FROM materializations WHERE version = ?`).get(version) as MaterializationRow | undefined;
    return row && fromRow(row);
  }

  /** Materializations of a key, newest first. */
  history(keyLike: AssetKeyLike, options: { partition?: string; limit?: number } = {}): Materialization[] {
    const key = normalizeAssetKey(keyLike);
    const limit = options.limit ?? -1;
    const rows = (
      options.partition === undefined
        ? this.db.prepare(`SELECT * FROM materializations WHERE asset_key = ? ORDER BY id DESC LIMIT ?`).all(key, limit)
        : this.db.prepare(`SELECT * FROM materializations WHERE asset_key = ? AND partition = ? ORDER BY id DESC LIMIT ?`).all(key, options.partition, limit)
    ) as MaterializationRow[];
    return rows.map(fromRow);
  }

  /** Partition keys recorded for an asset. */
  partitions(keyLike: AssetKeyLike): string[] {
    const key = normalizeAssetKey(keyLike);
    return (this.db.prepare(`SELECT DISTINCT partition FROM materializations WHERE asset_key = ? ORDER BY partition`).all(key) as { partition: string }[])
      .map((r) => r.partition)
      .filter((p) => p !== "");
  }

  /** Every asset with its latest materialization. */
  list(): AssetSummary[] {
    const rows = this.db
      .prepare(`SELECT a.materializations AS n, a.partitions AS p, m.* FROM assets a JOIN materializations m ON m.id = a.latest_id ORDER BY a.asset_key`)
      .all() as Array<MaterializationRow & { n: number; p: number }>;
    return rows.map((r) => ({ key: r.asset_key, materializations: r.n, partitions: r.p, latest: fromRow(r) }));
  }

  /** The asset graph around a key: everything upstream and downstream of it, with depths. */
  lineage(keyLike: AssetKeyLike, options: { maxDepth?: number } = {}): Lineage {
    const key = normalizeAssetKey(keyLike);
    const maxDepth = options.maxDepth ?? 100;
    const walk = (from: "asset_key" | "input_key", to: "asset_key" | "input_key") =>
      (
        this.db
          .prepare(
            `WITH RECURSIVE walk(key, depth) AS (
               SELECT ${to}, 1 FROM asset_deps WHERE ${from} = ?
               UNION
               SELECT d.${to}, w.depth + 1 FROM asset_deps d JOIN walk w ON d.${from} = w.key WHERE w.depth < ?
             ) SELECT key, min(depth) AS depth FROM walk GROUP BY key ORDER BY depth, key`,
          )
          .all(key, maxDepth) as LineageNode[]
      ).filter((n) => n.key !== key);
    const upstream = walk("asset_key", "input_key");
    const downstream = walk("input_key", "asset_key");
    const nodes = [key, ...upstream.map((n) => n.key), ...downstream.map((n) => n.key)];
    const edges: Array<{ from: string; to: string }> = [];
    const select = this.db.prepare(`SELECT input_key FROM asset_deps WHERE asset_key = ?`);
    const inGraph = new Set(nodes);
    for (const node of nodes) {
      for (const { input_key } of select.all(node) as { input_key: string }[]) if (inGraph.has(input_key)) edges.push({ from: input_key, to: node });
    }
    return { key, upstream, downstream, edges, inputs: this.latest(key)?.inputs ?? [] };
  }

  /** Versions that were computed from this exact version (version-level downstream lineage). */
  usedBy(version: string): Materialization[] {
    const rows = this.db
      .prepare(`SELECT m.* FROM lineage l JOIN materializations m ON m.version = l.version WHERE l.input_version = ? ORDER BY m.id`)
      .all(version) as MaterializationRow[];
    return rows.map(fromRow);
  }

  /** Resolves a key (+ partition or exact version) and checks its data file; throws a typed error if it is gone or broken. */
  resolve(keyLike: AssetKeyLike, options: { partition?: string; version?: string } = {}): Materialization {
    const key = normalizeAssetKey(keyLike);
    const m = options.version !== undefined ? this.version(options.version) : this.latest(key, options);
    if (!m || m.key !== key) {
      const where = options.version ? ` version ${options.version}` : options.partition !== undefined ? ` partition ${options.partition}` : "";
      const known = this.list().map((a) => a.key);
      const near = known.filter((k) => k.includes(key.split("/").at(-1)!) || key.includes(k)).slice(0, 5);
      throw new AssetNotFoundError(
        `asset ${key}${where} has no materialization in ${this.root}` +
          (near.length ? `; did you mean ${near.join(", ")}?` : known.length ? `; known assets: ${known.slice(0, 10).join(", ")}` : "; the store is empty") +
          ". Run the pipeline that produces it first.",
      );
    }
    this.verify(m);
    return m;
  }

  /** Checks that a version's data file exists and looks whole (Parquet magic at both ends). */
  verify(m: Materialization): void {
    const path = this.absolutePath(m);
    if (!existsSync(path)) throw new AssetDataMissingError(m.key, m.version, path);
    const size = statSync(path).size;
    if (size !== m.byteSize) throw new AssetDataCorruptError(m.key, m.version, path, `size ${size} bytes, catalog says ${m.byteSize}`);
    if (m.format !== "parquet") return;
    const fd = openSync(path, "r");
    try {
      const head = Buffer.alloc(4);
      const tail = Buffer.alloc(4);
      readSync(fd, head, 0, 4, 0);
      readSync(fd, tail, 0, 4, Math.max(0, size - 4));
      if (head.toString("latin1") !== "PAR1" || tail.toString("latin1") !== "PAR1") {
        throw new AssetDataCorruptError(m.key, m.version, path, "no Parquet magic bytes");
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Absolute path of the checked data file of the latest (or given) version. */
  dataPath(key: AssetKeyLike, options: { partition?: string; version?: string } = {}): string {
    return this.absolutePath(this.resolve(key, options));
  }

  /** Rows of an asset (small assets, tests, the CLI). For large data use read(). */
  async readRows(key: AssetKeyLike, options: { partition?: string; version?: string; limit?: number } = {}): Promise<Record<string, unknown>[]> {
    const m = this.resolve(key, options);
    try {
      return await (await parquet()).readParquetRows(this.absolutePath(m), options.limit);
    } catch (error) {
      throw new AssetDataCorruptError(m.key, m.version, this.absolutePath(m), (error as Error).message);
    }
  }

  /** The data of an asset version as a lazy frame (nothing is read until it is collected). */
  async read(key: AssetKeyLike, options: { partition?: string; version?: string } = {}): Promise<LazyFrame> {
    const m = this.resolve(key, options);
    if (m.format !== "parquet") throw new UnsupportedAssetDataError(`asset ${m.key} version ${m.version} is a ${m.format} file, not a table; open ${this.absolutePath(m)}.`);
    return (await frames()).scan.parquet(this.absolutePath(m));
  }

  /** Keeps the newest `keepLast` versions of every (asset, partition); deletes older rows and files and orphan files. */
  gc(options: { keepLast?: number } = {}): GcResult {
    const keepLast = Math.max(1, options.keepLast ?? 5);
    const doomed = this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT id, version, path, byte_size FROM (
             SELECT id, version, path, byte_size, row_number() OVER (PARTITION BY asset_key, partition ORDER BY id DESC) AS rn FROM materializations
           ) WHERE rn > ?`,
        )
        .all(keepLast) as Array<{ id: number; version: string; path: string; byte_size: number }>;
      const del = this.db.prepare(`DELETE FROM materializations WHERE id = ?`);
      const delLineage = this.db.prepare(`DELETE FROM lineage WHERE version = ?`);
      for (const r of rows) (del.run(r.id), delLineage.run(r.version));
      this.db.exec(
        `UPDATE assets SET materializations = (SELECT count(*) FROM materializations m WHERE m.asset_key = assets.asset_key)`,
      );
      return rows;
    }).immediate();
    let deletedFiles = 0;
    let freedBytes = 0;
    for (const r of doomed) {
      const path = join(this.root, r.path);
      if (existsSync(path)) (rmSync(path, { force: true }), (deletedFiles += 1), (freedBytes += r.byte_size));
    }
    // Files no catalog row points to: leftovers of crashed writers (temp files, or renamed but never committed).
    const known = new Set((this.db.prepare(`SELECT path FROM materializations`).all() as { path: string }[]).map((r) => r.path));
    const now = Date.now();
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else {
          const rel = relative(this.root, path).split(sep).join("/");
          const stat = statSync(path);
          if (!known.has(rel) && now - stat.mtimeMs > ORPHAN_AGE_MS) (rmSync(path, { force: true }), (deletedFiles += 1), (freedBytes += stat.size));
        }
      }
    };
    visit(this.dataDir);
    return { deletedVersions: doomed.length, deletedFiles, freedBytes };
  }

  // ---- runs ----

  startRun(run: { runId: string; pipeline: string; args?: Record<string, unknown> }): void {
    this.db
      .prepare(`INSERT INTO runs (run_id, pipeline, status, started_at, args) VALUES (?, ?, 'running', ?, ?)`)
      .run(run.runId, run.pipeline, Date.now(), JSON.stringify(run.args ?? {}, jsonSafe));
  }

  endRun(runId: string, status: string, options: { error?: string; summary?: unknown } = {}): void {
    this.db
      .prepare(`UPDATE runs SET status = ?, ended_at = ?, error = ?, summary = ? WHERE run_id = ?`)
      .run(status, Date.now(), options.error ?? null, options.summary === undefined ? null : JSON.stringify(options.summary, jsonSafe), runId);
  }

  run(runId: string): RunRecord | undefined {
    const r = this.db.prepare(`SELECT * FROM runs WHERE run_id = ?`).get(runId) as Record<string, string | number | null> | undefined;
    if (!r) return undefined;
    return {
      runId: String(r.run_id),
      pipeline: String(r.pipeline),
      status: String(r.status),
      startedAt: Number(r.started_at),
      endedAt: r.ended_at === null ? undefined : Number(r.ended_at),
      args: JSON.parse(String(r.args)) as Record<string, unknown>,
      error: r.error === null ? undefined : String(r.error),
      summary: r.summary === null ? undefined : JSON.parse(String(r.summary)),
    };
  }

  runs(options: { limit?: number } = {}): RunRecord[] {
    const ids = this.db.prepare(`SELECT run_id FROM runs ORDER BY started_at DESC LIMIT ?`).all(options.limit ?? 50) as { run_id: string }[];
    return ids.map((r) => this.run(r.run_id)!);
  }

  recordOpRun(r: OpRunRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO op_runs (run_id, node_id, op, partition, item, status, reason, attempts, started_at, ended_at, error, data_version, items)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.runId,
        r.nodeId,
        r.op,
        r.partition,
        r.item ?? null,
        r.status,
        r.reason ?? null,
        r.attempts,
        r.startedAt ?? null,
        r.endedAt ?? null,
        r.error ?? null,
        r.dataVersion ?? null,
        r.items === undefined ? null : JSON.stringify(r.items, jsonSafe),
      );
  }

  /** Several op-run records in one transaction (one fsync instead of one per op). */
  recordOpRuns(records: readonly OpRunRecord[]): void {
    if (records.length) this.db.transaction(() => records.forEach((r) => this.recordOpRun(r))).immediate();
  }

  opRuns(runId: string): OpRunRecord[] {
    const rows = this.db.prepare(`SELECT * FROM op_runs WHERE run_id = ? ORDER BY started_at, node_id`).all(runId) as Array<Record<string, string | number | null>>;
    return rows.map((r) => ({
      runId: String(r.run_id),
      nodeId: String(r.node_id),
      op: String(r.op),
      partition: String(r.partition),
      item: r.item === null ? undefined : String(r.item),
      status: String(r.status),
      reason: r.reason === null ? undefined : String(r.reason),
      attempts: Number(r.attempts),
      startedAt: r.started_at === null ? undefined : Number(r.started_at),
      endedAt: r.ended_at === null ? undefined : Number(r.ended_at),
      error: r.error === null ? undefined : String(r.error),
      dataVersion: r.data_version === null ? undefined : String(r.data_version),
      items: r.items === null ? undefined : (JSON.parse(String(r.items)) as unknown[]),
    }));
  }

  /** The dynamic items a mapping op produced most recently (for partial re-runs). */
  lastItems(op: string, partition: string): unknown[] | undefined {
    const r = this.db
      .prepare(`SELECT items FROM op_runs WHERE op = ? AND partition = ? AND status = 'succeeded' AND items IS NOT NULL ORDER BY ended_at DESC LIMIT 1`)
      .get(op, partition) as { items: string } | undefined;
    return r && (JSON.parse(r.items) as unknown[]);
  }

  /** The items a dynamic op produced for this data version (so an up-to-date fan-out can be skipped). */
  itemsFor(op: string, dataVersion: string): unknown[] | undefined {
    const r = this.db
      .prepare(
        `SELECT items FROM op_runs WHERE op = ? AND data_version = ? AND status IN ('succeeded', 'skipped', 'reused') AND items IS NOT NULL
         ORDER BY ended_at DESC LIMIT 1`,
      )
      .get(op, dataVersion) as { items: string } | undefined;
    return r && (JSON.parse(r.items) as unknown[]);
  }

  /** Direct catalog access for bulk tools (the benchmark inserts history with it). */
  get database(): CatalogDb {
    return this.db;
  }
}

