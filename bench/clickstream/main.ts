// bench/clickstream: the page-view workload (hour buckets, page views, distinct visitors, referrer
// counts → NDJSON) run by Sluice, by the same query hand-written in DuckDB SQL, by Polars, and at 1M
// rows by danfojs-node and Arquero (both reading the same CSV). Each contender runs in its own child process so
// peak memory is its own. Sizes: SLUICE_BENCH_ROWS (default 10,000,000), SLUICE_BENCH_DANFO_ROWS (default 1,000,000;
// 0 skips danfo and Arquero), SLUICE_BENCH_DANFO_TIMEOUT (seconds per JS contender, default 120),
// SLUICE_BENCH_DANFO_CHECK_ROWS (default 10,000: a size danfo finishes, for the equality check),
// SLUICE_BENCH_REPEATS (default 3), SLUICE_BENCH_OVERHEAD_ROUNDS (default 40: the fixed cost per action, measured
// warm in one process at the check size), SLUICE_BENCH_DIR (default /tmp/sluice-bench).
// The high-cardinality shape (about 740k groups at 10M rows, 480 hive files): SLUICE_BENCH_HC_ROWS (default
// 10,000,000; 0 skips), SLUICE_BENCH_HC_REPEATS (default 5), SLUICE_BENCH_OVERHEAD_HC_ROWS (default 1,000,000: the fixed
// cost over 480 files). `--100m` (or SLUICE_BENCH_100M=1) adds 100M rows of it under a 4 GB memory limit, beside
// Polars' streaming engine (SLUICE_BENCH_100M_REPEATS, default 1). SLUICE_BENCH_ROWS=0 skips the few-groups shape.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sameResults } from "./compare.js";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: the nearest folder above this file with a package.json (dist/ or a copy of it). */
function findRoot(dir: string): string {
  for (let d = dir; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, "package.json"))) return d;
  return join(dir, "..", "..", "..");
}
const root = findRoot(here);

interface Measured {
  seconds: number;
  maxRssMb: number;
  /** Why the contender did not finish, if it did not. */
  failure?: string;
}

async function child(kind: string, input: string, out: string): Promise<void> {
  // Each child loads only its own contender's modules, before the clock starts.
  const workloads: Record<string, () => Promise<(input: string, out: string) => Promise<void>>> = {
    sluice: async () => (await import("./workloads.js")).sluiceWorkload,
    sql: async () => (await import("./workloads.js")).sqlWorkload,
    "sql-tuned": async () => (await import("./workloads.js")).sqlTunedWorkload,
    danfo: async () => (await import("./danfo_workload.js")).danfoWorkload,
    "danfo-counts": async () => (await import("./danfo_workload.js")).danfoCountsWorkload,
    arquero: async () => (await import("./arquero_workload.js")).arqueroWorkload,
  };
  if (!workloads[kind]) throw new Error(`unknown contender ${kind}`);
  const workload = await workloads[kind]();
  // The large run's memory limit, for Sluice and the hand-written SQL alike (one engine per process).
  if (process.env.SLUICE_BENCH_MEMORY_LIMIT) {
    const { configureEngine } = await import("../../src/engine/instance.js");
    await configureEngine({ memoryLimit: process.env.SLUICE_BENCH_MEMORY_LIMIT, spillDirectory: process.env.SLUICE_BENCH_SPILL_DIR });
  }
  if (kind.startsWith("danfo")) createRequire(import.meta.url)("danfojs-node"); // load danfo (and TF.js) outside the timing too
  const start = performance.now();
  await workload(input, out);
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/**
 * Sluice's fixed cost per action, warm, in one process: the whole Sluice action (scan, plan, optimize,
 * compile, job with progress and profiling, COPY) against the SQL it compiles to, run directly on one
 * connection, and against the hand-written SQL. Alternating order; median milliseconds of `rounds`.
 */
async function overheadChild(input: string, out: string, rounds: number): Promise<void> {
  const { clickstreamQuery, handWrittenSql, sluiceWorkload } = await import("./workloads.js");
  const { scan } = await import("../../src/frame/index.js");
  const { compile } = await import("../../src/engine/sql/compiler.js");
  const { connect } = await import("../../src/engine/instance.js");
  const { quoteString } = await import("../../src/engine/sql/quote.js");
  const { onProgress } = await import("../../src/progress/index.js");
  const compiled = compile(clickstreamQuery(await scan.parquet(input, { hive: true })).optimizedPlan());
  const conn = await connect();
  const events = await scan.parquet(input, { hive: true });
  const contenders: Record<string, () => Promise<unknown>> = {
    scan: () => scan.parquet(input, { hive: true }),
    action: () => clickstreamQuery(events).write.ndjson(out),
    // As in the kernel, where a listener always receives the job's events: the plan is explained, the profile read.
    watched: async () => {
      const stop = onProgress(() => {});
      try {
        await clickstreamQuery(events).write.ndjson(out);
      } finally {
        stop();
      }
    },
    sluice: () => sluiceWorkload(input, out),
    compiled: () => conn.run(`COPY (${compiled.sql}) TO ${quoteString(out)} (FORMAT json)`),
    hand: () => conn.run(handWrittenSql(input, out)),
  };
  const names = Object.keys(contenders);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = -2; i < rounds; i++) // two warm-up rounds, not counted
    for (const name of i % 2 ? [...names].reverse() : names) {
      const start = performance.now();
      await contenders[name]();
      if (i >= 0) times[name].push(performance.now() - start);
    }
  conn.closeSync();
  // The action's cost over its SQL as the median of per-round differences: each round runs both back to back, so a
  // slow stretch of the machine shifts both (the medians of each alone differ by more than the cost measured).
  const added = (name: string) => median(times[name].map((t, i) => t - times.compiled[i]));
  console.log(JSON.stringify({ ...Object.fromEntries(names.map((n) => [n, median(times[n])])), added: added("action"), addedWatched: added("watched") }));
}

