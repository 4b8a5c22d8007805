// The clickstream workload in danfojs-node. Kept apart from the Sluice modules on purpose: importing
// apache-arrow into the same process makes danfo's groupby ~80× slower (measured), which would be unfair.
import { createWriteStream } from "node:fs";
import { createRequire } from "node:module";

interface DanfoFrame {
  column(name: string): { values: unknown[] };
  addColumn(name: string, values: unknown[], opts: { inplace: boolean }): void;
  groupby(keys: string[]): { count(): DanfoFrame; col(cols: string[]): { count(): DanfoFrame } };
  columns: string[];
  shape: number[];
}

interface DanfoSeries {
  values: unknown[];
  index: unknown[];
  valueCounts(): DanfoSeries;
  unique(): DanfoSeries;
}

interface Danfo {
  readCSV(path: string): Promise<DanfoFrame>;
  Series: new (values: unknown[]) => DanfoSeries;
}

const loadDanfo = () => createRequire(import.meta.url)("danfojs-node") as Danfo;

interface ClickRecord {
  customer: string;
  url: string;
  ts: string;
  page_views: number;
  visitors: number;
  referrers: Record<string, number>;
}

/**
 * danfojs-node the way its docs show it: read the CSV, derive the hour, and let danfo's groupby do the
 * counting. danfo assembles a groupby result by re-spreading the output arrays once per group
 * (`Groupby.toDataFrame`), so its time grows with the square of the number of groups.
 */
export async function danfoWorkload(csv: string, out: string): Promise<void> {
  const dfd = loadDanfo();
  const T0 = performance.now();
  const lap = (m: string) => process.env.SLUICE_BENCH_TRACE && console.error(m, Math.round(performance.now() - T0));
  const df = await dfd.readCSV(csv);
  lap("read");
  const ts = df.column("ts").values as string[];
  // "2024-01-01 17": the hour as text (formatted as ISO only at the end: danfo's groupby is far slower on date-like strings).
  df.addColumn("hour_ts", ts.map((t) => String(t).slice(0, 13)), { inplace: true });
  const keys = ["customer", "url", "hour_ts"];
  lap("hour");
  const views = df.groupby(keys).col(["session_id"]).count();
  lap("views");
  const sessions = df.groupby([...keys, "session_id"]).col(["referrer"]).count();
  const visitors = sessions.groupby(keys).col(["session_id"]).count();
  lap("visitors");
  const referrers = df.groupby([...keys, "referrer"]).col(["session_id"]).count();
  lap("referrers");
  // Read each result column once (danfo's column() copies), then assemble the records.
  const columnsOf = (f: DanfoFrame, names: string[]) => names.map((n) => f.column(n).values);
  const keyAt = (cols: unknown[][], i: number) => cols.map((c) => String(c[i])).join("\u0000");
  const records = new Map<string, ClickRecord>();
  const [vc, ...vk] = columnsOf(views, ["session_id_count", ...keys]);
  for (let i = 0; i < vc.length; i++)
    records.set(keyAt(vk, i), { customer: String(vk[0][i]), url: String(vk[1][i]), ts: `${String(vk[2][i]).replace(" ", "T")}:00:00`, page_views: Number(vc[i]), visitors: 0, referrers: {} });
  const [uc, ...uk] = columnsOf(visitors, ["session_id_count", ...keys]);
  for (let i = 0; i < uc.length; i++) records.get(keyAt(uk, i))!.visitors = Number(uc[i]);
  const [rc, rn, ...rk] = columnsOf(referrers, ["session_id_count", "referrer", ...keys]);
  for (let i = 0; i < rc.length; i++) records.get(keyAt(rk, i))!.referrers[String(rn[i])] = Number(rc[i]);
  lap("assembled");
  await writeRecords(records.values(), out);
}

/**
 * danfojs-node written for speed (the fastest formulation found, as for Polars): one text key per group
 * and danfo's Series.valueCounts / unique, which are linear, instead of groupby. The key starts with "#"
 * because valueCounts turns an index that parses as a number into one.
 */
export async function danfoCountsWorkload(csv: string, out: string): Promise<void> {
  const dfd = loadDanfo();
  const df = await dfd.readCSV(csv);
  const [customer, url, referrer, session, ts] = ["customer", "url", "referrer", "session_id", "ts"].map((n) => df.column(n).values.map(String));
  const SEP = "\u0001";
  const keys = ts.map((t, i) => `#${customer[i]}${SEP}${url[i]}${SEP}${t.slice(0, 13)}`);
  const counts = (values: string[]) => {
    const c = new dfd.Series(values).valueCounts();
    return { keys: c.index.map(String), counts: c.values.map(Number) };
  };
  const records = new Map<string, ClickRecord>();
  const views = counts(keys);
  views.keys.forEach((key, i) => {
    const [c, u, hour] = key.slice(1).split(SEP);
    records.set(key, { customer: c, url: u, ts: `${hour.replace(" ", "T")}:00:00`, page_views: views.counts[i], visitors: 0, referrers: {} });
  });
  const sessions = new dfd.Series(keys.map((k, i) => k + SEP + session[i])).unique().values as string[];
  const visitors = counts(sessions.map((ks) => ks.slice(0, ks.lastIndexOf(SEP))));
  visitors.keys.forEach((key, i) => (records.get(key)!.visitors = visitors.counts[i]));
  const referrers = counts(keys.map((k, i) => k + SEP + referrer[i]));
  referrers.keys.forEach((kr, i) => {
    const cut = kr.lastIndexOf(SEP);
    records.get(kr.slice(0, cut))!.referrers[kr.slice(cut + 1)] = referrers.counts[i];
  });
  await writeRecords(records.values(), out);
}

async function writeRecords(records: Iterable<ClickRecord>, out: string): Promise<void> {
  const stream = createWriteStream(out);
  for (const r of records)
    stream.write(
      JSON.stringify({ _id: `${r.url}|${r.customer}|${r.ts}`, customer: r.customer, url: r.url, ts: r.ts, metrics: { page_views: r.page_views, visitors: r.visitors }, referrers: r.referrers }) + "\n",
    );
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
