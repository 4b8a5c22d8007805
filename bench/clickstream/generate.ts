// A deterministic generator of page-view events: row i's fields are hashes of i and of its session, so the
// same size always gives the same data. Written by DuckDB as hive-partitioned Parquet (day/hour/customer).
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "../../src/engine/instance.js";

export interface GenerateOptions {
  rows: number;
  /** "few-groups" (default: 8 customers × 300 urls × 48 hours, uniform) or "high-cardinality" (see highCardinalitySql). */
  shape?: Shape;
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
  if (o.shape === "high-cardinality") return highCardinalitySql(o);
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

export type Shape = "few-groups" | "high-cardinality";

/** Ten referrers, the first far more common than the last (weights 1/rank). */
const SKEWED_REFERRERS = ["google", "direct", "bing", "twitter", "newsletter", "partner", "reddit", "facebook", "linkedin", "duckduckgo"];
/** P(1 + Poisson(4) ≤ k) for k = 1, 2, …: a session's page views, about 5 on average. */
const SESSION_SIZE_CDF = [0.018316, 0.091578, 0.238103, 0.43347, 0.628837, 0.78513, 0.889326, 0.948866, 0.978637, 0.991868, 0.99716, 0.999085, 0.999726, 0.999924];
const GAP_SECONDS = 60;

/** A uniform number in [0, 1) from a hash of `x` (53 bits). */
const uniform = (x: string) => `(CAST(hash(${x}) >> 11 AS DOUBLE) / 9007199254740992.0)`;

/** The first k whose cumulative probability exceeds u, as a CASE over `cdf` (k counts from `first`). */
const inverseCdf = (u: string, cdf: readonly number[], first: number) =>
  `CASE ${cdf.map((c, i) => `WHEN ${u} < ${c} THEN ${first + i}`).join(" ")} ELSE ${first + cdf.length} END`;

/**
 * The shape a real site has: one day of page views, 20 customers × 2,000 urls whose popularity follows Zipf's
 * law (exponent 1.1, the inverse of its continuous CDF), in sessions of 1 + Poisson(4) page views 60 s apart
 * (one customer and one referrer per session), from 10 referrers with weights 1/rank. Exactly o.rows events:
 * sessions are cut at the running total. About 740k (customer, url, hour) groups at 10M rows.
 */
export function highCardinalitySql(o: GenerateOptions): string {
  const customers = o.customers ?? 20;
  const urls = o.urls ?? 2000;
  const zipf = 1.1;
  const a = 1 - zipf;
  const sessions = Math.ceil(o.rows / 4) + 16; // more than enough: the mean size is 5
  const total = SKEWED_REFERRERS.reduce((sum, _, i) => sum + 1 / (i + 1), 0);
  let acc = 0;
  const referrerCdf = SKEWED_REFERRERS.slice(0, -1).map((_, i) => (acc += 1 / (i + 1) / total));
  const referrer = `[${SKEWED_REFERRERS.map((r) => `'${r}'`).join(", ")}][${inverseCdf(uniform("s * 8 + 3"), referrerCdf, 1)}]`;
  const rank = `least(${urls}, CAST(floor(pow(1 - ${uniform("e * 8 + 2")} * (1 - pow(${urls + 1}, ${a})), ${1 / a})) AS BIGINT))`;
  return `SELECT
      'c' || lpad(CAST(hash(s * 8 + 1) % ${customers} AS VARCHAR), 2, '0') AS customer,
      '/page/' || CAST(${rank} AS VARCHAR) AS url,
      referrer,
      's' || CAST(s AS VARCHAR) AS session_id,
      make_timestamp(${START_US} + (start_s + k * ${GAP_SECONDS}) * 1000000) AS ts
    FROM (
      SELECT s, referrer, start_s, k, s * 64 + k AS e
      FROM (
        SELECT s, size, referrer, sum(size) OVER (ORDER BY s) - size AS before,
               CAST(hash(s * 8 + 5) % (86400 - ${GAP_SECONDS} * (size - 1)) AS BIGINT) AS start_s
        FROM (SELECT s, ${inverseCdf(uniform("s * 8 + 4"), SESSION_SIZE_CDF, 1)} AS size, ${referrer} AS referrer FROM range(${sessions}) AS r(s))
      ), range(size) AS ks(k)
      WHERE before + k < ${o.rows}
    )`;
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
