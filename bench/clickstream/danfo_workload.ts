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

/** danfojs-node: read the CSV, derive the hour, and let danfo's groupby do the counting. */
export async function danfoWorkload(csv: string, out: string): Promise<void> {
  const dfd = createRequire(import.meta.url)("danfojs-node") as { readCSV(path: string): Promise<DanfoFrame> };
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
  const records = new Map<string, { customer: string; url: string; ts: string; page_views: number; visitors: number; referrers: Record<string, number> }>();
  const [vc, ...vk] = columnsOf(views, ["session_id_count", ...keys]);
  for (let i = 0; i < vc.length; i++)
    records.set(keyAt(vk, i), { customer: String(vk[0][i]), url: String(vk[1][i]), ts: `${String(vk[2][i]).replace(" ", "T")}:00:00`, page_views: Number(vc[i]), visitors: 0, referrers: {} });
  const [uc, ...uk] = columnsOf(visitors, ["session_id_count", ...keys]);
  for (let i = 0; i < uc.length; i++) records.get(keyAt(uk, i))!.visitors = Number(uc[i]);
  const [rc, rn, ...rk] = columnsOf(referrers, ["session_id_count", "referrer", ...keys]);
  for (let i = 0; i < rc.length; i++) records.get(keyAt(rk, i))!.referrers[String(rn[i])] = Number(rc[i]);
  lap("assembled");
  const stream = createWriteStream(out);
  for (const r of records.values())
    stream.write(
      JSON.stringify({ _id: `${r.url}|${r.customer}|${r.ts}`, customer: r.customer, url: r.url, ts: r.ts, metrics: { page_views: r.page_views, visitors: r.visitors }, referrers: r.referrers }) + "\n",
    );
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}
