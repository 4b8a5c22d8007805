// How the benchmark decides two contenders produced the same records (also used by its test).
import { readFileSync } from "node:fs";

/** Records keyed by _id with referrer maps normalized (sorted keys, no null entries), for equality checks. */
export function normalized(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { _id: string; customer: string; url: string; ts: string; metrics: { page_views: number; visitors: number }; referrers: Record<string, number | null> };
    const refs = Object.fromEntries(Object.entries(r.referrers).filter(([, v]) => v !== null).sort(([a], [b]) => (a < b ? -1 : 1)));
    out.set(r._id, JSON.stringify([r._id, r.customer, r.url, r.ts, r.metrics.page_views, r.metrics.visitors, refs]));
  }
  return out;
}

export function sameResults(a: string, b: string): { equal: boolean; rows: number; detail: string } {
  const x = normalized(a);
  const y = normalized(b);
  if (x.size !== y.size) return { equal: false, rows: x.size, detail: `${x.size} vs ${y.size} records` };
  for (const [k, v] of x) if (y.get(k) !== v) return { equal: false, rows: x.size, detail: `record ${k}: ${v} vs ${y.get(k)}` };
  return { equal: true, rows: x.size, detail: "" };
}
