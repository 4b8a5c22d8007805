// The example pipelines end to end, as `npm start` runs them: `sluice examples` as a real process on a
// machine where no Sluice kernel was installed (the command installs one into the store), the real
// Sluice kernel executing every notebook, DuckDB, the SQLite catalog. The checks recompute what each
// example should produce from its generated inputs (polars reads the raw files independently).
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { sluiceKernelPids } from "../helpers/processes.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
const python = process.env.SLUICE_PYTHON ?? join(repo, ".venv", "bin", "python");

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const clean = { ...process.env };
  delete clean.JUPYTER_PATH; // a fresh machine: no kernelspec anywhere we point to
  delete clean.SLUICE_STORE;
  delete clean.SLUICE_EXAMPLE_SIZE;
  const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...clean, JUPYTER_DATA_DIR: join(work, "jupyter-user"), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr })));
}

let work: string;
let storeRoot: string;
let store: AssetStore;
let first: CliResult;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "sluice-examples-"));
  storeRoot = join(work, "store");
  first = await sluice(["examples", "--store", storeRoot]);
  store = new AssetStore(storeRoot);
}, 600_000);

afterAll(() => {
  store?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const rows = (key: string, partition?: string) => store.readRows(key, partition === undefined ? {} : { partition });
const latestRun = (pipeline: string) => store.runs({ limit: 100 }).find((r) => r.pipeline === pipeline)!;

function notebookOutputs(path: string): { status: string; errors: string[]; mimes: Set<string> } {
  const nb = JSON.parse(readFileSync(path, "utf8"));
  const errors: string[] = [];
  const mimes = new Set<string>();
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") errors.push(`${out.ename}: ${out.evalue}`);
      for (const mime of Object.keys(out.data ?? {})) mimes.add(mime);
    }
  }
  return { status: nb.metadata.sluice.status, errors, mimes };
}

