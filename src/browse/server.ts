// The kernel side of the JupyterLab Runs and Assets views: serves comm target `sluice.store`
// (messages in comm.ts). Each request opens the store read-only, reads the catalog and closes it, so a
// view never holds the catalog open between looks and always sees the newest commits. A store
// that does not exist yet is reported as such, not created. Everything travels over the comm,
// executed notebooks included: the store folder is usually outside the folder JupyterLab serves.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { getHost, type Comm, type Host } from "../host/index.js";
import { readRunLog } from "../pipeline/runlog.js";
import { latestCheckResults } from "../pipeline/checks.js";
import { PipelineState } from "../pipeline/state.js";
import { AssetStore, parseCatalogUrl, type Materialization, type RunRecord } from "../store/index.js";
import {
  STORE_COMM_TARGET,
  type AssetDetail,
  type AssetListItem,
  type CheckItem,
  type MaterializationItem,
  type NotebookRef,
  type RunListItem,
  type StoreInfo,
  type StoreReply,
  type StoreRequest,
} from "./comm.js";

/** Executed notebooks larger than this are not sent over the comm (the view names the file instead). */
export const MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024;

export class StoreBrowseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreBrowseError";
  }
}

/** The store a kernel opens by default: SLUICE_STORE, else ./.sluice in its working folder. */
export function defaultStoreRoot(): string {
  return resolve(process.env.SLUICE_STORE ?? "./.sluice");
}

function item(m: Materialization, store: AssetStore): MaterializationItem {
  return {
    key: m.key,
    partition: m.partition,
    version: m.version,
    dataVersion: m.dataVersion,
    runId: m.runId,
    op: m.op,
    format: m.format,
    rowCount: m.rowCount,
    byteSize: m.byteSize,
    createdAt: m.createdAt,
    path: store.absolutePath(m),
    metadata: m.metadata as MaterializationItem["metadata"],
    inputs: m.inputs.map(({ key, partition, version }) => ({ key, partition, version })),
  };
}

function runItem(r: RunRecord): RunListItem {
  const counts = (r.summary as { counts?: RunListItem["counts"] } | undefined)?.counts;
  return { runId: r.runId, pipeline: r.pipeline, status: r.status, startedAt: r.startedAt, endedAt: r.endedAt, counts, error: r.error };
}

/** Executed notebooks recorded by a run (notebook ops keep them as `ipynb` materializations). */
function runNotebooks(store: AssetStore, runId: string): NotebookRef[] {
  return store.runMaterializations(runId, { format: "ipynb" }).map(notebookRef);
}

function notebookRef(m: Materialization): NotebookRef {
  const status = (m.metadata as Record<string, { value?: unknown }>).status?.value;
  return { key: m.key, op: m.op, partition: m.partition, version: m.version, status: typeof status === "string" ? status : undefined, byteSize: m.byteSize };
}

/** The latest result of each check of an asset on each partition, failing ones first. */
function checkItems(store: AssetStore, key: string): CheckItem[] {
  const items = latestCheckResults(new PipelineState(store), key).map(
    (r): CheckItem => ({ check: r.check, partition: r.partition, version: r.version, passed: r.passed, blocking: r.blocking, description: r.description, metadata: r.metadata }),
  );
  return [...items.filter((c) => !c.passed), ...items.filter((c) => c.passed)];
}

