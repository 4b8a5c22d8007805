// Partition-wise fragments as local child processes (no Ray): the results equal the driver's own query,
// explain() says where each part runs, the job shows one stage per fragment with rows, a cancel stops
// every fragment's process, a killed fragment process is run again, and scratch folders are removed (also a
// driver's killed mid-query, by the next one).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, SourceError, applyEvent, configureEngine, onProgress, progressText, requestCancel, type JobSnapshot, type ProgressEvent } from "../../src/index.js";
import { clusterConfig, gcScratch } from "../../src/engine/fragments/index.js";
import { findFragmentedUnions, fragmentSql } from "../../src/engine/fragments/plan.js";
import { bytesBelow, queries, rowsOf, rowsOfQueries, writeEvents } from "./data.js";

let dir = "";
let scratch = "";
let expectedByDay: string[] = [];

beforeAll(async () => {
  dir = await writeEvents(400_000);
  scratch = join(dir, "..", "scratch");
  await configureEngine({ cluster: null });
  expectedByDay = await rowsOf((await queries(dir)).byDay); // the driver's own answer
}, 120_000);

afterAll(async () => {
  await configureEngine({ cluster: null });
  rmSync(join(dir, ".."), { recursive: true, force: true });
});

/** Pids of `parent`'s children (default: this process's) that run the fragment worker, zombies left out. */
function workerChildren(parent = process.pid): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return state !== "Z" && Number(ppid) === parent && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("fragments/worker.js");
      } catch {
        return false; // ended while we looked
      }
    })
    .map(Number);
}

