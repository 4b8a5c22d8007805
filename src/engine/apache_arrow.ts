// Every runtime import of apache-arrow in Sluice goes through this module (types may import "apache-arrow").
// Why: on load, apache-arrow sets Symbol.isConcatSpreadable on the Vector, Table and RecordBatch prototypes
// (vector.mjs, table.mjs, recordbatch.mjs). In V8, a store of that symbol on ANY object invalidates, for the
// whole process and for good, the IsConcatSpreadableLookupChain protector (LookupIterator::UpdateProtector);
// from then on every Array.prototype.concat skips its fast path and copies element by element (~150×
// slower). danfojs-node's groupby assembles its result with concat once per group (tslib's __spreadArray
// in Groupby.toDataFrame, quadratic in the number of groups), so `frame.toDanfo()` then `groupby` ran
// 10–80× slower in a notebook. The guard below makes apache-arrow store a private symbol instead, which
// keeps concat fast. The one thing lost: `[].concat(vector)` no longer spreads an Arrow vector or table
// (nothing in Sluice relies on it; use `[...vector]` or `vector.toArray()`).
// ES modules evaluate their imports in source order: guard, then apache-arrow, then this module's body.
import "./arrow_concat_guard.js";
export * from "apache-arrow";
import { restoreSymbol } from "./arrow_concat_guard.js";
import { CompressionType, compressionRegistry } from "apache-arrow";
import { lz4FrameCodec, zstdCodec } from "./ipc_codecs.js";

restoreSymbol();

// Compressed IPC files (Polars' write_ipc(compression="zstd" | "lz4")): codecs for every reader in the process.
if (!compressionRegistry.get(CompressionType.ZSTD)) compressionRegistry.set(CompressionType.ZSTD, zstdCodec);
if (!compressionRegistry.get(CompressionType.LZ4_FRAME)) compressionRegistry.set(CompressionType.LZ4_FRAME, lz4FrameCodec);
