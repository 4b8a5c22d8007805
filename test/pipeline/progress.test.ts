// A pipeline run is one job on the progress bus: ops are stages, their nodes the stages' tasks; a cancel
// request for the job stops the run (nothing new starts) and records it as cancelled.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { fnOp, pipeline, runPipeline, staticPartitions } from "../../src/pipeline/index.js";
import { onProgress, requestCancel, type ProgressEvent, type StageEvent } from "../../src/progress/index.js";

let root: string;
let store: AssetStore;
let events: ProgressEvent[];
let stop: () => void;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-pipe-progress-"));
  store = new AssetStore(join(root, "store"));
  events = [];
  stop = onProgress((e) => void events.push(e));
});
afterEach(() => {
  stop();
  store.close();
  rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("pipeline runs on the progress bus", () => {
  it("emits job.start, a stage per op with its nodes as tasks, job.progress and job.end with rows per op", async () => {
    const regions = staticPartitions(["eu", "us"]);
    const p = pipeline(
      "fan",
      [
        fnOp({ name: "raw", partitions: regions, outputs: ["fan/raw"], run: (ctx) => Array.from({ length: 5 }, (_, i) => ({ region: ctx.partitionKey, i })) }),
        fnOp({ name: "files", dynamic: true, run: () => ["a", "b", "c"] }),
        fnOp({ name: "load", map: "files", outputs: ["fan/loaded"], run: async (ctx) => (await sleep(5), [{ file: ctx.item }, { file: ctx.item }]) }),
        fnOp({ name: "total", collect: "files", inputs: { loaded: "fan/loaded" }, outputs: ["fan/total"], run: () => [{ n: 6 }] }),
      ],
      { maxConcurrency: 2 },
    );
    const result = await runPipeline(p, { store, backfill: "eu..us", reporter: false });
    expect(result.status).toBe("succeeded");
    const mine = events.filter((e) => e.jobId === result.jobId);
    expect(mine[0]).toMatchObject({ type: "job.start", description: "pipeline fan" });
    expect(mine.at(-1)).toMatchObject({ type: "job.end", status: "succeeded" });
    expect(mine.filter((e) => e.type === "job.start" || e.type === "job.end")).toHaveLength(2);

    // Every op: one stage.start before one stage.end, which reports all of its nodes done.
    const stageEnds = mine.filter((e): e is StageEvent => e.type === "stage.end");
    expect(Object.fromEntries(stageEnds.map((e) => [e.stageId, [e.tasksDone, e.tasksTotal, e.rows]]))).toEqual({
      raw: [2, 2, 10],
      files: [1, 1, 0],
      load: [3, 3, 6],
      total: [1, 1, 1],
    });
    for (const op of ["raw", "files", "load", "total"]) {
      const types = mine.filter((e) => "stageId" in e && e.stageId === op).map((e) => e.type);
      expect(types[0]).toBe("stage.start");
      expect(types.filter((t) => t === "stage.start" || t === "stage.end")).toEqual(["stage.start", "stage.end"]);
      expect(types.at(-1)).toBe("stage.end");
    }
    // The mapped op's stage ends only after all of its items: never with fewer tasks than items.
    const percents = mine.filter((e) => e.type === "job.progress").map((e) => e.percent);
    expect(percents.at(-1)).toBe(100);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    const end = mine.at(-1)!;
    expect(end.type === "job.end" && end.operators.map((o) => [o.id, o.rows])).toEqual([
      ["raw", 10],
      ["files", 0],
      ["load", 6],
      ["total", 1],
    ]);
  });

  it("a cancel request for the run's job stops scheduling and ends the run as cancelled", async () => {
    let jobId: string | undefined;
    const started: string[] = [];
    const p = pipeline(
      "cancellable",
      [
        fnOp({ name: "slow", priority: 1, outputs: ["c/slow"], run: async () => (started.push("slow"), await sleep(400), [{ x: 1 }]) }),
        fnOp({ name: "after", inputs: { s: "c/slow" }, outputs: ["c/after"], run: () => (started.push("after"), [{ x: 2 }]) }),
        fnOp({ name: "other", outputs: ["c/other"], run: () => (started.push("other"), [{ x: 3 }]) }),
      ],
      { maxConcurrency: 1 },
    );
    const off = onProgress((e) => {
      if (e.type === "stage.start" && e.stageId === "slow") {
        jobId = e.jobId;
        setTimeout(() => expect(requestCancel(e.jobId)).toBe(true), 50);
      }
    });
    const result = await runPipeline(p, { store, reporter: false });
    off();
    expect(result.status).toBe("cancelled");
    expect(result.jobId).toBe(jobId);
    // The running function op finishes (it cannot be interrupted); nothing else starts.
    expect(started).toEqual(["slow"]);
    expect(Object.fromEntries(result.nodes.map((n) => [n.id, n.status]))).toEqual({ slow: "succeeded", after: "pending", other: "pending" });
    expect(store.run(result.runId)!.status).toBe("cancelled");
    const end = events.find((e) => e.type === "job.end" && e.jobId === jobId);
    expect(end).toMatchObject({ status: "cancelled" });
    // A finished job no longer answers cancel requests.
    expect(requestCancel(jobId!)).toBe(false);
  });
});
