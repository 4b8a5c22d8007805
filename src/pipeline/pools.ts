// Pools: a named limit on how many ops run at once, shared by every pipeline run in this process (one
// `sluice pipeline run`, or all the runs a daemon starts). An op joins a pool with `pool: "duckdb"`; a
// pipeline sets limits with `pools: { duckdb: 2 }` (a pool without a limit is unbounded).
import { PipelineUsageError } from "./errors.js";

interface Pool {
  limit: number;
  running: number;
  waiting: Array<() => void>;
}

const pools = new Map<string, Pool>();

function poolOf(name: string): Pool {
  let pool = pools.get(name);
  if (!pool) pools.set(name, (pool = { limit: Infinity, running: 0, waiting: [] }));
  return pool;
}

/** Sets pool limits; a pool set twice with different limits keeps the smaller (the stricter wins). */
export function configurePools(limits: Readonly<Record<string, number>>): void {
  for (const [name, limit] of Object.entries(limits)) {
    if (!Number.isInteger(limit) || limit < 1) throw new PipelineUsageError(`pool ${name}: the limit must be a whole number ≥ 1, got ${limit}.`);
    const pool = poolOf(name);
    pool.limit = Math.min(pool.limit, limit);
    wake(pool);
  }
}

function wake(pool: Pool): void {
  while (pool.running < pool.limit && pool.waiting.length) {
    pool.running += 1;
    pool.waiting.shift()!();
  }
}

/** Waits for a slot in the pool (undefined: no pool, returns at once); call the returned release when done. */
export async function acquirePool(name: string | undefined, signal?: AbortSignal): Promise<() => void> {
  if (name === undefined) return () => {};
  const pool = poolOf(name);
  if (pool.running < pool.limit) pool.running += 1;
  else {
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        pool.waiting.splice(pool.waiting.indexOf(go), 1);
        reject(signal!.reason ?? new Error("cancelled while waiting for pool " + name));
      };
      pool.waiting.push(go);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pool.running -= 1;
    wake(pool);
  };
}

/** Slots in use and waiting ops, per pool (for status and tests). */
export function poolUsage(): Record<string, { limit: number; running: number; waiting: number }> {
  return Object.fromEntries([...pools].map(([name, p]) => [name, { limit: p.limit, running: p.running, waiting: p.waiting.length }]));
}
