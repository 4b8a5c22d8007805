// The asset store: Parquet data files under data/<key>/<version>.parquet and a SQLite catalog.
// Write path: temporary file → fsync → rename → sidecar (the version's record as JSON) → fsync(dir) →
// ONE SQLite transaction. A crash at any point leaves the previous version readable and no half row.
// The sidecars make the catalog rebuildable from data/ alone (repair.ts); a store whose catalog is
// gone while data files exist is refused rather than given a fresh, empty catalog.
import { randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { emptyCatalog, isCorruptionError, openCatalog, openCatalogReadOnly, type CatalogDb } from "./catalog.js";
import { countDataFiles, sidecarPath, walkDataFiles, writeFileAtomic } from "./files.js";
import type { LazyFrame } from "../frame/index.js";
import {
  AssetDataCorruptError,
  AssetDataMissingError,
  AssetNotFoundError,
  CatalogCorruptError,
  CatalogMissingError,
  InvalidAssetKeyError,
  InvalidStoreArgumentError,
  StoreError,
  StoreLocationError,
  StoreReadOnlyError,
  UnsupportedAssetDataError,
} from "./errors.js";
import { checkOptionNames } from "../plan/errors.js";
import { normalizeAssetKey, type AssetKeyLike } from "./keys.js";
import { normalizeMetadata, jsonSafe, type MetadataEntry, type MetadataInput } from "./metadata.js";
import type { TableData } from "./parquet.js";
import { writingTo } from "../progress/bus.js";

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
  /** Data files no catalog row accounts for that were left in place (pass includeOrphans to delete them). */
  keptOrphans: number;
}

export interface GcOptions {
  /** Versions to keep per asset and partition (a whole number ≥ 1; default 5). */
  keepLast?: number;
  /** Also delete data files the catalog does not account for (older than 10 minutes). Default: keep them. */
  includeOrphans?: boolean;
}

export interface StoreOpenOptions {
  /** Open without writing anything (no WAL switch, no schema setup); writes are refused with StoreReadOnlyError. */
  readOnly?: boolean;
}

export interface RunRecord {
  runId: string;
  pipeline: string;
  /** "running", "succeeded", "failed" or "cancelled"; a running run whose lease expired reads as "failed" (abandoned). */
  status: string;
  startedAt: number;
  endedAt: number | undefined;
  args: Record<string, unknown>;
  error: string | undefined;
  summary: unknown;
  /** The runner stopped renewing its lease (killed, or its machine lost) before it recorded an end. */
  abandoned: boolean;
  /** Last lease renewal of the runner. */
  heartbeatAt: number | undefined;
}

/** The on-disk record next to each data file (its `.meta.json` sidecar): the catalog row without its id. */
export interface SidecarRecord extends Omit<Materialization, "id"> {
  sluiceSidecar: 1;
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
    // The write job is titled with the final file, not the temporary name.
    else await writingTo(final, async () => (await parquet()).writeParquet(data as TableData, temp));
    fsyncPath(temp, "r+");
    renameSync(temp, final);
    fsyncPath(dir, "r");
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return { key, version, path: relative(storeRoot, final).split(sep).join("/"), format, byteSize: statSync(final).size };
}

