// File scans against real files written in a temp folder and a real DuckDB: hive folders (URL-encoded keys,
// nulls, odd values, folders above the scan root), CSV/NDJSON inside key=value folders, NDJSON folders,
// Parquet files whose columns differ, and CSV options and errors.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, SourceError, col, fromColumns, fromRecords, scan } from "../../src/index.js";
import type { Plan } from "../../src/plan/nodes.js";

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-sources-"));
});

function scanOf(p: Plan): Extract<Plan, { kind: "scan" }> {
  return p.kind === "scan" ? p : scanOf("input" in p ? p.input : (p as { left: Plan }).left);
}

const byV = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => Number(a.v) - Number(b.v));

describe("hive partition folders", () => {
  it("partition keys that need URL-encoding (a space, quotes, SQL) round-trip through write and scan", async () => {
    const root = join(dir, "encoded");
    const evil = 'a"; DROP TABLE t; --';
    const rows = [
      { "country code": "DE", [evil]: 5, v: 1 },
      { "country code": "a b/c%d", [evil]: 7, v: 2 },
      { "country code": null, [evil]: null, v: 3 },
    ];
    await fromRecords(rows).write.parquet(root, { partitionBy: ["country code", evil] });
    const f = await scan.parquet(root);
    expect(f.schema).toEqual([
      { name: "v", type: "BIGINT" },
      { name: "country code", type: "VARCHAR" },
      { name: evil, type: "BIGINT" },
    ]);
    expect(byV((await f.collect()).toRecords())).toEqual(rows);
    const q = f.filter(col("country code").eq("a b/c%d"));
    expect(scanOf(q.optimizedPlan()).files).toHaveLength(1);
    expect((await q.collect()).toRecords()).toEqual([rows[1]]);
    expect((await f.filter(col(evil).isNull()).select("v").collect()).column("v")).toEqual([3]);
  });

  it("a null partition (__HIVE_DEFAULT_PARTITION__) keeps an integer column integer and reads as null", async () => {
    const root = join(dir, "nulls");
    await fromRecords([{ n: 1, v: 1 }, { n: null, v: 2 }, { n: 3, v: 3 }]).write.parquet(root, { partitionBy: ["n"] });
    const f = await scan.parquet(root);
    expect(f.schema).toEqual([{ name: "v", type: "BIGINT" }, { name: "n", type: "BIGINT" }]);
    expect(byV((await f.collect()).toRecords())).toEqual([{ n: 1, v: 1 }, { n: null, v: 2 }, { n: 3, v: 3 }]);
    expect((await f.filter(col("n").gt(1)).select("v").collect()).column("v")).toEqual([3]);
  });

  it("NULL/null folders read as null like DuckDB reads them; an empty value is null except in text columns", async () => {
    const ints = join(dir, "nullspellings");
    const texts = join(dir, "nullspellings-text");
    for (const [i, k] of ["NULL", "null", "", "5", "__HIVE_DEFAULT_PARTITION__"].entries()) {
      mkdirSync(join(ints, `n=${k}`), { recursive: true });
      await fromRecords([{ v: i + 1 }]).write.parquet(join(ints, `n=${k}`, "f.parquet"));
    }
    for (const [i, k] of ["NULL", "", "a", "%4EULL"].entries()) {
      mkdirSync(join(texts, `s=${k}`), { recursive: true });
      await fromRecords([{ v: i + 1 }]).write.parquet(join(texts, `s=${k}`, "f.parquet"));
    }
    const n = await scan.parquet(ints);
    expect(n.schema).toEqual([{ name: "v", type: "BIGINT" }, { name: "n", type: "BIGINT" }]);
    const s = await scan.parquet(texts);
    expect(byV((await s.collect()).toRecords())).toEqual([{ v: 1, s: null }, { v: 2, s: "" }, { v: 3, s: "a" }, { v: 4, s: "NULL" }]);
    const checks: [typeof n, ReturnType<typeof col>][] = [
      [n, col("n").isNull()], [n, col("n").isNotNull()], [n, col("n").eq(5)], [n, col("n").neq(5)],
      [s, col("s").isNull()], [s, col("s").eq("")], [s, col("s").eq("NULL")], [s, col("s").neq("a")],
    ];
    for (const [frame, pred] of checks) {
      const on = frame.filter(pred).select("v").sort("v");
      const off = frame.filter(pred).select("v").sort("v");
      off.optimizerFlags = { partitionPruning: false };
      expect((await on.collect()).column("v")).toEqual((await off.collect()).column("v"));
    }
    expect((await n.filter(col("n").isNull()).select("v").sort("v").collect()).column("v")).toEqual([1, 2, 3, 5]);
  });

  it("a value with a bare % (k=100%) is read as written, not a URIError", async () => {
    const root = join(dir, "percent");
    mkdirSync(join(root, "k=100%"), { recursive: true });
    mkdirSync(join(root, "k=50%25"), { recursive: true });
    await fromRecords([{ v: 1 }]).write.parquet(join(root, "k=100%", "a.parquet"));
    await fromRecords([{ v: 2 }]).write.parquet(join(root, "k=50%25", "b.parquet"));
    const f = await scan.parquet(root);
    expect(byV((await f.collect()).toRecords())).toEqual([{ v: 1, k: "100%" }, { v: 2, k: "50%" }]);
    expect((await f.filter(col("k").eq("100%")).collect()).toRecords()).toEqual([{ v: 1, k: "100%" }]);
  });

  it("only folders below the scan root are partitions (run=5 above it is not a column)", async () => {
    const data = join(dir, "run=5", "data");
    mkdirSync(join(dir, "run=5"));
    await fromRecords([{ x: 1, v: 1 }, { x: 2, v: 2 }]).write.parquet(data, { partitionBy: ["x"] });
    for (const path of [data, join(data, "x=*", "*.parquet")]) {
      const f = await scan.parquet(path);
      expect(f.schema.map((c) => c.name)).toEqual(["v", "x"]);
      expect(byV((await f.collect()).toRecords())).toEqual([{ v: 1, x: 1 }, { v: 2, x: 2 }]);
    }
    // One file: no folder below it, so no partition columns.
    const one = await scan.parquet(join(data, "x=1", (await import("node:fs")).readdirSync(join(data, "x=1"))[0]));
    expect((await one.collect()).toRecords()).toEqual([{ v: 1 }]);
  });

  it("a folder above the root named like a file column (run=5 over a file with a run column) does not replace it", async () => {
    const data = join(dir, "shadow", "run=5", "data");
    for (const x of [1, 2]) {
      mkdirSync(join(data, `x=${x}`), { recursive: true });
      await fromRecords([{ run: 90 + x, v: x }]).write.parquet(join(data, `x=${x}`, "f.parquet"));
    }
    const f = await scan.parquet(data);
    expect(f.schema.map((c) => c.name)).toEqual(["run", "v", "x"]);
    expect(byV((await f.collect()).toRecords())).toEqual([{ run: 91, v: 1, x: 1 }, { run: 92, v: 2, x: 2 }]);
    expect((await f.filter(col("x").eq(2).and(col("run").gt(0))).collect()).toRecords()).toEqual([{ run: 92, v: 2, x: 2 }]);
  });

  it("hive: true on files without key=value folders reads them (no partition columns)", async () => {
    const path = join(dir, "plain.parquet");
    await fromRecords([{ v: 1 }]).write.parquet(path);
    expect((await (await scan.parquet(path, { hive: true })).collect()).toRecords()).toEqual([{ v: 1 }]);
  });

  it("an impossible date folder (day=2024-02-30) fails at scan time naming the folder", async () => {
    const root = join(dir, "baddate");
    for (const day of ["2024-01-01", "2024-02-30"]) mkdirSync(join(root, `day=${day}`), { recursive: true });
    for (const day of ["2024-01-01", "2024-02-30"]) await fromRecords([{ v: 1 }]).write.parquet(join(root, `day=${day}`, "f.parquet"));
    const err = await scan.parquet(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect(String((err as Error).message)).toContain("day=2024-02-30");
  });
});

describe("CSV and NDJSON scans", () => {
  it("a CSV or NDJSON file inside a key=value folder: the schema and collect() agree (no partition column)", async () => {
    const folder = join(dir, "hv", "day=1");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "x.csv"), "a,b\n1,2\n");
    writeFileSync(join(folder, "x.ndjson"), '{"a":1}\n');
    for (const f of [await scan.csv(join(folder, "x.csv")), await scan.csv(join(dir, "hv"))]) {
      expect(f.schema.map((c) => c.name)).toEqual(["a", "b"]);
      expect((await f.collect()).toRecords()).toEqual([{ a: 1, b: 2 }]);
    }
    for (const f of [await scan.ndjson(join(folder, "x.ndjson")), await scan.ndjson(join(dir, "hv"))]) {
      expect(f.schema.map((c) => c.name)).toEqual(["a"]);
      expect((await f.collect()).toRecords()).toEqual([{ a: 1 }]);
    }
  });

  it("scan.ndjson(directory) reads the files it listed; unknown options are refused", async () => {
    const folder = join(dir, "nj");
    mkdirSync(join(folder, "sub"), { recursive: true });
    writeFileSync(join(folder, "a.ndjson"), '{"v":1}\n{"v":2}\n');
    writeFileSync(join(folder, "sub", "b.ndjson"), '{"v":3}\n');
    writeFileSync(join(folder, "notes.txt"), "not json");
    const f = await scan.ndjson(folder);
    expect((await f.sort("v").collect()).column("v")).toEqual([1, 2, 3]);
    await expect(scan.ndjson(join(folder, "a.ndjson"), { fromat: "array" } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(scan.ndjson(join(folder, "a.ndjson"), { fromat: "array" } as never)).rejects.toThrow(/unknown option "fromat" \(options: glob\)/);
  });

  it("a malformed CSV names the file and the scan.csv options that can help; ignoreErrors skips bad rows", async () => {
    const path = join(dir, "bad.csv");
    writeFileSync(path, "a,b\n1,2\n3\n4,5,6,7\n8,9\n");
    const err = await scan.csv(path).then((f) => f.collect()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    const message = (err as Error).message;
    expect(message).toContain(path);
    expect(message).toContain("ignoreErrors");
    expect(message).not.toMatch(/strict_mode|null_padding/);
    const f = await scan.csv(path, { ignoreErrors: true });
    expect((await f.collect()).toRecords()).toEqual([{ a: 1, b: 2 }, { a: 8, b: 9 }]);
  });

  it("a malformed NDJSON or Parquet file: a SourceError with DuckDB's reason, not our generated SQL", async () => {
    const nd = join(dir, "broken.ndjson");
    writeFileSync(nd, '{"a":1}\n{"a":\n');
    const pq = join(dir, "broken.parquet");
    writeFileSync(pq, "nope");
    for (const attempt of [scan.ndjson(nd), scan.parquet(pq)]) {
      const err = await attempt.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as Error).message).toContain("broken.");
      expect((err as Error).message).not.toContain("DESCRIBE");
    }
  });

  it("header: false with columns names the columns in order", async () => {
    const path = join(dir, "noheader.csv");
    writeFileSync(path, "1,x\n2,y\n");
    const f = await scan.csv(path, { header: false, columns: { id: "INTEGER", name: "VARCHAR" } });
    expect(f.schema).toEqual([{ name: "id", type: "INTEGER" }, { name: "name", type: "VARCHAR" }]);
    expect((await f.collect()).toRecords()).toEqual([{ id: 1, name: "x" }, { id: 2, name: "y" }]);
  });

  it("an empty or too long delimiter and a quote longer than one character are refused", async () => {
    const path = join(dir, "ok.csv");
    writeFileSync(path, "a,b\n1,2\n");
    await expect(scan.csv(path, { delimiter: "" })).rejects.toThrow(/delimiter must be a non-empty string/);
    await expect(scan.csv(path, { delimiter: "abcde" })).rejects.toThrow(/delimiter can be at most 4 bytes/);
    await expect(scan.csv(path, { quote: "ab" })).rejects.toThrow(InvalidArgumentError);
    expect((await (await scan.csv(path, { quote: "" })).collect()).toRecords()).toEqual([{ a: 1, b: 2 }]);
  });
});

