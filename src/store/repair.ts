// `sluice store verify` and `sluice store rebuild`: compare the catalog with data/, and recreate the
// catalog from the files (each version's .meta.json sidecar holds its whole record) when it is lost.
import { existsSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isCorruptionError, openCatalog, openCatalogReadOnly, SqliteCatalog, type CatalogDb } from "./catalog.js";
import { CatalogCorruptError, StoreError, StoreLocationError, StoreReadOnlyError } from "./errors.js";
import { sidecarPath, walkDataFiles, type StoreFile } from "./files.js";
import { parseCatalogUrl } from "./postgres/catalog.js";
import { assetKeySegments } from "./keys.js";
import { AssetStore, insertMaterialization, storeRoot, type AssetFormat, type Materialization, type SidecarRecord } from "./store.js";

export interface StoreProblem {
  kind: "catalog" | "missing-file" | "damaged-file" | "orphan-file" | "orphan-sidecar";
  /** Relative to the store root (the catalog's own path for catalog problems). */
  path: string;
  detail: string;
}

export interface VerifyResult {
  root: string;
  /** Catalog rows checked against their files. */
  versions: number;
  /** Data files found under data/. */
  files: number;
  problems: StoreProblem[];
  /** Not errors: versions written before sidecars existed (the catalog is their only full record), old temp files. */
  notes: string[];
}

function checkRoot(root: string): void {
  if (!existsSync(root)) throw new StoreLocationError(root, "no such folder");
  if (!statSync(root).isDirectory()) throw new StoreLocationError(root, "is a file, not a folder");
}

/** Checks the catalog (SQLite quick_check) and every version's data file, and finds files the catalog does not know. */
export function verifyStore(rootDir?: string): VerifyResult {
  const root = storeRoot(rootDir);
  checkRoot(root);
  const files: StoreFile[] = [];
  walkDataFiles(root, (f) => void files.push(f));
  const dataFiles = files.filter((f) => f.kind === "data");
  const result: VerifyResult = { root, versions: 0, files: dataFiles.length, problems: [], notes: [] };
  let store: AssetStore;
  try {
    store = new AssetStore(root, { readOnly: true });
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    result.problems.push({ kind: "catalog", path: parseCatalogUrl(process.env.SLUICE_CATALOG)?.display ?? "catalog.sqlite", detail: error.message });
    return result;
  }
  try {
    // PostgreSQL checks its own pages; a SQLite file is checked here.
    const check = store.backend === "sqlite" ? (store.database.pragma("quick_check") as Array<{ quick_check: string }>) : [{ quick_check: "ok" }];
    if (check[0]?.quick_check !== "ok") {
      result.problems.push({ kind: "catalog", path: "catalog.sqlite", detail: `SQLite quick_check: ${check.map((c) => c.quick_check).slice(0, 5).join("; ")}` });
    }
    const versions = store.versions();
    result.versions = versions.length;
    const known = new Set<string>();
    let withoutSidecar = 0;
    for (const m of versions) {
      known.add(m.path);
      known.add(sidecarPath(m.path));
      if (!existsSync(store.absolutePath(m))) {
        result.problems.push({ kind: "missing-file", path: m.path, detail: `asset ${m.key} version ${m.version}: data file missing` });
        continue;
      }
      try {
        store.verify(m);
      } catch (error) {
        result.problems.push({ kind: "damaged-file", path: m.path, detail: (error as Error).message });
      }
      if (!existsSync(join(root, sidecarPath(m.path)))) withoutSidecar += 1;
    }
    if (withoutSidecar) result.notes.push(`${withoutSidecar} version(s) have no .meta.json sidecar (written before sidecars existed): a rebuild would recover them without partition, lineage or metadata; \`sluice store verify --write-sidecars\` writes them from the catalog.`);
    let temp = 0;
    const sidecarsOfFiles = new Set(dataFiles.map((d) => sidecarPath(d.path)));
    for (const f of files) {
      if (known.has(f.path)) continue;
      if (f.kind === "data") {
        result.problems.push({
          kind: "orphan-file",
          path: f.path,
          detail: "data file not in the catalog (left by a crashed writer, or its catalog row was lost): `sluice store rebuild --force` recovers it, `sluice assets gc --include-orphans` deletes it",
        });
      } else if (f.kind === "sidecar" && !sidecarsOfFiles.has(f.path)) {
        result.problems.push({ kind: "orphan-sidecar", path: f.path, detail: "sidecar without a data file (gc --include-orphans deletes it)" });
      } else if (f.kind === "temp") temp += 1;
    }
    if (temp) result.notes.push(`${temp} temporary file(s) of writers (in flight, or left by a crash: gc removes them after 10 minutes).`);
  } catch (error) {
    if (!isCorruptionError(error)) throw error;
    result.problems.push({ kind: "catalog", path: "catalog.sqlite", detail: (error as Error).message });
  } finally {
    store.close();
  }
  return result;
}