/** Answers one request from the store at `root`. Exported for tests and for use without a kernel. */
export function answer(root: string, request: StoreRequest): StoreReply {
  // A PostgreSQL catalog (SLUICE_CATALOG) exists on its server; opening it read-only creates nothing.
  const info: StoreInfo = { root, exists: existsSync(join(root, "catalog.sqlite")) || parseCatalogUrl(process.env.SLUICE_CATALOG) !== undefined };
  const id = request.id;
  if (!info.exists) {
    // Nothing to read, and opening the store would create it here.
    switch (request.type) {
      case "runs":
        return { id, type: "runs", store: info, runs: [] };
      case "assets":
        return { id, type: "assets", store: info, assets: [] };
      default:
        throw new StoreBrowseError(`there is no asset store at ${root}; run a pipeline first (\`npm start\`), or start JupyterLab with SLUICE_STORE set to the store's folder.`);
    }
  }
  // Read-only: a view never writes, and a store on a read-only disk can still be looked at.
  const store = new AssetStore(root, { readOnly: true });
  try {
    switch (request.type) {
      case "runs": {
        const limit = Math.min(1000, Math.max(1, Math.floor(Number(request.limit ?? 200)) || 200));
        return { id, type: "runs", store: info, runs: store.runs({ limit }).map(runItem) };
      }
      case "run": {
        const run = typeof request.runId === "string" ? store.run(request.runId) : undefined;
        if (!run) throw new StoreBrowseError(`no run ${JSON.stringify(request.runId)} in ${root}; ask for {type:"runs"} to list them.`);
        const ops = store.opRuns(run.runId).map((o) => ({
          nodeId: o.nodeId,
          op: o.op,
          partition: o.partition,
          item: o.item,
          status: o.status,
          reason: o.reason,
          attempts: o.attempts,
          startedAt: o.startedAt,
          endedAt: o.endedAt,
          error: o.error,
        }));
        // The run id comes from the catalog, so the log path stays inside runs/.
        return { id, type: "run", store: info, run: { ...runItem(run), args: run.args }, ops, log: readRunLog(root, run.runId), notebooks: runNotebooks(store, run.runId) };
      }
      case "assets": {
        // Named partitions only: a version written outside a pipeline (no partition) is not one more partition.
        const assets: AssetListItem[] = store.list().map((a) => {
          const failing = a.latest.format === "ipynb" ? 0 : checkItems(store, a.key).filter((c) => !c.passed).length;
          return { key: a.key, materializations: a.materializations, partitions: store.partitions(a.key).length, latest: item(a.latest, store), ...(failing ? { failingChecks: failing } : {}) };
        });
        return { id, type: "assets", store: info, assets };
      }
      case "asset": {
        const key = String(request.key ?? "");
        const latest = store.latest(key);
        if (!latest) {
          throw new StoreBrowseError(`asset ${JSON.stringify(key)} has no materialization in ${root}; ask for {type:"assets"} to list them.`);
        }
        const historyLimit = Math.min(1000, Math.max(1, Math.floor(Number(request.historyLimit ?? 100)) || 100));
        const partitions = store.partitions(key).map((p) => store.latest(key, { partition: p })!).map((m) => item(m, store));
        const lineage = store.lineage(key);
        const producer = latest.op;
        const notebooks =
          producer && latest.runId
            ? runNotebooks(store, latest.runId).filter((n) => n.op === producer && (latest.partition === undefined || n.partition === latest.partition))
            : latest.format === "ipynb"
              ? [notebookRef(latest)]
              : [];
        const asset: AssetDetail = {
          key: latest.key,
          latest: { ...item(latest, store), schema: latest.schema, preview: latest.preview, params: latest.params, codeVersion: latest.codeVersion },
          partitions,
          history: store.history(key, { limit: historyLimit }).map((m) => item(m, store)),
          lineage: { upstream: lineage.upstream, downstream: lineage.downstream, edges: lineage.edges },
          notebooks,
          checks: checkItems(store, latest.key),
        };
        return { id, type: "asset", store: info, asset };
      }
      case "notebook": {
        const m = typeof request.version === "string" ? store.version(request.version) : undefined;
        if (!m || m.format !== "ipynb") throw new StoreBrowseError(`no executed notebook with version ${JSON.stringify(request.version)} in ${root}.`);
        const path = store.absolutePath(m);
        if (!existsSync(path)) throw new StoreBrowseError(`the executed notebook ${m.key} ${m.version} is missing from the store (${path}); run its pipeline again.`);
        const size = statSync(path).size;
        if (size > MAX_NOTEBOOK_BYTES) throw new StoreBrowseError(`the executed notebook ${path} is ${Math.round(size / 1024 / 1024)} MB, too large to show here; open it from a terminal or copy it into the folder JupyterLab serves.`);
        let content: unknown;
        try {
          content = JSON.parse(readFileSync(path, "utf8"));
        } catch (error) {
          throw new StoreBrowseError(`the executed notebook ${path} is not valid JSON (${(error as Error).message}).`);
        }
        const ref = notebookRef(m);
        return { id, type: "notebook", store: info, ref, path, content };
      }
      default:
        throw new StoreBrowseError(
          `${STORE_COMM_TARGET}: unknown request type ${JSON.stringify((request as { type?: unknown }).type)}; send runs, run, assets, asset or notebook.`,
        );
    }
  } finally {
    store.close();
  }
}

/** Registers comm target `sluice.store` on the host (the kernel calls this once at start-up). */
export function startStoreBrowser(host: Host | undefined = getHost(), root: () => string = defaultStoreRoot): boolean {
  if (!host) return false;
  host.registerCommTarget(STORE_COMM_TARGET, (comm: Comm) => {
    comm.onMessage((data) => {
      const request = (data ?? {}) as StoreRequest;
      const id = typeof request.id === "number" ? request.id : -1;
      let reply: StoreReply;
      try {
        reply = answer(root(), request);
      } catch (error) {
        reply = { id, type: "error", message: error instanceof StoreBrowseError ? error.message : `${(error as Error).name}: ${(error as Error).message}` };
      }
      try {
        comm.send(reply);
      } catch {
        // The view went away.
      }
    });
  });
  return true;
}