describe("Parquet files with different columns", () => {
  it("a column only in a later file is an error naming the files and columns; unionByName reads it", async () => {
    const root = join(dir, "drift");
    mkdirSync(root);
    await fromRecords([{ a: 1 }]).write.parquet(join(root, "1.parquet"));
    await fromRecords([{ a: 2, b: "x" }]).write.parquet(join(root, "2.parquet"));
    const err = await scan.parquet(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toContain(join(root, "2.parquet"));
    expect((err as Error).message).toContain("b VARCHAR");
    expect((err as Error).message).toContain("unionByName");
    const f = await scan.parquet(root, { unionByName: true });
    expect(f.schema).toEqual([{ name: "a", type: "BIGINT" }, { name: "b", type: "VARCHAR" }]);
    expect((await f.sort("a").collect()).toRecords()).toEqual([{ a: 1, b: null }, { a: 2, b: "x" }]);
  });

  it("a column missing from a later file is a SourceError naming both files and the fix when a query reads it", async () => {
    // (Checked by DuckDB as it reads each file: checking every footer up front cost 40–90 ms per scan.)
    const root = join(dir, "shrink");
    mkdirSync(root);
    await fromRecords([{ a: 1, extra: "e" }]).write.parquet(join(root, "1.parquet"));
    await fromRecords([{ a: 2 }]).write.parquet(join(root, "2.parquet"));
    const err = await (await scan.parquet(root)).collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toBe(
      `Parquet files have different columns: ${join(root, "2.parquet")} has no column 'extra' that ${join(root, "1.parquet")} has; pass { unionByName: true } to scan.parquet to read missing columns as null`,
    );
    const f = await scan.parquet(root, { unionByName: true });
    expect((await f.sort("a").collect()).toRecords()).toEqual([{ a: 1, extra: "e" }, { a: 2, extra: null }]);
  });

  it("a type clash between files is a SourceError naming both types", async () => {
    const root = join(dir, "clash");
    mkdirSync(root);
    await fromRecords([{ a: 1 }]).write.parquet(join(root, "1.parquet"));
    await fromRecords([{ a: "one" }]).write.parquet(join(root, "2.parquet"));
    const err = await scan.parquet(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/a BIGINT.*a VARCHAR/);
  });
});

describe("what a scan leaves out, and in-memory values that cannot load", () => {
  it("hidden and underscore entries under a scanned folder are not data (_SUCCESS, a crashed write's temp folder)", async () => {
    const root = join(dir, "with-hidden");
    await fromRecords([{ k: "a", v: 1 }]).write.parquet(root, { partitionBy: ["k"] });
    await fromRecords([{ v: 99 }]).write.parquet(join(dir, "stray.parquet"));
    for (const hidden of [".sluice-tmp-123", "_temporary"]) {
      mkdirSync(join(root, hidden, "k=z"), { recursive: true });
      writeFileSync(join(root, hidden, "k=z", "data_0.parquet"), readFileSync(join(dir, "stray.parquet")));
    }
    writeFileSync(join(root, "_SUCCESS"), "");
    const f = await scan.parquet(root);
    expect((await f.collect()).toRecords()).toEqual([{ v: 1, k: "a" }]);
  });

  it("rows that are not objects, invalid dates, integers past 64 bits and non-plain objects get errors naming the value", () => {
    expect(() => fromRecords([{ a: 1 }, null as never])).toThrow("fromRecords: row 1 is null; every row must be an object like { a: 1 }");
    expect(() => fromRecords([{ d: new Date("2024-01-01") }, { d: new Date("nope") }])).toThrow("column 'd', row 1: Invalid Date");
    expect(() => fromRecords([{ a: 2n ** 64n + 5n }])).toThrow("column 'a', row 0: 18446744073709551621 does not fit a 64-bit integer");
    expect(() => fromRecords([{ m: new Map([["x", 1]]) }])).toThrow("column 'm' holds Map objects; only plain { key: value } objects become structs");
    expect(fromRecords([{ a: 2n ** 63n - 1n }]).schema).toEqual([{ name: "a", type: "BIGINT" }]);
  });
});

describe("CSV errors while a query runs", () => {
  it("a bad row past DuckDB's detection sample names the file and line and offers scan.csv's options, not read_csv's", async () => {
    const path = join(dir, "late-bad-row.csv");
    writeFileSync(path, "a,b\n" + "1,2\n".repeat(30_000) + "7,8,9,10\n");
    const f = await scan.csv(path);
    const err = await f.collect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    const message = (err as Error).message;
    expect(message).toContain(`cannot read CSV ${path}: CSV Error on Line: 30002; Original Line: 7,8,9,10; Expected Number of Columns: 2 Found: 3`);
    expect(message).toContain("ignoreErrors: true");
    expect(message).not.toMatch(/strict_mode|null_padding|sample_size/);
    expect(await (await scan.csv(path, { ignoreErrors: true })).count()).toBe(30_000);
  });
});

describe("typed arrays", () => {
  it("fromColumns takes typed arrays as they are (Arrow's layout, no copy) next to plain arrays", async () => {
    const f = fromColumns({ f: new Float64Array([1.5, 2.5]), i: new Int32Array([1, -2]), b: new BigInt64Array([2n ** 60n, -1n]), u: new Uint8Array([255, 0]), s: ["x", "y"] });
    expect(f.schema).toEqual([
      { name: "f", type: "DOUBLE" },
      { name: "i", type: "INTEGER" },
      { name: "b", type: "BIGINT" },
      { name: "u", type: "UTINYINT" },
      { name: "s", type: "VARCHAR" },
    ]);
    const df = await f.collect();
    expect(df.schema).toEqual(f.schema);
    expect(df.toRecords()).toEqual([{ f: 1.5, i: 1, b: 2n ** 60n, u: 255, s: "x" }, { f: 2.5, i: -2, b: -1, u: 0, s: "y" }]);
    expect(() => fromColumns({ a: new Float64Array(3), b: [1, 2] })).toThrow("column 'b' has 2 values but 'a' has 3");
    expect(() => fromColumns({ a: new DataView(new ArrayBuffer(8)) as never })).toThrow("expected an array (or a typed array such as Float64Array)");
  });
});

describe("type spelling", () => {
  it("a Parquet scan spells struct types as collected results and in-memory frames do (union and join then accept them)", async () => {
    const mem = fromRecords([{ s: { k: 1, n: "x" } }]);
    const path = join(dir, "structs.parquet");
    await mem.write.parquet(path);
    const scanned = await scan.parquet(path);
    expect(scanned.schema).toEqual(mem.schema);
    expect((await scanned.collect()).schema).toEqual(scanned.schema);
    expect(await scanned.union(mem).count()).toBe(2);
  });
});
