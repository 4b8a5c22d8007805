// bench/danfo: danfojs-node's groupby (sum, then count) on the same data in three fresh processes:
// (a) danfo alone (the baseline), (b) after `import "apache-arrow"`, (c) after importing Sluice, with the
// danfo frame made by `frame.toDanfo()`. apache-arrow sets Symbol.isConcatSpreadable when it loads, which
// turns off V8's fast Array.prototype.concat for the whole process, and danfo's groupby concatenates once
// per group; Sluice loads apache-arrow without that side effect (src/engine/apache_arrow.ts), so (c)/(a)
// should stay near 1× while (b)/(a) shows what it costs.
// Sizes: SLUICE_BENCH_DANFO_ROWS (default 200,000; ~2,900 groups), SLUICE_BENCH_REPEATS (default 3; median).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROWS = Number(process.env.SLUICE_BENCH_DANFO_ROWS ?? 200_000);
const REPEATS = Number(process.env.SLUICE_BENCH_REPEATS ?? 3);
const MODES = ["danfo alone", "after apache-arrow", "after Sluice + toDanfo()"] as const;
type Mode = (typeof MODES)[number];

interface DanfoFrame {
  shape: number[];
  groupby(keys: string[]): { agg(spec: Record<string, string>): DanfoFrame; col(cols: string[]): { count(): DanfoFrame } };
}
interface Timing {
  sumMs: number;
  countMs: number;
  groups: number;
}

/** Deterministic rows: a (50 labels) × b (60 numbers), about 2,900 groups at 200k rows. */
function columns(n: number): { a: string[]; b: number[]; v: number[] } {
  const a: string[] = [];
  const b: number[] = [];
  const v: number[] = [];
  let seed = 1;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < n; i++) {
    a.push(`k${Math.floor(next() * 50)}`);
    b.push(Math.floor(next() * 60));
    v.push(next() * 100);
  }
  return { a, b, v };
}

/** One child process: load what the mode says, then time danfo's groupby. */
async function child(mode: Mode): Promise<Timing> {
  const require = createRequire(import.meta.url);
  const data = columns(ROWS);
  let frame: DanfoFrame;
  if (mode === "after Sluice + toDanfo()") {
    const sluice = await import("../../src/index.js");
    frame = (await sluice.fromColumns(data).collect()).toDanfo() as DanfoFrame;
  } else {
    if (mode === "after apache-arrow") await import("apache-arrow");
    const dfd = require("danfojs-node") as { DataFrame: new (data: unknown) => DanfoFrame };
    frame = new dfd.DataFrame(data);
  }
  const sums: number[] = [];
  const counts: number[] = [];
  let groups = 0;
  for (let r = 0; r < REPEATS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    let t0 = performance.now();
    groups = frame.groupby(["a", "b"]).agg({ v: "sum" }).shape[0];
    sums.push(performance.now() - t0);
    t0 = performance.now();
    frame.groupby(["a", "b"]).col(["v"]).count();
    counts.push(performance.now() - t0);
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { sumMs: median(sums), countMs: median(counts), groups };
}

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await child(process.argv[3] as Mode)));
} else {
  const self = fileURLToPath(import.meta.url);
  const results = new Map<Mode, Timing>();
  for (const mode of MODES) {
    const r = spawnSync(process.execPath, ["--expose-gc", self, "--child", mode], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) throw new Error(`bench/danfo child "${mode}" failed (exit ${r.status ?? r.signal})`);
    results.set(mode, JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Timing);
  }
  const base = results.get("danfo alone")!;
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`rows: ${ROWS.toLocaleString("en-US")}, groups: ${base.groups.toLocaleString("en-US")}, repeats: ${REPEATS} (median), one fresh process per row`);
  console.log("process                     groupby sum   groupby count   sum / alone   count / alone");
  for (const [mode, t] of results)
    console.log(
      `${mode.padEnd(26)} ${ms(t.sumMs).padStart(12)}   ${ms(t.countMs).padStart(13)}   ${(t.sumMs / base.sumMs).toFixed(2).padStart(10)}×   ${(t.countMs / base.countMs).toFixed(2).padStart(12)}×`,
    );
}
