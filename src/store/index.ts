export * from "./errors.js";
export * from "./keys.js";
export * from "./metadata.js";
import { AssetStore, type StoreOpenOptions } from "./store.js";
export { AssetStore, DEFAULT_RUN_LEASE_MS, newVersionId, runLeaseMs, storeRoot, writeAssetFile } from "./store.js";
export { rebuildCatalog, verifyStore } from "./repair.js";
export { migrateCatalog } from "./migrate.js";
import { CatalogUnavailableError } from "./errors.js";
/**
 * Whether a failed commit may still have been recorded (a PostgreSQL COMMIT whose answer was lost and whose retries
 * could not reach the server): its data file and sidecar must then be kept, not deleted.
 */
export function commitMayHaveLanded(error: unknown): boolean {
  return error instanceof CatalogUnavailableError && error.outcomeUnknown;
}
export type { MigrateOptions, MigrateResult } from "./migrate.js";
export type { CatalogDump } from "./queries.js";
export type { RebuildResult, StoreProblem, VerifyResult } from "./repair.js";

let defaultStore: AssetStore | undefined;
/** The default store (env SLUICE_STORE, else ./.sluice), opened on first use: `store.latest("a/b")`. */
export const store: AssetStore = new Proxy({} as AssetStore, {
  get(_target, property) {
    defaultStore ??= new AssetStore();
    const value = (defaultStore as unknown as Record<string | symbol, unknown>)[property];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(defaultStore) : value;
  },
});

/** Opens a store at `root` (default: SLUICE_STORE or ./.sluice); `{ readOnly: true }` to only read it. */
export function openStore(root?: string, options?: StoreOpenOptions): AssetStore {
  return new AssetStore(root, options);
}
export { parseCatalogUrl, catalogRetryMs } from "./postgres/catalog.js";
export type { CatalogEvent, CatalogUrl } from "./postgres/catalog.js";
export type {
  AssetFormat,
  CatalogWatch,
  AssetSummary,
  GcOptions,
  GcResult,
  InputRef,
  Lineage,
  LineageNode,
  MaterializeOptions,
  Materialization,
  OpRunRecord,
  PreparedFile,
  RunRecord,
  SidecarRecord,
  StoreOpenOptions,
} from "./store.js";
export type { TableData, ParquetWritable } from "./parquet.js";
