// Arrow IPC files as Polars writes them (its defaults: string/binary views, large lists, dictionaries for
// categoricals and enums; its compat_level=oldest: large strings; zstd and lz4 compression; the stream
// format) load through scan.arrow and fromArrow with their values and DuckDB types. The files are written
// by the real Polars in the project venv.
import * as A from "apache-arrow";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromArrow, scan, sql, type LazyFrame } from "../../src/index.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const python = process.env.SLUICE_PYTHON ?? join(repo, ".venv/bin/python");
const dir = mkdtempSync(join(tmpdir(), "sluice-arrow-interop-"));

// One frame with every column type Polars writes by default, and a larger one (several LZ4 blocks and
// zstd windows) whose expected aggregates Polars prints.
const WRITE = String.raw`
import datetime as dt, decimal, json, sys, polars as pl
out = sys.argv[1]
df = pl.DataFrame({
    "i8": pl.Series([1, None, -3], dtype=pl.Int8),
    "i64": [1, 2, None],
    "u32": pl.Series([1, 2, 3], dtype=pl.UInt32),
    "f32": pl.Series([1.5, None, 2.5], dtype=pl.Float32),
    "f64": [1.5, 2.5, None],
    "b": [True, False, None],
    "s": ["a", None, "a long string that is more than twelve bytes"],
    "bin": [b"\x00\x01", None, b"x" * 20],
    "d": [dt.date(2020, 1, 1), None, dt.date(1969, 12, 31)],
    "ts": [dt.datetime(2020, 1, 1, 12, 30, 1, 123456), None, dt.datetime(1960, 1, 1)],
    "ts_ms": pl.Series([dt.datetime(2020, 1, 1, 12, 30, 1, 123000), None, None]).cast(pl.Datetime("ms")),
    "ts_ns": pl.Series([dt.datetime(2020, 1, 1, 12, 30, 1, 123456), None, None]).cast(pl.Datetime("ns")),
    "tsz": pl.Series([dt.datetime(2020, 1, 1, 12), None, dt.datetime(2021, 6, 1)]).dt.replace_time_zone("Europe/Amsterdam"),
    "dur": [dt.timedelta(seconds=1.5), None, dt.timedelta(days=-1)],
    "t": [dt.time(1, 2, 3), None, dt.time(23, 59, 59, 999999)],
    "dec": pl.Series([decimal.Decimal("1.25"), None, decimal.Decimal("-3.50")], dtype=pl.Decimal(10, 2)),
    "l": [[1, 2], None, []],
    "ls": [["a"], ["b", None], None],
    "st": [{"x": 1, "y": "a"}, None, {"x": None, "y": "c"}],
    "cat": pl.Series(["x", "y", None], dtype=pl.Categorical),
    "en": pl.Series(["lo", "hi", None], dtype=pl.Enum(["lo", "hi", "unused"])),
})
df.write_ipc(out + "/default.arrow")
df.write_ipc_stream(out + "/default.arrows")
df.write_ipc(out + "/zstd.arrow", compression="zstd")
df.write_ipc(out + "/lz4.arrow", compression="lz4")
df.write_ipc_stream(out + "/zstd.arrows", compression="zstd")
df.write_ipc_stream(out + "/lz4.arrows", compression="lz4")
df.write_ipc(out + "/oldest.arrow", compat_level=pl.CompatLevel.oldest())
df.write_ipc(out + "/oldest_lz4.arrow", compat_level=pl.CompatLevel.oldest(), compression="lz4")
n = 200_000
# r: random bits that do not compress (LZ4 stores such blocks as they are, flagged uncompressed).
import random
rng = random.Random(7)
big = pl.DataFrame({
    "i": pl.int_range(0, n, eager=True),
    "s": pl.int_range(0, n, eager=True).map_elements(lambda i: f"row {i % 977} text", return_dtype=pl.String),
    "r": pl.Series([rng.getrandbits(62) for _ in range(n)], dtype=pl.Int64),
})
for c in ["zstd", "lz4"]:
    big.write_ipc(out + f"/big_{c}.arrow", compression=c, record_batch_size=50_000)
pl.DataFrame({
    "z": pl.Series([None, None], dtype=pl.Null),
    "arr": pl.Series([[1, 2], None], dtype=pl.Array(pl.Int32, 2)),
    "f16": pl.Series([1.5, None], dtype=pl.Float16),
    "lst_st": [[{"a": 1}], []],
}).write_ipc(out + "/more.arrow")
pl.DataFrame({"a": [1, 2], "i128": pl.Series([1, None], dtype=pl.Int128)}).write_ipc(out + "/int128.arrow")
print(json.dumps({"n": n, "sum_i": int(big["i"].sum()), "sum_len": int(big["s"].str.len_bytes().sum()), "s_last": big["s"][-1],
    "xor_r": str(big["r"].to_list()[0] ^ big["r"].to_list()[-1]), "sum_r": str(sum(big["r"].to_list()))}))
`;

