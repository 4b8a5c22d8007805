// bench/fragments: one partition-wise query (distinct visitors per hour and customer, ~480k groups at 20M rows)
// over hive-partitioned Parquet, run four ways, each writing its result to Parquet:
//   one query      the same aggregation hand-written in DuckDB SQL, one query over all files in the driver
//   in-process     Sluice as the optimizer plans it (a partition-wise UNION ALL) in the driver's DuckDB
//   local ×N       Sluice with configureEngine({ cluster: { address: "local" } }): N child processes, 1 thread each
//   ray ×8         Sluice on a 2-node Ray cluster (127.0.0.2 head, 127.0.0.3 worker, one CPU each), 8 fragments
// The results must be equal (checked with EXCEPT ALL both ways); times are reported as ratios to "one query".
// Sizes: SLUICE_BENCH_FRAGMENTS_ROWS (default 20,000,000), SLUICE_BENCH_FRAGMENTS_REPEATS (default 3),
// SLUICE_BENCH_FRAGMENTS_RAY=0 skips Ray, SLUICE_BENCH_DIR (default /tmp/sluice-bench).
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { col, configureEngine, scan } from "../../src/index.js";
import { connect } from "../../src/engine/instance.js";

const ROWS = Number(process.env.SLUICE_BENCH_FRAGMENTS_ROWS ?? 20_000_000);
const REPEATS = Number(process.env.SLUICE_BENCH_FRAGMENTS_REPEATS ?? 3);
const WITH_RAY = process.env.SLUICE_BENCH_FRAGMENTS_RAY !== "0";
const HOURS = 24;
const CUSTOMERS = 20_000; // per hour: 480k groups over 24 hours

const sql = (text: string) => text.replaceAll("'", "''");

async function run(statement: string): Promise<void> {
  const conn = await connect();
  try {
    await conn.run(statement);
  } finally {
    conn.closeSync();
  }
}

async function scalar(query: string): Promise<number> {
  const conn = await connect();
  try {
    return Number((await conn.runAndReadAll(query)).getRows()[0]![0]);
  } finally {
    conn.closeSync();
  }
}

/** The clicks, partitioned by hour, written once per size (temp folder then rename). */
async function generate(dir: string): Promise<void> {
  if (existsSync(dir)) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  console.log(`generating ${ROWS.toLocaleString("en-US")} rows in ${dir} …`);
  await run(`COPY (
    SELECT CAST(i % ${HOURS} AS INTEGER) AS hour,
           'c' || (hash(i * 3 + 1) % ${CUSTOMERS}) AS customer,
           md5(CAST(hash(i * 3 + 2) % ${Math.max(1, Math.floor(ROWS / 4))} AS VARCHAR)) AS session_id,
           '/p/' || (hash(i * 3 + 3) % 200) AS url
    FROM range(${ROWS}) AS r(i)) TO '${sql(tmp)}' (FORMAT parquet, PARTITION_BY (hour))`);
  renameSync(tmp, dir);
}

