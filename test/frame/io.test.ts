import * as A from "apache-arrow";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { col, fromArrow, fromColumns, fromDanfo, fromRecords, onProgress, scan, type ProgressEvent } from "../../src/index.js";

const dir = () => mkdtempSync(join(tmpdir(), "sluice-io-"));
const ROWS = [
  { k: "a", day: "2024-01-01", v: 1, f: 0.5 },
  { k: "b", day: "2024-01-01", v: 2, f: null },
  { k: "a", day: "2024-01-02", v: 3, f: 1.5 },
];

describe("sources and writers", () => {
  it("write.parquet|csv|ndjson|arrow then scan each back", async () => {
    const d = dir();
    const f = fromRecords(ROWS);
    await f.write.parquet(join(d, "x.parquet"));
    await f.write.csv(join(d, "x.csv"));
    await f.write.ndjson(join(d, "x.ndjson"));
    await f.write.arrow(join(d, "x.arrow"));
    const readers = [scan.parquet(join(d, "x.parquet")), scan.csv(join(d, "x.csv")), scan.ndjson(join(d, "x.ndjson")), scan.arrow(join(d, "x.arrow"))];
    for (const r of readers) {
      const back = await (await r).sort("v").collect();
      expect(back.column("k")).toEqual(["a", "b", "a"]);
      expect(back.column("v")).toEqual([1, 2, 3]);
      expect(back.column("f")).toEqual([0.5, null, 1.5]);
    }
    const lines = readFileSync(join(d, "x.ndjson"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual(ROWS);
  });

  it("write with partitionBy makes hive folders that scan.parquet reads back as columns", async () => {
    const d = dir();
    const events: ProgressEvent[] = [];
    const stop = onProgress((e) => events.push(e));
    await fromRecords(ROWS).write.parquet(join(d, "out"), { partitionBy: ["day"] });
    stop();
    expect(events.filter((e) => e.type === "job.start").map((e) => (e.type === "job.start" ? e.description : ""))[0]).toMatch(/^write parquet/);
    expect(readdirSync(join(d, "out")).sort()).toEqual(["day=2024-01-01", "day=2024-01-02"]);
    const back = await scan.parquet(join(d, "out"), { hive: true });
    expect(back.schema.find((f) => f.name === "day")).toEqual({ name: "day", type: "DATE" });
    const df = await back.filter(col("day").eq("2024-01-02")).collect();
    expect(df.column("v")).toEqual([3]);
    await fromRecords(ROWS).write.csv(join(d, "csvout"), { partitionBy: ["k"] });
    expect(existsSync(join(d, "csvout", "k=a"))).toBe(true);
  });

  it("fromArrow and fromColumns keep types; toArrow gives an Arrow table", async () => {
    const table = A.tableFromArrays({ i: Int32Array.from([3, 1, 2]), s: ["c", "a", "b"], b: [true, false, null] as (boolean | null)[] });
    const f = fromArrow(table);
    expect(f.schema).toEqual([{ name: "i", type: "INTEGER" }, { name: "s", type: "VARCHAR" }, { name: "b", type: "BOOLEAN" }]);
    const out = (await f.sort("i").collect()).toArrow();
    expect(out).toBeInstanceOf(A.Table);
    expect([...out.getChild("s")!]).toEqual(["a", "b", "c"]);
    const c = await fromColumns({ x: [1, 2, null], y: ["p", null, "r"], d: [new Date(0), null, new Date(1000)] }).collect();
    expect(c.toRecords()).toEqual([
      { x: 1, y: "p", d: new Date(0) },
      { x: 2, y: null, d: null },
      { x: null, y: "r", d: new Date(1000) },
    ]);
  });

  it("danfojs-node interop: fromDanfo and toDanfo", async () => {
    const dfd = createRequire(import.meta.url)("danfojs-node");
    const ddf = new dfd.DataFrame({ name: ["x", "y", "z"], n: [1, 2, 3], w: [0.5, 1.5, 2.5] });
    const f = fromDanfo(ddf);
    const agg = await f.filter(col("n").ge(2)).select(col("w").sum().as("w")).collect();
    expect(agg.toRecords()).toEqual([{ w: 4 }]);
    const back = (await f.sort("n", { descending: true }).collect()).toDanfo() as { columns: string[]; shape: number[]; column(n: string): { values: unknown[] } };
    expect(back.columns).toEqual(["name", "n", "w"]);
    expect(back.shape).toEqual([3, 3]);
    expect(back.column("name").values).toEqual(["z", "y", "x"]);
    expect(back.column("w").values).toEqual([2.5, 1.5, 0.5]);
  });
});
