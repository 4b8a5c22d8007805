// Per-step overhead of the Ray executor, against in-process in the same run:
//  1. A 200-step fan-out (a dynamic op with 200 items, each mapped to a small function op) run with
//     `sluice pipeline run --executor in-process | subprocess | ray` at concurrency 2, on a 2-node Ray
//     cluster started here (127.0.0.2 head, 127.0.0.3 worker, one CPU each). Time per step and the
//     differences: ray − in-process is the whole cost of running a step remotely (a Ray task handing the
//     spec to its worker's warm `sluice step serve` process); subprocess starts a `sluice step exec`
//     process per step, the cost the warm processes avoid.
//  2. Ray's task overhead alone: `node -e ""` as a Ray task against spawning it directly, 40 each at
//     concurrency 2; and a Ray task echoing a line through a warm process (the round trip a warm step pays).
// BENCH_RAY_STEPS changes the fan-out size; BENCH_RAY_SUBPROCESS=0 skips the subprocess run (~1.5 s a step).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RayHelper } from "../../src/cluster/helper.js";
import { joinCluster, startHead, stopNodes } from "../../src/cluster/nodes.js";
import { requireRay } from "../../src/cluster/python.js";

const root = resolve(import.meta.dirname, "..", "..", "..");
const bin = join(root, "bin", "sluice.js");
const STEPS = Number(process.env.BENCH_RAY_STEPS ?? 200);
const work = mkdtempSync(join(tmpdir(), "sluice-bench-ray-"));
const stateDir = join(work, "cluster");
const ms = (x: number) => `${x.toFixed(1)} ms`;

try {
  requireRay();
} catch (error) {
  console.log(`skipped: ${(error as Error).message}`);
  process.exit(0);
}

writeFileSync(
  join(work, "fanout.ts"),
  `import { fnOp, pipeline } from "sluice";
const items = Array.from({ length: ${STEPS} }, (_, i) => i);
export default pipeline("fanout", [
  fnOp({ name: "items", dynamic: true, run: () => items }),
  fnOp({ name: "work", map: "items", outputs: ["bench/item"], run: (ctx) => Array.from({ length: 100 }, (_, i) => ({ item: ctx.item as number, i })) }),
], { maxConcurrency: 2 });
`,
);

function runPipeline(executor: string, address?: string): number {
  const store = join(work, `store-${executor}`);
  const args = [bin, "pipeline", "run", join(work, "fanout.ts"), "--store", store, "--json", "--executor", executor, ...(address ? ["--address", address] : [])];
  const r = spawnSync(process.execPath, args, { cwd: work, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`--executor ${executor} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const json = JSON.parse(r.stdout) as { durationMs: number; counts: { succeeded: number } };
  if (json.counts.succeeded !== STEPS + 1) throw new Error(`--executor ${executor}: ${json.counts.succeeded} steps succeeded, expected ${STEPS + 1}`);
  return json.durationMs;
}

async function pool(n: number, concurrency: number, fn: () => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) await fn();
  }));
}

const spawnNode = () =>
  new Promise<void>((done, fail) => spawn(process.execPath, ["-e", ""], { stdio: "ignore" }).once("exit", (code) => (code === 0 ? done() : fail(new Error(`exit ${code}`)))));

try {
  const t0 = performance.now();
  const head = await startHead({ port: 6390 + Math.floor(Math.random() * 500), nodeIp: "127.0.0.2", numCpus: 1, objectStoreMemory: 300_000_000, stateDir });
  await joinCluster(head.address, { nodeIp: "127.0.0.3", numCpus: 1, objectStoreMemory: 300_000_000, stateDir });
  console.log(`2-node cluster started in ${ms(performance.now() - t0)}`);

  const inProcess = runPipeline("in-process");
  const subprocess = process.env.BENCH_RAY_SUBPROCESS === "0" ? undefined : runPipeline("subprocess");
  const ray = runPipeline("ray", head.address);
  const per = (t: number) => t / (STEPS + 1);
  const rows = [
    ["executor", "run", "per step", "per step − in-process"],
    ["in-process", ms(inProcess), ms(per(inProcess)), "—"],
    ...(subprocess === undefined ? [] : [["subprocess", ms(subprocess), ms(per(subprocess)), ms(per(subprocess) - per(inProcess))]]),
    ["ray", ms(ray), ms(per(ray)), ms(per(ray) - per(inProcess))],
  ];
  console.log(`\n${STEPS}-step fan-out, concurrency 2 (2 Ray nodes × 1 CPU)`);
  for (const r of rows) console.log(`  ${r[0]!.padEnd(11)} ${r[1]!.padStart(11)} ${r[2]!.padStart(10)} ${r[3]!.padStart(22)}`);
  console.log(`  ray / in-process = ${(ray / inProcess).toFixed(1)}×`);

  // Ray's task overhead alone, warm (one task first so the workers exist).
  const helper = await RayHelper.connect(head.address);
  try {
    await helper.run({ cmd: [process.execPath, "-e", ""] });
    const N = 40;
    let t = performance.now();
    await pool(N, 2, spawnNode);
    const direct = (performance.now() - t) / N;
    t = performance.now();
    await pool(N, 2, async () => void (await helper.run({ cmd: [process.execPath, "-e", ""] })));
    const task = (performance.now() - t) / N;
    console.log(`\n\`node -e ""\` ×${N}, concurrency 2: spawned directly ${ms(direct)} each, as a Ray task ${ms(task)} each: Ray adds ${ms(task - direct)} per task (ratio ${(task / direct).toFixed(2)})`);
    // The floor of a warm step: a Ray task handing one line to its worker's warm process, which echoes it.
    const echo = { cmd: [process.execPath, "-e", "require('readline').createInterface({ input: process.stdin }).on('line', (l) => require('fs').writeSync(Number(process.argv[1]), l + '\\n'))", "{resultFd}"], warm: true, stdin: "ping" };
    await pool(4, 2, async () => void (await helper.run(echo)));
    t = performance.now();
    await pool(N * 5, 2, async () => void (await helper.run(echo)));
    const warm = (performance.now() - t) / (N * 5);
    console.log(`a Ray task echoing one line through its worker's warm process ×${N * 5}, concurrency 2: ${ms(warm)} each (Ray's round trip: the floor of a warm step)`);
  } finally {
    await helper.close();
  }
} finally {
  await stopNodes(stateDir);
  rmSync(work, { recursive: true, force: true });
}