function run(cmd: string, args: string[], timeoutMs?: number, env: Record<string, string> = {}): Measured {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: root, maxBuffer: 1 << 26, timeout: timeoutMs, killSignal: "SIGKILL", env: { ...process.env, ...env } });
  if (r.signal === "SIGKILL" && timeoutMs) return { seconds: Infinity, maxRssMb: NaN, failure: `did not finish in ${timeoutMs / 1000} s` };
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}${r.stdout}`);
  const last = r.stdout.trim().split("\n").pop()!;
  return JSON.parse(last) as Measured;
}

const runNode = (kind: string, input: string, out: string, timeoutMs?: number, env?: Record<string, string>) =>
  run(process.execPath, [fileURLToPath(import.meta.url), "--child", kind, input, out], timeoutMs, env);
/** A JS dataframe contender under a time limit; a crash counts as not finishing (danfo's groupby can fail
 *  outright on many groups, with a RangeError from its key bookkeeping). */
function runJsContender(kind: string, input: string, out: string, timeoutMs: number): Measured {
  try {
    return runNode(kind, input, out, timeoutMs);
  } catch (err) {
    const reason = /(\w*Error: [^\n]*)/.exec(String((err as Error).message))?.[1] ?? "failed";
    return { seconds: Infinity, maxRssMb: NaN, failure: `failed: ${reason}` };
  }
}
const python = process.env.SLUICE_PYTHON ?? join(root, ".venv", "bin", "python");
const runPolars = (input: string, out: string, mode: "collect" | "streaming" = "collect") =>
  run(python, [join(root, "bench", "clickstream", "polars_workload.py"), input, out, mode]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median seconds and the largest peak RSS of several runs. */
const summary = (ms: Measured[]): Measured => ({ seconds: median(ms.map((m) => m.seconds)), maxRssMb: Math.max(...ms.map((m) => m.maxRssMb)) });

/** Sluice and hand-written SQL, `repeats` times each in alternating order: median seconds, max peak RSS. */
function measurePair(input: string, out: (kind: string) => string, repeats: number): Record<"sluice" | "sql", Measured> {
  const runs: Record<string, Measured[]> = { sluice: [], sql: [] };
  for (let i = 0; i < repeats; i++)
    for (const kind of i % 2 ? ["sql", "sluice"] : ["sluice", "sql"]) runs[kind].push(runNode(kind, input, out(kind)));
  return { sluice: summary(runs.sluice), sql: summary(runs.sql) };
}

/** Runs `kinds` `repeats` times, rotating which goes first; each run in its own process. */
function measureRotating(kinds: readonly string[], runOne: (kind: string) => Measured, repeats: number): Record<string, Measured> {
  const runs: Record<string, Measured[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < repeats; i++)
    for (let j = 0; j < kinds.length; j++) {
      const kind = kinds[(i + j) % kinds.length];
      runs[kind].push(runOne(kind));
    }
  return Object.fromEntries(kinds.map((k) => [k, summary(runs[k])]));
}

const HIGH_CARDINALITY_LABELS: Record<string, string> = {
  sluice: "Sluice",
  "sql-tuned": "DuckDB SQL by hand (preserve_insertion_order=false)",
  "polars-collect": "Polars (Python, lazy, collect then write)",
  "polars-streaming": "Polars (Python, streaming engine into its NDJSON sink)",
};

/**
 * The high-cardinality shape (highCardinalitySql in generate.ts): Sluice, hand-written SQL and Polars in the
 * same run, `repeats` runs each in rotating order; ratios against the faster Polars median. With a memory
 * limit (the 100M-row run) Sluice and the SQL run under it and spill; Polars runs its streaming engine.
 */
async function highCardinality(base: string, rows: number, repeats: number, memoryLimit?: string): Promise<boolean> {
  const { generateClickstream } = await import("./generate.js");
  const data = join(base, `clickstream-hc-${rows}`);
  let t = performance.now();
  await generateClickstream(data, { rows, shape: "high-cardinality" });
  console.log(`\nhigh-cardinality shape: ${rows.toLocaleString("en-US")} page views (20 customers × 2,000 urls zipf 1.1 × 24 hours, 480 files), ` +
    `${repeats} runs each (median)${memoryLimit ? `, memory limit ${memoryLimit} for Sluice and the SQL` : ""}; data generated/checked in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const out = (kind: string) => join(base, `out-hc-${kind}-${rows}.ndjson`);
  const kinds = memoryLimit ? ["sluice", "sql-tuned", "polars-streaming"] : ["sluice", "sql-tuned", "polars-collect", "polars-streaming"];
  const env: Record<string, string> = memoryLimit ? { SLUICE_BENCH_MEMORY_LIMIT: memoryLimit, SLUICE_BENCH_SPILL_DIR: join(base, "spill") } : {};
  if (memoryLimit) mkdirSync(join(base, "spill"), { recursive: true });
  t = performance.now();
  const m = measureRotating(
    kinds,
    (kind) => (kind.startsWith("polars-") ? runPolars(data, out(kind), kind === "polars-streaming" ? "streaming" : "collect") : runNode(kind, data, out(kind), undefined, env)),
    repeats,
  );
  const checks = Object.fromEntries(kinds.filter((k) => k !== "sluice").map((k) => [k, sameResults(out("sluice"), out(k))]));
  const polarsKind = kinds.filter((k) => k.startsWith("polars-")).reduce((a, b) => (m[b].seconds < m[a].seconds ? b : a));
  const p = m[polarsKind].seconds;
  console.log(`${rows.toLocaleString("en-US")} rows → ${Object.values(checks)[0].rows.toLocaleString("en-US")} records (all runs took ${((performance.now() - t) / 1000).toFixed(0)} s)`);
  printTable([
    ["contender", "seconds", "vs faster Polars", "peak RSS MB", "same result"],
    ...kinds.map((k) => [HIGH_CARDINALITY_LABELS[k], m[k].seconds.toFixed(2), `${(m[k].seconds / p).toFixed(3)}×`, m[k].maxRssMb.toFixed(0), k === "sluice" ? "—" : String(checks[k].equal)]),
  ]);
  console.log(`Sluice / Polars = ${(m.sluice.seconds / p).toFixed(3)} (target ≤ 0.85); Sluice / hand-written SQL = ${(m.sluice.seconds / m["sql-tuned"].seconds).toFixed(3)}; ` +
    `Sluice peak RSS ${m.sluice.maxRssMb.toFixed(0)} MB (target ≤ 1024)`);
  for (const [k, c] of Object.entries(checks)) if (!c.equal) console.log(`RESULT MISMATCH (${HIGH_CARDINALITY_LABELS[k]}): ${c.detail}`);
  return Object.values(checks).every((c) => c.equal);
}

