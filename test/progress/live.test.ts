// Live inline progress of real jobs (real DuckDB, the real publisher, an in-process host that records what
// the kernel would put on IOPub): the display keeps moving while the engine reports nothing new, and a
// pipeline run is one display with its ops folded in.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AssetStore, CancelledError, col, fnOp, fromRecords, pipeline, runPipeline, type LazyFrame } from "../../src/index.js";
import { PROGRESS_MIME, ProgressPublisher, TICK_MS, isIndeterminate, lostAfterMs, onProgress, requestCancel, type InlineProgressData } from "../../src/progress/index.js";
import { LocalHost } from "./local-host.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let publisher: ProgressPublisher | undefined;
let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), "sluice-live-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  publisher?.stop();
  publisher = undefined;
});

/** Waits (no time limit asserted) until `ready` holds, polling; gives up after `ms` so a broken build fails instead of hanging. */
async function until(ready: () => boolean, ms = 90_000): Promise<void> {
  for (const end = Date.now() + ms; !ready() && Date.now() < end; ) await sleep(100);
}

describe("live inline progress of real jobs", () => {
  it("a query with no honest percentage keeps refreshing its display: the elapsed time grows, the bar is indeterminate", async () => {
    const host = new LocalHost();
    publisher = new ProgressPublisher(host).start();
    let jobId = "";
    const off = onProgress((e) => void (e.type === "job.start" && (jobId ||= e.jobId)));
    // A self cross join of 10^10 rows: DuckDB says 100% from the start (its scans are done) and then nothing new for minutes.
    const big = () => fromRecords(Array.from({ length: 100_000 }, (_, i) => ({ i })));
    const query = big().join(big().select(col("i").as("j")), { how: "cross" }).filter(col("i").add(col("j")).mod(7).eq(0)).count();
    const shown = () => host.displays.filter((d) => d.displayId === `sluice-progress-${jobId}`);
    await until(() => shown().length >= 4);
    expect(requestCancel(jobId)).toBe(true);
    expect(await query.catch((e: unknown) => e)).toBeInstanceOf(CancelledError);
    off();

    const displays = shown();
    expect(displays[0].msgType).toBe("display_data");
    expect(displays.slice(1).every((d) => d.msgType === "update_display_data")).toBe(true);
    const running = displays.filter((d) => (d.data[PROGRESS_MIME] as InlineProgressData).status === "running");
    expect(running.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < running.length; i++) {
      const [before, after] = [running[i - 1].data[PROGRESS_MIME] as InlineProgressData, running[i].data[PROGRESS_MIME] as InlineProgressData];
      expect(after.elapsedMs).toBeGreaterThan(before.elapsedMs);
      expect(after.shownAt).toBeGreaterThan(before.shownAt!);
      // Plain frontends see it move too.
      expect(running[i].data["text/plain"]).not.toBe(running[i - 1].data["text/plain"]);
      expect(running[i].data["text/html"]).not.toBe(running[i - 1].data["text/html"]);
    }
    for (const d of running) {
      const snapshot = d.data[PROGRESS_MIME] as InlineProgressData;
      expect(snapshot.refreshMs).toBe(TICK_MS);
      // No percentage is claimed (DuckDB's 100% here was not the truth), and no row count above the 200,000 the sources hold.
      expect(isIndeterminate(snapshot)).toBe(true);
      expect(d.data["text/plain"]).not.toMatch(/\d%/);
      expect(snapshot.rowsProcessed).toBeLessThanOrEqual(200_000);
    }
    // The physical plan was there while it ran.
    expect((running.at(-1)!.data[PROGRESS_MIME] as InlineProgressData).operators.some((o) => o.pending && /CROSS_PRODUCT|NESTED_LOOP|BLOCKWISE/.test(o.name))).toBe(true);
    expect((displays.at(-1)!.data[PROGRESS_MIME] as InlineProgressData).status).toBe("cancelled");
  });

  it("a pipeline run started in a cell is one inline display, its ops folded in, not one per query", async () => {
    const host = new LocalHost();
    publisher = new ProgressPublisher(host).start();
    const store = new AssetStore(join(dir, "store"));
    const ops = Array.from({ length: 5 }, (_, i) =>
      fnOp({ name: `part${i}`, outputs: [`folded/part${i}`], run: async () => (await fromRecords([{ n: i }, { n: i + 1 }]).count(), fromRecords([{ n: i }]).filter(col("n").ge(0)) as LazyFrame) }),
    );
    const result = await runPipeline(pipeline("folded", ops), { store, reporter: false });
    host.endCell();
    store.close();
    expect(result.status).toBe("succeeded");
    const progress = host.displays.filter((d) => d.data[PROGRESS_MIME] !== undefined);
    const ids = new Set(progress.map((d) => d.displayId));
    expect(ids.size).toBe(1);
    const last = progress.at(-1)!.data[PROGRESS_MIME] as InlineProgressData;
    expect(last).toMatchObject({ description: "pipeline folded", kind: "pipeline", status: "succeeded" });
    // Its child jobs (5 counts, 5 writes) reached the panel's history with their parent; none has a display.
    const children = publisher.history.list().filter((j) => j.parentId === last.jobId);
    expect(children.length).toBeGreaterThanOrEqual(10);
    expect(children.every((j) => j.parentStageId?.startsWith("part"))).toBe(true);
    const text = progress.at(-1)!.data["text/plain"] as string;
    for (let i = 0; i < 5; i++) expect(text).toContain(`part${i}: 1/1 done, 1 rows`);
    expect(text).toMatch(/5 rows materialized/);
  });

  it("a pipeline run's display lists the child jobs running under their op while they run", async () => {
    const host = new LocalHost();
    publisher = new ProgressPublisher(host).start();
    const store = new AssetStore(join(dir, "store-children"));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const op = fnOp({
      name: "slow",
      outputs: ["children/slow"],
      run: async () => {
        // A stream left open is a child job that stays running until the op lets it go.
        const batches = fromRecords([{ n: 1 }, { n: 2 }]).stream();
        await batches.next();
        await held;
        await batches.return(undefined);
        return fromRecords([{ n: 1 }]);
      },
    });
    const run = runPipeline(pipeline("children", [op]), { store, reporter: false });
    const withChild = () => host.displays.find((d) => /\n {4}stream: SCAN/.test(String(d.data["text/plain"])));
    await until(() => withChild() !== undefined);
    release();
    expect((await run).status).toBe("succeeded");
    host.endCell();
    store.close();
    const shown = withChild()!;
    expect(String(shown.data["text/plain"])).toMatch(/\n {2}slow: 0\/1 started\n {4}stream: SCAN/);
    expect((shown.data[PROGRESS_MIME] as InlineProgressData).children).toEqual([expect.objectContaining({ parentStageId: "slow", kind: "query" })]);
    // Once it ended, it is folded away: the final display lists no running child.
    const last = host.displays.at(-1)!;
    expect((last.data[PROGRESS_MIME] as InlineProgressData).status).toBe("succeeded");
    expect((last.data[PROGRESS_MIME] as InlineProgressData).children).toBeUndefined();
    expect(new Set(host.displays.filter((d) => d.data[PROGRESS_MIME]).map((d) => d.displayId)).size).toBe(1);
  });
});

describe("lost jobs", () => {
  it("a running display that ticks can be taken for lost after a silence; a finished one, or one that does not tick, never", async () => {
    const host = new LocalHost();
    publisher = new ProgressPublisher(host).start();
    const query = fromRecords([{ a: 1 }]).collect();
    await query;
    await until(() => host.displays.length > 0);
    host.endCell();
    const data = host.displays.at(-1)!.data[PROGRESS_MIME] as InlineProgressData;
    expect(data.status).toBe("succeeded");
    expect(data.refreshMs).toBeUndefined();
    expect(lostAfterMs(data)).toBeUndefined();
    // What a running job's display carries while its kernel ticks it, and after its cell ended (no more ticks).
    expect(lostAfterMs({ ...data, status: "running", refreshMs: TICK_MS })).toBeGreaterThanOrEqual(10 * TICK_MS);
    expect(lostAfterMs({ ...data, status: "running" })).toBeUndefined();
  });
});
