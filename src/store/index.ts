export * from "./errors.js";
export * from "./keys.js";
export * from "./metadata.js";
export { AssetStore, newVersionId } from "./store.js";
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
