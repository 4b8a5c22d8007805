// File paths handed to DuckDB's file readers. read_parquet, read_csv and read_json expand * ? and [...]
// in every path they are given, even one that exists as written: read_parquet(['a?b/x.parquet']) also
// reads axb/x.parquet, and 'data [2024]/*.parquet' matches nothing. Braces are not special to DuckDB.

const REMOTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The path as a pattern that matches only itself: each wildcard character becomes a one-character class. */
export function literalPath(path: string): string {
  if (REMOTE.test(path)) return path;
  return path.replace(/[[*?]/g, (c) => `[${c}]`);
}

/** Characters that make a path a pattern when no such file or folder exists (`{` too, for a clear "no files match"). */
export const WILDCARD = /[*?[{]/;
