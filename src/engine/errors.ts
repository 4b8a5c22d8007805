import { SluiceError } from "../plan/errors.js";

/** The action was cancelled (a cancel request from the panel, or an interrupt); the engine is still healthy. */
export class CancelledError extends SluiceError {
  constructor(readonly jobId: string) {
    super(`job ${jobId} was cancelled; the engine is ready for the next query`);
  }
}

/** DuckDB refused or failed the query; the message keeps DuckDB's own words. */
export class EngineError extends SluiceError {
  constructor(
    message: string,
    readonly sql?: string,
  ) {
    super(message);
  }
}

/** A source could not be opened or read: a missing file, a malformed CSV, a corrupt Parquet file. */
export class SourceError extends SluiceError {}
