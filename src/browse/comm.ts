// The messages of comm target `sluice.store`: the JupyterLab Runs and Assets views ask a Sluice
// kernel about the asset store it opens (SLUICE_STORE, else ./.sluice in the kernel's folder) and
// the kernel answers from the catalog (server.ts). Request/reply: every request carries an `id`
// that its reply repeats. The extension compiles this file, so it must stay free of Node imports
// and of the library's own types (the shapes here are the JSON that travels).

export const STORE_COMM_TARGET = "sluice.store";

/** view → kernel */
export type StoreRequest =
  | { id: number; type: "runs"; limit?: number }
  | { id: number; type: "run"; runId: string }
  | { id: number; type: "assets" }
  | { id: number; type: "asset"; key: string; historyLimit?: number }
  /** The content of an executed notebook (an `ipynb` materialization) by its version. */
  | { id: number; type: "notebook"; version: string };

export interface StoreInfo {
  /** Absolute folder of the store the kernel opened. */
  root: string;
  /** False when there is no catalog there yet (nothing was run on this store). */
  exists: boolean;
}

export interface RunCounts {
  succeeded: number;
  skipped: number;
  reused: number;
  failed: number;
  upstream_failed: number;
  running: number;
  pending: number;
}

export interface RunListItem {
  runId: string;
  pipeline: string;
  status: string;
  startedAt: number;
  endedAt?: number;
  /** Node counts by status, when the run ended (from its summary). */
  counts?: Partial<RunCounts>;
  error?: string;
}

export interface OpRunItem {
  nodeId: string;
  op: string;
  partition: string;
  item?: string;
  status: string;
  reason?: string;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  error?: string;
}

export interface LogEntry {
  at: number;
  node: string;
  kind: "log" | "retry" | "error";
  text: string;
}

/** An executed notebook kept by a notebook op (asset `<op>/notebook`). */
export interface NotebookRef {
  key: string;
  op?: string;
  partition?: string;
  version: string;
  status?: string;
  byteSize: number;
}

export interface MaterializationItem {
  key: string;
  partition?: string;
  version: string;
  dataVersion?: string;
  runId?: string;
  op?: string;
  format: string;
  rowCount?: number;
  byteSize: number;
  createdAt: number;
  /** Absolute path of the data file. */
  path: string;
  metadata: Record<string, { type: string; value: unknown }>;
  inputs: Array<{ key: string; partition?: string; version: string }>;
}

export interface AssetListItem {
  key: string;
  materializations: number;
  partitions: number;
  latest: MaterializationItem;
  /** Checks whose latest result failed, over all partitions (absent: none failing). */
  failingChecks?: number;
}

/** The latest result of one asset check on one partition (pipeline `checks` or a notebook's `context.check`). */
export interface CheckItem {
  check: string;
  partition?: string;
  /** The materialization version it checked. */
  version: string;
  passed: boolean;
  blocking: boolean;
  description?: string;
  metadata: Record<string, unknown>;
}

export interface AssetDetail {
  key: string;
  latest: MaterializationItem & {
    schema?: Array<{ name: string; type: string }>;
    preview?: Record<string, unknown>[];
    params?: Record<string, unknown>;
    codeVersion?: string;
  };
  /** The newest materialization of each partition, in partition order. */
  partitions: MaterializationItem[];
  /** Newest first. */
  history: MaterializationItem[];
  lineage: {
    upstream: Array<{ key: string; depth: number }>;
    downstream: Array<{ key: string; depth: number }>;
    edges: Array<{ from: string; to: string }>;
  };
  /** Executed notebooks of the op that produced this asset (same run as its latest version). */
  notebooks: NotebookRef[];
  /** The latest result of each check on each partition, failures first. */
  checks: CheckItem[];
}

/** kernel → view */
export type StoreReply =
  | { id: number; type: "runs"; store: StoreInfo; runs: RunListItem[] }
  | { id: number; type: "run"; store: StoreInfo; run: RunListItem & { args: Record<string, unknown> }; ops: OpRunItem[]; log: LogEntry[]; notebooks: NotebookRef[] }
  | { id: number; type: "assets"; store: StoreInfo; assets: AssetListItem[] }
  | { id: number; type: "asset"; store: StoreInfo; asset: AssetDetail }
  | { id: number; type: "notebook"; store: StoreInfo; ref: NotebookRef; path: string; content: unknown }
  | { id: number; type: "error"; message: string };
