// Pipeline overhead and catalog latency, each as a ratio against a baseline measured in this run.
//  1. A 200-item dynamic fan-out of a small function op at concurrency 2, beside the same op called
//     bare (same work, same store writes, same concurrency): per-op overhead of the engine.
//  2. The same fan-out with a small notebook op (BENCH_NB_ITEMS items, default 20), beside bare
//     executeNotebook runs of the same notebook (what `sluice run` does) at concurrency 2.
//  3. `assets ls` / lineage / history latency with 100,000 recorded materializations, beside the same
//     queries on a store with 1,000 (how they scale), and the `sluice assets ls` process beside `node -e ""`.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AssetStore, newVersionId } from "../../src/store/index.js";
import { fnOp, notebookOp, pipeline, runPipeline } from "../../src/pipeline/index.js";
import { executeNotebook } from "../../src/run/index.js";

const root = resolve(import.meta.dirname, "..", "..", "..");
const bin = join(root, "bin", "sluice.js");
const work = mkdtempSync(join(tmpdir(), "sluice-bench-pipeline-"));
const ITEMS = Number(process.env.BENCH_ITEMS ?? 200);
const NB_ITEMS = Number(process.env.BENCH_NB_ITEMS ?? 20);
const rows: string[][] = [["measure", "value", "baseline", "ratio"]];
const ms = (x: number) => `${x.toFixed(2)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

// ---- 1. function-op fan-out ----
{
  const work1 = (item: number) => Array.from({ length: 100 }, (_, i) => ({ item, i, v: i * item }));
  const items = Array.from({ length: ITEMS }, (_, i) => i);
  const p = pipeline("fanout", [
    fnOp({ name: "items", dynamic: true, run: () => items }),
    fnOp({ name: "work", map: "items", outputs: ["bench/item"], run: (ctx) => work1(ctx.item as number) }),
  ], { maxConcurrency: 2 });
  // Alternate bare and engine rounds on fresh stores (the machine is shared); medians.
  const bareTimes: number[] = [];
  const engineTimes: number[] = [];
  const skipTimes: number[] = [];
  for (let round = 0; round < 3; round++) {
    const bareStore = new AssetStore(join(work, `bare${round}`));
    let t = performance.now();
    await pool(items, 2, async (i) => void (await bareStore.materialize("bench/item", work1(i), { partition: String(i) })));
    bareTimes.push(performance.now() - t);
    bareStore.close();
    const store = new AssetStore(join(work, `fanout${round}`));
    t = performance.now();
    const result = await runPipeline(p, { store, reporter: false });
    engineTimes.push(performance.now() - t);
    if (result.status !== "succeeded") throw new Error("fan-out failed");
    t = performance.now();
    await runPipeline(p, { store, reporter: false });
    skipTimes.push(performance.now() - t);
    store.close();
  }
  const bare = median(bareTimes);
  const engine = median(engineTimes);
  const skipMs = median(skipTimes);
  rows.push([`fn fan-out, ${ITEMS} items × (100 rows → Parquet + catalog), concurrency 2`, ms(engine), ms(bare), `${(engine / bare).toFixed(2)}×`]);
  rows.push([`  per op: engine vs bare store.materialize`, ms(engine / ITEMS), ms(bare / ITEMS), `${(engine - bare) / ITEMS >= 0 ? "+" : ""}${ms((engine - bare) / ITEMS)} per op`]);
  rows.push([`  re-run with all items up to date, per op`, ms(skipMs / ITEMS), ms(bare / ITEMS), `${(skipMs / bare).toFixed(2)}×`]);
}

// ---- 2. notebook-op fan-out ----
if (NB_ITEMS > 0) {
  const prefix = mkdtempSync(join(tmpdir(), "sluice-bench-kernel-"));
  execFileSync(process.execPath, [bin, "kernel", "install", "--prefix", prefix], { cwd: root });
  process.env.JUPYTER_PATH = join(prefix, "share", "jupyter");
  const nbPath = join(work, "item.ipynb");
  const cell = (source: string, tags?: string[]) => ({ id: `c${Math.random().toString(36).slice(2, 8)}`, cell_type: "code", source, metadata: tags ? { tags } : {}, outputs: [], execution_count: null });
  writeFileSync(nbPath, JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: "sluice", display_name: "TypeScript (Sluice)", language: "typescript" } },
    cells: [
      cell("const item = 0;", ["parameters"]),
      cell('import { context, fromRecords } from "sluice";'),
      cell("const data = Array.from({ length: 100 }, (_, i) => ({ item: Number(context.item ?? item), i }));\n" +
           'await context.yieldAsset("bench/nb", fromRecords(data));\ndata.length'),
    ],
  }));
  await executeNotebook(nbPath, { outputPath: join(work, "warm.ipynb"), env: { SLUICE_STORE: join(work, "bare-nb-store") } }); // warm up
  // Two alternating rounds of bare runs and pipeline runs, NB_ITEMS / 2 items each (the machine is shared).
  const half = Math.max(1, Math.floor(NB_ITEMS / 2));
  let bare = 0;
  let engine = 0;
  for (let round = 0; round < 2; round++) {
    const items = Array.from({ length: half }, (_, i) => round * half + i);
    let t = performance.now();
    await pool(items, 2, async (i) => {
      // Bare runs write the same asset (the development context records it straight into a store).
      const { summary } = await executeNotebook(nbPath, { parameters: { item: i }, outputPath: join(work, `bare-${i}.ipynb`), env: { SLUICE_STORE: join(work, "bare-nb-store") } });
      if (summary.status !== "succeeded") throw new Error(`bare run failed: ${summary.error?.message}`);
    });
    bare += performance.now() - t;
    const store = new AssetStore(join(work, `nbfanout${round}`));
    const p = pipeline("nbfanout", [
      fnOp({ name: "items", dynamic: true, run: () => items }),
      notebookOp({ name: "nb", map: "items", notebook: nbPath, outputs: ["bench/nb"] }),
    ], { maxConcurrency: 2 });
    t = performance.now();
    const result = await runPipeline(p, { store, reporter: false });
    engine += performance.now() - t;
    if (result.status !== "succeeded") throw new Error(`notebook fan-out failed: ${result.nodes.find((n) => n.error)?.error}`);
    store.close();
  }
  const n = 2 * half;
  rows.push([`notebook fan-out, ${n} items, concurrency 2 (total)`, ms(engine), ms(bare), `${(engine / bare).toFixed(2)}×`]);
  rows.push([`  per op: engine vs bare executeNotebook`, ms(engine / n), ms(bare / n), `${engine >= bare ? "+" : ""}${ms((engine - bare) / n)} per op`]);
  rmSync(prefix, { recursive: true, force: true });
}

// ---- 3. catalog latency ----
function fill(store: AssetStore, total: number, assets: number) {
  // Assets in layers of 10: asset k reads asset k-10 (a deep lineage chain) and k-1 in the same layer.
  const db = store.database;
  const insert = db.prepare(
    `INSERT INTO materializations (asset_key, partition, version, data_version, run_id, op, params, code_version, inputs, path, format, row_count, byte_size, schema, preview, metadata, created_at)
     VALUES (?, ?, ?, ?, 'bench', ?, '{}', 'c', ?, ?, 'parquet', 100, 1000, '[{"name":"a","type":"BIGINT"}]', '[{"a":1}]', '{}', ?)`,
  );
  const asset = db.prepare(`INSERT OR REPLACE INTO assets (asset_key, latest_id, materializations, partitions, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)`);
  const dep = db.prepare(`INSERT OR IGNORE INTO asset_deps (asset_key, input_key) VALUES (?, ?)`);
  const lineage = db.prepare(`INSERT INTO lineage (version, input_key, input_version) VALUES (?, ?, ?)`);
  const perAsset = Math.ceil(total / assets);
  const now = Date.now();
  db.transaction(() => {
    for (let a = 0; a < assets; a++) {
      const key = `layer${Math.floor(a / 10)}/asset${a}`;
      const inputs = a >= 10 ? [`layer${Math.floor(a / 10) - 1}/asset${a - 10}`] : [];
      if (a % 10 > 0 && a >= 10) inputs.push(`layer${Math.floor(a / 10) - 1}/asset${a - 11}`);
      let last = 0;
      for (let v = 0; v < perAsset; v++) {
        const version = newVersionId();
        last = Number(insert.run(key, String(v % 10), version, version, `op${a}`, JSON.stringify(inputs.map((k) => ({ key: k, version: "x" }))), `data/${key}/${version}.parquet`, now + v).lastInsertRowid);
        for (const k of inputs) lineage.run(version, k, "x");
      }
      for (const k of inputs) dep.run(key, k);
      asset.run(key, last, perAsset, 10, now, now + perAsset);
    }
  })();
}

function timeIt(fn: () => unknown, reps = 20): number {
  fn();
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

{
  const big = new AssetStore(join(work, "big"));
  const small = new AssetStore(join(work, "small"));
  let t = performance.now();
  fill(big, 100_000, 1_000);
  const fillMs = performance.now() - t;
  fill(small, 1_000, 1_000);
  const deep = "layer99/asset995";
  const mid = "layer50/asset505";
  for (const [label, fn] of [
    ["store.list() (assets ls), 1,000 assets", (s: AssetStore) => s.list()],
    ["store.lineage(), 100 levels up", (s: AssetStore) => s.lineage(deep)],
    ["store.lineage(), 50 up + 49 down", (s: AssetStore) => s.lineage(mid)],
    ["store.latest()", (s: AssetStore) => s.latest(mid)],
  ] as const) {
    const a = timeIt(() => fn(big));
    const b = timeIt(() => fn(small));
    rows.push([`${label}: 100k vs 1k materializations`, ms(a), ms(b), `${(a / b).toFixed(2)}×`]);
  }
  // History: the same asset with 100 versions, in a store of 100,000 vs one of 1,000 materializations.
  const hist = new AssetStore(join(work, "hist"));
  fill(hist, 1_000, 10);
  const h = timeIt(() => big.history("layer0/asset5", { limit: 50 }));
  const hb = timeIt(() => hist.history("layer0/asset5", { limit: 50 }));
  rows.push(["store.history(), newest 50 of 100 versions: 100k vs 1k materializations", ms(h), ms(hb), `${(h / hb).toFixed(2)}×`]);
  hist.close();
  rows.push([`(inserting 100,000 materializations directly)`, ms(fillMs), "", ""]);
  big.close();
  small.close();
  const proc = (args: string[]) => {
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, SLUICE_STORE: join(work, "big") }, stdio: ["ignore", "ignore", "pipe"] });
      if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
      xs.push(performance.now() - t0);
    }
    return median(xs);
  };
  try {
    const nodeBare = proc(["-e", ""]);
    const version = proc([bin, "--version"]);
    const ls = proc([bin, "assets", "ls", "--json"]);
    const lin = proc([bin, "assets", "lineage", deep]);
    rows.push(["`sluice --version` process (CLI start-up)", ms(version), ms(nodeBare), `${(version / nodeBare).toFixed(2)}× node -e ""`]);
    rows.push(["`sluice assets ls --json` process, 100k materializations", ms(ls), ms(version), `${(ls / version).toFixed(2)}× sluice --version`]);
    rows.push(["`sluice assets lineage KEY` process", ms(lin), ms(version), `${(lin / version).toFixed(2)}× sluice --version`]);
  } catch (error) {
    rows.push(["CLI processes", `not measured: ${(error as Error).message.split("\n")[0]}`, "", ""]);
  }
}

rmSync(work, { recursive: true, force: true });
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n"));