/** Every fragment worker process on this machine, whoever its parent is now (an orphan's is 1 or a subreaper). */
function anyWorkers(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] !== "Z";
    } catch {
      return false;
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const local = () => configureEngine({ cluster: { address: "local", minBytes: 0, maxFragments: 3, scratch } });

describe("fragments as local processes", () => {
  it("the test data is split by the partition-wise pass (several MB over 8 days)", async () => {
    expect(bytesBelow(dir)).toBeGreaterThan(4 * 1024 ** 2);
    const { byDay } = await queries(dir);
    const unions = findFragmentedUnions(byDay.optimizedPlan(), 0, 3);
    expect(unions).toHaveLength(1);
    expect(unions[0]!.fragments).toHaveLength(3);
    // Some fragment reads only digit-named tag folders (DuckDB alone would guess BIGINT there, VARCHAR over all):
    // every fragment's SQL names the types the plan knows.
    const onlyDigits = unions[0]!.fragments.filter((f) => f.paths.every((p) => /tag=\d+\//.test(p)));
    expect(onlyDigits.length).toBeGreaterThan(0);
    for (const f of unions[0]!.fragments) expect(fragmentSql(f).sql).toContain("hive_types = {'day': 'BIGINT', 'tag': 'VARCHAR'}");
  });

  it("gives the same rows as one query in the driver: distinct counts, histograms, quantiles, sums, sorts, a filter", async () => {
    await configureEngine({ cluster: null });
    const q = await queries(dir);
    const expected = { byDay: expectedByDay, sortedTop: await rowsOf(q.sortedTop, true), filtered: await rowsOf(q.filtered, true) };
    expect(expected.byDay.some((r) => r.includes('"tag":"x0"'))).toBe(true); // the text-valued partition is there
    await local();
    const { rows, events } = await rowsOfQueries(q);
    expect(rows).toEqual(expected);
    // One fragments job per query, each with one stage per fragment, and the driver's query as its child.
    const jobs = events.filter((e) => e.type === "job.start" && /fragments on local processes/.test(e.description));
    expect(jobs.length).toBe(3);
    const first = jobs[0]!.jobId;
    const ends = events.filter((e) => e.type === "stage.end" && e.jobId === first);
    expect(ends).toHaveLength(3);
    expect(ends.every((e) => e.type === "stage.end" && e.rows > 0 && e.tasksDone === 1 && e.bytes > 0)).toBe(true);
    expect(events.some((e) => e.type === "job.start" && e.parentId === first)).toBe(true);
    expect(events.some((e) => e.type === "job.end" && e.jobId === first && e.status === "succeeded")).toBe(true);
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]); // the parts are gone
    // The inline display lists one line per fragment, with its rows and time.
    const jobs2 = new Map<string, JobSnapshot>();
    for (const e of events.filter((e) => e.jobId === first)) applyEvent(jobs2, e, Date.now());
    const text = progressText(jobs2.get(first)!);
    expect(text.match(/fragment \d\/3 · \d+ files, [\d.]+ MB · [^:]+: 1\/1 done, [\d,]+ rows in /g)).toHaveLength(3);
  }, 240_000);

  it("writes and counts through fragments too", async () => {
    await local();
    const { byDay } = await queries(dir);
    const out = join(dir, "..", "by_day.parquet");
    await byDay.write.parquet(out);
    expect(existsSync(out)).toBe(true);
    expect(await byDay.count()).toBe((await rowsOf(byDay)).length);
  }, 240_000);

  it("explain() says which part runs where; small inputs stay in the driver", async () => {
    await local();
    const { byDay } = await queries(dir);
    const text = String(await byDay.explain());
    expect(text).toMatch(/== distribution ==/);
    expect(text).toMatch(/3 fragments as local processes/);
    await configureEngine({ cluster: { address: "local", scratch } }); // default minBytes: 64 MB, more than the data
    expect(String(await byDay.explain())).not.toMatch(/== distribution ==/);
  }, 120_000);

  it("a cancel of the job stops every fragment and ends it cancelled", async () => {
    await configureEngine({ cluster: { address: "local", minBytes: 0, maxFragments: 4, scratch } });
    const { byDay } = await queries(dir);
    let jobId = "";
    const stages: string[] = [];
    const stop = onProgress((e) => {
      if (e.type === "job.start" && /fragments on/.test(e.description)) jobId = e.jobId;
      if (e.type === "stage.start" && e.jobId === jobId) {
        stages.push(e.stageId);
        if (stages.length === 4) requestCancel(jobId); // all four processes started
      }
    });
    try {
      await expect(byDay.collect()).rejects.toBeInstanceOf(CancelledError);
    } finally {
      stop();
    }
    expect(stages).toHaveLength(4);
    expect(workerChildren()).toEqual([]); // no fragment process is left running
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, 120_000);

  it("a fragment reading a broken file fails the query with a SourceError naming the fragment and the file; nothing is left", async () => {
    await local();
    const { byDay } = await queries(dir);
    const victim = readdirSync(dir, { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name.endsWith(".parquet"))!;
    const path = join(victim.parentPath, victim.name);
    const original = readFileSync(path);
    writeFileSync(path, "this is not parquet");
    try {
      const err = await byDay.collect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceError);
      expect((err as Error).message).toMatch(new RegExp(`^fragment \\d of 3 \\(on ${hostname().replaceAll(".", "\\.")}\\) failed: `));
      expect((err as Error).message).toContain(victim.name);
    } finally {
      writeFileSync(path, original);
    }
    expect(workerChildren()).toEqual([]);
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, 120_000);

  it("a fragment process killed mid-run is run again: same result", async () => {
    await local();
    const { byDay } = await queries(dir);
    const killed: number[] = [];
    let running = false;
    const stop = onProgress((e) => {
      if (e.type === "job.start" && /fragments on local processes/.test(e.description)) running = true;
    });
    const hunt = setInterval(() => {
      if (!running || killed.length > 0) return;
      const victim = workerChildren()[0];
      if (victim !== undefined) {
        process.kill(victim, "SIGKILL");
        killed.push(victim);
      }
    }, 20);
    try {
      expect(await rowsOf(byDay)).toEqual(expectedByDay);
    } finally {
      clearInterval(hunt);
      stop();
    }
    expect(killed).toHaveLength(1);
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, 120_000);

  it("a driver killed mid-query: its fragment processes stop, and the next driver removes its scratch folder", async () => {
    const index = pathToFileURL(join(process.cwd(), "dist", "src", "index.js")).href;
    const script =
      `const { configureEngine, scan, col } = await import(${JSON.stringify(index)});\n` +
      `await configureEngine({ cluster: { address: "local", minBytes: 0, maxFragments: 3, scratch: ${JSON.stringify(scratch)} } });\n` +
      `const events = await scan.parquet(${JSON.stringify(dir)}, { hive: true });\n` +
      `await events.groupBy("day", "tag").agg(col("session_id").nUnique().as("visitors")).collect();\n`;
    const driver = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    const exited = new Promise((r) => driver.once("exit", r));
    const folder = join(scratch, `fragments-${hostname()}-${driver.pid}-1`);
    let workers: number[] = [];
    for (let i = 0; i < 1200 && workers.length < 3 && driver.exitCode === null; i++) {
      await sleep(50);
      workers = workerChildren(driver.pid!);
    }
    expect(workers).toHaveLength(3); // its three fragments are running
    expect(existsSync(folder)).toBe(true);
    driver.kill("SIGKILL");
    await exited; // reaped: its pid is no longer running
    // Orphaned fragment processes notice that their driver is gone and stop.
    for (let i = 0; i < 300 && anyWorkers(workers).length > 0; i++) await sleep(100);
    expect(anyWorkers(workers)).toEqual([]);
    expect(existsSync(folder)).toBe(true); // left behind by the crash
    expect(await gcScratch(scratch)).toEqual([folder]);
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, 180_000);

  it("a dead driver's scratch folder is removed by the next one; a live one's is kept", async () => {
    mkdirSync(scratch, { recursive: true });
    const dead = join(scratch, `fragments-${hostname()}-999999999-1`);
    const mine = join(scratch, `fragments-${hostname()}-${process.pid}-77`);
    mkdirSync(dead);
    mkdirSync(mine);
    expect(await gcScratch(scratch)).toEqual([dead]);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(true);
    rmSync(mine, { recursive: true });
  });

  it("reads the cluster from the environment when configureEngine did not set it, and names a bad variable", () => {
    const config = join(process.cwd(), "dist", "src", "engine", "fragments", "config.js");
    const read = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["--input-type=module", "-e", `const { clusterConfig } = await import(${JSON.stringify(pathToFileURL(config).href)}); console.log(JSON.stringify(clusterConfig() ?? null));`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
      });
    const local = read({ SLUICE_CLUSTER: "local", SLUICE_CLUSTER_MIN_BYTES: "1000", SLUICE_SCRATCH: scratch });
    expect(JSON.parse(local.stdout)).toMatchObject({ address: "local", minBytes: 1000, scratch });
    expect(JSON.parse(read({ SLUICE_RAY_ADDRESS: "ray://127.0.0.2:6379" }).stdout)).toMatchObject({ address: "127.0.0.2:6379", maxFragments: 8 });
    expect(JSON.parse(read({}).stdout)).toBeNull();
    const bad = read({ SLUICE_CLUSTER: "nowhere" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/from the environment \(SLUICE_CLUSTER, SLUICE_CLUSTER_MIN_BYTES\): configureEngine: cluster.address must be "local"/);
  });

  it("refuses a bad cluster option with a message that names the fix", async () => {
    await expect(configureEngine({ cluster: { address: "nowhere" } })).rejects.toThrow(/cluster.address must be "local" or a Ray address/);
    await expect(configureEngine({ cluster: { address: "local", maxFragments: 1 } })).rejects.toThrow(/maxFragments must be a whole number from 2/);
    await configureEngine({ cluster: null });
    expect(clusterConfig()).toBeUndefined();
  });
});
