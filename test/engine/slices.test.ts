// Writes of a partition-wise aggregation run slice by slice on single-thread engines (src/engine/slices.ts):
// the file holds exactly the records of the unsplit query, for NDJSON and CSV, on real hive Parquet.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { col, configureEngine, count, scan, type LazyFrame } from "../../src/frame/index.js";
import { connect } from "../../src/engine/instance.js";
import { MIN_SLICES_PER_ENGINE, writeSlices } from "../../src/engine/slices.js";
import { onProgress, requestCancel, type ProgressEvent } from "../../src/progress/index.js";
import { CancelledError } from "../../src/engine/errors.js";

let root = "";
let data = "";

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-slices-"));
  data = join(root, "events");
  const conn = await connect();
  try {
    // md5 session ids barely compress: 300k rows make enough Parquet (> 2 slices' worth) to be split.
    await conn.run(`COPY (
      SELECT 'c' || (hash(i * 4 + 1) % 9) AS customer, '/p/' || (hash(i * 4 + 3) % 50) AS url,
             md5(CAST(hash(i * 4 + 4) % 100000 AS VARCHAR)) AS session_id, ['a', 'b', NULL][1 + CAST(hash(i) % 3 AS BIGINT)] AS referrer
      FROM range(300000) AS r(i)) TO '${data}' (FORMAT parquet, PARTITION_BY (customer))`);
  } finally {
    conn.closeSync();
  }
  // One engine: this data makes 4 slices, enough for one engine (MIN_SLICES_PER_ENGINE) but not for two.
  await configureEngine({ threads: 1 });
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function visits(): Promise<LazyFrame> {
  return (await scan.parquet(data, { hive: true }))
    .groupBy("customer", "url")
    .agg(count().as("views"), col("session_id").nUnique().as("visitors"), col("referrer").valueCounts().as("referrers"))
    .withColumns(col("views").mul(2).as("double_views"))
    .filter(col("views").gt(1));
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n").filter(Boolean);

describe("writes slice by slice", () => {
  it("finds the slices under row-wise steps only", async () => {
    const frame = await visits();
    const plan = frame.optimizedPlan();
    const slices = writeSlices(plan);
    expect(slices?.length).toBeGreaterThan(1);
    // Each slice is the whole plan over one part of the union: the filter and projection stay on top.
    expect(["filter", "project"]).toContain(plan.kind);
    for (const s of slices!) expect(s.kind).toBe(plan.kind);
    expect(writeSlices(frame.sort("views").optimizedPlan())).toBeUndefined();
    const unsplit = await visits();
    unsplit.optimizerFlags = { partitionWiseAggregation: false };
    expect(writeSlices(unsplit.optimizedPlan())).toBeUndefined();
  });

  it.each(["ndjson", "csv"] as const)("%s: the same records as the unsplit query, one job with a stage per slice", async (format) => {
    const frame = await visits();
    const events: ProgressEvent[] = [];
    const stop = onProgress((e) => void events.push(e));
    const out = join(root, `sliced.${format}`);
    try {
      await frame.write[format](out);
    } finally {
      stop();
    }
    const unsplit = await visits();
    unsplit.optimizerFlags = { partitionWiseAggregation: false };
    const reference = join(root, `reference.${format}`);
    await unsplit.write[format](reference);
    const got = lines(out);
    const want = lines(reference);
    if (format === "csv") {
      expect(got[0]).toBe(want[0]); // one header, first
      expect(got.filter((l) => l === want[0])).toHaveLength(1);
    }
    expect(got.length).toBeGreaterThan(100);
    expect([...got].sort()).toEqual([...want].sort());
    const stage = events.find((e) => e.type === "stage.end" && e.stageId === "slices");
    expect(stage).toMatchObject({ tasksDone: writeSlices(frame.optimizedPlan())!.length });
    // No part file is left next to the output.
    expect(readdirSync(root).filter((f) => f.includes(".part"))).toEqual([]);
  }, 120_000);

  it("with fewer slices than MIN_SLICES_PER_ENGINE per engine, the write is one query, with the same records", async () => {
    const frame = await visits();
    const slices = writeSlices(frame.optimizedPlan())!.length;
    await configureEngine({ threads: Math.floor(slices / MIN_SLICES_PER_ENGINE) + 1 });
    const events: ProgressEvent[] = [];
    const stop = onProgress((e) => void events.push(e));
    const out = join(root, "one-query.ndjson");
    try {
      await frame.write.ndjson(out);
    } finally {
      stop();
      await configureEngine({ threads: 1 });
    }
    expect(events.some((e) => "stageId" in e && e.stageId === "slices")).toBe(false);
    const unsplit = await visits();
    unsplit.optimizerFlags = { partitionWiseAggregation: false };
    const reference = join(root, "one-query-reference.ndjson");
    await unsplit.write.ndjson(reference);
    expect([...lines(out)].sort()).toEqual([...lines(reference)].sort());
  }, 120_000);

  it("a cancelled write stops every slice, leaves no file and no part", async () => {
    const frame = await visits();
    const out = join(root, "cancelled.ndjson");
    const stop = onProgress((e) => {
      if (e.type === "stage.start" && e.stageId === "slices") requestCancel(e.jobId);
    });
    try {
      await expect(frame.write.ndjson(out)).rejects.toBeInstanceOf(CancelledError);
    } finally {
      stop();
    }
    expect(readdirSync(root).filter((f) => f.startsWith("cancelled") || f.includes(".part") || f.startsWith(".sluice-tmp"))).toEqual([]);
  }, 120_000);
});
