import { afterEach, describe, expect, it } from "vitest";
import {
  EventCoalescer,
  INLINE_JOBS_PER_CELL,
  JobHistory,
  PROGRESS_COMM_TARGET,
  PROGRESS_MIME,
  ProgressPublisher,
  emitProgress,
  newJobId,
  onCancelRequest,
  type JobSnapshot,
  type ProgressEvent,
  type TimedEvent,
} from "../../src/progress/index.js";
import { LocalHost, type LocalComm } from "./local-host.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let publisher: ProgressPublisher | undefined;
afterEach(() => {
  publisher?.stop();
  publisher = undefined;
});

function start(host: LocalHost, intervalMs = 250): ProgressPublisher {
  publisher = new ProgressPublisher(host, { intervalMs }).start();
  return publisher;
}

function startJob(jobId: string, description = "collect"): void {
  emitProgress({ type: "job.start", jobId, description, startedAt: Date.now(), plan: { op: "scan" } });
}

function endJob(jobId: string, status: "succeeded" | "failed" | "cancelled" = "succeeded", error?: string): void {
  emitProgress({
    type: "job.end",
    jobId,
    status,
    error,
    endedAt: Date.now(),
    operators: [
      { id: "op-1", name: "scan", rows: 3_000_000, timeMs: 120 },
      { id: "op-2", name: "filter", rows: 1_500_000, timeMs: 40 },
    ],
  });
}

function events(comm: LocalComm): TimedEvent[] {
  return comm.received.flatMap((m) => ((m as { type: string }).type === "events" ? (m as { events: TimedEvent[] }).events : []));
}

