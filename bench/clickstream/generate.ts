// A deterministic generator of page-view events: row i's fields are hashes of i and of its session, so the
// same size always gives the same data. Written by DuckDB as hive-partitioned Parquet (day/hour/customer).
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

const SESSION_US = 30 * 60_000_000; // a visit lasts up to 30 minutes

/**
 * The generator as one SELECT over range(rows); also used to write the CSV that danfo reads. Events belong
 * to sessions (15 page views each on average): a session has one customer, one referrer and a start time,
 * and its page views fall within 30 minutes of that start, so a page seen twice in a visit counts one visitor.
 * Each field hashes its own input (n * 8 + k); hash(i, k) gave correlated fields.
 */
export function eventsSql(o: GenerateOptions): string {
  const days = o.days ?? 2;
  const customers = o.customers ?? 8;
  const urls = o.urls ?? 300;
  const span = days * 86_400_000_000;
  const sessions = Math.max(1, Math.floor(o.rows / 15));
  return `SELECT
      'c' || lpad(CAST(hash(s * 8 + 1) % ${customers} AS VARCHAR), 2, '0') AS customer,
      '/page/' || CAST(hash(i * 8 + 2) % ${urls} AS VARCHAR) AS url,
      [${REFERRERS.map((r) => `'${r}'`).join(", ")}][1 + CAST(hash(s * 8 + 3) % ${REFERRERS.length} AS INTEGER)] AS referrer,
      's' || CAST(s AS VARCHAR) AS session_id,
      make_timestamp(${START_US} + CAST(hash(s * 8 + 5) % ${span - SESSION_US} AS BIGINT) + CAST(hash(i * 8 + 5) % ${SESSION_US} AS BIGINT)) AS ts
    FROM (SELECT i, hash(i * 8 + 4) % ${sessions} AS s FROM range(${o.rows}) AS r(i))`;
}

/** What the files on disk were made from: a change here regenerates cached data. */
const generatorVersion = (o: GenerateOptions) => JSON.stringify({ ...o, layout: "one file per partition", fields: "independent", events: "in sessions" });

/** Writes the dataset under dir unless the same parameters were already written there. */
export async function generateClickstream(dir: string, o: GenerateOptions): Promise<void> {
  const marker = join(dir, "_generated.json");
  const params = generatorVersion(o);
  if (existsSync(marker) && readFileSync(marker, "utf8") === params) return;
  rmSync(dir, { recursive: true, force: true });
  const conn = await connect();
  try {
    // One file per partition, as a data lake compacted by day/hour/customer would have. DuckDB's defaults
    // (a file per thread, at most 100 open files) leave 15 small files per partition at 10M rows.
    await conn.run("SET threads = 1; SET partitioned_write_max_open_files = 10000; SET partitioned_write_flush_threshold = 100000000");
    await conn.run(
      `COPY (SELECT *, CAST(ts AS DATE) AS day, hour(ts) AS hour FROM (${eventsSql(o)}))
       TO '${dir.replaceAll("'", "''")}' (FORMAT parquet, PARTITION_BY (day, hour, customer))`,
    );
  } finally {
    await conn.run("RESET threads; RESET partitioned_write_max_open_files; RESET partitioned_write_flush_threshold");
    conn.closeSync();
  }
  writeFileSync(marker, params);
}

/** The same events as one CSV file (for danfojs-node, which reads CSV). */
export async function writeEventsCsv(path: string, o: GenerateOptions): Promise<void> {
  const marker = `${path}.generated.json`;
  if (existsSync(path) && existsSync(marker) && readFileSync(marker, "utf8") === generatorVersion(o)) return;
  const conn = await connect();
  try {
    await conn.run(`COPY (${eventsSql(o)}) TO '${path.replaceAll("'", "''")}' (FORMAT csv, HEADER true)`);
  } finally {
    conn.closeSync();
  }
  writeFileSync(marker, generatorVersion(o));
}
