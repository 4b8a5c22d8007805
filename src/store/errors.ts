// Typed errors of the asset store. Each message names the asset (and version) and what to do.
import { EXIT, SluiceError } from "../errors.js";

/** A store failure (exit 1: a damaged or unwritable store); the classes that describe bad input say exit 2. */
export class StoreError extends SluiceError {
  static override readonly exitCode: number = EXIT.failed;
  constructor(message: string) {
    super(message);
  }
}

/** An asset key that is malformed or would escape the store's data folder. */
export class InvalidAssetKeyError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
}

/** No materialization recorded for the key (and partition). */
export class AssetNotFoundError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
}

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
export class InvalidMetadataError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
}

/** Data handed to the store that it cannot write as a table. */
export class UnsupportedAssetDataError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
}

/** SLUICE_STORE / --store names something that is not a folder (or a folder that cannot be created). */
export class StoreLocationError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
  constructor(
    readonly root: string,
    readonly reason: string,
  ) {
    super(`store ${root}: ${reason}. Point SLUICE_STORE or --store at a folder (a new store is created in an empty or missing one).`);
  }
}

/** The catalog is missing or empty while data files exist: creating a fresh one would orphan them. */
export class CatalogMissingError extends StoreError {
  constructor(
    readonly root: string,
    readonly catalogPath: string,
    readonly state: "missing" | "empty",
    readonly dataFiles: number,
  ) {
    super(
      `store ${root}: the catalog ${catalogPath} is ${state === "missing" ? "missing" : "empty (0 bytes)"} but data/ holds ${dataFiles} asset file(s); ` +
        `refusing to start a new catalog over them. Recreate it from the files with \`sluice store rebuild --store ${root}\`.`,
    );
  }
}

/** The catalog file is not a readable SQLite database (overwritten, truncated, damaged). */
export class CatalogCorruptError extends StoreError {
  constructor(
    readonly root: string,
    readonly catalogPath: string,
    readonly reason: string,
  ) {
    super(
      `store ${root}: the catalog ${catalogPath} is corrupt (${reason}). ` +
        `Recreate it from the data files with \`sluice store rebuild --store ${root}\` (the broken catalog is moved aside, not deleted).`,
    );
  }
}

/** A write (materialize, run log, gc, rebuild) on a store that was opened read-only or cannot be written. */
export class StoreReadOnlyError extends StoreError {
  constructor(
    readonly root: string,
    readonly action: string,
    readonly reason: string,
  ) {
    super(`store ${root} is read-only (${reason}): cannot ${action}. Use a writable store (--store DIR or SLUICE_STORE) or make this one writable.`);
  }
}

/** A store option or argument out of range (gc keepLast, history limit, SLUICE_RUN_LEASE_MS...). */
export class InvalidStoreArgumentError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
}

/** SLUICE_CATALOG / --catalog, or the catalog server's answer, says the catalog cannot be used as configured (bad URL, login, database, rights). */
export class CatalogConfigError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
}

/** The catalog's schema is newer than this Sluice understands. */
export class CatalogSchemaError extends StoreError {
  constructor(
    readonly location: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(`catalog ${location}: its schema version ${found} is newer than this Sluice's (${supported}); upgrade Sluice on this machine (every machine sharing a catalog needs the same or a newer one).`);
  }
}

/** The catalog server could not be reached, or the connection kept failing, for the whole retry window. Nothing is half-written. */
export class CatalogUnavailableError extends StoreError {
  constructor(
    readonly location: string,
    readonly reason: string,
    readonly retriedMs: number,
    /** The connection dropped while the last write was committing: it may or may not have been recorded (whole, either way). */
    readonly outcomeUnknown = false,
  ) {
    super(
      `catalog ${location} is unavailable (${reason})${retriedMs > 0 ? ` after retrying for ${(retriedMs / 1000).toFixed(1)} s` : ""}; ` +
        (outcomeUnknown
          ? "the connection dropped while the last write was committing, so it is recorded whole or not at all (its data files are kept either way). "
          : "the operation was not recorded (no record is half-written). ") +
        `Check that the PostgreSQL server runs and that this machine reaches it, ` +
        `then run again (a pipeline resumes with --from-failure RUN_ID); SLUICE_CATALOG_RETRY_MS sets how long to retry.`,
    );
  }
}

/** A PostgreSQL catalog shared by machines records the store folder it belongs to; this store is another. */
export class CatalogStoreMismatchError extends StoreError {
  static override readonly exitCode: number = EXIT.usage;
  constructor(
    readonly location: string,
    readonly catalogRoot: string,
    readonly root: string,
  ) {
    super(
      `catalog ${location} belongs to the store ${catalogRoot}, not ${root}: its data files would not be found here. ` +
        `Set SLUICE_STORE=${catalogRoot} (every machine mounts the store at the same path), or use another database for this store.`,
    );
  }
}
