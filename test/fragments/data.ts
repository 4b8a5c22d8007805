// Test data and helpers shared by the fragment tests: hive-partitioned Parquet written by DuckDB, with a
// partition column (`tag`) whose inferred type differs by subset: over day<=3 its folders hold only digits
// (DuckDB alone would guess BIGINT), over all days one value is text (VARCHAR), so a fragment without
// explicit hive types would read another type than its neighbours and the union would fail.
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { col, count, onProgress, scan, type LazyFrame, type ProgressEvent } from "../../src/index.js";
import { connect } from "../../src/engine/instance.js";

export function bytesBelow(d: string): number {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".parquet"))
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

/** Writes `rows` rows partitioned by day (1..8) and tag, under a new temporary folder; returns it. */
export async function writeEvents(rows: number): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), "sluice-frag-")), "events");
  const conn = await connect();
  try {
    // md5 session ids barely compress, so a few hundred thousand rows make several MB of Parquet.
    await conn.run(`COPY (
      SELECT 1 + (hash(i * 5 + 1) % 8) AS day,
             CASE WHEN 1 + (hash(i * 5 + 1) % 8) >= 7 AND i % 2 = 0 THEN 'x' || (i % 2) ELSE CAST(hash(i * 5 + 2) % 3 AS VARCHAR) END AS tag,
             'c' || (hash(i * 5 + 3) % 500) AS customer,
             md5(CAST(hash(i * 5 + 4) % ${Math.max(1, Math.floor(rows / 3))} AS VARCHAR)) AS session_id,
             ['a', 'b', 'c', NULL][1 + CAST(hash(i) % 4 AS BIGINT)] AS referrer,
             CAST(i AS INTEGER) AS n
      FROM range(${rows}) AS r(i)) TO '${dir}' (FORMAT parquet, PARTITION_BY (day, tag))`);
  } finally {
    conn.closeSync();
  }
  return dir;
}

/** The queries compared with and without fragments: distinct counts, histograms, quantiles, sums, sorted. */
export async function queries(dir: string): Promise<Record<string, LazyFrame>> {
  const events = await scan.parquet(dir, { hive: true });
  const byDay = events
    .groupBy("day", "tag")
    .agg(
      count().as("views"),
      col("session_id").nUnique().as("visitors"),
      col("referrer").valueCounts().as("referrers"),
      col("n").median().as("median_n"),
      col("n").quantile(0.9).as("p90"),
      col("n").sum().as("total"),
    );
  return {
    byDay,
    sortedTop: events
      .groupBy("day", "customer")
      .agg(col("session_id").nUnique().as("visitors"), col("n").quantile(0.5).as("q50"))
      .sort(["visitors", "day", "customer"], { descending: [true, false, false] })
      .limit(25),
    filtered: events
      .filter(col("tag").eq("1"))
      .groupBy("tag", "day")
      .agg(col("session_id").nUnique().as("visitors"))
      .sort("day"),
  };
}

/** Rows as JSON lines; sorted unless `ordered` (then the order is part of the result). */
export async function rowsOf(f: LazyFrame, ordered = false): Promise<string[]> {
  const df = await f.collect();
  const rows = df.toRecords().map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? String(v) : v instanceof Map ? [...v].sort() : v)));
  return ordered ? rows : rows.sort();
}

/** The rows of each query (byDay, sortedTop, filtered), as `rowsOf` gives them, and the progress events they sent. */
export async function rowsOfQueries(q: Record<string, LazyFrame>): Promise<{ rows: Record<string, string[]>; events: ProgressEvent[] }> {
  const events: ProgressEvent[] = [];
  const stop = onProgress((e) => events.push(e));
  try {
    return { rows: { byDay: await rowsOf(q.byDay!), sortedTop: await rowsOf(q.sortedTop!, true), filtered: await rowsOf(q.filtered!, true) }, events };
  } finally {
    stop();
  }
}
