// The asset store: Parquet data files under data/<key>/<version>.parquet and a SQLite catalog.
// Write path: temporary file → fsync → rename → sidecar (the version's record as JSON) → fsync(dir) →
// ONE SQLite transaction. A crash at any point leaves the previous version readable and no half row.
// The sidecars make the catalog rebuildable from data/ alone (repair.ts); a store whose catalog is
// gone while data files exist is refused rather than given a fresh, empty catalog.
import { randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { emptyCatalog, isCorruptionError, openCatalog, openCatalogReadOnly, SqliteCatalog, type CatalogDb } from "./catalog.js";
import { openPostgresCatalog, parseCatalogUrl, type CatalogEvent } from "./postgres/catalog.js";
import type { CatalogBackend, CatalogDump, MaterializationRow, NewMaterializationRow, OpRunRow, QueryArgs, QueryResult, RunRow } from "./queries.js";
import type { StateQueryName } from "./statequeries.js";
import { countDataFiles, sidecarPath, walkDataFiles, writeFileAtomic } from "./files.js";
import type { LazyFrame } from "../frame/index.js";
import {
  AssetDataCorruptError,
  AssetDataMissingError,
  AssetNotFoundError,
  CatalogCorruptError,
  CatalogMissingError,
  CatalogUnavailableError,
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
import type { ParquetSummary, TableData } from "./parquet.js";
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
  /** A Parquet file's row count, schema and first rows, when the writer read them already (a step on another
   *  node does, so that the runner, which commits every step's files, does not read each file again). */
  summary?: ParquetSummary;
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
  /**
   * The catalog: a postgres://user@host:port/db URL for a PostgreSQL catalog shared by several runners and machines,
   * or "sqlite" for the file in the store folder. Default: SLUICE_CATALOG, else SQLite.
   */
  catalog?: string;
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

/** A version's record as a catalog row (JSON columns as text). */
function toRow(record: Omit<Materialization, "id">): NewMaterializationRow {
  return {
    asset_key: record.key,
    partition: record.partition ?? "",
    version: record.version,
    data_version: record.dataVersion ?? record.version,
    run_id: record.runId ?? null,
    op: record.op ?? null,
    params: record.params === undefined ? null : JSON.stringify(record.params, jsonSafe),
    code_version: record.codeVersion ?? null,
    inputs: JSON.stringify(record.inputs),
    path: record.path,
    format: record.format,
    row_count: record.rowCount ?? null,
    byte_size: record.byteSize,
    schema: record.schema ? JSON.stringify(record.schema) : null,
    preview: record.preview ? JSON.stringify(record.preview, jsonSafe) : null,
    metadata: JSON.stringify(record.metadata),
    created_at: record.createdAt,
  };
}

/** Inserts one version's record (materialization, asset summary, lineage) in one transaction; its id. */
export function insertMaterialization(catalog: CatalogBackend, record: Omit<Materialization, "id">): number {
  return catalog.run("insertMaterialization", toRow(record));
}

/** A summary a step reported from its own process: used only when well formed (else the file is read here). */
function validSummary(x: ParquetSummary | undefined): x is ParquetSummary {
  return (
    x !== undefined && Number.isSafeInteger(x.rowCount) && x.rowCount >= 0 &&
    Array.isArray(x.schema) && x.schema.every((c) => typeof c?.name === "string" && typeof c.type === "string") &&
    Array.isArray(x.preview) && x.preview.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))
  );
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
  /** Where the catalog is: the SQLite file in the store, or the PostgreSQL URL (without its password). */
  readonly catalogPath: string;
  /** Which catalog backend: "sqlite" (the default, in the store folder) or "postgres" (SLUICE_CATALOG / --catalog). */
  readonly backend: "sqlite" | "postgres";
  /** Why writes are refused (opened read-only, or the folder is not writable); undefined for a writable store. */
  readonly readOnly: string | undefined;
  private readonly catalog: CatalogBackend;
  private readonly db: CatalogDb | undefined;
  private readonly catalogUrl: string | undefined;
  private readonly cleanup: (() => void) | undefined;
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();

  constructor(root?: string, options: StoreOpenOptions = {}) {
    checkOptionNames("AssetStore", options, { readOnly: true, catalog: true } satisfies Record<keyof StoreOpenOptions, true>, InvalidStoreArgumentError);
    this.root = storeRoot(root);
    this.dataDir = join(this.root, "data");
    for (const [path, what] of [[this.root, "the store"], [this.dataDir, "its data/ folder"], [dirname(this.root), "the folder it is in"]] as const) {
      if (existsSync(path) && !statSync(path).isDirectory()) {
        throw new StoreLocationError(this.root, `${what} (${path}) is a file, not a folder`);
      }
    }
    const postgres = parseCatalogUrl(options.catalog ?? process.env.SLUICE_CATALOG);
    if (postgres) {
      // The catalog is in PostgreSQL; the data files stay under the store folder (mounted at the same path on every machine).
      this.backend = "postgres";
      this.catalogUrl = postgres.url;
      this.catalogPath = postgres.display;
      this.readOnly = options.readOnly ? "opened read-only" : existsSync(this.root) && !canWrite(this.root) ? "its folder is not writable" : undefined;
      if (!this.readOnly) this.makeDataDir();
      this.catalog = openPostgresCatalog(postgres, this.root, { readOnly: this.readOnly !== undefined, dataFiles: () => countDataFiles(this.root, 1_000) });
      return;
    }
    this.backend = "sqlite";
    this.catalogPath = join(this.root, "catalog.sqlite");
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
        this.makeDataDir();
        this.db = openCatalog(this.catalogPath);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === "SQLITE_CANTOPEN") {
        throw new StoreLocationError(this.root, `cannot open its catalog ${this.catalogPath} (${(error as Error).message})`);
      }
      throw this.explain(error);
    }
    this.catalog = new SqliteCatalog(this.db, this.catalogPath);
  }

  private makeDataDir(): void {
    try {
      mkdirSync(this.dataDir, { recursive: true });
    } catch (error) {
      throw new StoreLocationError(this.root, `cannot create ${this.dataDir} (${(error as Error).message})`);
    }
  }

  static open(root?: string, options?: StoreOpenOptions): AssetStore {
    return new AssetStore(root, options);
  }

  close(): void {
    for (const timer of this.heartbeats.values()) clearInterval(timer);
    this.heartbeats.clear();
    this.catalog.close();
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
    const summary = file.format !== "parquet" ? undefined : validSummary(file.summary) ? file.summary : await (await parquet()).inspectParquet(join(this.root, file.path));
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
      id = insertMaterialization(this.catalog, record);
    } catch (error) {
      // A commit whose answer was lost may be recorded: its files must stay (an orphan at worst, which gc and rebuild handle).
      if (!(error instanceof CatalogUnavailableError && error.outcomeUnknown)) rmSync(sidecar, { force: true });
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
      if (!(error instanceof CatalogUnavailableError && error.outcomeUnknown)) rmSync(join(this.root, file.path), { force: true });
      throw error;
    }
  }

  private byId(id: number): Materialization | undefined {
    const row = this.catalog.run("byId", id);
    return row && fromRow(row);
  }

  /** The newest materialization of a key (of one partition when given; else of any partition). */
  latest(keyLike: AssetKeyLike, options: { partition?: string } = {}): Materialization | undefined {
    const key = normalizeAssetKey(keyLike);
    const row = this.catalog.run("latest", key, options.partition);
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
    return this.catalog.run("versions").map(fromRow);
  }

  /** One exact version. */
  version(version: string): Materialization | undefined {
    const row = this.catalog.run("version", version);
    return row && fromRow(row);
  }

  /** Materializations of a key, newest first. */
  history(keyLike: AssetKeyLike, options: { partition?: string; limit?: number } = {}): Materialization[] {
    const key = normalizeAssetKey(keyLike);
    const limit = options.limit === undefined ? undefined : checkCount("history limit", options.limit, 0);
    return this.catalog.run("history", key, options.partition, limit).map(fromRow);
  }

  /** Partition keys recorded for an asset. */
  partitions(keyLike: AssetKeyLike): string[] {
    const key = normalizeAssetKey(keyLike);
    return this.catalog.run("partitions", key).filter((p) => p !== "");
  }

  /** Every asset with its latest materialization. */
  list(): AssetSummary[] {
    return this.catalog.run("list").map((r) => ({ key: r.asset_key, materializations: Number(r.n), partitions: Number(r.p), latest: fromRow(r) }));
  }

  /** The asset graph around a key: everything upstream and downstream of it, with depths. */
  lineage(keyLike: AssetKeyLike, options: { maxDepth?: number } = {}): Lineage {
    const key = normalizeAssetKey(keyLike);
    const maxDepth = options.maxDepth ?? 100;
    const { upstream, downstream, edges } = this.catalog.run("lineage", key, maxDepth);
    return { key, upstream, downstream, edges, inputs: this.latest(key)?.inputs ?? [] };
  }

  /** Versions that were computed from this exact version (version-level downstream lineage). */
  usedBy(version: string): Materialization[] {
    return this.catalog.run("usedBy", version).map(fromRow);
  }

  /** What a run recorded (of one format when given: the Runs view lists a run's executed notebooks with "ipynb"). */
  runMaterializations(runId: string, options: { format?: AssetFormat } = {}): Materialization[] {
    return this.catalog.run("runMaterializations", runId, options.format).map(fromRow);
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
    const doomed = this.catalog.run("gc", keepLast);
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
    const known = new Set(this.catalog.run("knownPaths"));
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
    const startedAt = Date.now();
    const started = this.catalog.run("startRun", { runId: run.runId, pipeline: run.pipeline, args: JSON.stringify(run.args ?? {}, jsonSafe), startedAt, leaseMs });
    if (started === "duplicate") throw new StoreError(`store ${this.root}: a pipeline run ${run.runId} is already recorded in ${this.catalogPath}; give this run another id.`);
    const timer = setInterval(() => {
      try {
        this.catalog.run("renewLease", run.runId, Date.now());
      } catch {
        // Busy, unreachable or closed catalog: the next beat tries again; the lease covers several missed beats.
      }
    }, Math.max(50, Math.floor(leaseMs / 6)));
    timer.unref();
    this.heartbeats.set(run.runId, timer);
  }

  endRun(runId: string, status: string, options: { error?: string; summary?: unknown } = {}): void {
    this.writable(`record the end of pipeline run ${runId}`);
    clearInterval(this.heartbeats.get(runId));
    this.heartbeats.delete(runId);
    this.catalog.run("endRun", runId, status, Date.now(), options.error ?? null, options.summary === undefined ? null : JSON.stringify(options.summary, jsonSafe));
  }

  run(runId: string): RunRecord | undefined {
    const r = this.catalog.run("run", runId);
    return r && runRecord(r);
  }

  runs(options: { limit?: number } = {}): RunRecord[] {
    const limit = options.limit === undefined ? 50 : checkCount("runs limit", options.limit, 0);
    return this.catalog.run("runs", limit).map(runRecord);
  }

  recordOpRun(r: OpRunRecord): void {
    this.recordOpRuns([r]);
  }

  /** Several op-run records in one transaction (one fsync instead of one per op). */
  recordOpRuns(records: readonly OpRunRecord[]): void {
    if (!records.length) return;
    this.writable(records.length === 1 ? `record op ${records[0]!.op} of run ${records[0]!.runId}` : `record ${records.length} ops of run ${records[0]!.runId}`);
    this.catalog.run("recordOpRuns", records.map(opRunRow));
  }

  opRuns(runId: string): OpRunRecord[] {
    return this.catalog.run("opRuns", runId).map((r) => ({
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
    const items = this.catalog.run("lastItems", op, partition);
    return items === undefined ? undefined : (JSON.parse(items) as unknown[]);
  }

  /** The items a dynamic op produced for this data version (so an up-to-date fan-out can be skipped). */
  itemsFor(op: string, dataVersion: string): unknown[] | undefined {
    const items = this.catalog.run("itemsFor", op, dataVersion);
    return items === undefined ? undefined : (JSON.parse(items) as unknown[]);
  }

  /**
   * Live catalog events (a materialization committed, a run started or ended), from any process on this catalog:
   * PostgreSQL pushes them (LISTEN/NOTIFY, no polling); SQLite is polled every `pollMs` (default 1 s).
   * Resolves once listening; close() the returned handle to stop.
   */
  async watch(listener: (event: CatalogEvent) => void, options: { pollMs?: number } = {}): Promise<CatalogWatch> {
    if (this.catalogUrl !== undefined) return (await import("./postgres/watch.js")).listen(this.catalogUrl, this.catalogPath, listener);
    return pollCatalog(this, listener, options.pollMs ?? 1_000);
  }

  /**
   * Runs one operation on the pipeline features' tables (src/pipeline/state.ts is their API) in this store's
   * catalog, SQLite or PostgreSQL, as one transaction. The caller refuses writes to a read-only store.
   */
  runStateQuery<K extends StateQueryName>(name: K, ...args: QueryArgs<K>): QueryResult<K> {
    return this.catalog.run(name, ...args);
  }

  /** Every row of the catalog in one snapshot (what `sluice store migrate` copies and compares). */
  exportCatalog(): CatalogDump {
    return this.catalog.run("dump");
  }

  /** Direct SQLite access for bulk tools (the benchmark inserts history with it); a PostgreSQL catalog has none. */
  get database(): CatalogDb {
    if (!this.db) throw new StoreError(`store ${this.root}: its catalog is ${this.catalogPath}, not a SQLite file; this tool needs a SQLite catalog.`);
    return this.db;
  }
}

export type { CatalogEvent } from "./postgres/catalog.js";

export interface CatalogWatch {
  close(): Promise<void>;
}

/** SQLite has no notifications: compare the newest materialization and the runs' last change every pollMs. */
function pollCatalog(store: AssetStore, listener: (event: CatalogEvent) => void, pollMs: number): CatalogWatch {
  const seen = new Set(store.versions().map((m) => m.version));
  const runStatus = new Map(store.runs({ limit: 200 }).map((r) => [r.runId, r.status]));
  const timer = setInterval(() => {
    try {
      for (const m of store.versions()) {
        if (seen.has(m.version)) continue;
        seen.add(m.version);
        listener({ type: "materialization", id: m.id, key: m.key, partition: m.partition ?? "", version: m.version, runId: m.runId ?? null });
      }
      for (const r of store.runs({ limit: 200 })) {
        if (runStatus.get(r.runId) === r.status) continue;
        runStatus.set(r.runId, r.status);
        listener({ type: "run", runId: r.runId, status: r.status });
      }
    } catch {
      // A busy or closed catalog: the next poll tries again.
    }
  }, pollMs);
  timer.unref();
  return { close: async () => clearInterval(timer) };
}

function runRecord(r: RunRow): RunRecord {
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

function opRunRow(r: OpRunRecord): OpRunRow {
  return {
    run_id: r.runId,
    node_id: r.nodeId,
    op: r.op,
    partition: r.partition,
    item: r.item ?? null,
    status: r.status,
    reason: r.reason ?? null,
    attempts: r.attempts,
    started_at: r.startedAt ?? null,
    ended_at: r.endedAt ?? null,
    error: r.error ?? null,
    data_version: r.dataVersion ?? null,
    items: r.items === undefined ? null : JSON.stringify(r.items, jsonSafe),
  };
}
