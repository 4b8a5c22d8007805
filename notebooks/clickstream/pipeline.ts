// Clickstream: page-view events land as hive-partitioned Parquet (day=/hour=/customer=); a notebook
// aggregates each hour per customer, url and hour into page views, distinct visitors and referrer
// counts; a function op exports the result as NDJSON records. These ops are partitioned by hour, so a
// backfill over a day runs 24 partitions, several at a time; a daily rollup reads the day's 24 hourly
// partitions (an hourly → daily partition mapping) once they are all there:
//
//   sluice pipeline run notebooks/clickstream/pipeline.ts --backfill 2024-03-01T00..2024-03-01T23
//   sluice pipeline run notebooks/clickstream/pipeline.ts --partition 2024-03-01T05
//
// Checks on the hourly stats (not empty; no negative counts, which blocks the hour's export), a freshness
// target for the rollup, an hourly schedule and a sensor on the raw landing folder run with:
//
//   sluice daemon notebooks/clickstream/pipeline.ts     # sluice daemon status: what it ran and skipped
//   sluice assets stale notebooks/clickstream/pipeline.ts
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  col, count, fnOp, fromColumns, lit, hourlyPartitions, dailyPartitions, hourlyToDaily, notebookOp, pipeline,
  rowCountCheck, rangeCheck, freshness, schedule, fileSensor, type LazyFrame,
} from "sluice";
import { random } from "../random.js";

const FULL = process.env.SLUICE_EXAMPLE_SIZE === "full";
/** Raw events and exports live next to the assets, outside the catalog (they are the "outside world"),
 * in the runner's store folder (`--store`, else $SLUICE_STORE or ./.sluice). */
const eventsDir = (storeRoot: string) => join(storeRoot, "raw", "clickstream", "events");
const exportDir = (storeRoot: string) => join(storeRoot, "exports", "clickstream");

const hours = hourlyPartitions({ start: "2024-03-01T00" });
const days = dailyPartitions({ start: "2024-03-01" });
/** Where a collector drops an hour's file (`2024-03-01T05.parquet`); the sensor runs that hour. */
const landingDir = (storeRoot: string) => join(storeRoot, "raw", "clickstream", "landing");