/** The fixed cost per action (see overheadChild), warm, in one process over `data`. */
function fixedCost(data: string, out: string, rounds: number, label: string): void {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--overhead", data, out, String(rounds)], { encoding: "utf8", cwd: root });
  if (r.status !== 0) throw new Error(`overhead run failed:\n${r.stderr}`);
  const ms = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<"scan" | "action" | "watched" | "sluice" | "compiled" | "hand" | "added" | "addedWatched", number>;
  console.log(`\nFixed cost per action, ${label}, warm, one process (median of ${rounds}):`);
  printTable([
    ["what runs", "ms", "vs Sluice's own SQL"],
    ["creating the scan (files unchanged)", ms.scan.toFixed(1), "—"],
    ["Sluice action over an existing scan (plan, job, progress)", ms.action.toFixed(1), `${(ms.action / ms.compiled).toFixed(2)}×`],
    ["the same action watched, as in the kernel (+ EXPLAIN, profile)", ms.watched.toFixed(1), `${(ms.watched / ms.compiled).toFixed(2)}×`],
    ["Sluice scan + action", ms.sluice.toFixed(1), `${(ms.sluice / ms.compiled).toFixed(2)}×`],
    ["the SQL Sluice compiles to, run directly", ms.compiled.toFixed(1), "1.00×"],
    ["DuckDB SQL by hand", ms.hand.toFixed(1), `${(ms.hand / ms.compiled).toFixed(2)}×`],
  ]);
  console.log(`creating the scan: ${ms.scan.toFixed(1)} ms (target ≤ 20); an action adds ${ms.added.toFixed(1)} ms to its SQL, ${ms.addedWatched.toFixed(1)} ms when watched (medians of per-round differences; target ≤ 10)`);
}

