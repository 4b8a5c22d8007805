// Engine I/O when things go wrong: a query that fails part-way must fail the stream or the write (never a
// silently short result), and a failed write must leave what was at the target as it was.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromRecords, onProgress, requestCancel, scan, sql } from "../../src/index.js";

const dir = () => mkdtempSync(join(tmpdir(), "sluice-io-fail-"));

/** A CSV whose last line does not parse as the integer type sniffed from the lines before it. */
function lateBadCsv(d: string): string {
  const path = join(d, "late.csv");
  writeFileSync(path, "a\n" + "1\n".repeat(200_000) + "x\n");
  return path;
}

async function drain(stream: AsyncIterable<{ numRows: number }>): Promise<number> {
  let rows = 0;
  for await (const b of stream) rows += b.numRows;
  return rows;
}

describe("a query that fails part-way", () => {
  it("stream() raises the CSV conversion error instead of ending early", async () => {
    const frame = await scan.csv(lateBadCsv(dir()));
    await expect(drain(frame.stream())).rejects.toMatchObject({ name: "SourceError", message: expect.stringMatching(/CSV Error on Line: 200002/) });
  });

  it("stream() raises error() hit late in a large sql query", async () => {
    const q = await sql`SELECT CASE WHEN range > 3000000 THEN error('boom') ELSE range END AS x FROM range(5000000)`;
    await expect(drain(q.stream())).rejects.toMatchObject({ name: "EngineError", message: expect.stringMatching(/boom/) });
  });

  it("stream() cancelled part-way raises CancelledError, not a short success", async () => {
    let jobId: string | undefined;
    const stop = onProgress((e) => {
      if (e.type === "job.start") jobId = e.jobId;
    });
    try {
      const q = await sql`SELECT range AS x, md5(range::VARCHAR) AS h FROM range(20000000)`;
      let rows = 0;
      const run = async () => {
        for await (const b of q.stream()) {
          rows += b.numRows;
          if (rows >= 100_000 && rows - b.numRows < 100_000) requestCancel(jobId!);
        }
      };
      await expect(run()).rejects.toMatchObject({ name: "CancelledError" });
      expect(rows).toBeLessThan(20_000_000);
    } finally {
      stop();
    }
  });

  it("stream() of a query that succeeds still yields every row", async () => {
    const q = await sql`SELECT range AS x FROM range(300000)`;
    expect(await drain(q.stream())).toBe(300000);
  });

  it("write.arrow raises and keeps the existing file", async () => {
    const d = dir();
    const target = join(d, "out.arrow");
    await (await sql`SELECT 1 AS a`).write.arrow(target);
    const before = readFileSync(target);
    const frame = await scan.csv(lateBadCsv(d));
    await expect(frame.write.arrow(target)).rejects.toMatchObject({ name: "SourceError", message: expect.stringMatching(/CSV Error/) });
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(await (await scan.arrow(target)).count()).toBe(1);
  });
});

/** Every file under a folder, relative, sorted. */
function tree(d: string): string[] {
  return (readdirSync(d, { recursive: true }) as string[]).sort();
}