export interface RebuildResult {
  root: string;
  catalogPath: string;
  /** Where the previous catalog (and its -wal/-shm) went; empty when there was none. */
  movedAside: string[];
  versions: number;
  assets: number;
  /** Recovered from the file alone (no sidecar, or one that could not be trusted): key, version, format, rows and schema, but no lineage or metadata. */
  withoutSidecar: string[];
  /** Files that could not be recovered, with why. */
  skipped: Array<{ path: string; reason: string }>;
  /** Pipeline runs copied from the previous catalog (when it could still be read). */
  runsCopied: number;
}

function healthy(catalogPath: string): boolean {
  if (!existsSync(catalogPath) || statSync(catalogPath).size === 0) return false;
  let opened: ReturnType<typeof openCatalogReadOnly> | undefined;
  try {
    opened = openCatalogReadOnly(catalogPath);
    const check = opened.db.pragma("quick_check") as Array<{ quick_check: string }>;
    return check[0]?.quick_check === "ok";
  } catch {
    return false;
  } finally {
    opened?.db.close();
    opened?.cleanup?.();
  }
}

const FORMATS: Record<string, AssetFormat> = { parquet: "parquet", ipynb: "ipynb" };

/** A version's record from its sidecar, else from the file itself (key and version from its path). */
async function recordOf(root: string, file: StoreFile): Promise<{ record: Omit<Materialization, "id">; fromSidecar: boolean; sidecarProblem?: string }> {
  const segments = file.path.split("/");
  const name = segments.pop()!;
  const dot = name.lastIndexOf(".");
  const format = FORMATS[name.slice(dot + 1)];
  if (dot <= 0 || !format) throw new Error(`not an asset file (expected <version>.parquet or <version>.ipynb)`);
  const key = assetKeySegments(segments.slice(1)).join("/");
  const version = name.slice(0, dot);
  const stat = statSync(file.absolute);
  const sidecar = join(root, sidecarPath(file.path));
  let sidecarProblem: string | undefined;
  if (existsSync(sidecar)) {
    // A sidecar that cannot be trusted (cut short by a crash, or another file's) is passed over: the file alone still gives most.
    try {
      const record = JSON.parse(readFileSync(sidecar, "utf8")) as SidecarRecord;
      if (record.sluiceSidecar !== 1 || record.key !== key || record.version !== version) {
        sidecarProblem = `its sidecar describes ${String(record.key)}@${String(record.version)}, not this file`;
      } else {
        const { sluiceSidecar: _marker, ...rest } = record;
        return { record: { ...rest, path: file.path, format, inputs: rest.inputs ?? [], metadata: rest.metadata ?? {} }, fromSidecar: true };
      }
    } catch (error) {
      sidecarProblem = `its sidecar is not valid JSON (${(error as Error).message})`;
    }
  }
  const summary = format === "parquet" ? await (await import("./parquet.js")).inspectParquet(file.absolute) : undefined;
  return {
    record: {
      key, partition: undefined, version, dataVersion: version, runId: undefined, op: undefined, params: undefined, codeVersion: undefined,
      inputs: [], path: file.path, format, rowCount: summary?.rowCount, byteSize: stat.size, schema: summary?.schema, preview: summary?.preview,
      metadata: {}, createdAt: Math.round(stat.mtimeMs),
    },
    fromSidecar: false,
    sidecarProblem,
  };
}