interface Contender {
  name: string;
  setup?: () => Promise<void>;
  run: (out: string) => Promise<void>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const base = process.env.SLUICE_BENCH_DIR ?? "/tmp/sluice-bench";
  mkdirSync(base, { recursive: true });
  const data = join(base, `fragments-${ROWS}`);
  await generate(data);
  const work = mkdtempSync(join(tmpdir(), "sluice-bench-fragments-"));
  const scratch = join(work, "scratch");
  const sluiceQuery = async (out: string) => {
    const clicks = await scan.parquet(data, { hive: true });
    await clicks.groupBy("hour", "customer").agg(col("session_id").nUnique().as("visitors")).write.parquet(out);
  };
  const cores = availableParallelism();
  const contenders: Contender[] = [
    {
      name: "one query",
      setup: () => configureEngine({ cluster: null }),
      run: (out) =>
        run(`COPY (SELECT hour, customer, count(DISTINCT session_id) AS visitors FROM read_parquet('${sql(data)}/**/*.parquet', hive_partitioning = TRUE, hive_types = {'hour': 'INTEGER'})
              GROUP BY hour, customer) TO '${sql(out)}' (FORMAT parquet)`),
    },
    { name: "in-process", setup: () => configureEngine({ cluster: null }), run: sluiceQuery },
    { name: `local ×${cores}`, setup: () => configureEngine({ cluster: { address: "local", minBytes: 0, maxFragments: Math.max(2, cores), scratch } }), run: sluiceQuery },
    { name: "local ×8", setup: () => configureEngine({ cluster: { address: "local", minBytes: 0, maxFragments: 8, scratch } }), run: sluiceQuery },
  ];
  let stopCluster: (() => Promise<unknown>) | undefined;
  if (WITH_RAY) {
    const { startHead, joinCluster, stopNodes } = await import("../../src/cluster/nodes.js");
    const stateDir = join(work, "ray");
    stopCluster = () => stopNodes(stateDir); // the pids this bench started, never `ray stop`
    // A busy machine can make Ray's own start-up time out (its raylet waits 30 s for its agents): try again.
    const retried = async <T>(start: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await start();
        } catch (err) {
          if (attempt === 3 || !/did not start/.test((err as Error).message)) throw err;
          console.log(`a Ray node did not start (attempt ${attempt}), trying again`);
        }
      }
    };
    try {
      const head = await retried(() => startHead({ nodeIp: "127.0.0.2", port: 6400 + (process.pid % 500), numCpus: 1, stateDir }));
      await retried(() => joinCluster(head.address, { nodeIp: "127.0.0.3", numCpus: 1, stateDir }));
      contenders.push({ name: "ray ×8 (2 nodes)", setup: () => configureEngine({ cluster: { address: head.address, minBytes: 0, maxFragments: 8, scratch } }), run: sluiceQuery });
    } catch (err) {
      console.log(`Ray cluster did not start, skipping the Ray contender: ${(err as Error).message.split("\n")[0]}`);
      await stopCluster();
      stopCluster = undefined;
    }
  }
  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  try {
    for (let r = 0; r < REPEATS; r++) {
      // Alternating order, so no contender always runs first on a cold cache.
      for (const c of r % 2 === 0 ? contenders : [...contenders].reverse()) {
        await c.setup?.();
        const out = join(work, `${c.name.replace(/\W+/g, "_")}.parquet`);
        rmSync(out, { force: true });
        const start = performance.now();
        await c.run(out);
        times.get(c.name)!.push((performance.now() - start) / 1000);
        console.log(`run ${r + 1}/${REPEATS} ${c.name}: ${times.get(c.name)!.at(-1)!.toFixed(2)} s`); // a long run shows where it is
      }
    }
    // Equal results: every contender's rows against the baseline's, both ways, duplicates counted.
    const reference = join(work, "one_query.parquet");
    const groups = await scalar(`SELECT count(*) FROM '${sql(reference)}'`);
    for (const c of contenders.slice(1)) {
      const out = join(work, `${c.name.replace(/\W+/g, "_")}.parquet`);
      const cols = "hour, customer, visitors";
      const diff = await scalar(
        `SELECT (SELECT count(*) FROM (SELECT ${cols} FROM '${sql(out)}' EXCEPT ALL SELECT ${cols} FROM '${sql(reference)}')) + ` +
          `(SELECT count(*) FROM (SELECT ${cols} FROM '${sql(reference)}' EXCEPT ALL SELECT ${cols} FROM '${sql(out)}'))`,
      );
      if (diff !== 0) throw new Error(`${c.name}: ${diff} rows differ from "one query"`);
    }
    const baseline = median(times.get("one query")!);
    console.log(`\n${ROWS.toLocaleString("en-US")} rows, ${groups.toLocaleString("en-US")} groups, ${cores} cores, ${REPEATS} runs each; results equal`);
    console.log(`${"contender".padEnd(20)} ${"median s".padStart(9)} ${"best s".padStart(8)} ${"× one query".padStart(12)}`);
    for (const c of contenders) {
      const t = times.get(c.name)!;
      console.log(`${c.name.padEnd(20)} ${median(t).toFixed(2).padStart(9)} ${Math.min(...t).toFixed(2).padStart(8)} ${(median(t) / baseline).toFixed(2).padStart(12)}`);
    }
    const ratio = (name: string) => (times.has(name) ? (baseline / median(times.get(name)!)).toFixed(2) : "n/a");
    console.log(
      `\nclosing note: against one DuckDB query, local fragments ×${cores} run ${ratio(`local ×${cores}`)}× as fast, ×8 ${ratio("local ×8")}×, ` +
        `Ray ×8 on 2 nodes ${ratio("ray ×8 (2 nodes)")}× (above 1 is faster)`,
    );
  } finally {
    await configureEngine({ cluster: null });
    await stopCluster?.();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
