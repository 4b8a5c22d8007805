// The PostgreSQL catalog backend behind the store's synchronous API (docs/catalog.md).
// Why a worker and not an async store: the store's ~30 callers (CLI, pipeline runner, notebook context,
// JupyterLab's store comm) call it synchronously, as better-sqlite3 allows; making it async would touch all
// of them. A call here posts one operation to the worker thread (worker.ts) and blocks on Atomics.wait
// (synckit) until its transaction has committed or failed: ~2 ms per call, the cost of the durable commit.
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createSyncFn } from "synckit";
import { emptyCatalog, SqliteCatalog } from "../catalog.js";
import {
  CatalogConfigError,
  CatalogSchemaError,
  CatalogStoreMismatchError,
  CatalogUnavailableError,
  StoreError,
} from "../errors.js";
import type { CatalogBackend, QueryArgs, QueryName, QueryResult } from "../queries.js";
import { LATEST_VERSION } from "./schema.js";
import type { CatalogFacts, WorkerReply, WorkerRequest } from "./worker.js";

/** A live catalog event (docs/catalog.md): sent by PostgreSQL's NOTIFY on commit, or found by polling SQLite. */
export type CatalogEvent =
  | { type: "materialization"; id: number; key: string; partition: string; version: string; runId: string | null }
  | { type: "run"; runId: string; status: string }
  /** The listening connection was lost and is back: events in between were missed, so re-read what you show. */
  | { type: "reconnected" };

export interface CatalogUrl {
  url: string;
  /** The URL without its password, for messages. */
  display: string;
}

/** SLUICE_CATALOG / --catalog: undefined (or "sqlite") for the SQLite file in the store, a postgres:// URL for PostgreSQL. */
export function parseCatalogUrl(value: string | undefined): CatalogUrl | undefined {
  if (value === undefined || value === "" || value === "sqlite") return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") || parsed.pathname.length <= 1) {
    throw new CatalogConfigError(
      `catalog ${JSON.stringify(value.replace(/:[^:@/]*@/, ":***@"))} is not one Sluice can use: give postgres://USER@HOST:PORT/DATABASE ` +
        `(password in PGPASSWORD or ~/.pgpass, not in the URL), or "sqlite" for the catalog file in the store folder (the default); set it with SLUICE_CATALOG or --catalog.`,
    );
  }
  const display = new URL(value);
  display.password = "";
  return { url: value, display: display.toString() };
}

/** How long a call retries a lost connection: SLUICE_CATALOG_RETRY_MS, default 30 s (a server restart takes about one). */
export function catalogRetryMs(env: string | undefined = process.env.SLUICE_CATALOG_RETRY_MS): number {
  if (env === undefined || env === "") return 30_000;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0) throw new CatalogConfigError(`SLUICE_CATALOG_RETRY_MS=${JSON.stringify(env)} is not a duration: give whole milliseconds ≥ 0 (default 30000), or unset it.`);
  return n;
}

/** The worker's built file. From the TypeScript sources (vitest) it is the build's: Node 20 cannot run .ts in a worker. */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = dirname(here);
  if (here.endsWith(".js")) return join(dir, "worker.js");
  const repo = join(dir, "..", "..", "..");
  const built = join(repo, "dist", relative(repo, dir), "worker.js");
  if (!existsSync(built)) throw new StoreError(`the PostgreSQL catalog's worker ${built} is not built: run \`npm run build\` first.`);
  return built;
}

let call: ((request: WorkerRequest) => WorkerReply) | undefined;
function send(request: WorkerRequest): WorkerReply {
  // One worker per process (synckit keeps it, unref'd); it holds a small pool per catalog URL.
  call ??= createSyncFn<(request: WorkerRequest) => Promise<WorkerReply>>(workerFile());
  return call(request);
}

function hint(code: string | undefined): string {
  switch (code) {
    case "28P01":
    case "28000":
      return "the server refused the login: check the user in the URL and its password (PGPASSWORD or ~/.pgpass) and pg_hba.conf";
    case "3D000":
      return "the database does not exist: create it (createdb DATABASE) and grant the user CREATE on it";
    case "42501":
      return "the user lacks a privilege: it needs CONNECT and CREATE on the database the first time (the tables are created then), then SELECT, INSERT, UPDATE, DELETE on them (docs/catalog.md)";
    case "ENOTFOUND":
      return "the host name does not resolve";
    default:
      return "check the URL";
  }
}

