// Typed errors of the asset store. Each message names the asset (and version) and what to do.

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An asset key that is malformed or would escape the store's data folder. */
export class InvalidAssetKeyError extends StoreError {}

/** No materialization recorded for the key (and partition). */
export class AssetNotFoundError extends StoreError {}

/** The catalog records a version whose data file is gone from disk. */
export class AssetDataMissingError extends StoreError {
  constructor(
    readonly key: string,
    readonly version: string,
    readonly path: string,
  ) {
    super(
      `asset ${key} version ${version}: data file ${path} is missing. ` +
        `Re-materialize it (sluice pipeline run FILE --force --only OP) or remove old versions with \`sluice assets gc\`.`,
    );
  }
}

/** The data file exists but is not a readable Parquet file (truncated or overwritten). */
export class AssetDataCorruptError extends StoreError {
  constructor(
    readonly key: string,
    readonly version: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`asset ${key} version ${version}: data file ${path} is corrupt (${reason}). Re-materialize it with --force.`);
  }
}

/** Custom metadata with an unknown type or a value that does not fit its type. */
export class InvalidMetadataError extends StoreError {}

/** Data handed to the store that it cannot write as a table. */
export class UnsupportedAssetDataError extends StoreError {}
