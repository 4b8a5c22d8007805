import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ColumnNotFoundError, InvalidArgumentError, SourceError, TypeMismatchError, col, configureEngine, fromRecords, lit, scan, when } from "../../src/index.js";

const events = () => fromRecords([{ session_id: "s1", url: "/a", views: 3, ts: new Date("2024-01-01T00:00:00Z") }]);

describe("bad input gives clear, typed errors when the expression is written", () => {
  it("unknown column names the near miss and lists the columns", async () => {
    expect(() => events().select(col("sesion_id"))).toThrow(ColumnNotFoundError);
    expect(() => events().filter(col("sesion_id").eq("x"))).toThrow(
      "column 'sesion_id' not found; did you mean 'session_id'? (columns: session_id, url, views, ts)",
    );
    expect(() => events().groupBy("urll")).toThrow("did you mean 'url'?");
    expect(() => events().sort("nope")).toThrow("column 'nope' not found (columns: session_id, url, views, ts)");
    // options that are not an object, or that we do not know, are refused rather than ignored
    await expect(events().write.parquet("/tmp/sluice-never-written.parquet", "zstd" as never)).rejects.toThrow('options must be an object such as { partitionBy: ["day"], overwrite: false }');
    await expect(events().write.csv("/tmp/sluice-never-written.csv", { partitonBy: ["url"] } as never)).rejects.toThrow('write.csv: unknown option "partitonBy"; did you mean "partitionBy"? (options: partitionBy, overwrite)');
    expect(() => events().join(events(), { on: "url", hwo: "left" } as never)).toThrow('join: unknown option "hwo"; did you mean "how"? (options: on, leftOn, rightOn, how, suffix)');
    expect(() => events().sort("url", { descnding: true } as never)).toThrow('sort: unknown option "descnding"; did you mean "descending"?');
    expect(() => col("views").sum().over({ partitonBy: "url" } as never)).toThrow('over: unknown option "partitonBy"; did you mean "partitionBy"?');
    expect(() => events().unpivot({ indx: "url" } as never)).toThrow('unpivot: unknown option "indx"; did you mean "index"?');
    await expect(configureEngine({ thread: 2 } as never)).rejects.toThrow('configureEngine: unknown option "thread"; did you mean "threads"?');
    // values as arguments or as an array; none at all, a bad format or a when() without then() say so
    expect((await events().filter(col("url").isIn("/a", "/b")).count())).toBe(await events().filter(col("url").isIn(["/a", "/b"])).count());
    expect(() => col("url").isIn()).toThrow('isIn(values): give at least one value, e.g. col("url").isIn(["a", "b"])');
    expect(() => col("ts").format(123 as never)).toThrow('format(format): format must be a non-empty strftime-style string such as "%Y-%m-%d %H:%M", got 123');
    expect(() => when(col("views").gt(1)).otherwise(0)).toThrow("when(condition) needs .then(value) before .otherwise(value)");
    // a second key passed as a second argument would silently be taken as options
    expect(() => events().sort("url", "views" as never)).toThrow('sort by several keys with an array: sort(["a", "b"])');
    expect(() => events().drop("view")).toThrow(ColumnNotFoundError);
  });

  it("type mismatches name the expression and both types", () => {
    expect(() => events().select(col("url").add(col("views")))).toThrow(TypeMismatchError);
    expect(() => events().select(col("url").add(col("views")))).toThrow(
      `col("url").add(col("views")): 'add' needs a number but col("url") is VARCHAR (col("url") is VARCHAR, col("views") is BIGINT)`,
    );
    expect(() => events().filter(col("views").eq("three"))).toThrow(`col("views") is BIGINT, lit("three") is VARCHAR`);
    expect(() => events().filter(col("views"))).toThrow("a filter needs a BOOLEAN expression, got BIGINT");
    expect(() => events().select(col("views").lower())).toThrow("needs a string (VARCHAR) but col(\"views\") is BIGINT");
    expect(() => events().select(col("url").floor("1h"))).toThrow("needs a DATE or TIMESTAMP");
    expect(() => events().select(col("url").sum())).toThrow("'sum' needs a number");
  });

  it("bad parameters say which and why", () => {
    expect(() => events().select(col("ts").floor("1 fortnight"))).toThrow(InvalidArgumentError);
    expect(() => events().limit(-1)).toThrow("non-negative integer");
    expect(() => events().select(col("views").quantile(2))).toThrow("between 0 and 1");
    expect(() => events().select(col("views").cast("nope"))).toThrow("unknown type");
    expect(() => events().groupBy("url").agg(col("views"))).toThrow("expected an aggregation");
    expect(() => events().select(col("views").sum(), col("url"))).toThrow("mixes aggregations");
    expect(() => fromRecords([{ a: 1 }, { a: "x" }])).toThrow("column 'a' mixes value types (number, string)");
    expect(() => events().join(events(), { how: "inner" })).toThrow("join needs `on`");
    expect(() => events().join(fromRecords([{ url: 1 }]), { on: "url" })).toThrow("join key col(\"url\") is VARCHAR but col(\"url\") is BIGINT");
    expect(() => events().union(fromRecords([{ a: 1 }]))).toThrow("union needs the same columns");
    expect(() => events().select(lit(1).as(""))).toThrow("non-empty string");
  });

  it("a missing file fails at scan time", async () => {
    await expect(scan.parquet("/nonexistent/dir/events.parquet")).rejects.toThrow(SourceError);
    await expect(scan.parquet("/nonexistent/dir/events.parquet")).rejects.toThrow("file not found: /nonexistent/dir/events.parquet");
    await expect(scan.csv("/nonexistent.csv")).rejects.toThrow(SourceError);
    await expect(scan.csv("/nonexistent.csv", { delimeter: ";" } as never)).rejects.toThrow('scan.csv: unknown option "delimeter"; did you mean "delimiter"?');
    await expect(scan.parquet("/tmp/*.no-such-extension-xyz")).rejects.toThrow("no files match");
  });

  it("a malformed CSV is a SourceError that names the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-csv-"));
    const path = join(dir, "bad.csv");
    writeFileSync(path, 'a,b\n1,"x\n2,y\n3\n');
    const err = await scan.csv(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toContain("bad.csv");
  });

  it("a malformed row found while reading fails the query with a SourceError, and the engine keeps working", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-csv-"));
    const path = join(dir, "typed.csv");
    writeFileSync(path, "a,b\n1,2\n3,4\n");
    const frame = await scan.csv(path);
    writeFileSync(path, "a,b\n1,2\nnot-a-number,4\n"); // changed after the schema was taken
    await expect(frame.collect()).rejects.toThrow(/typed\.csv|Could not convert|CSV/);
    expect(await events().count()).toBe(1);
  });
});