const open = new Map<string, number>();

export class PostgresCatalog implements CatalogBackend {
  readonly kind = "postgres" as const;
  readonly location: string;
  private closed = false;

  constructor(
    private readonly target: CatalogUrl,
    private readonly retryMs: number,
  ) {
    this.location = target.display;
    open.set(target.url, (open.get(target.url) ?? 0) + 1);
  }

  /** Sends one request and turns its failure into a typed error; notes (a reconnect) go to stderr. */
  request(request: WorkerRequest): unknown {
    let reply: WorkerReply;
    try {
      reply = send(request);
    } catch (error) {
      // The worker itself failed or did not answer within synckit's wait.
      throw new CatalogUnavailableError(this.location, (error as Error).message, 0);
    }
    for (const note of reply.notes) process.stderr.write(`sluice: catalog ${this.location}: ${note}\n`);
    if (reply.ok) return reply.value;
    const { kind, message, code, retriedMs, outcomeUnknown } = reply.error;
    if (kind === "unavailable") throw new CatalogUnavailableError(this.location, message, retriedMs, outcomeUnknown);
    if (kind === "config") throw new CatalogConfigError(`catalog ${this.location}: ${message}; ${hint(code)}.`);
    throw new StoreError(`catalog ${this.location}: ${message}${code ? ` (SQLSTATE ${code})` : ""}`);
  }

  run<K extends QueryName>(name: K, ...args: QueryArgs<K>): QueryResult<K> {
    if (this.closed) throw new StoreError(`catalog ${this.location}: the store was closed.`);
    return this.request({ cmd: "run", url: this.target.url, name, args, retryMs: this.retryMs }) as QueryResult<K>;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const left = (open.get(this.target.url) ?? 1) - 1;
    if (left > 0) return void open.set(this.target.url, left);
    open.delete(this.target.url);
    try {
      send({ cmd: "close", url: this.target.url });
    } catch {
      // closing: nothing to keep
    }
  }
}

/**
 * Opens a PostgreSQL catalog for the store at `root`: checks what the database holds, refuses a fresh catalog
 * over a store whose data files it would orphan, creates or upgrades the schema (unless read-only) and checks
 * that the catalog belongs to this store folder. A read-only look at a database without a catalog sees an empty one.
 */
export function openPostgresCatalog(target: CatalogUrl, root: string, options: { readOnly: boolean; dataFiles: () => number }): CatalogBackend {
  const catalog = new PostgresCatalog(target, catalogRetryMs());
  try {
    let facts = catalog.request({ cmd: "inspect", url: target.url, retryMs: catalogRetryMs() }) as CatalogFacts;
    if (!facts.present) {
      const files = options.dataFiles();
      if (files > 0) {
        throw new StoreError(
          `store ${root}: the PostgreSQL catalog ${target.display} holds no catalog yet but data/ holds ${files} asset file(s); refusing to start an empty catalog over them. ` +
            `Copy the store's catalog there first: \`sluice store migrate --store ${root} --to ${target.display}\`.`,
        );
      }
      if (options.readOnly) {
        catalog.close();
        return new SqliteCatalog(emptyCatalog(), target.display);
      }
    }
    if (facts.schemaVersion > LATEST_VERSION) throw new CatalogSchemaError(target.display, facts.schemaVersion, LATEST_VERSION);
    if (!options.readOnly && (!facts.present || facts.schemaVersion < LATEST_VERSION || facts.storeRoot === undefined)) {
      facts = catalog.request({ cmd: "setup", url: target.url, root, retryMs: catalogRetryMs() }) as CatalogFacts;
      if (facts.schemaVersion > LATEST_VERSION) throw new CatalogSchemaError(target.display, facts.schemaVersion, LATEST_VERSION);
    }
    if (facts.storeRoot !== undefined && facts.storeRoot !== root) throw new CatalogStoreMismatchError(target.display, facts.storeRoot, root);
    return catalog;
  } catch (error) {
    catalog.close();
    throw error;
  }
}
