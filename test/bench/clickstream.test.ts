// The clickstream benchmark compares contenders only if they compute the same thing: every contender's
// records must equal a plain-JS reference computed from the same generated events.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateClickstream, writeEventsCsv } from "../../bench/clickstream/generate.js";
import { sluiceWorkload, sqlWorkload } from "../../bench/clickstream/workloads.js";
import { danfoCountsWorkload, danfoWorkload } from "../../bench/clickstream/danfo_workload.js";
import { arqueroWorkload } from "../../bench/clickstream/arquero_workload.js";
import { normalized, sameResults } from "../../bench/clickstream/compare.js";

const ROWS = 3_000;
let dir: string;
let data: string;
let csv: string;
let reference: string;

/** The workload spelled out over the CSV rows, with nothing but Maps and Sets. */
function referenceRecords(csvText: string): string {
  const [header, ...lines] = csvText.trim().split("\n");
  expect(header).toBe("customer,url,referrer,session_id,ts");
  const groups = new Map<string, { customer: string; url: string; ts: string; views: number; sessions: Set<string>; referrers: Record<string, number> }>();
  for (const line of lines) {
    const [customer, url, referrer, session, ts] = line.split(",");
    const hour = `${ts.slice(0, 10)}T${ts.slice(11, 13)}:00:00`;
    const id = `${url}|${customer}|${hour}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { customer, url, ts: hour, views: 0, sessions: new Set(), referrers: {} }));
    g.views += 1;
    g.sessions.add(session);
    g.referrers[referrer] = (g.referrers[referrer] ?? 0) + 1;
  }
  return [...groups].map(([_id, g]) => JSON.stringify({ _id, customer: g.customer, url: g.url, ts: g.ts, metrics: { page_views: g.views, visitors: g.sessions.size }, referrers: g.referrers })).join("\n");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-clickstream-"));
  data = join(dir, "events");
  csv = join(dir, "events.csv");
  await generateClickstream(data, { rows: ROWS });
  await writeEventsCsv(csv, { rows: ROWS });
  reference = join(dir, "reference.ndjson");
  writeFileSync(reference, referenceRecords(readFileSync(csv, "utf8")));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("bench/clickstream contenders", () => {
  it("the reference has real groups: repeat visits, several referrers, several hours", () => {
    const records = [...normalized(reference).values()].map((r) => JSON.parse(r) as [string, string, string, string, number, number, Record<string, number>]);
    expect(records.reduce((n, r) => n + r[4], 0)).toBe(ROWS);
    expect(records.some((r) => r[4] > r[5])).toBe(true); // a session viewed the page more than once
    expect(records.some((r) => Object.keys(r[6]).length > 1)).toBe(true);
    expect(new Set(records.map((r) => r[3])).size).toBeGreaterThan(1);
  });

  const contenders: Array<[string, (out: string) => Promise<void>]> = [
    ["Sluice", (out) => sluiceWorkload(data, out)],
    ["hand-written DuckDB SQL", (out) => sqlWorkload(data, out)],
    ["danfojs-node groupby", (out) => danfoWorkload(csv, out)],
    ["danfojs-node valueCounts", (out) => danfoCountsWorkload(csv, out)],
    ["Arquero", (out) => arqueroWorkload(csv, out)],
  ];
  it.each(contenders)("%s writes the reference records", async (name, workload) => {
    const out = join(dir, `${name.replace(/\W+/g, "-")}.ndjson`);
    await workload(out);
    expect(sameResults(reference, out)).toMatchObject({ equal: true, detail: "" });
  }, 60_000);

  it("Polars writes the reference records", () => {
    const out = join(dir, "polars.ndjson");
    const r = spawnSync(join(process.cwd(), ".venv", "bin", "python"), ["bench/clickstream/polars_workload.py", data, out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(sameResults(reference, out)).toMatchObject({ equal: true, detail: "" });
  }, 60_000);
});
