// What the driver sends a fragment worker (JSON on stdin) and what it prints back (one JSON line).

export interface WorkerSpec {
  sql: string;
  params?: unknown[];
  /** Final path of the part; written first to `${out}.tmp-<pid>`. */
  out: string;
  /** DuckDB threads of this fragment (1: the fragments are the parallelism). */
  threads: number;
  memoryLimit?: string;
}

export interface WorkerResult {
  ok: boolean;
  rows?: number;
  ms?: number;
  host?: string;
  error?: string;
}