describe("sluice examples (npm start)", () => {
  it("runs all four examples into the store, with a private kernelspec, and prints a summary", () => {
    expect(first.stderr).toBe("");
    expect(first.code, first.stdout.slice(-4000)).toBe(0); // the summary names what failed
    expect(existsSync(join(storeRoot, "jupyter", "share", "jupyter", "kernels", "sluice", "kernel.json"))).toBe(true);
    for (const name of ["lazy-handoff", "batch-etl", "clickstream", "catalog"]) expect(first.stdout).toMatch(new RegExp(`✓ ${name} — run \\S+ succeeded`));
    expect(first.stdout).toContain("clickstream/page_stats    24");
    expect(first.stdout).toMatch(/executed notebook hourly_stats: .*24 partitions/);
    expect(first.stdout).toContain('SCAN memory people; filter col("age").gt(lit(50)), col("age").gt(lit(60))');
    expect(first.stdout).toMatch(/load\[batch-000\] +│ *█+ *│/); // the text Gantt of batch-etl
    expect(store.runs({ limit: 10 }).map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
  });

  it("lazy-handoff: only the final outputs are stored, and both filters sit in one scan", async () => {
    expect(store.latest("lazy_handoff/people")).toBeUndefined();
    expect(store.latest("lazy_handoff/over_50")).toBeUndefined();
    const over60 = await rows("lazy_handoff/over_60");
    expect(over60.length).toBeGreaterThan(1000);
    expect(over60.every((r) => Number(r.age) > 60)).toBe(true);
    const plan = store.latest("lazy_handoff/over_60")!.metadata.optimized_plan!.value as string;
    expect(plan).toMatch(/SCAN memory people; filter col\("age"\)\.gt\(lit\(50\)\), col\("age"\)\.gt\(lit\(60\)\)/);
    expect(plan.match(/SCAN/g)).toHaveLength(1);
    const byCity = await rows("lazy_handoff/over_50_by_city");
    expect(byCity).toHaveLength(8);
    expect(byCity.reduce((s, r) => s + Number(r.people), 0)).toBeGreaterThan(over60.length);
    const bands = await rows("lazy_handoff/over_60_bands");
    expect(bands.map((b) => Number(b.band_start))).toEqual([60, 70, 80]);
    expect(bands.reduce((s, b) => s + Number(b.people), 0)).toBe(over60.length);
    for (const b of bands) {
      const inBand = over60.filter((r) => Number(r.age) >= Number(b.band_start) && Number(r.age) < Number(b.band_start) + 10);
      expect(Number(b.people)).toBe(inBand.length);
    }
    const nb = notebookOutputs(store.absolutePath(store.latest("age_bands/notebook")!));
    expect(nb).toMatchObject({ status: "succeeded", errors: [] });
    expect(nb.mimes).toContain("application/vnd.sluice.plan+json");
    expect(nb.mimes).toContain("application/vnd.vegalite.v5+json");
  });

  it("batch-etl: every batch is extracted, cleaned and loaded; totals match the CSV; batches finish end to end", async () => {
    const [{ path }] = (await rows("batch_etl/source_file")) as Array<{ path: string }>;
    const lines = readFileSync(path, "utf8").trim().split("\n").slice(1);
    const rates: Record<string, number> = { EUR: 1, USD: 0.92, GBP: 1.17 };
    const clean = [...new Set(lines)].map((l) => l.split(",")).filter((f) => f[5] !== "");
    const expected = clean.reduce((s, f) => s + Math.round(Math.round(Number(f[6]) * rates[f[7]!]! * 100) / 100 * Number(f[5]) * 100) / 100, 0);

    expect(store.partitions("batch_etl/loaded")).toEqual(["batch-000", "batch-001", "batch-002", "batch-003", "batch-004", "batch-005"]);
    let loaded = 0;
    for (const p of store.partitions("batch_etl/loaded")) loaded += store.latest("batch_etl/loaded", { partition: p })!.rowCount!;
    expect(loaded).toBe(clean.length);
    const revenue = await rows("batch_etl/revenue_by_day");
    expect(revenue.reduce((s, r) => s + Number(r.revenue_eur), 0)).toBeCloseTo(expected, 0);
    expect(new Set(revenue.map((r) => r.country))).toEqual(new Set(["DE", "FR", "ES", "IT", "NL", "PT", "BE"]));
    const byCountry = await rows("batch_etl/revenue_by_country");
    expect(byCountry.reduce((s, r) => s + Number(r.orders), 0)).toBe(clean.length);

    // The schedule: the first batch is loaded before the last one is extracted.
    const ops = store.opRuns(latestRun("batch-etl").runId);
    const at = (id: string) => ops.find((o) => o.nodeId === id)!;
    expect(at("load[batch-000]").endedAt!).toBeLessThanOrEqual(at("extract[batch-005]").startedAt!);
    expect(ops.filter((o) => o.op === "transform").map((o) => o.status)).toEqual(Array(6).fill("succeeded"));
    for (const p of store.partitions("transform/notebook")) expect(notebookOutputs(store.absolutePath(store.latest("transform/notebook", { partition: p })!))).toMatchObject({ status: "succeeded", errors: [] });
    expect(existsSync(join(storeRoot, "runs", latestRun("batch-etl").runId, "gantt.vl.json"))).toBe(true);
  });

  it("clickstream: 24 hourly partitions; NDJSON records match an independent count of the raw hive Parquet", async () => {
    const hours = Array.from({ length: 24 }, (_, h) => `2024-03-01T${String(h).padStart(2, "0")}`);
    for (const key of ["clickstream/raw_files", "clickstream/page_stats", "clickstream/ndjson_files", "hourly_stats/notebook"]) expect(store.partitions(key)).toEqual(hours);
    const exportDir = join(storeRoot, "exports", "clickstream");
    expect(readdirSync(exportDir).sort()).toEqual(hours.map((h) => `${h}.ndjson`));
    const records = readdirSync(exportDir).flatMap((f) => readFileSync(join(exportDir, f), "utf8").trim().split("\n").map((l) => JSON.parse(l)));
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual(["customer", "hour_start", "page_views", "referrers", "url", "visitors"]);
      expect(Object.values(r.referrers as Record<string, number>).reduce((s, n) => s + n, 0)).toBe(r.page_views);
      expect(r.visitors).toBeLessThanOrEqual(r.page_views);
    }
    // polars reads the hive folders on its own: page views without bots, per customer.
    const script = `
import polars as pl, json, sys
df = pl.read_parquet(sys.argv[1] + "/**/*.parquet", hive_partitioning=True)
humans = df.filter(~pl.col("user_agent").str.contains("bot"))
print(json.dumps({"rows": df.height, "humans": humans.height, "hours": humans["hour"].n_unique(),
  "by_customer": {r["customer"]: r["len"] for r in humans.group_by("customer").len().to_dicts()}}))`;
    const truth = JSON.parse(execFileSync(python, ["-c", script, join(storeRoot, "raw", "clickstream", "events")], { encoding: "utf8" }));
    expect(truth.rows).toBe(24 * 400);
    expect(truth.hours).toBe(24);
    expect(records.reduce((s, r) => s + r.page_views, 0)).toBe(truth.humans);
    const byCustomer: Record<string, number> = {};
    for (const r of records) byCustomer[r.customer] = (byCustomer[r.customer] ?? 0) + r.page_views;
    expect(byCustomer).toEqual(truth.by_customer);
    const nb = notebookOutputs(store.absolutePath(store.latest("hourly_stats/notebook", { partition: "2024-03-01T13" })!));
    expect(nb).toMatchObject({ status: "succeeded", errors: [] });
    // Partition pruning: the hour's plan opens its 4 files (one per customer) of all the hours written so far.
    const text = readFileSync(store.absolutePath(store.latest("hourly_stats/notebook", { partition: "2024-03-01T13" })!), "utf8");
    expect(Number(/files 4\/(\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(4 * 14);
  });

  it("catalog: fuzzyJoin finds exactly the best trigram-Jaccard pairs above the threshold; ratings compared in charts", async () => {
    const m = store.latest("catalog/matches")!;
    expect(m.params).toEqual({ threshold: 0.6 });
    const matches = await rows("catalog/matches");
    // The same matching, computed pair by pair in JS from the stored catalogs.
    const norm = (t: string) => {
      let s = t.toLowerCase();
      for (const mark of [":", "!", "?", ",", ".", "'", "-", "&"]) s = s.split(mark).join(" ");
      return s.trim();
    };
    const grams = (t: string) => new Set(Array.from({ length: Math.max(t.length - 2, 1) }, (_, i) => t.slice(i, i + 3)));
    const jaccard = (a: Set<string>, b: Set<string>) => {
      let k = 0;
      for (const g of a) if (b.has(g)) k++;
      return k / (a.size + b.size - k);
    };
    const right = (await rows("catalog/filmfan")).map((r) => ({ id: Number(r.filmfan_id), g: grams(norm(String(r.title))) }));
    const expected: string[] = [];
    for (const l of await rows("catalog/cinedb")) {
      const g = grams(norm(String(l.title).replace(/ \(\d{4}\)$/, "")));
      const scored = right.map((r) => ({ id: r.id, sim: jaccard(g, r.g) }));
      const best = Math.max(...scored.map((s) => s.sim));
      if (best >= 0.6) for (const s of scored) if (s.sim === best) expected.push(`${l.cinedb_id}|${s.id}`);
    }
    expect(matches.map((r) => `${r.cinedb_id}|${r.filmfan_id}`).sort()).toEqual(expected.sort());
    expect(matches.every((r) => Number(r.similarity) >= 0.6)).toBe(true);
    // Scored against the generator's known pairs.
    expect(m.metadata.precision!.value as number).toBeGreaterThan(0.9);
    expect(m.metadata.recall!.value as number).toBeGreaterThan(0.75);
    const gaps = await rows("catalog/rating_gaps");
    expect(Number(gaps[0]!.films)).toBe(matches.length);
    for (const op of ["match_titles", "compare_ratings"]) {
      const nb = notebookOutputs(store.absolutePath(store.latest(`${op}/notebook`)!));
      expect(nb).toMatchObject({ status: "succeeded", errors: [] });
      expect(nb.mimes).toContain("application/vnd.vegalite.v5+json");
    }
  });

  it("catalog decades: a multi-dimensional backfill (a range of decades × a set of sources) runs exactly those keys, each equal to a direct computation", async () => {
    const run = await sluice(["pipeline", "run", join(repo, "notebooks", "catalog", "decades.ts"), "--store", storeRoot, "--backfill", "1980s..2000s|cinedb,filmfan", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const keys = ["1980s", "1990s", "2000s"].flatMap((d) => [`${d}|cinedb`, `${d}|filmfan`]);
    expect(JSON.parse(run.stdout).nodes.map((n: { id: string }) => n.id).sort()).toEqual(keys.map((k) => `decade_ratings[${k}]`));
    expect(store.partitions("catalog/decade_ratings").sort()).toEqual(keys);
    const cinedb = await rows("catalog/cinedb");
    const matches = await rows("catalog/matches");
    for (const key of keys) {
      const [decade, source] = key.split("|") as [string, string];
      const from = Number(decade.slice(0, 4));
      const films = cinedb.filter((r) => Number(r.year) >= from && Number(r.year) < from + 10);
      const scores = source === "cinedb" ? films.map((r) => Number(r.rating)) : films.flatMap((f) => matches.filter((m) => Number(m.cinedb_id) === Number(f.cinedb_id)).map((m) => Number(m.stars) * 2));
      const [got] = await rows("catalog/decade_ratings", key);
      expect(Number(got!.films)).toBe(scores.length);
      expect(Number(got!.mean_score_of_10)).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 9);
    }
  }, 120_000);

  it("a second run skips everything that is up to date", async () => {
    const notebooksBefore = store.list().filter((a) => a.key.endsWith("/notebook")).map((a) => [a.key, a.materializations]);
    const again = await sluice(["examples", "--store", storeRoot]);
    expect(again.code).toBe(0);
    for (const pipeline of ["clickstream", "batch-etl", "catalog", "lazy-handoff"]) {
      const ran = store.opRuns(latestRun(pipeline).runId).filter((o) => o.status === "succeeded").map((o) => o.op);
      // Ops with in-memory outputs are recomputed by design; nothing else runs.
      expect(ran.filter((op) => !["people", "over_50"].includes(op))).toEqual([]);
    }
    expect(store.list().filter((a) => a.key.endsWith("/notebook")).map((a) => [a.key, a.materializations])).toEqual(notebooksBefore);
    expect(again.stdout).toContain("↷ page_views ×24: 24 up to date");
  }, 300_000);

  it("reports an example that cannot load, still runs the others, and exits 1", async () => {
    const dir = join(work, "examples-copy");
    cpSync(join(repo, "notebooks", "lazy-handoff"), join(dir, "lazy-handoff"), { recursive: true });
    cpSync(join(repo, "notebooks", "random.ts"), join(dir, "random.ts")); // the examples' shared helper
    mkdirSync(join(dir, "batch-etl"), { recursive: true });
    writeFileSync(join(dir, "batch-etl", "pipeline.ts"), "export default pipeline(\"batch-etl\", [\n");
    const result = await sluice(["examples", "--store", join(work, "store-broken"), "lazy-handoff", "batch-etl"], { SLUICE_EXAMPLES_DIR: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✓ lazy-handoff — run \S+ succeeded/);
    expect(result.stdout).toMatch(/✗ batch-etl — did not run: cannot compile pipeline file .*batch-etl\/pipeline\.ts/);
  });

  it("Ctrl-C stops the run with exit 130 and leaves no kernel running; the next run resumes", async () => {
    const root = join(work, "store-interrupted");
    const child = spawn(process.execPath, [bin, "examples", "--store", root, "clickstream"], { cwd: work, env: { ...process.env, JUPYTER_PATH: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    // Kernels of this run carry the store in SLUICE_CONTEXT.
    const kernels = () => sluiceKernelPids(root);
    const deadline = Date.now() + 60_000;
    while (kernels().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(kernels().length).toBeGreaterThan(0);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("SIGINT: stopping");
    await new Promise((r) => setTimeout(r, 500));
    expect(kernels()).toEqual([]);
    const resumed = await sluice(["examples", "--store", root, "clickstream"]);
    // The resumed run's output says why when it fails (it failed once in CI, with nothing to go on).
    expect(resumed.code, `${resumed.stdout.slice(-3000)}\n${resumed.stderr.slice(-3000)}`).toBe(0);
  }, 240_000);

  it("rejects an unknown example or size with exit code 2 and the valid choices", async () => {
    const unknown = await sluice(["examples", "--store", storeRoot, "clikstream"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no example named "clikstream"; examples are lazy-handoff, batch-etl, clickstream, catalog/);
    const size = await sluice(["examples", "--store", storeRoot, "--size", "huge"]);
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--size "huge": use small .* or full/);
  });
});