describe("writes replace their target only on success", () => {
  it("write.arrow into a missing folder is a SourceError naming the folder (no unhandled rejection)", async () => {
    const d = dir();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const missing = join(d, "no", "such");
      for (const format of ["arrow", "parquet", "csv", "ndjson"] as const) {
        await expect((await sql`SELECT 1 AS a`).write[format](join(missing, `x.${format}`))).rejects.toMatchObject({
          name: "SourceError",
          message: expect.stringContaining(`folder ${missing} does not exist; create it first`),
        });
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      expect(tree(d)).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a failed partitioned write leaves the existing dataset readable and unchanged", async () => {
    const d = dir();
    const target = join(d, "ds");
    await fromRecords([{ k: "a", v: 1 }, { k: "b", v: 2 }]).write.parquet(target, { partitionBy: ["k"] });
    const before = tree(target);
    const failing = await sql`SELECT CASE WHEN range % 2 = 0 THEN 'a' ELSE 'c' END AS k, CASE WHEN range > 1500000 THEN error('boom') ELSE range END AS v FROM range(3000000)`;
    await expect(failing.write.parquet(target, { partitionBy: ["k"] })).rejects.toThrow(/boom/);
    expect(tree(target)).toEqual(before);
    expect(tree(d)).toEqual(tree(d).filter((p) => p.startsWith("ds")));
    const back = await (await scan.parquet(target, { hive: true })).sort("v").collect();
    expect(back.column("v")).toEqual([1, 2]);
  });

  it("overwriting a partitioned dataset replaces all of it (old partitions do not linger)", async () => {
    const d = dir();
    const target = join(d, "ds");
    await fromRecords([{ k: "a", v: 1 }, { k: "b", v: 2 }]).write.parquet(target, { partitionBy: ["k"] });
    await fromRecords([{ k: "c", v: 3 }]).write.parquet(target, { partitionBy: ["k"] });
    const back = await (await scan.parquet(target, { hive: true })).collect();
    expect(back.column("k")).toEqual(["c"]);
    expect(back.column("v")).toEqual([3]);
    expect(readdirSync(d)).toEqual(["ds"]);
  });

  it("overwrite: false refuses an existing file or folder for every format and leaves it alone", async () => {
    const d = dir();
    const one = fromRecords([{ k: "a", v: 1 }]);
    for (const format of ["parquet", "csv", "ndjson", "arrow"] as const) {
      const path = join(d, `x.${format}`);
      await one.write[format](path);
      const before = readFileSync(path);
      await expect(fromRecords([{ k: "z", v: 9 }]).write[format](path, { overwrite: false })).rejects.toMatchObject({
        name: "SourceError",
        message: expect.stringContaining("already exists and overwrite is false"),
      });
      expect(readFileSync(path).equals(before)).toBe(true);
    }
    await one.write.csv(join(d, "parts"), { partitionBy: ["k"] });
    await expect(one.write.csv(join(d, "parts"), { partitionBy: ["k"], overwrite: false })).rejects.toThrow("already exists and overwrite is false");
    // Without overwrite: false, a single file is replaced.
    await fromRecords([{ k: "z", v: 9 }]).write.csv(join(d, "x.csv"));
    expect(readFileSync(join(d, "x.csv"), "utf8")).toBe("k,v\nz,9\n");
    expect(existsSync(join(d, "x.csv"))).toBe(true);
  });

  it("the temporary name keeps the extension DuckDB reads compression from (.csv.gz is gzip) and nothing is left behind", async () => {
    const d = dir();
    await fromRecords([{ k: "a", v: 1 }]).write.csv(join(d, "x.csv.gz"));
    expect([...readFileSync(join(d, "x.csv.gz")).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect((await (await scan.csv(join(d, "x.csv.gz"))).collect()).toRecords()).toEqual([{ k: "a", v: 1 }]);
    expect(readdirSync(d)).toEqual(["x.csv.gz"]);
  });

  it("write.ndjson and write.arrow refuse partitionBy up front, naming the formats that support it", async () => {
    const d = dir();
    for (const format of ["ndjson", "arrow"] as const) {
      await expect(fromRecords([{ k: "a", v: 1 }]).write[format](join(d, "out"), { partitionBy: ["k"] })).rejects.toMatchObject({
        name: "InvalidArgumentError",
        message: expect.stringContaining("use write.parquet or write.csv"),
      });
    }
    expect(tree(d)).toEqual([]);
  });
});

describe("the operator metrics of a stream", () => {
  it("stream() and write.arrow end their job with the streamed query's operators, not the completion check's SELECT 1", async () => {
    const ends: Array<{ operators: Array<{ name: string; rows: number }> }> = [];
    const off = onProgress((e) => void (e.type === "job.end" && ends.push(e)));
    try {
      const frame = fromRecords(Array.from({ length: 5_000 }, (_, i) => ({ i })));
      expect(await drain(frame.stream())).toBe(5_000);
      await frame.write.arrow(join(dir(), "x.arrow"));
      for (const end of ends.slice(-2)) {
        expect(end.operators.map((o) => o.name)).not.toContain("DUMMY_SCAN");
        expect(Math.max(...end.operators.map((o) => o.rows))).toBe(5_000);
      }
    } finally {
      off();
    }
  });
});
