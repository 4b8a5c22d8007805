// bench/fuzzy: (1) fuzzyJoin at 100k × 100k movie-like titles, and against the naive cross join (every
// pair's Jaccard, in DuckDB) at a size the naive one can finish, with identical results checked;
// (2) a JS udf against the same expression written natively. Ratios are measured in this one process.
// Sizes: SLUICE_BENCH_FUZZY_ROWS (default 100,000), SLUICE_BENCH_NAIVE_ROWS (default 2,000),
// SLUICE_BENCH_UDF_ROWS (default 2,000,000), SLUICE_BENCH_REPEATS (default 3).
import { col, fromColumns, sql, udf, type LazyFrame } from "../../src/index.js";
import { generateTitles } from "./titles.js";

const ROWS = Number(process.env.SLUICE_BENCH_FUZZY_ROWS ?? 100_000);
const NAIVE_ROWS = Number(process.env.SLUICE_BENCH_NAIVE_ROWS ?? 2_000);
const UDF_ROWS = Number(process.env.SLUICE_BENCH_UDF_ROWS ?? 2_000_000);
const REPEATS = Number(process.env.SLUICE_BENCH_REPEATS ?? 3);

async function timed<T>(f: () => Promise<T>, repeats = REPEATS): Promise<{ seconds: number; value: T }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    value = await f();
    times.push((performance.now() - start) / 1000);
  }
  return { seconds: times.sort((a, b) => a - b)[Math.floor(times.length / 2)], value };
}

function catalogs(n: number): { left: LazyFrame; right: LazyFrame } {
  const { left, right } = generateTitles(n);
  return {
    left: fromColumns({ lid: left.map((_, i) => i), title: left }),
    right: fromColumns({ rid: right.map((_, i) => i), title: right }),
  };
}

const key = (r: Record<string, unknown>) => `${r.lid}|${r.rid}|${(r.similarity as number).toFixed(12)}`;

async function fuzzyPairs(left: LazyFrame, right: LazyFrame, threshold: number): Promise<string[]> {
  const df = await left.fuzzyJoin(right, { left: "title", right: "title", threshold }).select("lid", "rid", "similarity").collect();
  return df.toRecords().map(key).sort();
}

/** Every pair compared: token lists computed once per side, then a cross join (the same token rule). */
async function naivePairs(left: LazyFrame, right: LazyFrame, threshold: number): Promise<string[]> {
  // The word rule of tokensSql() (src/engine/sql/tokens.ts), written out.
  const q = await sql`
    with l as materialized (select lid, list_distinct(list_filter(regexp_split_to_array(lower(title), '[^\\p{L}\\p{N}]+'), w -> w <> '')) as t from ${left}),
         r as materialized (select rid, list_distinct(list_filter(regexp_split_to_array(lower(title), '[^\\p{L}\\p{N}]+'), w -> w <> '')) as t from ${right})
    select lid, rid, sim as similarity from (
      select lid, rid, len(list_intersect(l.t, r.t)) / len(list_distinct(list_concat(l.t, r.t))) as sim
      from l cross join r where len(l.t) > 0 and len(r.t) > 0)
    where sim >= ${threshold}`;
  return (await q.collect()).toRecords().map(key).sort();
}

function row(cells: (string | number)[]): string {
  return cells.map((c, i) => String(c).padEnd(i === 0 ? 44 : 16)).join("");
}

async function fuzzyBench(): Promise<void> {
  console.log(`fuzzyJoin (Jaccard on word tokens); fuzzyJoin median of ${REPEATS}, naive one run`);
  console.log(row(["case", "seconds", "pairs", "ratio"]));
  // Same-size comparison where the naive cross join can finish.
  const small = catalogs(NAIVE_ROWS);
  await small.left.count(); // load both catalogs into the engine before timing
  await small.right.count();
  let naivePerPair = Infinity;
  for (const threshold of [0.5, 0.8]) {
    // The naive join runs once per threshold: at tens of seconds a run, repeats add little.
    const naive = await timed(() => naivePairs(small.left, small.right, threshold), 1);
    naivePerPair = Math.min(naivePerPair, naive.seconds / (NAIVE_ROWS * NAIVE_ROWS));
    const fuzzy = await timed(() => fuzzyPairs(small.left, small.right, threshold));
    const same = naive.value.length === fuzzy.value.length && naive.value.every((k, i) => k === fuzzy.value[i]);
    if (!same) throw new Error(`results differ at threshold ${threshold}: naive ${naive.value.length} pairs, fuzzyJoin ${fuzzy.value.length}`);
    console.log(row([`naive cross join ${NAIVE_ROWS} x ${NAIVE_ROWS}, t=${threshold}`, naive.seconds.toFixed(3), naive.value.length, "1.00 (baseline)"]));
    console.log(row([`fuzzyJoin ${NAIVE_ROWS} x ${NAIVE_ROWS}, t=${threshold}`, fuzzy.seconds.toFixed(3), fuzzy.value.length, `${(naive.seconds / fuzzy.seconds).toFixed(1)}x faster`]));
    console.log(`  identical results: ${same} (${fuzzy.value.length} pairs)`);
  }
  const big = catalogs(ROWS);
  await big.left.count();
  await big.right.count();
  for (const threshold of [0.5, 0.7, 0.8]) {
    const fuzzy = await timed(() => big.left.fuzzyJoin(big.right, { left: "title", right: "title", threshold }).count());
    const estimate = naivePerPair * ROWS * ROWS;
    console.log(
      row([`fuzzyJoin ${ROWS} x ${ROWS}, t=${threshold}`, fuzzy.seconds.toFixed(3), fuzzy.value, `naive est. ${estimate.toFixed(0)} s (${(estimate / fuzzy.seconds).toFixed(0)}x)`]),
    );
  }
  console.log("  (naive at full size is an estimate: its measured time per pair above times the number of pairs)");
}

async function udfBench(): Promise<void> {
  console.log(`\nudf vs native expression, ${UDF_ROWS} rows, median of ${REPEATS}`);
  const data = (await sql`select (range % 1000)::DOUBLE as a, (range % 7)::DOUBLE as b from range(${UDF_ROWS})`).cache();
  const frame = await data;
  const js = udf((a: number, b: number) => a * 2 + b, { returns: "double" });
  const native = await timed(async () => (await frame.select(col("a").mul(2).add(col("b")).sum().as("s")).collect()).column("s")[0]);
  const viaUdf = await timed(async () => (await frame.select(js(col("a"), col("b")).sum().as("s")).collect()).column("s")[0]);
  if (native.value !== viaUdf.value) throw new Error(`udf and native sums differ: ${viaUdf.value} vs ${native.value}`);
  console.log(row(["case", "seconds", "sum", "ratio"]));
  console.log(row(["native a * 2 + b", native.seconds.toFixed(3), String(native.value), "1.00 (baseline)"]));
  console.log(row(["udf((a, b) => a * 2 + b)", viaUdf.seconds.toFixed(3), String(viaUdf.value), `${(viaUdf.seconds / native.seconds).toFixed(2)}x the native time`]));
}

await fuzzyBench();
await udfBench();