function copyRuns(from: string, to: CatalogDb): number {
  let opened: ReturnType<typeof openCatalogReadOnly> | undefined;
  try {
    opened = openCatalogReadOnly(from);
    const runs = opened.db.prepare(`SELECT * FROM runs`).all() as Array<Record<string, unknown>>;
    const opRuns = opened.db.prepare(`SELECT * FROM op_runs`).all() as Array<Record<string, unknown>>;
    const insert = (table: string, rows: Array<Record<string, unknown>>) => {
      const columns = new Set((to.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((c) => c.name));
      for (const row of rows) {
        const names = Object.keys(row).filter((n) => columns.has(n));
        to.prepare(`INSERT OR IGNORE INTO ${table} (${names.map((n) => `"${n}"`).join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).run(...names.map((n) => row[n]));
      }
    };
    to.transaction(() => (insert("runs", runs), insert("op_runs", opRuns))).immediate();
    return runs.length;
  } catch {
    return 0; // the old catalog is too damaged to read: the run history is lost, the assets are not
  } finally {
    opened?.db.close();
    opened?.cleanup?.();
  }
}

/**
 * Recreates the catalog from data/: moves the current catalog aside (never deletes it), builds a new one
 * from every data file's sidecar (oldest first, so "latest" is what it was) and copies the run history over
 * when the old catalog can still be read. A healthy catalog is only rebuilt with `force`.
 */
export async function rebuildCatalog(rootDir: string | undefined, options: { force?: boolean } = {}): Promise<RebuildResult> {
  const root = storeRoot(rootDir);
  checkRoot(root);
  const postgres = parseCatalogUrl(process.env.SLUICE_CATALOG);
  if (postgres) {
    throw new StoreError(
      `store ${root}: rebuild recreates the store's SQLite catalog from its data files, and this store's catalog is ${postgres.display}. ` +
        `Rebuild the SQLite one (\`SLUICE_CATALOG=sqlite sluice store rebuild --force\`), then copy it over: \`sluice store migrate --from sqlite --to ${postgres.display} --replace\`.`,
    );
  }
  const catalogPath = join(root, "catalog.sqlite");
  if (!options.force && healthy(catalogPath)) {
    throw new StoreError(
      `store ${root}: the catalog ${catalogPath} is healthy; nothing to rebuild. Check it with \`sluice store verify\`, ` +
        `or pass --force to rebuild it from the data files anyway (the current one is kept aside).`,
    );
  }
  const building = join(root, "catalog.rebuilding.sqlite");
  for (const suffix of ["", "-wal", "-shm"]) rmSync(building + suffix, { force: true }); // our own leftover of an interrupted rebuild
  let db: CatalogDb;
  try {
    db = openCatalog(building);
  } catch (error) {
    const code = String((error as { code?: unknown }).code);
    if (code.startsWith("SQLITE_READONLY") || code === "SQLITE_CANTOPEN") throw new StoreReadOnlyError(root, "rebuild the catalog", (error as Error).message);
    throw error;
  }
  const result: RebuildResult = { root, catalogPath, movedAside: [], versions: 0, assets: 0, withoutSidecar: [], skipped: [], runsCopied: 0 };
  try {
    const files: StoreFile[] = [];
    walkDataFiles(root, (f) => void (f.kind === "data" && files.push(f)));
    const records: Array<Omit<Materialization, "id">> = [];
    for (const file of files) {
      try {
        const { record, fromSidecar, sidecarProblem } = await recordOf(root, file);
        if (!fromSidecar) result.withoutSidecar.push(sidecarProblem ? `${file.path} (${sidecarProblem})` : file.path);
        records.push(record);
      } catch (error) {
        result.skipped.push({ path: file.path, reason: (error as Error).message });
      }
    }
    records.sort((a, b) => a.createdAt - b.createdAt || a.version.localeCompare(b.version));
    const catalog = new SqliteCatalog(db, building);
    for (const record of records) insertMaterialization(catalog, record);
    result.versions = records.length;
    result.assets = (db.prepare(`SELECT count(*) AS n FROM assets`).get() as { n: number }).n;
    // Move the old catalog aside before the new one takes its name; copy its runs once it is aside.
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
    for (const suffix of ["", "-wal", "-shm"]) {
      if (!existsSync(catalogPath + suffix)) continue;
      const aside = join(root, `catalog.broken-${stamp}.sqlite${suffix}`);
      renameSync(catalogPath + suffix, aside);
      result.movedAside.push(aside);
    }
    if (result.movedAside.length && statSync(result.movedAside[0]!).size > 0) result.runsCopied = copyRuns(result.movedAside[0]!, db);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    for (const suffix of ["-wal", "-shm"]) rmSync(building + suffix, { force: true });
    renameSync(building, catalogPath);
  } catch (error) {
    if (db.open) db.close();
    throw isCorruptionError(error) ? new CatalogCorruptError(root, catalogPath, (error as Error).message) : error;
  }
  return result;
}
