// The clickstream workload in Arquero, run in its own process like danfo (no Sluice or apache-arrow loaded).
// Input is the same CSV danfo reads: Arquero has no Parquet reader, and its Arrow route (loadArrow) would need
// another tool to convert the Parquet first, so CSV is what an Arquero user would load here, and both JS
// dataframes pay the same parse.
import { createWriteStream } from "node:fs";
import { loadCSV, op } from "arquero";

/** DuckDB writes the CSV's timestamps as UTC wall time without a zone ("2024-01-01 17:14:56.420692"). */
const utcTimestamp = (text: string) => new Date(`${text.replace(" ", "T")}Z`);

/** Arquero: load the CSV, derive the hour, group and roll up; a second groupby counts the referrers. */
export async function arqueroWorkload(csv: string, out: string): Promise<void> {
  const events = await loadCSV(csv, { parse: { ts: utcTimestamp } });
  // Arquero compiles these arrow functions from their source text, so they use only `d` and `op`.
  const hourly = events.derive({ hour: (d) => op.utcdatetime(op.utcyear(d.ts), op.utcmonth(d.ts), op.utcdate(d.ts), op.utchours(d.ts)) });
  const keys = ["customer", "url", "hour"];
  const metrics = hourly.groupby(keys).rollup({ page_views: op.count(), visitors: op.distinct("session_id") });
  const referrers = hourly
    .groupby([...keys, "referrer"])
    .count({ as: "n" })
    .groupby(keys)
    .rollup({ referrers: op.object_agg("referrer", "n") });
  const records = metrics.join(referrers, [keys, keys]);

  // Serialize in plain JS: op.format_utcdate's `shorten` flag acts inverted in Arquero 8.0.3 (the default
  // shortens to "2024-01-01T17:00Z"), so the hour label comes from toISOString instead.
  const stream = createWriteStream(out);
  for (const r of records.objects() as { customer: string; url: string; hour: Date; page_views: number; visitors: number; referrers: Record<string, number> }[]) {
    const ts = r.hour.toISOString().slice(0, 19);
    stream.write(
      JSON.stringify({ _id: `${r.url}|${r.customer}|${ts}`, customer: r.customer, url: r.url, ts, metrics: { page_views: r.page_views, visitors: r.visitors }, referrers: r.referrers }) + "\n",
    );
  }
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
