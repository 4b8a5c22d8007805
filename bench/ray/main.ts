// Per-step overhead of the Ray executor, against in-process in the same run:
//  1. A fan-out (a dynamic op with N items, each mapped to a small function op) run with
//     `sluice pipeline run --executor in-process | subprocess | ray` at concurrency 2, on a 2-node Ray
//     cluster started here (127.0.0.2 head, 127.0.0.3 worker, one CPU each), at two sizes (BENCH_RAY_STEPS,
//     default 200, and a quarter of it). Reported: the whole command's wall time per step (what a user waits,
//     Node's start and the pipeline's load included), and its split into a fixed cost per run (the intercept:
//     for Ray, connecting a driver and starting each worker's warm `sluice step serve` process) and a cost per
//     step (the slope between the two sizes). ray − in-process is the cost of running a step remotely;
//     subprocess starts a `sluice step exec` process per step, the cost the warm processes avoid. Ray runs
//     twice: through the cluster's agent (`sluice cluster start --head` starts it; runs share its Ray driver, and
//     its Ray workers keep their warm step processes from run to run: measured after one first run, which is
//     reported apart), and with a Ray driver of each run's own (SLUICE_RAY_AGENT=0: nothing kept between runs).
//  2. Ray's task overhead alone: `node -e ""` as a Ray task against spawning it directly, 40 each at
//     concurrency 2; and a Ray task echoing a line through a warm process (the round trip a warm step pays).
// BENCH_RAY_SUBPROCESS=0 skips the subprocess run (~1.5 s a step).
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
const SMALL = Math.max(1, Math.round(STEPS / 4));
const work = mkdtempSync(join(tmpdir(), "sluice-bench-ray-"));
const stateDir = join(work, "cluster");
const ms = (x: number) => `${x.toFixed(1)} ms`;

try {
  requireRay();
} catch (error) {
  console.log(`skipped: ${(error as Error).message}`);
  process.exit(0);
}

/** A fan-out pipeline file of `steps` mapped steps (one file per size: the code version differs). */
function fanout(steps: number): string {
  const file = join(work, `fanout-${steps}.ts`);
  writeFileSync(
    file,
    `import { fnOp, pipeline } from "sluice";
const items = Array.from({ length: ${steps} }, (_, i) => i);
export default pipeline("fanout", [
  fnOp({ name: "items", dynamic: true, run: () => items }),
  fnOp({ name: "work", map: "items", outputs: ["bench/item"], run: (ctx) => Array.from({ length: 100 }, (_, i) => ({ item: ctx.item as number, i })) }),
], { maxConcurrency: 2 });
`,
  );
  return file;
}

/** One `sluice pipeline run` into a fresh store: the command's wall time (ms). */
function runPipeline(executor: string, steps: number, address?: string, env: Record<string, string> = {}): number {
  const store = mkdtempSync(join(work, `store-${executor}-${steps}-`));
  const args = [bin, "pipeline", "run", fanout(steps), "--store", store, "--json", "--executor", executor, ...(address ? ["--address", address] : [])];
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: work, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  const wall = performance.now() - t;
  if (r.status !== 0) throw new Error(`--executor ${executor} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const json = JSON.parse(r.stdout) as { counts: { succeeded: number } };
  if (json.counts.succeeded !== steps + 1) throw new Error(`--executor ${executor}: ${json.counts.succeeded} steps succeeded, expected ${steps + 1}`);
  return wall;
}

/** Both sizes: wall per step at the full size, and the fixed cost and cost per step between the sizes. */
function measure(executor: string, address?: string, env?: Record<string, string>) {
  const small = runPipeline(executor, SMALL, address, env);
  const full = runPipeline(executor, STEPS, address, env);
  const perStep = (full - small) / (STEPS - SMALL);
  return { small, full, wallPerStep: full / (STEPS + 1), perStep, fixed: full - perStep * (STEPS + 1) };
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

  const inProcess = measure("in-process");
  const subprocess = process.env.BENCH_RAY_SUBPROCESS === "0" ? undefined : measure("subprocess");
  if (!head.agent) throw new Error(`the head's agent did not start: ${head.agentError}`);
  const ownDriver = measure("ray", head.address, { SLUICE_RAY_AGENT: "0" });
  // The agent's first run starts its Ray workers and their warm step processes; the runs after it find them.
  const firstRun = runPipeline("ray", SMALL, head.address);
  const ray = measure("ray", head.address);
  const rows = [
    ["executor", "wall", "per step", "− in-process", "fixed per run", "per step beyond it", "− in-process"],
    ...([["in-process", inProcess], ...(subprocess ? [["subprocess", subprocess] as const] : []), ["ray, own driver", ownDriver], ["ray, agent", ray]] as const).map(([name, m]) => [
      name,
      ms(m.full),
      ms(m.wallPerStep),
      name === "in-process" ? "—" : ms(m.wallPerStep - inProcess.wallPerStep),
      ms(m.fixed),
      ms(m.perStep),
      name === "in-process" ? "—" : ms(m.perStep - inProcess.perStep),
    ]),
  ];
  console.log(`\n${STEPS}-step fan-out (and ${SMALL} steps for the split), concurrency 2 (2 Ray nodes × 1 CPU); wall = the whole \`sluice pipeline run\``);
  for (const r of rows) console.log(`  ${r[0]!.padEnd(16)} ${r.slice(1).map((c, i) => c.padStart([10, 9, 13, 14, 19, 13][i]!)).join("")}`);
  for (const [name, m] of [["ray through the agent", ray], ["ray with a driver of its own", ownDriver]] as const)
    console.log(`  ${name}: ${(m.full / inProcess.full).toFixed(2)}× in-process's wall time; adds ${ms(m.wallPerStep - inProcess.wallPerStep)} per step over the whole run, ` +
      `${ms(m.perStep - inProcess.perStep)} per step beyond its fixed ${ms(m.fixed - inProcess.fixed)} more per run (target ≤ 10 ms per step)`);
  console.log(`  the agent's first run after the cluster started (${SMALL} steps): ${ms(firstRun)}, against ${ms(ray.small)} for the same run later (its Ray workers and warm step processes start once)`);

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
