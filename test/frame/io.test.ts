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
    // narrow, unsigned and single-precision columns keep their values (and DuckDB types) through the engine
    const narrow = A.tableFromArrays({ i8: Int8Array.from([-128, 0, 127]), u16: Uint16Array.from([0, 1, 65535]), f32: Float32Array.from([0.5, -1.25, 3]), u64: BigUint64Array.from([0n, 1n, 2n ** 64n - 1n]) });
    const nf = fromArrow(narrow);
    expect(nf.schema.map((f) => f.type)).toEqual(["TINYINT", "USMALLINT", "FLOAT", "UBIGINT"]);
    const back = (await nf.withColumns(col("i8").cast("int32").add(1).as("next")).collect()).toRecords();
    expect(back.map((r) => [r.i8, r.u16, r.f32, String(r.u64), r.next])).toEqual([
      [-128, 0, 0.5, "0", -127],
      [0, 1, -1.25, "1", 1],
      [127, 65535, 3, String(2n ** 64n - 1n), 128],
    ]);
    const c = await fromColumns({ x: [1, 2, null], y: ["p", null, "r"], d: [new Date(0), null, new Date(1000)] }).collect();
    expect(c.toRecords()).toEqual([
      { x: 1, y: "p", d: new Date(0) },
      { x: 2, y: null, d: null },
      { x: null, y: "r", d: new Date(1000) },
    ]);
  });

  it("fromRecords takes nested JSON-like values: lists and objects at any depth, with nulls and empty lists", async () => {
    const orders = [
      { id: 1, tags: ["gift", "rush"], customer: { name: "Ada", since: new Date(Date.UTC(2020, 0, 1)), address: { city: "Paris" } }, qty: [1, 2] },
      { id: 2, tags: [], customer: null, qty: [3] },
      { id: 3, tags: null, customer: { name: "Lin" }, qty: [] },
    ];
    const f = fromRecords(orders);
    expect(f.schema).toEqual([
      { name: "id", type: "BIGINT" },
      { name: "tags", type: "VARCHAR[]" },
      { name: "customer", type: 'STRUCT("name" VARCHAR, "since" TIMESTAMP, "address" STRUCT("city" VARCHAR))' },
      { name: "qty", type: "BIGINT[]" },
    ]);
    // absent object keys read back as null fields
    const expected = orders.map((o) => ({ ...o, customer: o.customer && { name: o.customer.name, since: o.customer.since ?? null, address: o.customer.address ?? null } }));
    expect((await f.sort("id").collect()).toRecords()).toEqual(expected);
    // the engine sees real nested types: explode, field access, list length
    const shaped = f.explode("tags").withColumns(col("customer").field("name").as("who"), col("qty").listLen().as("n")).select("id", "tags", "who", "n");
    expect((await shaped.sort(["id", "tags"]).collect()).toRecords()).toEqual([
      { id: 1, tags: "gift", who: "Ada", n: 2 },
      { id: 1, tags: "rush", who: "Ada", n: 2 },
    ]);
    expect(() => fromRecords([{ a: [1] }, { a: 2 }])).toThrow("column 'a' mixes value types (array, number)");
    expect(() => fromRecords([{ a: [1, "x"] }])).toThrow("column 'a[]' mixes value types (number, string)");
    expect(() => fromRecords([{ a: { b: 1 } }, { a: { b: "x" } }])).toThrow("column 'a.b' mixes value types (number, string)");
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

describe("Arrow results", () => {
  it("columns spanning many DuckDB chunks keep values and nulls in every type", async () => {
    const n = 10_000; // several 2048-row chunks, with nulls at irregular places
    const ints = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : i * 3));
    const floats = Array.from({ length: n }, (_, i) => (i % 11 === 5 ? null : i / 4));
    const texts = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : `t${i}'"`));
    const times = Array.from({ length: n }, (_, i) => (i % 17 === 1 ? null : new Date(Date.UTC(2024, 0, 1) + i * 1000)));
    const flags = Array.from({ length: n }, (_, i) => (i % 5 === 2 ? null : i % 2 === 0));
    const f = fromColumns({ i: ints, x: floats, s: texts, t: times, b: flags, k: ints.map((_, j) => j) });
    const df = await f.withColumns(col("i").cast("int32").as("i32"), col("t").cast("date").as("d")).sort("k").collect();
    expect(df.column("i")).toEqual(ints);
    expect(df.column("i32")).toEqual(ints);
    expect(df.column("x")).toEqual(floats);
    expect(df.column("s")).toEqual(texts);
    expect(df.column("t")).toEqual(times);
    expect(df.column("b")).toEqual(flags);
    expect((df.column("d") as (Date | null)[]).map((d) => d && d.toISOString().slice(0, 10))).toEqual(times.map((d) => d && d.toISOString().slice(0, 10)));
    const arrow = df.toArrow();
    expect(arrow.getChild("i")!.nullCount).toBe(ints.filter((v) => v === null).length);
    expect(arrow.getChild("t")!.type.toString()).toBe("Timestamp<MICROSECOND>");
  });
});

describe("toDanfo", () => {
  it("a 0-row result gives an empty danfo frame with the columns (danfo threw 'end must be greater than start')", async () => {
    const df = await fromRecords(ROWS).filter(col("v").gt(100)).collect();
    expect(df.numRows).toBe(0);
    const ddf = df.toDanfo() as { shape: number[]; columns: string[] };
    expect(ddf.shape).toEqual([0, 4]);
    expect(ddf.columns).toEqual(["k", "day", "v", "f"]);
  });
});
