// A deterministic generator of page-view events: row i's fields are hashes of i, so the same size
// always gives the same data. Written by DuckDB as hive-partitioned Parquet (day/hour/customer).
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../../src/engine/instance.js";

export interface GenerateOptions {
  rows: number;
  days?: number;
  customers?: number;
  urls?: number;
}

const REFERRERS = ["google", "bing", "direct", "twitter", "newsletter", "partner", "reddit"];
const START_US = 1_704_067_200_000_000; // 2024-01-01T00:00:00Z

/** The generator as one SELECT over range(rows); also used to write the CSV that danfo reads. */
export function eventsSql(o: GenerateOptions): string {
  const days = o.days ?? 2;
  const customers = o.customers ?? 8;
  const urls = o.urls ?? 300;
  const span = days * 86_400_000_000;
  const sessions = Math.max(1, Math.floor(o.rows / 15));
  return `SELECT
      'c' || lpad(CAST(hash(i, 1) % ${customers} AS VARCHAR), 2, '0') AS customer,
      '/page/' || CAST(hash(i, 2) % ${urls} AS VARCHAR) AS url,
      [${REFERRERS.map((r) => `'${r}'`).join(", ")}][1 + CAST(hash(i, 3) % ${REFERRERS.length} AS INTEGER)] AS referrer,
      's' || CAST(hash(i, 4) % ${sessions} AS VARCHAR) AS session_id,
      make_timestamp(${START_US} + CAST(hash(i, 5) % ${span} AS BIGINT)) AS ts
    FROM range(${o.rows}) AS r(i)`;
}

/** Writes the dataset under dir unless the same parameters were already written there. */
export async function generateClickstream(dir: string, o: GenerateOptions): Promise<void> {
  const marker = join(dir, "_generated.json");
  const params = JSON.stringify(o);
  if (existsSync(marker) && readFileSync(marker, "utf8") === params) return;
  rmSync(dir, { recursive: true, force: true });
  const conn = await connect();
  try {
    await conn.run(
      `COPY (SELECT *, CAST(ts AS DATE) AS day, hour(ts) AS hour FROM (${eventsSql(o)}))
       TO '${dir.replaceAll("'", "''")}' (FORMAT parquet, PARTITION_BY (day, hour, customer))`,
    );
  } finally {
    conn.closeSync();
  }
  writeFileSync(marker, params);
}

/** The same events as one CSV file (for danfojs-node, which reads CSV). */
export async function writeEventsCsv(path: string, o: GenerateOptions): Promise<void> {
  if (existsSync(path)) return;
  const conn = await connect();
  try {
    await conn.run(`COPY (${eventsSql(o)}) TO '${path.replaceAll("'", "''")}' (FORMAT csv, HEADER true)`);
  } finally {
    conn.closeSync();
  }
}
