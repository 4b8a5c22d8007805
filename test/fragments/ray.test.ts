// Partition-wise fragments as Ray tasks on a real 2-node cluster (head 127.0.0.2, worker 127.0.0.3, one CPU
// each, started once for this file and stopped by pid): results equal the driver's own query, the stages name
// the nodes, a fragment whose process is killed mid-run is retried by Ray with the same result, and a cancel
// stops every fragment on every node.
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, configureEngine, onProgress, requestCancel, type ProgressEvent, type StageEvent } from "../../src/index.js";
import { startTestCluster, type TestCluster } from "../cluster/cluster.js";
import { queries, rowsOf, rowsOfQueries, writeEvents } from "./data.js";

let dir = "";
let scratch = "";
let cluster: TestCluster | undefined;
let address = "";
const expected: Record<string, string[]> = {};

/** Pids of running fragment workers (on any node: they are processes of this machine), with their parent. */
function fragmentWorkers(): { pid: number; ppid: number }[] {
  const out: { pid: number; ppid: number }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, "utf8").includes("fragments/worker.js")) continue;
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state !== "Z") out.push({ pid: Number(d), ppid: Number(ppid) });
    } catch {
      // ended while we looked
    }
  }
  return out;
}

const onCluster = (maxFragments = 4) => configureEngine({ cluster: { address, minBytes: 0, maxFragments, scratch } });

beforeAll(async () => {
  // The cluster area's test cluster (one CPU per node); a loaded machine can miss Ray's start-up waits: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      cluster = await startTestCluster();
      break;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
  address = cluster.address;
  dir = await writeEvents(400_000);
  scratch = join(dir, "..", "scratch");
  await configureEngine({ cluster: null });
  const q = await queries(dir);
  expected.byDay = await rowsOf(q.byDay);
  expected.sortedTop = await rowsOf(q.sortedTop, true);
  expected.filtered = await rowsOf(q.filtered, true);
}, 400_000);

afterAll(async () => {
  await configureEngine({ cluster: null });
  await cluster?.stop(); // by the pids this file started, never `ray stop`
  if (dir) rmSync(join(dir, ".."), { recursive: true, force: true });
}, 120_000);

describe("fragments as Ray tasks on two nodes", () => {
  it("give the same rows as one query in the driver, with the fragments spread over both nodes", async () => {
    await onCluster();
    const q = await queries(dir);
    const { rows, events } = await rowsOfQueries(q);
    expect(rows).toEqual(expected);
    const jobs = events.filter((e) => e.type === "job.start" && e.description.includes(`fragments on Ray ${address}`));
    expect(jobs).toHaveLength(3);
    const ends = events.filter((e): e is StageEvent => e.type === "stage.end" && jobs.some((j) => j.jobId === e.jobId));
    expect(ends.length).toBeGreaterThanOrEqual(3 * 2);
    expect(ends.every((e) => e.tasksDone === 1 && e.rows > 0)).toBe(true);
    const hosts = new Set(ends.map((e) => /· (127\.0\.0\.[23])$/.exec(e.name)?.[1]));
    expect([...hosts].sort()).toEqual(["127.0.0.2", "127.0.0.3"]);
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, 400_000);

  it("a fragment whose process is killed mid-run is run again by Ray: same result", async () => {
    await onCluster(2);
    const { byDay } = await queries(dir);
    const killed: number[] = [];
    let jobId = "";
    const hunt = setInterval(() => {
      if (!jobId || killed.length > 0) return;
      const remote = fragmentWorkers().find((w) => w.ppid !== process.pid); // started by a Ray worker
      if (remote) {
        process.kill(remote.pid, "SIGKILL");
        killed.push(remote.pid);
      }
    }, 20);
    const stop = onProgress((e) => {
      if (e.type === "job.start" && e.description.includes("fragments on Ray")) jobId = e.jobId;
    });
    try {
      expect(await rowsOf(byDay)).toEqual(expected.byDay);
    } finally {
      clearInterval(hunt);
      stop();
    }
    expect(killed).toHaveLength(1);
  }, 400_000);

  it("a cancel from the API stops every fragment on every node", async () => {
    await onCluster(4);
    const { byDay } = await queries(dir);
    let jobId = "";
    let seen = 0;
    let wait: NodeJS.Timeout | undefined;
    const stop = onProgress((e) => {
      if (e.type === "job.start" && e.description.includes("fragments on Ray")) jobId = e.jobId;
      if (e.type === "stage.start" && e.jobId === jobId && ++seen === 4) {
        // Once a fragment process runs somewhere, cancel the whole job.
        wait = setInterval(() => {
          if (fragmentWorkers().some((w) => w.ppid !== process.pid)) {
            clearInterval(wait);
            requestCancel(jobId);
          }
        }, 20);
      }
    });
    try {
      await expect(byDay.collect()).rejects.toBeInstanceOf(CancelledError);
    } finally {
      clearInterval(wait);
      stop();
    }
    // Ray kills each task's worker, and the fragment process dies with it.
    for (let i = 0; i < 600 && fragmentWorkers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(fragmentWorkers()).toEqual([]);
    expect(existsSync(scratch) ? readdirSync(scratch) : []).toEqual([]);
  }, 400_000);
});
