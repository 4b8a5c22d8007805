// The scheduler alone: a pure state machine, driven step by step with a hand-held clock; no op runs.
import { describe, expect, it } from "vitest";
import { Scheduler, type SchedulerRetryPolicy } from "../../src/pipeline/scheduler.js";

/** A scheduler over a fixed DAG (id → the ids it waits for); priority = higher first, then id order. */
function make(dag: Record<string, string[]>, options: { maxConcurrency?: number; priority?: Record<string, number>; retry?: Record<string, SchedulerRetryPolicy> } = {}) {
  const s = new Scheduler({
    maxConcurrency: options.maxConcurrency ?? 10,
    compare: (a, b) => (options.priority?.[b] ?? 0) - (options.priority?.[a] ?? 0) || a.localeCompare(b),
    waitsFor: (id) => dag[id],
  });
  for (const id of Object.keys(dag)) s.add(id, options.retry?.[id]);
  return s;
}

describe("scheduler", () => {
  it("starts steps whose dependencies are done, in dependency order", () => {
    const s = make({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] });
    expect(s.next(0).start).toEqual(["a"]);
    expect(s.next(0).start).toEqual([]); // a is still running
    s.done("a", "succeeded");
    expect(s.next(0).start).toEqual(["b", "c"]);
    s.done("b", "skipped");
    expect(s.next(0).start).toEqual([]); // d also waits for c
    s.done("c", "reused");
    expect(s.next(0).start).toEqual(["d"]);
    expect(s.finished).toBe(false);
    s.done("d", "succeeded");
    expect(s.next(0).start).toEqual([]);
    expect(s.finished).toBe(true);
    expect(s.counts()).toMatchObject({ succeeded: 2, skipped: 1, reused: 1, pending: 0, running: 0 });
  });

  it("keeps at most maxConcurrency steps running and starts the highest priority first", () => {
    const s = make({ low: [], mid: [], high: [], top: [] }, { maxConcurrency: 2, priority: { top: 9, high: 5, mid: 1, low: 0 } });
    expect(s.next(0).start).toEqual(["top", "high"]);
    expect(s.active).toBe(2);
    expect(s.next(0).start).toEqual([]);
    s.done("high", "succeeded");
    expect(s.next(0).start).toEqual(["mid"]);
    s.done("top", "succeeded");
    s.done("mid", "succeeded");
    expect(s.next(0).start).toEqual(["low"]);
  });

  it("retries a failed step with the policy's backoff, holding its slot, and counts attempts", () => {
    const s = make({ flaky: [], other: [], after: ["flaky"] }, { maxConcurrency: 1, priority: { flaky: 1 }, retry: { flaky: { max: 2, backoffMs: 100, factor: 3 } } });
    expect(s.next(0).start).toEqual(["flaky"]);
    expect(s.attempts("flaky")).toBe(1);
    expect(s.failed("flaky", 1000)).toEqual({ retry: true, attempt: 1, waitMs: 100 });
    expect(s.state("flaky")).toBe("retry_wait");
    expect(s.nextWakeAt()).toBe(1100);
    // Not due yet, and its slot is held: `other` does not start.
    expect(s.next(1050).start).toEqual([]);
    expect(s.finished).toBe(false);
    expect(s.next(1100).start).toEqual(["flaky"]);
    expect(s.attempts("flaky")).toBe(2);
    expect(s.failed("flaky", 2000)).toEqual({ retry: true, attempt: 2, waitMs: 300 });
    expect(s.next(2300).start).toEqual(["flaky"]);
    expect(s.failed("flaky", 3000)).toEqual({ retry: false });
    expect(s.state("flaky")).toBe("failed");
    expect(s.attempts("flaky")).toBe(3);
  });

  it("does not retry an error marked not retryable", () => {
    const s = make({ a: [] }, { retry: { a: { max: 5, backoffMs: 10, factor: 2 } } });
    s.next(0);
    expect(s.failed("a", 0, { retryable: false })).toEqual({ retry: false });
    expect(s.state("a")).toBe("failed");
  });

  it("marks the whole downstream of a failed step upstream_failed and lets other branches finish", () => {
    const s = make({ a: [], b: ["a"], c: ["b"], x: [], y: ["x"] });
    expect(s.next(0).start).toEqual(["a", "x"]);
    s.failed("a", 0);
    const { start, upstreamFailed } = s.next(0);
    expect(upstreamFailed).toEqual([
      { id: "b", cause: "a", causeState: "failed" },
      { id: "c", cause: "b", causeState: "upstream_failed" },
    ]);
    expect(start).toEqual([]);
    s.done("x", "succeeded");
    expect(s.next(0).start).toEqual(["y"]);
    s.done("y", "succeeded");
    s.next(0);
    expect(s.finished).toBe(true);
    expect(s.counts()).toMatchObject({ failed: 1, upstream_failed: 2, succeeded: 2 });
  });

  it("cancellation: nothing new starts, waiting retries fail, running steps end as they will", () => {
    const s = make({ a: [], b: [], c: ["a"], d: [] }, { maxConcurrency: 2, retry: { b: { max: 3, backoffMs: 1000, factor: 1 } } });
    expect(s.next(0).start).toEqual(["a", "b"]);
    expect(s.failed("b", 0).retry).toBe(true);
    expect(s.cancel()).toEqual(["b"]);
    expect(s.state("b")).toBe("failed");
    expect(s.cancelled).toBe(true);
    expect(s.next(5000).start).toEqual([]); // d would fit, but the run is cancelled
    expect(s.finished).toBe(false); // a still runs
    // A failure after cancellation is not retried.
    expect(s.failed("a", 0)).toEqual({ retry: false });
    const end = s.next(0);
    expect(end.start).toEqual([]);
    expect(end.upstreamFailed.map((u) => u.id)).toEqual(["c"]);
    expect(s.finished).toBe(true);
    expect(s.state("d")).toBe("pending");
  });

  it("waits for dependencies that are not known yet (a dynamic op's items) and steps added later", () => {
    const dag: Record<string, string[] | undefined> = { source: [], collect: undefined };
    const s = new Scheduler({ maxConcurrency: 4, compare: (a, b) => a.localeCompare(b), waitsFor: (id) => dag[id] });
    s.add("source");
    s.add("collect");
    expect(s.next(0).start).toEqual(["source"]);
    s.done("source", "succeeded");
    // The source's items become steps; collect now waits for them.
    for (const item of ["i0", "i1"]) (dag[item] = ["source"]), s.add(item);
    dag.collect = ["i0", "i1"];
    expect(s.next(0).start).toEqual(["i0", "i1"]);
    s.done("i0", "succeeded");
    expect(s.next(0).start).toEqual([]);
    s.done("i1", "succeeded");
    expect(s.next(0).start).toEqual(["collect"]);
  });

  it("refuses misuse: a step added twice, reporting on a step that is not running, a bad concurrency", () => {
    const s = make({ a: [] });
    expect(() => s.add("a")).toThrow(/added twice/);
    expect(() => s.done("a", "succeeded")).toThrow(/pending, not running/);
    expect(() => s.state("zz")).toThrow(/unknown step zz/);
    expect(() => new Scheduler({ maxConcurrency: 0, compare: () => 0, waitsFor: () => [] })).toThrow(RangeError);
  });
});