/** A stable seed per partition key, so an hour always gets the same events. */
function seedOf(key: string): number {
  let h = 2166136261;
  for (const ch of key) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

const CUSTOMERS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka"];
const URLS = ["/", "/pricing", "/docs", "/docs/start", "/docs/api", "/blog", "/blog/launch", "/signup", "/login", "/contact"];
const REFERRERS = ["google", "google", "google", "direct", "direct", "twitter", "newsletter", "partner"];
const AGENTS = ["Mozilla/5.0 (X11; Linux)", "Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (iPhone)", "Googlebot/2.1", "Mozilla/5.0 (Windows NT 10.0)"];

export default pipeline(
  "clickstream",
  [
    fnOp({
      name: "page_views",
      partitions: hours,
      params: { eventsPerHour: FULL ? 50_000 : 400, customers: FULL ? 8 : 4 },
      outputs: ["clickstream/raw_files"],
      // Writes this hour's events to <store>/raw/clickstream/events/day=…/hour=…/customer=…/data_0.parquet, as a collector
      // would, and records which files it wrote (the asset is that manifest; the events stay in place).
      run: async (ctx) => {
        const key = ctx.partitionKey!; // "2024-03-01T05"
        const [day, hour] = [key.slice(0, 10), Number(key.slice(11, 13))];
        const next = random(seedOf(key));
        const n = ctx.params.eventsPerHour as number;
        const customers = CUSTOMERS.slice(0, ctx.params.customers as number);
        const cols = { ts: [] as string[], customer: [] as string[], visitor_id: [] as string[], url: [] as string[], referrer: [] as (string | null)[], user_agent: [] as string[] };
        for (let i = 0; i < n; i++) {
          const second = Math.floor((i / n) * 3600);
          cols.ts.push(`${day} ${String(hour).padStart(2, "0")}:${String(Math.floor(second / 60)).padStart(2, "0")}:${String(second % 60).padStart(2, "0")}`);
          cols.customer.push(customers[Math.floor(next() ** 1.5 * customers.length)]!);
          cols.visitor_id.push(`v${Math.floor(next() * n * 0.3)}`);
          cols.url.push(URLS[Math.floor(next() ** 2 * URLS.length)]!);
          const referrer = REFERRERS[Math.floor(next() * REFERRERS.length)]!;
          cols.referrer.push(referrer === "direct" ? null : referrer);
          cols.user_agent.push(AGENTS[Math.floor(next() * AGENTS.length)]!);
        }
        const events = fromColumns(cols, `events ${key}`).withColumns(col("ts").cast("timestamp").as("ts"));
        const dir = join(eventsDir(ctx.storeRoot), `day=${day}`, `hour=${String(hour).padStart(2, "0")}`);
        mkdirSync(dir, { recursive: true });
        await events.write.parquet(dir, { partitionBy: ["customer"] });
        return events
          .groupBy("customer")
          .agg(count().as("events"))
          .withColumns(
            lit(eventsDir(ctx.storeRoot)).as("root"),
            lit(day).as("day"),
            lit(hour).as("hour"),
          )
          .sort("customer");
      },
    }),
    notebookOp({
      name: "hourly_stats",
      partitions: hours,
      notebook: "hourly-stats.ipynb",
      params: { excludeBots: true },
      inputs: { files: "clickstream/raw_files" },
      outputs: ["clickstream/page_stats"],
    }),
    fnOp({
      name: "ndjson_export",
      partitions: hours,
      inputs: { stats: "clickstream/page_stats" },
      outputs: ["clickstream/ndjson_files"],
      // One NDJSON file per hour: one record per customer, url and hour, for a downstream system.
      run: async (ctx, inputs) => {
        mkdirSync(exportDir(ctx.storeRoot), { recursive: true });
        const path = join(exportDir(ctx.storeRoot), `${ctx.partitionKey}.ndjson`);
        const stats = inputs.stats as LazyFrame;
        await stats.write.ndjson(path);
        const records = await stats.count();
        ctx.log(`${records} records → ${path}`);
        return [{ path, records }];
      },
    }),
    fnOp({
      name: "daily_rollup",
      partitions: days,
      inputs: { hours: "clickstream/page_stats" },
      // A day reads its 24 hourly partitions, one lazy frame each; a late hour makes its day stale.
      partitionMappings: { hours: hourlyToDaily() },
      outputs: ["clickstream/daily_rollup"],
      run: (ctx, inputs) => {
        const [first, ...rest] = (inputs.hours as LazyFrame[]).map((h) => h.select("customer", "url", "page_views", "visitors"));
        return first!
          .union(...rest)
          .groupBy("customer", "url")
          .agg(col("page_views").sum().as("page_views"), col("visitors").sum().as("visitor_hours"))
          .withColumns(lit(ctx.partitionKey!).as("day"))
          .sort(["customer", "page_views"], { descending: [false, true] });
      },
    }),
  ],
  {
    maxConcurrency: 4,
    checks: [
      rowCountCheck("clickstream/page_stats", { name: "not_empty" }),
      // Blocking: an hour with a negative count is not exported, and its day is not rolled up.
      rangeCheck("clickstream/page_stats", "page_views", { min: 0 }, { name: "no_negative_counts", blocking: true }),
    ],
    freshness: [freshness("clickstream/daily_rollup", "26h"), freshness("clickstream/page_stats", "2h")],
    // At ten past each hour, the hour that just ended.
    schedules: [schedule({ name: "hourly", cron: "10 * * * *" })],
    sensors: [fileSensor({ name: "landing", path: ({ storeRoot }) => landingDir(storeRoot), pattern: /^\d{4}-\d{2}-\d{2}T\d{2}\.parquet$/, partition: (f) => f.name.slice(0, 13) })],
  },
);
