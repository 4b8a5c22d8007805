// One embedded DuckDB per process. Each action takes its own connection so that a cancel interrupts
// exactly that query; connections share the in-memory catalog (cached and in-memory tables).
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InvalidArgumentError, checkOptionNames } from "../plan/errors.js";
import { setClusterConfig, type ClusterConfig } from "./fragments/config.js";

export interface EngineConfig {
  /** Worker threads (default: DuckDB's choice, the number of cores). */
  threads?: number;
  /** e.g. "2GB" (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
  /** Where DuckDB spills when a query outgrows memory. */
  spillDirectory?: string;
  /** Run large partition-wise aggregations as fragments: local processes or Ray tasks (docs/distributed-queries.md); null turns it off. */
  cluster?: ClusterConfig | null;
}

let config: EngineConfig = {};
let instance: Promise<DuckDBInstance> | undefined;

/** Sets engine options; applied at once when the engine already runs (SET), else at start-up. */
export async function configureEngine(next: EngineConfig): Promise<void> {
  checkOptionNames("configureEngine", next, { threads: true, memoryLimit: true, spillDirectory: true, cluster: true } satisfies Record<keyof EngineConfig, true>);
  checkSettings(next);
  setClusterConfig(next.cluster); // not a DuckDB setting: checked and kept by the fragments runner
  if (instance) {
    // Applied first, recorded after: a setting DuckDB refuses leaves engineConfig() as it was.
    const conn = await connect();
    try {
      for (const [k, v] of Object.entries(settings(next))) {
        try {
          await conn.run(`SET ${k} = '${v.replaceAll("'", "''")}'`);
        } catch (e) {
          throw new InvalidArgumentError(`configureEngine: DuckDB refused ${k} = ${JSON.stringify(v)}: ${(e as Error).message}`);
        }
      }
    } finally {
      conn.closeSync();
    }
  }
  config = { ...config, ...next };
}

const MAX_THREADS = 1024;
const MIN_MEMORY_BYTES = 64 * 1024 ** 2;
const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };

/** Values that DuckDB would accept but that leave the one engine of the process unusable are refused here. */
function checkSettings(next: EngineConfig): void {
  const { threads, memoryLimit, spillDirectory } = next;
  if (threads !== undefined && !(typeof threads === "number" && Number.isInteger(threads) && threads > 0 && threads <= MAX_THREADS))
    throw new InvalidArgumentError(`configureEngine: threads must be a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(threads)}${typeof threads === "string" ? " (a string)" : ""}`);
  if (memoryLimit !== undefined) {
    const m = typeof memoryLimit === "string" ? /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(memoryLimit.trim()) : null;
    if (!m) throw new InvalidArgumentError(`configureEngine: memoryLimit must look like "512MB" or "4GB", got ${JSON.stringify(memoryLimit)}`);
    if (Number(m[1]) * UNIT_BYTES[m[2].toUpperCase()] < MIN_MEMORY_BYTES)
      throw new InvalidArgumentError(`configureEngine: memoryLimit ${JSON.stringify(memoryLimit)} is too small for DuckDB to run a query; give at least "64MB"`);
  }
  if (spillDirectory !== undefined) {
    if (typeof spillDirectory !== "string" || spillDirectory.trim() === "")
      throw new InvalidArgumentError(`configureEngine: spillDirectory must be a folder path, got ${JSON.stringify(spillDirectory)}`);
    const path = resolve(spillDirectory);
    if (existsSync(path) ? !statSync(path).isDirectory() : !existsSync(dirname(path)))
      throw new InvalidArgumentError(
        existsSync(path)
          ? `configureEngine: spillDirectory ${JSON.stringify(spillDirectory)} exists and is not a folder`
          : `configureEngine: spillDirectory ${JSON.stringify(spillDirectory)}: its parent folder ${JSON.stringify(dirname(path))} does not exist; create it first`,
      );
  }
}

/** A memoryLimit already checked by checkSettings ("512MB", "4GB", "1.5GiB") in bytes. */
export function memoryLimitBytes(memoryLimit: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(memoryLimit.trim())!;
  return Number(m[1]) * UNIT_BYTES[m[2].toUpperCase()];
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