describe("inline progress display", () => {
  it("1,000 quick jobs in a cell: one message each (their final state) up to the cap, then one summary line", async () => {
    const host = new LocalHost();
    start(host);
    for (let i = 0; i < 1000; i++) {
      const id = newJobId();
      startJob(id, `quick ${i}`);
      endJob(id, i % 100 === 99 ? "failed" : "succeeded");
    }
    await sleep(300); // a throttled summary update may land meanwhile
    host.endCell();
    const shown = Math.min(1000, INLINE_JOBS_PER_CELL);
    const perJob = host.displays.filter((d) => d.data[PROGRESS_MIME] !== undefined);
    expect(perJob).toHaveLength(shown); // a job that ends before its first display is shown once
    expect(perJob.every((d) => d.msgType === "display_data")).toBe(true);
    expect(new Set(perJob.map((d) => d.displayId)).size).toBe(shown);
    expect(perJob.map((d) => (d.data[PROGRESS_MIME] as JobSnapshot).status).filter((st) => st === "running")).toEqual([]);
    const summary = host.displays.filter((d) => d.data[PROGRESS_MIME] === undefined);
    expect(new Set(summary.map((d) => d.displayId)).size).toBe(1);
    expect(summary[0].msgType).toBe("display_data");
    expect(summary.slice(1).every((d) => d.msgType === "update_display_data")).toBe(true);
    expect(summary.length).toBeLessThanOrEqual(4); // shown, at most a throttled update or two, final counts
    const more = 1000 - shown;
    const failed = Array.from({ length: 1000 }, (_, i) => i).filter((i) => i >= shown && i % 100 === 99).length;
    expect(summary.at(-1)!.data["text/plain"]).toBe(
      `… and ${more} more jobs in this cell: ${more - failed} succeeded, ${failed} failed (the Sluice jobs panel lists each one)`,
    );

    // The next cell starts counting again; a job still running when its cell ends is shown then.
    host.cellId = "cell-2";
    const id = newJobId();
    startJob(id, "next cell");
    host.endCell();
    expect(host.displays.at(-1)!.data[PROGRESS_MIME]).toMatchObject({ jobId: id, status: "running" });
  });

  it("shows one display per job and refreshes it by display_id, at most ~4 times a second", async () => {
    const host = new LocalHost();
    start(host);
    const jobId = newJobId();
    startJob(jobId, "count rows of trips");
    const started = Date.now();
    // A job reporting progress every millisecond for ~1.2 s.
    for (let i = 1; Date.now() - started < 1200; i++) {
      emitProgress({ type: "job.progress", jobId, percent: Math.min(99, i / 10), rowsProcessed: i * 1000, rowsTotal: 3_000_000, elapsedMs: Date.now() - started });
      await sleep(1);
    }
    endJob(jobId);

    const mine = host.displays.filter((d) => d.displayId === `sluice-progress-${jobId}`);
    expect(mine[0].msgType).toBe("display_data");
    expect(mine[0].cellId).toBe("cell-1");
    expect(mine.slice(1).every((d) => d.msgType === "update_display_data")).toBe(true);
    // ~1,200 progress events in: at most one refresh per 250 ms tick, plus the first display and the
    // final state (counted against the time that really passed, so a loaded machine cannot fail it).
    const elapsed = Date.now() - started;
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);

    const last = mine[mine.length - 1];
    const snapshot = last.data[PROGRESS_MIME] as JobSnapshot;
    expect(snapshot.status).toBe("succeeded");
    expect(snapshot.percent).toBe(100);
    expect(snapshot.cellId).toBe("cell-1");
    expect(snapshot.operators.map((o) => o.name)).toEqual(["scan", "filter"]);
    expect(last.data["text/plain"]).toContain("count rows of trips: succeeded");
    expect(last.data["text/plain"]).toContain("scan (op-1): 3,000,000 rows, 120 ms");
    expect(last.data["text/html"]).toContain("<td style=\"text-align:right;padding-right:12px\">1,500,000</td>");
    // The progress while running showed the rows and a rate.
    const middle = mine[Math.floor(mine.length / 2)].data["text/plain"] as string;
    expect(middle).toMatch(/running \[#*-*\] \d+% [\d,]+ \/ 3,000,000 rows [\d,]+ rows\/s/);
  });

  it("escapes descriptions and shows errors in the final state", () => {
    const host = new LocalHost();
    start(host);
    const jobId = newJobId();
    startJob(jobId, "<img src=x onerror=alert(1)>");
    endJob(jobId, "failed", "Binder Error: column \"x\" not found");
    const last = host.displays[host.displays.length - 1];
    expect(last.data["text/html"]).not.toContain("<img");
    expect(last.data["text/html"]).toContain("&#60;img");
    expect(last.data["text/plain"]).toContain("error: Binder Error");
    expect((last.data[PROGRESS_MIME] as JobSnapshot).status).toBe("failed");
  });
});

describe("comm sluice.progress", () => {
  it("sends the events of a job in order, with kernel timestamps", async () => {
    const host = new LocalHost();
    start(host, 50);
    const comm = host.frontendOpen(PROGRESS_COMM_TARGET);
    const jobId = newJobId();
    startJob(jobId);
    emitProgress({ type: "stage.start", jobId, stageId: "s1", name: "scan", tasksTotal: 4, tasksDone: 0, rows: 0, bytes: 0 });
    for (let t = 1; t <= 4; t++) emitProgress({ type: "stage.progress", jobId, stageId: "s1", name: "scan", tasksTotal: 4, tasksDone: t, rows: t * 10, bytes: t * 100 });
    emitProgress({ type: "stage.end", jobId, stageId: "s1", name: "scan", tasksTotal: 4, tasksDone: 4, rows: 40, bytes: 400 });
    emitProgress({ type: "job.progress", jobId, percent: 100, rowsProcessed: 40, rowsTotal: 40, elapsedMs: 5 });
    endJob(jobId);
    await sleep(120);

    const got = events(comm).filter((e) => e.jobId === jobId);
    expect(got.map((e) => e.type)).toEqual(["job.start", "stage.start", "stage.end", "job.progress", "job.end"]);
    expect(got[0]).toMatchObject({ cellId: "cell-1", description: "collect" });
    expect(got[2]).toMatchObject({ tasksDone: 4, rows: 40 });
    for (const e of got) expect(typeof e.at).toBe("number");
  });

  it("bounds the messages of a 10,000-partition job and keeps the final counts", async () => {
    const host = new LocalHost();
    start(host, 250);
    const comm = host.frontendOpen(PROGRESS_COMM_TARGET);
    const jobId = newJobId();
    startJob(jobId, "10,000 partitions");
    emitProgress({ type: "stage.start", jobId, stageId: "scan", name: "scan", tasksTotal: 10_000, tasksDone: 0, rows: 0, bytes: 0 });
    const started = Date.now();
    for (let t = 1; t <= 10_000; t++) {
      emitProgress({ type: "stage.progress", jobId, stageId: "scan", name: "scan", tasksTotal: 10_000, tasksDone: t, rows: t * 100, bytes: t * 800 });
      emitProgress({ type: "job.progress", jobId, percent: t / 100, rowsProcessed: t * 100, rowsTotal: 1_000_000, elapsedMs: Date.now() - started });
      if (t % 1000 === 0) await sleep(60); // ~0.6 s of work, yielding like an async engine does
    }
    emitProgress({ type: "stage.end", jobId, stageId: "scan", name: "scan", tasksTotal: 10_000, tasksDone: 10_000, rows: 1_000_000, bytes: 8_000_000 });
    endJob(jobId);
    await sleep(300);

    const elapsed = Date.now() - started;
    // 20,002 events in: a handful of batches out (one per 250 ms, plus the job.end flush).
    expect(comm.received.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    const got = events(comm);
    expect(got.length).toBeLessThan(100);
    expect(got[0].type).toBe("job.start");
    expect(got[got.length - 1].type).toBe("job.end");
    const stageEnd = got.find((e) => e.type === "stage.end");
    expect(stageEnd).toMatchObject({ tasksDone: 10_000, rows: 1_000_000 });
    // The progress a panel saw only moved forward.
    const done = got.filter((e) => e.type === "stage.progress").map((e) => (e as { tasksDone: number }).tasksDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));

    const inline = host.displays.filter((d) => d.displayId === `sluice-progress-${jobId}`);
    expect(inline.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
  });

  it("sends 1,000 quick jobs as a few messages, every start and end kept", async () => {
    const host = new LocalHost();
    start(host, 250);
    const comm = host.frontendOpen(PROGRESS_COMM_TARGET);
    const ids = Array.from({ length: 1000 }, () => newJobId());
    const began = Date.now();
    for (const id of ids) {
      startJob(id, "quick");
      endJob(id);
    }
    await sleep(300);
    // The first job.end goes out at once; the other 999 wait for the next tick instead of one message each
    // (one message per 250 ms tick that really passed, however slow the machine).
    expect(comm.received.length).toBeLessThanOrEqual(Math.ceil((Date.now() - began) / 250) + 2);
    const got = events(comm);
    expect(got.filter((e) => e.type === "job.end").map((e) => e.jobId)).toEqual(ids);
    expect(got.filter((e) => e.type === "job.start")).toHaveLength(1000);
  });

  it("answers sync with the last 100 jobs, newest included, oldest dropped", async () => {
    const host = new LocalHost();
    start(host);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const jobId = newJobId();
      ids.push(jobId);
      startJob(jobId, `job ${i}`);
      endJob(jobId);
    }
    // A panel opened late (or after a page reload).
    const comm = host.frontendOpen(PROGRESS_COMM_TARGET);
    comm.deliver({ type: "sync" });
    const reply = comm.received.at(-1) as { type: string; jobs: JobSnapshot[] };
    expect(reply.type).toBe("sync");
    expect(reply.jobs).toHaveLength(100);
    expect(reply.jobs[0].jobId).toBe(ids[20]);
    expect(reply.jobs[99]).toMatchObject({ jobId: ids[119], description: "job 119", status: "succeeded", cellId: "cell-1" });
    expect(reply.jobs[99].operators).toHaveLength(2);
  });

  it("cancels a running job through the registered cancel handler, and says why it cannot", () => {
    const host = new LocalHost();
    start(host);
    const comm = host.frontendOpen(PROGRESS_COMM_TARGET);
    const jobId = newJobId();
    const cancelled: string[] = [];
    const off = onCancelRequest((id) => {
      if (id !== jobId) return false;
      cancelled.push(id);
      endJob(id, "cancelled", "cancelled from the Sluice jobs panel");
      return true;
    });
    try {
      startJob(jobId, "long query");
      comm.deliver({ type: "cancel", jobId });
      expect(cancelled).toEqual([jobId]);
      const replies = comm.received as Array<{ type: string }>;
      expect(replies.find((r) => r.type === "cancel")).toEqual({ type: "cancel", jobId, ok: true, message: `cancelling job ${jobId}` });
      expect(publisher!.history.get(jobId)?.status).toBe("cancelled");

      comm.deliver({ type: "cancel", jobId });
      expect(comm.received.at(-1)).toMatchObject({ type: "cancel", ok: false, message: `job ${jobId} is not running (it cancelled).` });
      comm.deliver({ type: "cancel", jobId: "job-nope" });
      expect(comm.received.at(-1)).toMatchObject({ type: "cancel", ok: false, message: "no running job job-nope in this kernel." });
      comm.deliver({ type: "cancel" });
      expect(comm.received.at(-1)).toMatchObject({ ok: false, message: "cancel needs a jobId (a string) of a running job." });
      comm.deliver({ type: "bogus" });
      expect(comm.received.at(-1)).toMatchObject({ type: "error" });
      expect((comm.received.at(-1) as { message: string }).message).toContain('unknown message type "bogus"');
    } finally {
      off();
    }
  });

  it("stops sending to a closed comm and keeps serving the others", async () => {
    const host = new LocalHost();
    start(host, 10);
    const a = host.frontendOpen(PROGRESS_COMM_TARGET);
    const b = host.frontendOpen(PROGRESS_COMM_TARGET);
    a.close();
    const jobId = newJobId();
    startJob(jobId);
    endJob(jobId);
    await sleep(30);
    expect(a.received).toHaveLength(0);
    expect(events(b).map((e) => e.type)).toEqual(["job.start", "job.end"]);
  });
});

describe("EventCoalescer", () => {
  it("keeps starts and ends, replaces progress of the same stage, and flushes at most once per interval", async () => {
    const batches: TimedEvent[][] = [];
    const c = new EventCoalescer({ intervalMs: 100, flush: (b) => batches.push(b) });
    const stage = (type: "stage.start" | "stage.progress" | "stage.end", stageId: string, tasksDone: number): ProgressEvent => ({
      type,
      jobId: "j",
      stageId,
      name: stageId,
      tasksTotal: 10,
      tasksDone,
      rows: 0,
      bytes: 0,
    });
    c.push(stage("stage.start", "a", 0));
    c.push(stage("stage.progress", "a", 1));
    c.push(stage("stage.start", "b", 0));
    c.push(stage("stage.progress", "a", 2));
    c.push(stage("stage.progress", "b", 5));
    c.push(stage("stage.end", "a", 10));
    await sleep(20);
    expect(batches).toHaveLength(1);
    expect(batches[0].map((e) => `${e.type}:${(e as { stageId: string }).stageId}`)).toEqual([
      "stage.start:a",
      "stage.start:b",
      "stage.progress:b",
      "stage.end:a",
    ]);
    c.push(stage("stage.progress", "b", 6));
    await sleep(20);
    expect(batches).toHaveLength(1); // still inside the interval
    await sleep(120);
    expect(batches).toHaveLength(2);
    c.dispose();
  });
});

describe("JobHistory", () => {
  it("takes the rows read by the sources of a job too quick to report progress", () => {
    const history = new JobHistory();
    history.apply({ type: "job.start", jobId: "q", description: "q", startedAt: 1 });
    const job = history.apply({
      type: "job.end",
      jobId: "q",
      status: "succeeded",
      endedAt: 5,
      operators: [
        { id: "0", name: "HASH_JOIN", rows: 10, timeMs: 1 },
        { id: "1", name: "READ_PARQUET", rows: 700, timeMs: 1, parentId: "0" },
        { id: "2", name: "FILTER", rows: 30, timeMs: 1, parentId: "0" },
        { id: "3", name: "SEQ_SCAN", rows: 50, timeMs: 1, parentId: "2" },
      ],
    });
    expect(job.rowsProcessed).toBe(750);
    expect(job.elapsedMs).toBe(4);
  });

  it("a job that succeeds after its last progress report ends with all the rows its sources read", () => {
    const history = new JobHistory();
    const operators = [
      { id: "0", name: "HASH_GROUP_BY", rows: 200, timeMs: 30 },
      { id: "1", name: "READ_PARQUET", rows: 5_000_000, timeMs: 50, parentId: "0" },
    ];
    history.apply({ type: "job.start", jobId: "q", description: "q", startedAt: 1 });
    history.apply({ type: "job.progress", jobId: "q", percent: 12, rowsProcessed: 579_584, rowsTotal: 5_000_000, elapsedMs: 250 });
    expect(history.apply({ type: "job.end", jobId: "q", status: "succeeded", endedAt: 400, operators })).toMatchObject({ rowsProcessed: 5_000_000, rowsTotal: 5_000_000 });
    // DuckDB's progress counts work over every pipeline (here 2.6× the input): a finished job shows rows read of rows read.
    history.apply({ type: "job.start", jobId: "w", description: "w", startedAt: 1 });
    history.apply({ type: "job.progress", jobId: "w", percent: 92, rowsProcessed: 12_214_136, rowsTotal: 13_056_966, elapsedMs: 250 });
    expect(history.apply({ type: "job.end", jobId: "w", status: "succeeded", endedAt: 400, operators })).toMatchObject({ rowsProcessed: 5_000_000, rowsTotal: 5_000_000, percent: 100 });
    // A cancelled job keeps what it had reported: its operators' rows are partial too.
    history.apply({ type: "job.start", jobId: "c", description: "c", startedAt: 1 });
    history.apply({ type: "job.progress", jobId: "c", percent: 12, rowsProcessed: 579_584, rowsTotal: 5_000_000, elapsedMs: 250 });
    expect(history.apply({ type: "job.end", jobId: "c", status: "cancelled", endedAt: 400, operators }).rowsProcessed).toBe(579_584);
  });


  it("drops finished jobs before running ones when over the limit", () => {
    const history = new JobHistory(2);
    history.apply({ type: "job.start", jobId: "a", description: "a", startedAt: 1 });
    history.apply({ type: "job.start", jobId: "b", description: "b", startedAt: 2 });
    history.apply({ type: "job.end", jobId: "b", status: "succeeded", endedAt: 3, operators: [] });
    history.apply({ type: "job.start", jobId: "c", description: "c", startedAt: 4 });
    expect(history.list().map((j) => j.jobId)).toEqual(["a", "c"]);
  });
});
