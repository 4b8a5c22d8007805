// Live progress through the real Sluice kernel and the reference client (jupyter_client): the comm
// opens, events arrive in order, throttling bounds the messages of a 10,000-partition job, sync and
// cancel work, and a real query over millions of rows shows inline progress with operator metrics.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotSluice } from "../extension/lab.js";

const repo = resolve(import.meta.dirname, "..", "..");
const python = process.env.SLUICE_PYTHON ?? join(repo, ".venv", "bin", "python");
const driver = join(import.meta.dirname, "py", "progress_session.py");
let prefix: string;
let data: string;

function session(scenario: string, ...args: string[]): any {
  const out = execFileSync(python, [driver, scenario, ...args], {
    env: { ...process.env, JUPYTER_PATH: join(prefix, "share", "jupyter") },
    encoding: "utf8",
    timeout: 170_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

beforeAll(async () => {
  prefix = mkdtempSync(join(tmpdir(), "sluice-progress-prefix-"));
  data = mkdtempSync(join(tmpdir(), "sluice-progress-data-"));
  // A private copy of the build, its kernelspec installed where this Jupyter looks.
  const sluice = await snapshotSluice(join(prefix, "sluice"));
  execFileSync(process.execPath, [sluice, "kernel", "install", "--prefix", prefix], { encoding: "utf8" });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT i, (i * 7919) % 200 AS zone, ((i * 31337) % 5000) / 100.0 AS fare FROM range(5000000) t(i)) ` +
      `TO '${join(data, "trips.parquet").replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 100000)`,
  );
  conn.closeSync();
  db.closeSync();
});

afterAll(() => {
  rmSync(prefix, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

describe("comm sluice.progress through jupyter_client", () => {
  it("opens, streams events in order, bounds a 10,000-partition job, answers sync and bad messages", () => {
    const s = session("stream");
    expect(s.first_sync).toEqual({ type: "sync", jobs: [], session: expect.stringMatching(/^\d+-\d+$/) });
    expect(s.small_reply.status).toBe("ok");
    expect(s.small_events.map((e: any) => e.type)).toEqual(["job.start", "stage.start", "stage.progress", "stage.progress", "stage.progress", "stage.end", "job.end"]);
    expect(s.small_events.map((e: any) => e.tasksDone).filter((n: unknown) => n !== undefined)).toEqual([0, 1, 2, 3, 3]);

    // 20,002 events in about a second: a few comm messages (≤ 4 a second, plus the final flush).
    expect(s.big_reply.status).toBe("ok");
    expect(s.big_messages).toBeGreaterThanOrEqual(2);
    expect(s.big_messages).toBeLessThanOrEqual(Math.ceil(s.big_seconds * 4) + 2);
    expect(s.big_event_count).toBeLessThan(60);
    expect(s.big_event_types[0]).toBe("job.start");
    expect(s.big_event_types.at(-1)).toBe("job.end");
    expect(s.big_last_stage).toHaveLength(1);
    expect(s.big_last_stage[0]).toMatchObject({ tasksDone: 10000, rows: 1000000 });
    // The inline display of that job: one display_data, then throttled updates, all under its cell.
    const inline = s.big_displays;
    expect(inline[0].msg_type).toBe("display_data");
    expect(new Set(inline.map((d: any) => d.display_id)).size).toBe(1);
    expect(inline.length).toBeLessThanOrEqual(Math.ceil(s.big_seconds * 4) + 2);
    expect(inline.at(-1).data["application/vnd.sluice.progress+json"].status).toBe("succeeded");
    expect(inline.at(-1).data["text/plain"]).toContain("10,000 partitions: succeeded");

    expect(s.second_sync.jobs.map((j: any) => [j.description, j.status])).toEqual([
      ["ordered", "succeeded"],
      ["10,000 partitions", "succeeded"],
    ]);
    expect(s.second_sync.jobs[1].stages[0]).toMatchObject({ tasksTotal: 10000, tasksDone: 10000 });
    expect(s.error.message).toContain('unknown message type "what"');
  });

  it("shows a real query over 5 million rows inline, with per-operator rows and time", () => {
    const s = session("query", data);
    expect(s.reply.status).toBe("ok");
    const types = s.events.map((e: any) => e.type);
    expect(types[0]).toBe("job.start");
    expect(types.at(-1)).toBe("job.end");
    const start = s.events[0];
    expect(start.description).toMatch(/^collect: SCAN/);
    expect(start.plan).toMatchObject({ name: expect.any(String), children: expect.any(Array) });
    const end = s.events.at(-1);
    expect(end.status).toBe("succeeded");
    const scan = end.operators.find((o: any) => /READ_PARQUET|TABLE_SCAN/.test(o.name));
    expect(scan.rows).toBeGreaterThan(1_000_000);
    // The operators form one tree (parentId), so frontends can draw the physical plan.
    const ids = new Set(end.operators.map((o: any) => o.id));
    expect(end.operators.filter((o: any) => o.parentId === undefined)).toHaveLength(1);
    expect(end.operators.every((o: any) => o.parentId === undefined || ids.has(o.parentId))).toBe(true);

    // One display_data, then updates by its display_id (none if the query ended before its first display).
    expect(s.displays[0].msg_type).toBe("display_data");
    expect(s.displays.slice(1).every((d: any) => d.msg_type === "update_display_data")).toBe(true);
    const last = s.displays.at(-1);
    expect(last.display_id).toBe(s.displays[0].display_id);
    expect(Object.keys(last.data).sort()).toEqual(["application/vnd.sluice.progress+json", "text/html", "text/plain"]);
    expect(last.data["text/plain"]).toMatch(/succeeded \[#{20}\] 100%/);
    expect(last.data["text/plain"]).toMatch(/READ_PARQUET \(\d+\): [\d,]+ rows/);
    expect(last.data["text/html"]).toContain("READ_PARQUET");
    // Rows read are shown even when the query ended before the first progress poll.
    expect(last.data["application/vnd.sluice.progress+json"].rowsProcessed).toBeGreaterThan(1_000_000);
  });

  it("shows a pipeline run from a cell as a job with its ops as stages, and cancels one from the comm", () => {
    const s = session("pipeline", join(data, "store"));
    expect(s.reply.status).toBe("ok");
    const start = s.events.find((e: any) => e.type === "job.start" && e.description === "pipeline tiny");
    expect(start.cellId).toBeUndefined(); // jupyter_client sends no cell id; JupyterLab does
    const mine = s.events.filter((e: any) => e.jobId === start.jobId);
    const kinds = mine.map((e: any) => (e.stageId ? `${e.type} ${e.stageId}` : e.type));
    // Throttling may coalesce progress events, never starts and ends, and keeps their order.
    expect(kinds.filter((k: string) => !k.includes("progress"))).toEqual([
      "job.start",
      "stage.start numbers",
      "stage.end numbers",
      "stage.start big",
      "stage.end big",
      "job.end",
    ]);
    const end = mine.at(-1);
    expect(end.status).toBe("succeeded");
    expect(end.operators.map((o: any) => [o.id, o.rows])).toEqual([
      ["numbers", 3],
      ["big", 2],
    ]);
    expect(mine.find((e: any) => e.type === "stage.end" && e.stageId === "big")).toMatchObject({ tasksTotal: 1, tasksDone: 1, rows: 2 });
    // Inline under the cell too, ending in the final state.
    const inline = s.displays.filter((d: any) => d.display_id === `sluice-progress-${start.jobId}`);
    expect(inline.at(-1).data["text/plain"]).toMatch(/pipeline tiny: succeeded \[#{20}\] 100%/);
    // One inline block for the run: its queries and writes are its children (in the panel), with no display of their own.
    const progressIds = new Set(s.displays.filter((d: any) => d.data?.["application/vnd.sluice.progress+json"]).map((d: any) => d.display_id));
    expect([...progressIds]).toEqual([`sluice-progress-${start.jobId}`]);
    const children = s.events.filter((e: any) => e.type === "job.start" && e.jobId !== start.jobId && e.parentId === start.jobId);
    expect(children.length).toBeGreaterThanOrEqual(1); // big's write (numbers returns plain records)
    expect(children.map((e: any) => e.parentStageId)).toContain("big");
    // Writes into the store are titled with the file they leave, not the temporary one.
    const writes = children.filter((e: any) => e.kind === "write");
    expect(writes.length).toBeGreaterThanOrEqual(1);
    for (const w of writes) {
      expect(w.description).not.toContain(".tmp-");
      expect(w.destination).toMatch(/\.parquet$/);
    }
    expect(inline.at(-1).data["text/plain"]).toMatch(/big: 1\/1 done, 2 rows/);

    expect(s.cancel_reply).toMatchObject({ type: "cancel", ok: true });
    expect(s.cancel_end).toHaveLength(1);
    expect(s.cancel_end[0].status).toBe("cancelled");
    expect(s.cancelled_status).toBe("'cancelled'");
  });

  it("cancels a running query from the comm; the cell fails with CancelledError and the kernel keeps its state", () => {
    const s = session("cancel", data);
    expect(s.cancel_reply).toMatchObject({ type: "cancel", ok: true });
    expect(s.long_reply.status).toBe("error");
    expect(s.long_reply.ename).toBe("CancelledError");
    expect(s.long_reply.evalue).toContain("cancelled");
    expect(s.job_end).toHaveLength(1);
    expect(s.job_end[0].status).toBe("cancelled");
    expect(s.after).toBe("ok");
    expect(s.after_value).toBe("43");
    expect(s.displays[0].data["application/vnd.sluice.progress+json"].status).toBe("cancelled");
  });
});
