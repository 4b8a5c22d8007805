// The PostgreSQL catalog's worker thread. The store's API is synchronous (better-sqlite3 set it, and ~30
// callers rely on it), while the `pg` driver is asynchronous: the main thread sends each operation here
// through synckit and sleeps until the answer (Atomics.wait), so one store call = one transaction here.
// A lost connection (server restart, network) is retried with backoff for SLUICE_CATALOG_RETRY_MS; every
// write operation is idempotent (queries.ts), so a retry after an unanswered COMMIT never records twice.
import pg from "pg";
import { runAsWorker } from "synckit";
import { dollarParams, queries, type QueryName, type Step } from "../queries.js";
import { LATEST_VERSION, MIGRATIONS, SCHEMA_LOCK } from "./schema.js";

// BIGINT (epoch milliseconds, ids, counts) as numbers, as better-sqlite3 gives them: exact below 2^53.
pg.types.setTypeParser(20, (text) => Number(text));

export type WorkerRequest =
  | { cmd: "inspect"; url: string; retryMs: number }
  | { cmd: "setup"; url: string; root: string; retryMs: number }
  | { cmd: "run"; url: string; name: QueryName; args: unknown[]; retryMs: number }
  | { cmd: "close"; url: string };

export interface WorkerError {
  /** unavailable: the server could not be reached for the whole retry window; config: login, database, rights; sql: anything else. */
  kind: "unavailable" | "config" | "sql";
  message: string;
  code: string | undefined;
  retriedMs: number;
  /** The connection dropped while COMMIT was in flight: the transaction may have committed (idempotent retries could not tell). */
  outcomeUnknown: boolean;
}

export type WorkerReply =
  | { ok: true; value: unknown; notes: string[] }
  | { ok: false; error: WorkerError; notes: string[] };

export interface CatalogFacts {
  /** Whether the catalog's tables exist (a fresh database has none). */
  present: boolean;
  schemaVersion: number;
  storeRoot: string | undefined;
}

const pools = new Map<string, pg.Pool>();
function pool(url: string): pg.Pool {
  let p = pools.get(url);
  if (!p) {
    p = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000, keepAlive: true, application_name: "sluice" });
    p.on("error", () => {}); // an idle connection dropped by a restarting server: the next checkout reconnects
    // A checked-out connection told of a shutdown between two queries emits "error" with no listener, which would
    // kill this worker (and synckit then fails every later call). Heard here, it makes the next query fail as
    // "not queryable", which transaction() retries like any lost connection.
    p.on("connect", (client) => client.on("error", () => {}));
    pools.set(url, p);
  }
  return p;
}

const CONFIG_CODES = new Set(["28P01", "28000", "3D000", "42501", "ENOTFOUND", "3F000"]);
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "57P01", "57P02", "57P03", "53300", "40001", "40P01"]);
const TRANSIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error|not queryable|Connection ended|the database system is (starting up|shutting down)/i;

function classify(error: unknown): WorkerError["kind"] {
  const code = String((error as { code?: unknown })?.code ?? "");
  if (CONFIG_CODES.has(code) || /password|SASL|SCRAM/i.test(String((error as Error)?.message))) return "config";
  if (TRANSIENT_CODES.has(code) || code.startsWith("08") || TRANSIENT_MESSAGES.test(String((error as Error)?.message))) return "unavailable";
  return "sql";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs fn on one connection in one transaction; retries a lost connection until retryMs has passed. */
async function transaction<T>(url: string, begin: string, retryMs: number, fn: (client: pg.PoolClient) => Promise<T>): Promise<WorkerReply> {
  const started = Date.now();
  let lost: string | undefined;
  let outcomeUnknown = false;
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient | undefined;
    let committing = false;
    try {
      client = await pool(url).connect();
      await client.query(begin);
      const value = await fn(client);
      committing = true;
      await client.query("COMMIT");
      client.release();
      const notes = lost ? [`connection lost (${lost}); reconnected and retried after ${((Date.now() - started) / 1000).toFixed(1)} s`] : [];
      return { ok: true, value, notes };
    } catch (error) {
      const kind = classify(error);
      if (client) {
        if (kind === "unavailable") client.release(true);
        else {
          await client.query("ROLLBACK").catch(() => undefined);
          client.release();
        }
      }
      const message = (error as Error)?.message ?? String(error);
      const elapsed = Date.now() - started;
      // Once a COMMIT went unanswered, only a later attempt that reaches the server settles it (the operations are idempotent).
      outcomeUnknown = kind === "unavailable" && (committing || outcomeUnknown) && begin === "BEGIN";
      if (kind !== "unavailable" || elapsed >= retryMs) {
        const code = (error as { code?: string })?.code;
        return { ok: false, error: { kind, message, code, retriedMs: kind === "unavailable" ? elapsed : 0, outcomeUnknown }, notes: [] };
      }
      lost ??= message;
      await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000, Math.max(10, retryMs - elapsed)));
    }
  }
}

async function step(client: pg.PoolClient, s: Step): Promise<unknown> {
  if (s.only !== undefined && s.only !== "postgres") return undefined;
  const result = await client.query(dollarParams(s.sql), s.params);
  if (s.mode === "get") return result.rows[0];
  if (s.mode === "all") return result.rows;
  return { changes: result.rowCount ?? 0 };
}

async function facts(client: pg.PoolClient): Promise<CatalogFacts> {
  const present = (await client.query(`SELECT to_regclass('sluice_catalog') IS NOT NULL AS present`)).rows[0].present as boolean;
  if (!present) return { present, schemaVersion: 0, storeRoot: undefined };
  const rows = (await client.query(`SELECT name, value FROM sluice_catalog`)).rows as Array<{ name: string; value: string }>;
  const get = (name: string) => rows.find((r) => r.name === name)?.value;
  return { present, schemaVersion: Number(get("schema_version") ?? 0), storeRoot: get("store_root") };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.cmd) {
    case "inspect":
      return transaction(request.url, "BEGIN READ ONLY", request.retryMs, facts);
    case "setup":
      // Creates or upgrades the schema and records the store it belongs to, once, under a lock.
      return transaction(request.url, "BEGIN", request.retryMs, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`);
        await client.query(`CREATE TABLE IF NOT EXISTS sluice_catalog (name TEXT PRIMARY KEY, value TEXT NOT NULL)`);
        const before = await facts(client);
        if (before.schemaVersion > LATEST_VERSION) return before;
        for (const m of MIGRATIONS) if (m.version > before.schemaVersion) await client.query(m.sql);
        await client.query(
          `INSERT INTO sluice_catalog (name, value) VALUES ('schema_version', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
          [String(LATEST_VERSION)],
        );
        await client.query(`INSERT INTO sluice_catalog (name, value) VALUES ('store_root', $1) ON CONFLICT (name) DO NOTHING`, [request.root]);
        return facts(client);
      });
    case "run": {
      const query = queries[request.name];
      // Reads see one snapshot across their statements (lineage walks several); writes commit as one.
      const begin = query.write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
      return transaction(request.url, begin, query.retry ? request.retryMs : 0, async (client) => {
        const steps = (query.run as (...a: unknown[]) => Generator<Step, unknown, unknown>)(...request.args);
        let next = steps.next();
        while (!next.done) next = steps.next(await step(client, next.value));
        return next.value;
      });
    }
    case "close": {
      const p = pools.get(request.url);
      pools.delete(request.url);
      await p?.end().catch(() => undefined);
      return { ok: true, value: undefined, notes: [] };
    }
  }
}

runAsWorker(handle);
