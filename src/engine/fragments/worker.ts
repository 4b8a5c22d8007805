// One fragment in a process of its own: `node dist/src/engine/fragments/worker.js` reads its spec (JSON) on
// stdin, runs the SQL in its own DuckDB (the driver's version: the same node_modules), writes the result
// as Parquet to a temporary name beside `out` and renames it there, and prints one JSON line:
// { ok: true, rows, ms, host } or { ok: false, error, host }. Only DuckDB is imported, so it starts fast.
import { DuckDBInstance } from "@duckdb/node-api";
import { rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import type { WorkerResult, WorkerSpec } from "./protocol.js";

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

async function main(): Promise<void> {
  const spec = JSON.parse(await readStdin()) as WorkerSpec;
  const started = Date.now();
  const host = process.env.SLUICE_NODE_IP || hostname(); // named in the driver's stages and errors
  const tmp = `${spec.out}.tmp-${process.pid}`;
  const settings: Record<string, string> = { threads: String(spec.threads), preserve_insertion_order: "false" };
  if (spec.memoryLimit) settings.memory_limit = spec.memoryLimit;
  const db = await DuckDBInstance.create(":memory:", settings);
  const conn = await db.connect();
  // A killed driver leaves this process orphaned (re-parented): stop rather than finish work nobody reads.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(143), 500).unref();
  process.on("SIGTERM", () => {
    conn.interrupt();
    void rm(tmp, { force: true }).finally(() => process.exit(143));
  });
  try {
    const result = await conn.run(`COPY (${spec.sql}) TO '${tmp.replaceAll("'", "''")}' (FORMAT parquet)`, spec.params as never);
    await rename(tmp, spec.out);
    const out: WorkerResult = { ok: true, rows: Number(result.rowsChanged), ms: Date.now() - started, host };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } catch (err) {
    await rm(tmp, { force: true });
    process.stdout.write(`${JSON.stringify({ ok: false, error: String((err as Error)?.message ?? err), host } satisfies WorkerResult)}\n`);
    process.exitCode = 1;
  } finally {
    conn.closeSync();
  }
}

await main();
