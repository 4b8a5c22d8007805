import { afterEach, describe, expect, it } from "vitest";
import { CancelledError, col, fromRecords, onProgress, requestCancel, setHost, type Host, type ProgressEvent } from "../../src/index.js";

function record(): { events: ProgressEvent[]; stop: () => void } {
  const events: ProgressEvent[] = [];
  const stop = onProgress((e) => events.push(e));
  return { events, stop };
}

const big = () => fromRecords(Array.from({ length: 100_000 }, (_, i) => ({ i })));
/** A self cross join of 10^10 rows: runs for minutes unless cancelled. */
const slow = () => big().join(big().select(col("i").as("j")), { how: "cross" }).filter(col("i").add(col("j")).mod(7).eq(0));

afterEach(() => setHost(undefined));

describe("progress events and cancel", () => {
  it("collect emits job.start (description, plan, cellId) and job.end with per-operator metrics", async () => {
    setHost({ currentCellId: () => "cell-42" } as unknown as Host);
    const { events, stop } = record();
    await fromRecords([{ a: 1 }, { a: 2 }]).filter(col("a").gt(1)).sort("a").collect();
    stop();
    const start = events.find((e) => e.type === "job.start")!;
    const end = events.find((e) => e.type === "job.end")!;
    expect(start).toMatchObject({ type: "job.start", cellId: "cell-42" });
    expect(start.type === "job.start" && start.description).toMatch(/^collect: SCAN → SORT/);
    expect(start.type === "job.start" && (start.plan as { name: string }).name).toBe("SORT");
    // The plan shown is the optimized one: the filter now lives in the scan.
    expect(start.type === "job.start" && JSON.stringify(start.plan)).toContain("filter col(\\\"a\\\").gt(lit(1))");
    expect(end).toMatchObject({ type: "job.end", jobId: start.jobId, status: "succeeded" });
    const ops = end.type === "job.end" ? end.operators : [];
    expect(ops.length).toBeGreaterThan(0);
    expect(ops.every((o) => typeof o.name === "string" && o.rows >= 0 && o.timeMs >= 0)).toBe(true);
    expect(ops.some((o) => /FILTER|SCAN/.test(o.name))).toBe(true);
  });

  it("every action is a job: count, write, stream, profile", async () => {
    const { events, stop } = record();
    const f = fromRecords([{ a: 1 }]);
    await f.count();
    for await (const _ of f.stream()) void _;
    await f.profile();
    stop();
    const starts = events.filter((e) => e.type === "job.start").map((e) => (e.type === "job.start" ? e.description.split(":")[0] : ""));
    expect(starts).toEqual(["count", "stream", "profile"]);
    expect(events.filter((e) => e.type === "job.end" && e.status === "succeeded")).toHaveLength(3);
  });

  it("a long query reports job.progress at most ~4 times a second, and cancel stops it with CancelledError", async () => {
    const { events, stop } = record();
    const started = Date.now();
    const query = slow().count();
    // Cancel after the first progress report (or after 10 s if the engine reports none: a loaded machine is slow to).
    const jobId = await new Promise<string>((resolve) => {
      const off = onProgress((e) => {
        if (e.type === "job.progress") {
          off();
          setTimeout(() => resolve(e.jobId), 600);
        }
      });
      setTimeout(() => resolve(events.find((e) => e.type === "job.start")?.jobId ?? ""), 10_000);
    });
    expect(requestCancel(jobId)).toBe(true);
    const err = await query.catch((e: unknown) => e);
    stop();
    expect(err).toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(20_000);
    const progress = events.filter((e) => e.type === "job.progress");
    expect(progress.length).toBeGreaterThan(0);
    for (let i = 1; i < progress.length; i++) {
      const gap = (progress[i] as { elapsedMs: number }).elapsedMs - (progress[i - 1] as { elapsedMs: number }).elapsedMs;
      expect(gap).toBeGreaterThanOrEqual(200);
    }
    expect(progress.every((p) => p.type === "job.progress" && p.percent >= 0 && p.percent <= 100)).toBe(true);
    expect(events.find((e) => e.type === "job.end")).toMatchObject({ status: "cancelled", jobId });
    // The engine is healthy afterwards.
    expect(await fromRecords([{ a: 1 }, { a: 2 }]).count()).toBe(2);
    expect(requestCancel(jobId)).toBe(false);
  });

  it("a failing query ends its job as failed with the error", async () => {
    const { events, stop } = record();
    const err = await fromRecords([{ s: "x" }]).select(col("s").cast("int64").as("n")).collect().catch((e: unknown) => e);
    stop();
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/Conversion Error|Could not convert/);
    expect(events.find((e) => e.type === "job.end")).toMatchObject({ status: "failed" });
  });
});