async function main(): Promise<void> {
  const { generateClickstream, writeEventsCsv } = await import("./generate.js");
  const rows = Number(process.env.SLUICE_BENCH_ROWS ?? 10_000_000);
  const danfoRows = Number(process.env.SLUICE_BENCH_DANFO_ROWS ?? 1_000_000);
  const repeats = Number(process.env.SLUICE_BENCH_REPEATS ?? 3);
  const hcRows = Number(process.env.SLUICE_BENCH_HC_ROWS ?? 10_000_000);
  const hcRepeats = Number(process.env.SLUICE_BENCH_HC_REPEATS ?? 5);
  const big = process.argv.includes("--100m") || process.env.SLUICE_BENCH_100M === "1";
  const base = process.env.SLUICE_BENCH_DIR ?? "/tmp/sluice-bench";
  mkdirSync(base, { recursive: true });
  const out = (name: string) => join(base, `out-${name}-${rows}.ndjson`);
  let ok = true;
  let t = performance.now();

  if (rows > 0) {
    const data = join(base, `clickstream-${rows}`);
    console.log(`clickstream (few-groups shape): ${rows.toLocaleString("en-US")} page views, ${repeats} runs each (median), data in ${data}`);
    await generateClickstream(data, { rows });
    console.log(`generated/checked data in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const pair = measurePair(data, out, repeats);
    const polars = summary(Array.from({ length: repeats }, () => runPolars(data, out("polars"))));
    const checks = [sameResults(out("sluice"), out("sql")), sameResults(out("sluice"), out("polars"))];
    const s = pair.sluice.seconds;
    const q = pair.sql.seconds;
    console.log(`\n${rows.toLocaleString("en-US")} rows → ${checks[0].rows.toLocaleString("en-US")} records`);
    printTable([
      ["contender", "seconds", "vs hand-written SQL", "peak RSS MB", "same result"],
      ["Sluice", s.toFixed(2), `${(s / q).toFixed(3)}×`, pair.sluice.maxRssMb.toFixed(0), "—"],
      ["DuckDB SQL by hand", q.toFixed(2), "1.000×", pair.sql.maxRssMb.toFixed(0), String(checks[0].equal)],
      ["Polars (Python)", polars.seconds.toFixed(2), `${(polars.seconds / q).toFixed(3)}×`, polars.maxRssMb.toFixed(0), String(checks[1].equal)],
    ]);
    console.log(`Sluice / hand-written SQL = ${(s / q).toFixed(3)} (target ≤ 0.90); Sluice / Polars = ${(s / polars.seconds).toFixed(3)}`);
    ok &&= checks.every((c) => c.equal);
    for (const c of checks) if (!c.equal) console.log(`RESULT MISMATCH: ${c.detail}`);
  }

  if (hcRows > 0) ok = (await highCardinality(base, hcRows, hcRepeats)) && ok;
  if (big) ok = (await highCardinality(base, 100_000_000, Number(process.env.SLUICE_BENCH_100M_REPEATS ?? 1), "4GB")) && ok;

  // danfojs-node and Arquero: danfo's groupby slows down sharply with the number of groups, so each JS
  // contender runs under a time limit at SLUICE_BENCH_DANFO_ROWS, and results are checked equal at a size where it finishes.
  const danfoTimeout = Number(process.env.SLUICE_BENCH_DANFO_TIMEOUT ?? 120) * 1000;
  const checkRows = Number(process.env.SLUICE_BENCH_DANFO_CHECK_ROWS ?? 10_000);
  for (const n of [danfoRows, checkRows].filter((x) => x > 0)) {
    const small = join(base, `clickstream-${n}`);
    const csv = join(base, `clickstream-${n}.csv`);
    t = performance.now();
    await generateClickstream(small, { rows: n });
    await writeEventsCsv(csv, { rows: n });
    console.log(`\n${n.toLocaleString("en-US")} rows vs danfojs-node and Arquero (data generated/checked in ${((performance.now() - t) / 1000).toFixed(1)} s):`);
    const { sluice: sl, sql: sq } = measurePair(small, (kind) => out(`${kind}-${n}`), repeats);
    const js = [["danfojs-node groupby (CSV)", "danfo"], ["danfojs-node valueCounts (CSV)", "danfo-counts"], ["Arquero (CSV)", "arquero"]].map(([label, kind]) => {
      const m = runJsContender(kind, csv, out(`${kind}-${n}`), danfoTimeout);
      return { label, m, check: Number.isFinite(m.seconds) ? sameResults(out(`sluice-${n}`), out(`${kind}-${n}`)) : undefined };
    });
    const check2 = sameResults(out(`sluice-${n}`), out(`sql-${n}`));
    printTable([
      ["contender", "seconds", "vs Sluice", "peak RSS MB", "same result"],
      ["Sluice", sl.seconds.toFixed(2), "1.000×", sl.maxRssMb.toFixed(0), "—"],
      ["DuckDB SQL by hand", sq.seconds.toFixed(2), `${(sq.seconds / sl.seconds).toFixed(2)}×`, sq.maxRssMb.toFixed(0), String(check2.equal)],
      ...js.map(({ label, m, check }) =>
        check
          ? [label, m.seconds.toFixed(2), `${(m.seconds / sl.seconds).toFixed(1)}×`, m.maxRssMb.toFixed(0), String(check.equal)]
          : [label, "—", "—", "—", m.failure ?? "did not finish"],
      ),
    ]);
    if (!check2.equal) console.log(`RESULT MISMATCH (DuckDB SQL by hand): ${check2.detail}`);
    for (const { label, check } of js) if (check && !check.equal) console.log(`RESULT MISMATCH (${label}): ${check.detail}`);
    ok &&= check2.equal && js.every((j) => j.check?.equal ?? true);
  }

  // On small data a fresh process is mostly start-up; this isolates what Sluice adds to each action.
  const rounds = Number(process.env.SLUICE_BENCH_OVERHEAD_ROUNDS ?? 40);
  if (checkRows > 0) fixedCost(join(base, `clickstream-${checkRows}`), out("overhead"), rounds, `few-groups shape at ${checkRows.toLocaleString("en-US")} rows`);
  // The issue's case: ~1M rows in 480 hive partitions, where the scan's probe over every file showed.
  const hcSmall = Number(process.env.SLUICE_BENCH_OVERHEAD_HC_ROWS ?? 1_000_000);
  if (hcSmall > 0) {
    const data = join(base, `clickstream-hc-${hcSmall}`);
    await generateClickstream(data, { rows: hcSmall, shape: "high-cardinality" });
    fixedCost(data, out("overhead-hc"), Math.min(rounds, 15), `high-cardinality shape at ${hcSmall.toLocaleString("en-US")} rows (480 files)`);
  }
  if (!ok) process.exitCode = 1;
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

if (process.argv[2] === "--child") await child(process.argv[3], process.argv[4], process.argv[5]);
else if (process.argv[2] === "--overhead") await overheadChild(process.argv[3], process.argv[4], Number(process.argv[5]));
else await main();