/** Inserts one version's record (materialization, asset summary, lineage) in one transaction; its id. */
export function insertMaterialization(db: CatalogDb, record: Omit<Materialization, "id">): number {
  const partition = record.partition ?? "";
  const now = record.createdAt;
  const insert = db.transaction(() => {
    const info = db
      .prepare(
        `INSERT INTO materializations (asset_key, partition, version, data_version, run_id, op, params, code_version, inputs,
           path, format, row_count, byte_size, schema, preview, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.key,
        partition,
        record.version,
        record.dataVersion ?? record.version,
        record.runId ?? null,
        record.op ?? null,
        record.params === undefined ? null : JSON.stringify(record.params, jsonSafe),
        record.codeVersion ?? null,
        JSON.stringify(record.inputs),
        record.path,
        record.format,
        record.rowCount ?? null,
        record.byteSize,
        record.schema ? JSON.stringify(record.schema) : null,
        record.preview ? JSON.stringify(record.preview, jsonSafe) : null,
        JSON.stringify(record.metadata),
        now,
      );
    const id = Number(info.lastInsertRowid);
    const isNewPartition =
      (db.prepare(`SELECT count(*) AS n FROM materializations WHERE asset_key = ? AND partition = ?`).get(record.key, partition) as { n: number }).n === 1;
    db
      .prepare(
        `INSERT INTO assets (asset_key, latest_id, materializations, partitions, first_at, last_at) VALUES (?, ?, 1, 1, ?, ?)
         ON CONFLICT (asset_key) DO UPDATE SET latest_id = excluded.latest_id, materializations = materializations + 1,
           partitions = partitions + ?, last_at = excluded.last_at`,
      )
      .run(record.key, id, now, now, isNewPartition ? 1 : 0);
    const dep = db.prepare(`INSERT OR IGNORE INTO asset_deps (asset_key, input_key) VALUES (?, ?)`);
    const edge = db.prepare(`INSERT INTO lineage (version, input_key, input_version) VALUES (?, ?, ?)`);
    for (const input of record.inputs) {
      dep.run(record.key, input.key);
      edge.run(record.version, input.key, input.version);
    }
    return id;
  });
  return insert.immediate();
}

/** The store folder a root argument means: the given one, else SLUICE_STORE, else ./.sluice (absolute). */
export function storeRoot(root?: string): string {
  return resolve(root ?? process.env.SLUICE_STORE ?? "./.sluice");
}

/** Old enough that no live writer can still be between rename and commit. */
const ORPHAN_AGE_MS = 10 * 60_000;

/** Default lease of a running run; SLUICE_RUN_LEASE_MS overrides it (tests use a short one). */
export const DEFAULT_RUN_LEASE_MS = 30_000;

/** The run lease in milliseconds: SLUICE_RUN_LEASE_MS when set, else 30 s. The runner renews it every lease/6. */
export function runLeaseMs(env: string | undefined = process.env.SLUICE_RUN_LEASE_MS): number {
  if (env === undefined || env === "") return DEFAULT_RUN_LEASE_MS;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 300) {
    throw new InvalidStoreArgumentError(`SLUICE_RUN_LEASE_MS=${JSON.stringify(env)} is not a lease: give a whole number of milliseconds ≥ 300 (default ${DEFAULT_RUN_LEASE_MS}), or unset it.`);
  }
  return n;
}

/** Whether the catalog file is there and has content (a 0-byte file with a non-empty -wal still counts as present). */
function catalogState(path: string): "missing" | "empty" | "present" {
  if (!existsSync(path)) return "missing";
  if (statSync(path).size > 0) return "present";
  const wal = `${path}-wal`;
  return existsSync(wal) && statSync(wal).size > 0 ? "present" : "empty";
}

function canWrite(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A whole number ≥ min, or a typed error naming the option. */
function checkCount(what: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidStoreArgumentError(`${what} must be a whole number ≥ ${min}, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}.`);
  }
  return value;
}

export class AssetStore {
  readonly root: string;
  readonly dataDir: string;
  readonly catalogPath: string;
  /** Why writes are refused (opened read-only, or the folder is not writable); undefined for a writable store. */
  readonly readOnly: string | undefined;
  private readonly db: CatalogDb;
  private readonly cleanup: (() => void) | undefined;
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();

  constructor(root?: string, options: StoreOpenOptions = {}) {
    checkOptionNames("AssetStore", options, { readOnly: true } satisfies Record<keyof StoreOpenOptions, true>, InvalidStoreArgumentError);
    this.root = storeRoot(root);
    this.dataDir = join(this.root, "data");
    this.catalogPath = join(this.root, "catalog.sqlite");
    for (const [path, what] of [[this.root, "the store"], [this.dataDir, "its data/ folder"], [dirname(this.root), "the folder it is in"]] as const) {
      if (existsSync(path) && !statSync(path).isDirectory()) {
        throw new StoreLocationError(this.root, `${what} (${path}) is a file, not a folder`);
      }
    }
    if (existsSync(this.catalogPath) && !statSync(this.catalogPath).isFile()) {
      throw new StoreLocationError(this.root, `its catalog ${this.catalogPath} is not a file`);
    }
    const state = catalogState(this.catalogPath);
    if (state !== "present") {
      const files = countDataFiles(this.root, 1_000);
      if (files > 0) throw new CatalogMissingError(this.root, this.catalogPath, state, files);
    }
    this.readOnly = options.readOnly
      ? "opened read-only"
      : existsSync(this.root) && !canWrite(this.root)
        ? "its folder is not writable"
        : state === "present" && !canWrite(this.catalogPath)
          ? "its catalog file is not writable"
          : undefined;
    try {
      if (this.readOnly) {
        if (state === "present") ({ db: this.db, cleanup: this.cleanup } = openCatalogReadOnly(this.catalogPath));
        else this.db = emptyCatalog(); // nothing stored yet: an empty view, and nothing created on disk
      } else {
        try {
          mkdirSync(this.dataDir, { recursive: true });
        } catch (error) {
          throw new StoreLocationError(this.root, `cannot create ${this.dataDir} (${(error as Error).message})`);
        }
        this.db = openCatalog(this.catalogPath);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === "SQLITE_CANTOPEN") {
        throw new StoreLocationError(this.root, `cannot open its catalog ${this.catalogPath} (${(error as Error).message})`);
      }
      throw this.explain(error);
    }
  }

  static open(root?: string, options?: StoreOpenOptions): AssetStore {
    return new AssetStore(root, options);
  }

  close(): void {
    for (const timer of this.heartbeats.values()) clearInterval(timer);
    this.heartbeats.clear();
    if (this.db.open) this.db.close();
    this.cleanup?.();
  }

  /** A typed StoreError for SQLite's corruption errors (the catalog is damaged); other errors unchanged. */
  explain(error: unknown): unknown {
    if (error instanceof StoreError || !isCorruptionError(error)) return error;
    return new CatalogCorruptError(this.root, this.catalogPath, (error as Error).message);
  }

  private writable(action: string): void {
    if (this.readOnly) throw new StoreReadOnlyError(this.root, action, this.readOnly);
  }

  absolutePath(m: Pick<Materialization, "path">): string {
    return join(this.root, m.path);
  }

  /** Writes the data file of a new version (temp file, fsync, rename). Not yet visible in the catalog. */
  async writeFile(keyLike: AssetKeyLike, data: TableData | { ipynb: string | Uint8Array }): Promise<PreparedFile> {
    this.writable(`write asset ${typeof keyLike === "string" ? keyLike : keyLike.join("/")}`);
    return writeAssetFile(this.root, keyLike, data);
  }

  /** Records a written file in the catalog, in one transaction. */
  async commit(file: PreparedFile, options: MaterializeOptions = {}): Promise<Materialization> {
    this.writable(`record asset ${file.key}`);
    const metadata = normalizeMetadata(options.metadata);
    const summary = file.format === "parquet" ? await (await parquet()).inspectParquet(join(this.root, file.path)) : undefined;
    const inputs = (options.inputs ?? []).map((i) => ({ ...i, key: normalizeAssetKey(i.key) }));
    const record: SidecarRecord = {
      sluiceSidecar: 1,
      key: file.key,
      partition: options.partition === undefined || options.partition === "" ? undefined : options.partition,
      version: file.version,
      dataVersion: options.dataVersion ?? file.version,
      runId: options.runId,
      op: options.op,
      params: options.params === undefined ? undefined : (JSON.parse(JSON.stringify(options.params, jsonSafe)) as Record<string, unknown>),
      codeVersion: options.codeVersion,
      inputs,
      path: file.path,
      format: file.format,
      rowCount: summary?.rowCount,
      byteSize: file.byteSize,
      schema: summary?.schema,
      preview: summary ? (JSON.parse(JSON.stringify(summary.preview, jsonSafe)) as Record<string, unknown>[]) : undefined,
      metadata,
      createdAt: Date.now(),
    };
    // The sidecar first: a catalog row never points at a version the files could not rebuild.
    const sidecar = this.writeSidecar(record);
    let id: number;
    try {
      id = insertMaterialization(this.db, record);
    } catch (error) {
      rmSync(sidecar, { force: true });
      throw this.explain(error);
    }
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

  private writeSidecar(m: Omit<Materialization, "id">): string {
    const { id: _id, ...fields } = m as Materialization;
    const record: SidecarRecord = { sluiceSidecar: 1, ...fields };
    const path = join(this.root, sidecarPath(m.path));
    writeFileAtomic(path, JSON.stringify(record, jsonSafe));
    fsyncPath(dirname(path), "r");
    return path;
  }

  /** Writes the sidecar of every version that has none (stores from before sidecars); how many were written. */
  writeMissingSidecars(): number {
    this.writable("write sidecars");
    let written = 0;
    for (const m of this.versions()) {
      if (existsSync(this.absolutePath(m)) && !existsSync(join(this.root, sidecarPath(m.path)))) (this.writeSidecar(m), (written += 1));
    }
    return written;
  }

  /** Every recorded version, oldest first (verify and rebuild walk them). */
  versions(): Materialization[] {
    return (this.db.prepare(`SELECT * FROM materializations ORDER BY id`).all() as MaterializationRow[]).map(fromRow);
  }

  /** One exact version. */
  version(version: string): Materialization | undefined {
    const row = this.db.prepare(`SELECT * FROM materializations WHERE version = ?`).get(version) as MaterializationRow | undefined;
    return row && fromRow(row);
  }

  /** Materializations of a key, newest first. */
  history(keyLike: AssetKeyLike, options: { partition?: string; limit?: number } = {}): Materialization[] {
    const key = normalizeAssetKey(keyLike);
    const limit = options.limit === undefined ? -1 : checkCount("history limit", options.limit, 0);
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

  /**
   * Keeps the newest `keepLast` versions of every (asset, partition) and deletes older rows, their data files and
   * sidecars, and temporary files of crashed writers. Data files the catalog does not account for are deleted
   * only with `includeOrphans` (they may be the only copy of data whose catalog rows were lost: rebuild first).
   */
  gc(options: GcOptions = {}): GcResult {
    checkOptionNames("gc", options, { keepLast: true, includeOrphans: true } satisfies Record<keyof GcOptions, true>, InvalidStoreArgumentError);
    const keepLast = options.keepLast === undefined ? 5 : checkCount("gc keepLast (--keep-last)", options.keepLast, 1);
    this.writable("delete old versions (gc)");
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
    const remove = (path: string) => {
      if (!existsSync(path)) return;
      const size = statSync(path).size;
      rmSync(path, { force: true });
      deletedFiles += 1;
      freedBytes += size;
    };
    for (const r of doomed) (remove(join(this.root, r.path)), remove(join(this.root, sidecarPath(r.path))));
    // Files no catalog row points to. Temporary files are leftovers of crashed writers; a renamed data file
    // may be a version whose catalog row was lost, so it goes only when asked (and never a live writer's).
    const known = new Set((this.db.prepare(`SELECT path FROM materializations`).all() as { path: string }[]).map((r) => r.path));
    const knownSidecars = new Set([...known].map(sidecarPath));
    const now = Date.now();
    let keptOrphans = 0;
    walkDataFiles(this.root, (f) => {
      if (f.kind === "data" ? known.has(f.path) : f.kind === "sidecar" ? knownSidecars.has(f.path) : false) return;
      if (now - statSync(f.absolute).mtimeMs <= ORPHAN_AGE_MS) return;
      if (f.kind === "temp" || options.includeOrphans) remove(f.absolute);
      else if (f.kind === "data") keptOrphans += 1;
    });
    return { deletedVersions: doomed.length, deletedFiles, freedBytes, keptOrphans };
  }

  // ---- runs ----

  /**
   * Records a run as running and holds its lease (SLUICE_RUN_LEASE_MS, default 30 s) until endRun or close:
   * an unref'd timer renews the heartbeat every lease/6. A run whose runner died reads as failed (abandoned).
   */
  startRun(run: { runId: string; pipeline: string; args?: Record<string, unknown>; leaseMs?: number }): void {
    this.writable(`record pipeline run ${run.runId}`);
    const leaseMs = run.leaseMs === undefined ? runLeaseMs() : checkCount("run lease", run.leaseMs, 300);
    const now = Date.now();
    this.db
      .prepare(`INSERT INTO runs (run_id, pipeline, status, started_at, args, heartbeat_at, lease_ms) VALUES (?, ?, 'running', ?, ?, ?, ?)`)
      .run(run.runId, run.pipeline, now, JSON.stringify(run.args ?? {}, jsonSafe), now, leaseMs);
    const renew = this.db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND status = 'running'`);
    const timer = setInterval(() => {
      try {
        renew.run(Date.now(), run.runId);
      } catch {
        // Busy or closed catalog: the next beat tries again; the lease covers several missed beats.
      }
    }, Math.max(50, Math.floor(leaseMs / 6)));
    timer.unref();
    this.heartbeats.set(run.runId, timer);
  }

  endRun(runId: string, status: string, options: { error?: string; summary?: unknown } = {}): void {
    this.writable(`record the end of pipeline run ${runId}`);
    clearInterval(this.heartbeats.get(runId));
    this.heartbeats.delete(runId);
    this.db
      .prepare(`UPDATE runs SET status = ?, ended_at = ?, error = ?, summary = ? WHERE run_id = ?`)
      .run(status, Date.now(), options.error ?? null, options.summary === undefined ? null : JSON.stringify(options.summary, jsonSafe), runId);
  }

  run(runId: string): RunRecord | undefined {
    const r = this.db.prepare(`SELECT * FROM runs WHERE run_id = ?`).get(runId) as Record<string, string | number | null | undefined> | undefined;
    if (!r) return undefined;
    // Catalogs from before leases have no heartbeat column: their start time stands in for it.
    const heartbeatAt = r.heartbeat_at === null || r.heartbeat_at === undefined ? undefined : Number(r.heartbeat_at);
    const leaseMs = r.lease_ms === null || r.lease_ms === undefined ? DEFAULT_RUN_LEASE_MS : Number(r.lease_ms);
    const lastSign = heartbeatAt ?? Number(r.started_at);
    // Derived when read (so read-only stores agree): the runner stopped renewing its lease without an end.
    const abandoned = r.status === "running" && Date.now() > lastSign + leaseMs;
    return {
      runId: String(r.run_id),
      pipeline: String(r.pipeline),
      status: abandoned ? "failed" : String(r.status),
      startedAt: Number(r.started_at),
      endedAt: abandoned ? lastSign : r.ended_at === null || r.ended_at === undefined ? undefined : Number(r.ended_at),
      args: JSON.parse(String(r.args)) as Record<string, unknown>,
      error: abandoned
        ? `abandoned: the runner stopped renewing its lease at ${new Date(lastSign).toISOString()} (killed, or its machine stopped); ` +
          `resume with \`sluice pipeline run FILE --from-failure ${String(r.run_id)}\``
        : r.error === null || r.error === undefined ? undefined : String(r.error),
      summary: r.summary === null || r.summary === undefined ? undefined : JSON.parse(String(r.summary)),
      abandoned,
      heartbeatAt,
    };
  }

  runs(options: { limit?: number } = {}): RunRecord[] {
    const limit = options.limit === undefined ? 50 : checkCount("runs limit", options.limit, 0);
    const ids = this.db.prepare(`SELECT run_id FROM runs ORDER BY started_at DESC LIMIT ?`).all(limit) as { run_id: string }[];
    return ids.map((r) => this.run(r.run_id)!);
  }

  recordOpRun(r: OpRunRecord): void {
    this.writable(`record op ${r.op} of run ${r.runId}`);
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