let big: { n: number; sum_i: number; sum_len: number; s_last: string; xor_r: string; sum_r: string };

beforeAll(() => {
  const r = spawnSync(python, ["-c", WRITE, dir], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`polars failed to write the test files (${python}): ${r.stderr || r.error}`);
  big = JSON.parse(r.stdout);
}, 150_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCHEMA = [
  { name: "i8", type: "TINYINT" },
  { name: "i64", type: "BIGINT" },
  { name: "u32", type: "UINTEGER" },
  { name: "f32", type: "FLOAT" },
  { name: "f64", type: "DOUBLE" },
  { name: "b", type: "BOOLEAN" },
  { name: "s", type: "VARCHAR" },
  { name: "bin", type: "BLOB" },
  { name: "d", type: "DATE" },
  { name: "ts", type: "TIMESTAMP" },
  { name: "ts_ms", type: "TIMESTAMP" },
  { name: "ts_ns", type: "TIMESTAMP" },
  { name: "tsz", type: "TIMESTAMP WITH TIME ZONE" },
  { name: "dur", type: "INTERVAL" },
  { name: "t", type: "TIME" },
  { name: "dec", type: "DECIMAL(10,2)" },
  { name: "l", type: "BIGINT[]" },
  { name: "ls", type: "VARCHAR[]" },
  { name: "st", type: 'STRUCT("x" BIGINT, "y" VARCHAR)' },
  { name: "cat", type: "VARCHAR" },
  { name: "en", type: "VARCHAR" },
];

// Every value as the text DuckDB prints, so microseconds and blobs are compared exactly; the zoned
// timestamp as its instant in microseconds (its text would depend on the session's TimeZone).
const textOf = (frame: LazyFrame) => sql`SELECT i8::VARCHAR AS i8, i64::VARCHAR AS i64, u32::VARCHAR AS u32, f32::VARCHAR AS f32,
  f64::VARCHAR AS f64, b::VARCHAR AS b, s, bin::VARCHAR AS bin, d::VARCHAR AS d, ts::VARCHAR AS ts, ts_ms::VARCHAR AS ts_ms,
  ts_ns::VARCHAR AS ts_ns, epoch_us(tsz)::VARCHAR AS tsz, dur::VARCHAR AS dur, t::VARCHAR AS t, dec::VARCHAR AS dec, l::VARCHAR AS l,
  ls::VARCHAR AS ls, st::VARCHAR AS st, cat, en FROM ${frame}`;
const EXPECTED_TEXT = [
  {
    i8: "1", i64: "1", u32: "1", f32: "1.5", f64: "1.5", b: "true", s: "a", bin: "\\x00\\x01", d: "2020-01-01",
    ts: "2020-01-01 12:30:01.123456", ts_ms: "2020-01-01 12:30:01.123", ts_ns: "2020-01-01 12:30:01.123456",
    tsz: String(Date.UTC(2020, 0, 1, 11) * 1000), dur: "00:00:01.5", t: "01:02:03", dec: "1.25", l: "[1, 2]", ls: "[a]",
    st: "{'x': 1, 'y': a}", cat: "x", en: "lo",
  },
  {
    i8: null, i64: "2", u32: "2", f32: null, f64: "2.5", b: "false", s: null, bin: null, d: null, ts: null, ts_ms: null, ts_ns: null,
    tsz: null, dur: null, t: null, dec: null, l: null, ls: "[b, NULL]", st: null, cat: "y", en: "hi",
  },
  {
    i8: "-3", i64: null, u32: "3", f32: "2.5", f64: null, b: null, s: "a long string that is more than twelve bytes", bin: "x".repeat(20),
    d: "1969-12-31", ts: "1960-01-01 00:00:00", ts_ms: null, ts_ns: null, tsz: String(Date.UTC(2021, 4, 31, 22) * 1000), dur: "-24:00:00",
    t: "23:59:59.999999", dec: "-3.50", l: "[]", ls: null, st: "{'x': NULL, 'y': c}", cat: null, en: null,
  },
];

const FILES = ["default.arrow", "default.arrows", "zstd.arrow", "lz4.arrow", "zstd.arrows", "lz4.arrows", "oldest.arrow", "oldest_lz4.arrow"];

describe("scan.arrow reads Arrow IPC files written by Polars", () => {
  it.each(FILES)("%s: DuckDB types, exact values, and collect() schema equal to frame.schema", async (file) => {
    const frame = await scan.arrow(join(dir, file));
    expect(frame.schema).toEqual(SCHEMA);
    expect((await (await textOf(frame)).collect()).toRecords()).toEqual(EXPECTED_TEXT);
    const df = await frame.collect();
    expect(df.schema).toEqual(frame.schema);
    expect(df.column("s")).toEqual(["a", null, "a long string that is more than twelve bytes"]);
  });
});

describe("less common Polars types", () => {
  it("Null, Array, Float16 and lists of structs", async () => {
    const frame = await scan.arrow(join(dir, "more.arrow"));
    expect(frame.schema).toEqual([
      { name: "z", type: "INTEGER" },
      { name: "arr", type: "INTEGER[2]" },
      { name: "f16", type: "FLOAT" },
      { name: "lst_st", type: 'STRUCT("a" BIGINT)[]' },
    ]);
    const df = await frame.collect();
    expect(df.schema).toEqual(frame.schema);
    expect(df.toRecords()).toEqual([
      { z: null, arr: [1, 2], f16: 1.5, lst_st: [{ a: 1 }] },
      { z: null, arr: null, f16: null, lst_st: [] },
    ]);
  });
});

describe("fromArrow takes a table apache-arrow read from a Polars file", () => {
  it.each(["default.arrow", "lz4.arrows", "oldest.arrow"])("%s", async (file) => {
    const table = A.tableFromIPC(readFileSync(join(dir, file)));
    const frame = fromArrow(table);
    expect(frame.schema).toEqual(SCHEMA);
    expect((await (await textOf(frame)).collect()).toRecords()).toEqual(EXPECTED_TEXT);
    expect((await frame.collect()).schema).toEqual(frame.schema);
  });
});

describe("compressed files larger than one LZ4 block or zstd window", () => {
  it.each(["big_zstd.arrow", "big_lz4.arrow"])("%s: every row, as Polars wrote it", async (file) => {
    const frame = await scan.arrow(join(dir, file));
    expect(frame.schema).toEqual([{ name: "i", type: "BIGINT" }, { name: "s", type: "VARCHAR" }, { name: "r", type: "BIGINT" }]);
    const [row] = (await (await sql`SELECT count(*)::INTEGER AS n, sum(i)::DOUBLE AS sum_i, sum(strlen(s))::DOUBLE AS sum_len,
      max_by(s, i) AS s_last, xor(first(r ORDER BY i), last(r ORDER BY i))::VARCHAR AS xor_r, sum(r::HUGEINT)::VARCHAR AS sum_r
      FROM ${frame}`).collect()).toRecords();
    expect(row).toEqual(big);
  });
});

describe("scan.arrow errors name the problem and the fix", () => {
  it("a glob says scan.arrow reads one file (was: file not found)", async () => {
    await expect(scan.arrow(join(dir, "*.arrow"))).rejects.toThrow(/globs are not supported.*union/);
  });

  it("a directory says scan.arrow reads one file", async () => {
    const sub = join(dir, "folder");
    mkdirSync(sub, { recursive: true });
    await expect(scan.arrow(sub)).rejects.toThrow(/is a directory/);
  });

  it("a column apache-arrow cannot read (Polars' Int128) is named with its type and a cast to try", async () => {
    await expect(scan.arrow(join(dir, "int128.arrow"))).rejects.toThrow(
      /column 'i128' has Arrow type Int128, which apache-arrow cannot read; cast it before writing, e\.g\. in Polars df\.with_columns\(pl\.col\("i128"\)\.cast\(pl\.Int64\)\)/,
    );
  });

  it("fromArrow names a column of a type it cannot store, with a cast to try", () => {
    const interval = A.makeVector(A.makeData({ type: new A.IntervalDayTime(), length: 1, nullCount: 0, data: new Int32Array(2) }));
    expect(() => fromArrow(new A.Table({ gap: interval }))).toThrow(/column 'gap': Arrow type Interval<DAY_TIME> is not supported.*pl\.col\("gap"\)\.cast/);
  });
});
