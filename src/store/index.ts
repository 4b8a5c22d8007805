export * from "./errors.js";
export * from "./keys.js";
export * from "./metadata.js";
import { AssetStore } from "./store.js";
export { AssetStore, newVersionId, writeAssetFile } from "./store.js";

let defaultStore: AssetStore | undefined;
/** The default store (env SLUICE_STORE, else ./.sluice), opened on first use: `store.latest("a/b")`. */
export const store: AssetStore = new Proxy({} as AssetStore, {
  get(_target, property) {
    defaultStore ??= new AssetStore();
    const value = (defaultStore as unknown as Record<string | symbol, unknown>)[property];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(defaultStore) : value;
  },
});

/** Opens a store at `root` (default: SLUICE_STORE or ./.sluice). */
export function openStore(root?: string): AssetStore {
  return new AssetStore(root);
}
export type {
  AssetFormat,
  AssetSummary,
  GcResult,
  InputRef,
  Lineage,
  LineageNode,
  MaterializeOptions,
  Materialization,
  OpRunRecord,
  PreparedFile,
  RunRecord,
} from "./store.js";
export type { TableData, ParquetWritable } from "./parquet.js";
