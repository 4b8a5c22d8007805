import { EXIT, SluiceError } from "../errors.js";

/** The action was cancelled (a cancel request from the panel, or an interrupt); the engine is still healthy. */
export class CancelledError extends SluiceError {
  static override readonly exitCode: number = EXIT.interrupted;
  constructor(readonly jobId: string) {
    super(`job ${jobId} was cancelled; the engine is ready for the next query`);
  }
}

/** DuckDB refused or failed the query; the message keeps DuckDB's own words. */
export class EngineError extends SluiceError {
  static override readonly exitCode: number = EXIT.failed;
  constructor(
    message: string,
    readonly sql?: string,
  ) {
    super(message);
  }
}

/** A source could not be opened or read: a missing file, a malformed CSV, a corrupt Parquet file. */
export class SourceError extends SluiceError {}

/** What scan.csv offers where DuckDB's CSV errors list read_csv settings that scan.csv does not take. */
export const CSV_OPTIONS_HINT =
  "scan.csv options that may help: delimiter, quote, header (false when the first row is data), nullString, " +
  'columns (name → type, e.g. { id: "BIGINT" }), ignoreErrors: true (skip rows that do not parse)';

/** DuckDB's explanation of a CSV error, one clause per line, without its "possible fixes" and settings dump. */
export function csvReason(message: string): string {
  const lines: string[] = [];
  for (const line of message.replace(/^[A-Za-z ]*Error: /, "").split("\n")) {
    if (/^\s*(Possible fixes|The search space|LINE \d+:)/.test(line)) break;
    if (line.trim()) lines.push(line.trim().replace(/\.$/, ""));
  }
  return lines.join("; ") || message;
}

/** The file a DuckDB CSV error names in its settings dump ("  file = /data/x.csv"). */
export function csvErrorFile(message: string): string | undefined {
  return /^\s*file = (.+)$/m.exec(message)?.[1]?.trim();
}
