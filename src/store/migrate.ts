// `sluice store migrate`: copies a store's catalog between backends (the SQLite file in the store and a
// PostgreSQL database, either way), in one transaction, and verifies the copy row by row (docs/catalog.md).
// The data files do not move: both catalogs point at the same files under the store folder.
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { openCatalog, SqliteCatalog } from "./catalog.js";
import { CatalogConfigError, StoreError } from "./errors.js";
import { openPostgresCatalog, parseCatalogUrl } from "./postgres/catalog.js";
import { CATALOG_TABLES, firstDifference, type CatalogBackend, type CatalogDump } from "./queries.js";
import { AssetStore, storeRoot } from "./store.js";

export interface MigrateOptions {
  /** Where to copy the catalog: a postgres:// URL, "sqlite" (the store's catalog.sqlite) or a SQLite file path. */
  to: string;
  /** The catalog to copy; default SLUICE_CATALOG, else the store's SQLite file. */
  from?: string;
  /** Replace a destination that already holds a catalog (a SQLite file is moved aside, never deleted). */
  replace?: boolean;
}

export interface MigrateResult {
  root: string;
  from: string;
  to: string;
  /** Rows copied per table (each compared with its source before the copy committed, and again after). */
  rows: Record<string, number>;
  /** Where a replaced SQLite catalog went. */
  movedAside: string[];
}

const TABLES = CATALOG_TABLES;

function countsOf(dump: CatalogDump): Record<string, number> {
  return Object.fromEntries(TABLES.map((t) => [t, dump[t].length]));
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
}

/** Copies the catalog of the store at `rootDir` to options.to and checks the copy. */
export function migrateCatalog(rootDir: string | undefined, options: MigrateOptions): MigrateResult {
  const root = storeRoot(rootDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new StoreError(`store ${root}: no such folder; point --store or SLUICE_STORE at the store whose catalog to copy.`);
  const source = new AssetStore(root, { readOnly: true, catalog: options.from ?? process.env.SLUICE_CATALOG ?? "sqlite" });
  let dump: CatalogDump;
  try {
    dump = source.exportCatalog();
  } finally {
    source.close();
  }
  const rows = countsOf(dump);
  const postgres = /^postgres(ql)?:/i.test(options.to) ? parseCatalogUrl(options.to) : undefined;
  if (postgres) {
    if (postgres.display === source.catalogPath) throw new CatalogConfigError(`the catalog is already ${postgres.display}: give another --to.`);
    const target = openPostgresCatalog(postgres, root, { readOnly: false, dataFiles: () => 0 });
    try {
      load(target, dump, options.replace ?? false);
    } finally {
      target.close();
    }
    return { root, from: source.catalogPath, to: postgres.display, rows, movedAside: [] };
  }
  // A SQLite file: built under a temporary name, checked, then renamed into place (the old one moved aside).
  const file = options.to === "sqlite" ? join(root, "catalog.sqlite") : isAbsolute(options.to) ? options.to : resolve(options.to);
  if (file === source.catalogPath) throw new CatalogConfigError(`the catalog is already ${file}: give another --to.`);
  if (existsSync(file) && statSync(file).size > 0 && !options.replace) {
    throw new StoreError(`${file} already holds a catalog; pass --replace to move it aside (as catalog.replaced-<time>.sqlite) and put the copy in its place.`);
  }
  const building = `${file}.migrating`;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(building + suffix, { force: true });
  const db = openCatalog(building);
  const movedAside: string[] = [];
  try {
    load(new SqliteCatalog(db, building), dump, false);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    for (const suffix of ["-wal", "-shm"]) rmSync(building + suffix, { force: true });
    const when = stamp();
    for (const suffix of ["", "-wal", "-shm"]) {
      if (!existsSync(file + suffix)) continue;
      const aside = file.replace(/(\.sqlite)?$/, `.replaced-${when}.sqlite`) + suffix;
      renameSync(file + suffix, aside);
      movedAside.push(aside);
    }
    renameSync(building, file);
  } catch (error) {
    if (db.open) db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(building + suffix, { force: true });
    throw error;
  }
  return { root, from: source.catalogPath, to: file, rows, movedAside };
}

/** Loads the dump (verified inside the transaction), then reads the committed copy back and compares it again. */
function load(target: CatalogBackend, dump: CatalogDump, replace: boolean): void {
  const result = target.run("load", dump, replace);
  if (!result.loaded) {
    const held = Object.entries(result.held).map(([t, n]) => `${n} ${t}`).join(", ");
    throw new StoreError(`${target.location} already holds a catalog (${held}); pass --replace to overwrite it with this copy.`);
  }
  const copy = target.run("dump");
  for (const table of TABLES) {
    const row = firstDifference(dump[table], copy[table]);
    if (row !== undefined) throw new StoreError(`${target.location}: after the copy, table ${table} differs from the source at row ${row}; run the migration again with --replace.`);
  }
}
