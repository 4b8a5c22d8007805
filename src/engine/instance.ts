// One embedded DuckDB per process. Each action takes its own connection so that a cancel interrupts
// exactly that query; connections share the in-memory catalog (cached and in-memory tables).
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { InvalidArgumentError, checkOptionNames } from "../plan/errors.js";

export interface EngineConfig {
  /** Worker threads (default: DuckDB's choice, the number of cores). */
  threads?: number;
  /** e.g. "2GB" (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
  /** Where DuckDB spills when a query outgrows memory. */
  spillDirectory?: string;
}

let config: EngineConfig = {};
let instance: Promise<DuckDBInstance> | undefined;

/** Sets engine options; applied at once when the engine already runs (SET), else at start-up. */
export async function configureEngine(next: EngineConfig): Promise<void> {
  checkOptionNames("configureEngine", next, { threads: true, memoryLimit: true, spillDirectory: true } satisfies Record<keyof EngineConfig, true>);
  if (next.threads !== undefined && !(Number.isInteger(next.threads) && next.threads > 0))
    throw new InvalidArgumentError(`threads must be a positive integer, got ${next.threads}`);
  if (next.memoryLimit !== undefined && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(next.memoryLimit))
    throw new InvalidArgumentError(`memoryLimit must look like "512MB" or "4GB", got ${JSON.stringify(next.memoryLimit)}`);
  config = { ...config, ...next };
  if (instance) {
    const conn = await connect();
    try {
      for (const [k, v] of Object.entries(settings(next))) await conn.run(`SET ${k} = '${v.replaceAll("'", "''")}'`);
    } finally {
      conn.closeSync();
    }
  }
}

export function engineConfig(): EngineConfig {
  return { ...config };
}

function settings(c: EngineConfig): Record<string, string> {
  const s: Record<string, string> = {};
  if (c.threads !== undefined) s.threads = String(c.threads);
  if (c.memoryLimit !== undefined) s.memory_limit = c.memoryLimit;
  if (c.spillDirectory !== undefined) s.temp_directory = c.spillDirectory;
  return s;
}

export async function getInstance(): Promise<DuckDBInstance> {
  instance ??= DuckDBInstance.create(":memory:", settings(config)).then(async (db) => {
    const conn = await db.connect();
    await conn.run(`CREATE SCHEMA IF NOT EXISTS sluice_mem`);
    conn.closeSync();
    return db;
  });
  return instance;
}

export async function connect(): Promise<DuckDBConnection> {
  return (await getInstance()).connect();
}
