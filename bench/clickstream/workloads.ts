// The clickstream workload written two ways: Sluice, and the same query hand-written in DuckDB SQL.
// (danfojs-node is in danfo_workload.ts, Polars in polars_workload.py.)
// Each writes NDJSON records {_id: "url|customer|ts", customer, url, ts, metrics: {page_views, visitors}, referrers: {...}}.
import { col, concatStr, count, scan, struct, type LazyFrame } from "../../src/frame/index.js";
import { connect } from "../../src/engine/instance.js";

const TS_FORMAT = "%Y-%m-%dT%H:%M:%S";

export async function sluiceWorkload(dataDir: string, out: string): Promise<void> {
  await clickstreamQuery(await scan.parquet(dataDir, { hive: true })).write.ndjson(out);
}

/** The workload as a lazy frame over the events (nothing runs until an action). */
export function clickstreamQuery(events: LazyFrame): LazyFrame {
  return events
    .withColumns(col("ts").floor("1h").as("hour_ts"))
    .groupBy("customer", "url", "hour_ts")
    .agg(count().as("page_views"), col("session_id").nUnique().as("visitors"), col("referrer").valueCounts().as("referrers"))
    .select(
      concatStr([col("url"), col("customer"), col("hour_ts").format(TS_FORMAT)], "|").as("_id"),
      "customer",
      "url",
      col("hour_ts").format(TS_FORMAT).as("ts"),
      struct({ page_views: col("page_views"), visitors: col("visitors") }).as("metrics"),
      "referrers",
    );
}

/** What a DuckDB user would write by hand for the same result. */
export function handWrittenSql(dataDir: string, out: string): string {
  return `COPY (
    SELECT url || '|' || customer || '|' || strftime(h, '${TS_FORMAT}') AS _id,
           customer, url, strftime(h, '${TS_FORMAT}') AS ts,
           {'page_views': page_views, 'visitors': visitors} AS metrics,
           referrers
    FROM (
      SELECT customer, url, date_trunc('hour', ts) AS h,
             count(*) AS page_views, count(DISTINCT session_id) AS visitors, histogram(referrer) AS referrers
      FROM read_parquet('${dataDir}/**/*.parquet', hive_partitioning = true)
      GROUP BY customer, url, h
    )
  ) TO '${out}' (FORMAT json)`;
}

export async function sqlWorkload(dataDir: string, out: string): Promise<void> {
  const conn = await connect();
  try {
    await conn.run(handWrittenSql(dataDir, out));
  } finally {
    conn.closeSync();
  }
}

/** The hand-written SQL as a DuckDB user who tuned it would run it: output order not kept (records are
 *  matched by _id), which lets DuckDB write without buffering the result in order. */
export async function sqlTunedWorkload(dataDir: string, out: string): Promise<void> {
  const conn = await connect();
  try {
    await conn.run("SET preserve_insertion_order = false");
    await conn.run(handWrittenSql(dataDir, out));
  } finally {
    conn.closeSync();
  }
}

