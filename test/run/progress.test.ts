// A notebook run (executeNotebook, the real Sluice kernel) is one job on the progress bus, cells as its
// stages; a cancel request for the job interrupts the running cell like Ctrl-C.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { executeNotebook } from "../../src/run/index.js";
import { onProgress, requestCancel, type ProgressEvent } from "../../src/progress/index.js";
import { installSluiceKernel, notebook, tempDir, writeNotebook } from "./helpers.js";

const ts = { name: "sluice", language: "typescript" };
let dir: string;
beforeAll(() => {
  process.env.JUPYTER_PATH = installSluiceKernel();
  dir = tempDir("sluice-run-progress-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function record(): { events: ProgressEvent[]; stop: () => void } {
  const events: ProgressEvent[] = [];
  return { events, stop: onProgress((e) => void events.push(e)) };
}

describe("executeNotebook on the progress bus", () => {
  it("emits job.start, a stage per code cell, job.progress and job.end with the cells as operators", async () => {
    const input = writeNotebook(dir, "three.ipynb", notebook([{ source: "const n = 2;", tags: ["parameters"] }, "const m = n * 3;", "m + 1"], ts));
    const { events, stop } = record();
    const { summary } = await executeNotebook(input, { parameters: { n: 5 } });
    stop();
    expect(summary.status).toBe("succeeded");
    const jobId = events[0]!.jobId;
    const mine = events.filter((e) => e.jobId === jobId);
    expect(mine.map((e) => e.type)).toEqual([
      "job.start",
      ...Array.from({ length: 4 }, () => ["stage.start", "stage.end", "job.progress"]).flat(),
      "job.end",
    ]);
    expect(mine[0]).toMatchObject({ type: "job.start", description: "notebook three.ipynb" });
    // Parameters cell, injected parameters, then the two cells.
    expect(mine.filter((e) => e.type === "stage.end").map((e) => "name" in e && e.name)).toEqual([
      "cell 1/4 (cell-0): const n = 2;",
      expect.stringMatching(/^cell 2\/4 \(\w+\): \/\/ Parameters injected by sluice run$/),
      "cell 3/4 (cell-1): const m = n * 3;",
      "cell 4/4 (cell-2): m + 1",
    ]);
    expect(mine.filter((e) => e.type === "job.progress").map((e) => e.percent)).toEqual([25, 50, 75, 100]);
    const end = mine.at(-1)!;
    expect(end).toMatchObject({ type: "job.end", status: "succeeded" });
    expect(end.type === "job.end" && end.operators.map((o) => o.id)).toEqual(["cell-0", expect.any(String), "cell-1", "cell-2"]);
  }, 120_000);

  it("a cancel request interrupts the running cell; the run ends interrupted and the job cancelled", async () => {
    const input = writeNotebook(dir, "sleepy.ipynb", notebook(["const a = 1;", "await new Promise((r) => setTimeout(r, 60_000));", "a + 1"], ts));
    const { events, stop } = record();
    const off = onProgress((e) => {
      if (e.type === "stage.start" && e.stageId === "cell-2") setTimeout(() => requestCancel(e.jobId), 300);
    });
    const started = Date.now();
    const { summary } = await executeNotebook(input);
    off();
    stop();
    expect(summary.status).toBe("interrupted");
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(summary.cellsExecuted).toBe(2);
    const end = events.find((e) => e.type === "job.end");
    expect(end).toMatchObject({ status: "cancelled", error: expect.stringContaining("interrupted while running") });
  }, 120_000);
});
