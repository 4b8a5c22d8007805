// JS functions as DuckDB scalar functions: results against the same function applied in JS, use in
// filters/aggregations/windows, and a throwing function failing only its query.
import { describe, expect, it } from "vitest";
import { EngineError, col, fromRecords, sql, udf } from "../../src/index.js";

const ROWS = Array.from({ length: 5000 }, (_, i) => ({
  id: i,
  x: (i * 37) % 101,
  name: `item-${i % 13}`,
  at: new Date(Date.UTC(2024, 0, 1 + (i % 28))),
  maybe: i % 7 === 0 ? null : i / 4,
}));
const frame = () => fromRecords(ROWS);

describe("udf", () => {
  it("computes what the JS function computes, over many chunks", async () => {
    const score = (x: number, name: string) => x * 1.5 + name.length;
    const f = udf(score, { returns: "double" });
    const rows = (await frame().withColumns(f(col("x"), col("name")).as("score")).sort("id").collect()).toRecords();
    expect(rows.map((r) => r.score)).toEqual(ROWS.map((r) => score(r.x, r.name)));
  });

  it("takes dates, gives strings, booleans and integers; nulls stay null", async () => {
    const weekday = udf((d: Date) => ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()], { returns: "string" });
    const even = udf((x: number) => x % 2 === 0, { returns: "bool" });
    const twice = udf((v: number) => Math.round(v * 2), { returns: "int64" });
    const nothing = udf(() => undefined, { returns: "double" });
    const df = await frame()
      .withColumns(weekday(col("at")).as("wd"), even(col("x")).as("even"), twice(col("maybe")).as("twice"), nothing(col("x")).as("none"))
      .sort("id")
      .collect();
    expect(df.column("wd")).toEqual(ROWS.map((r) => ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][r.at.getUTCDay()]));
    expect(df.column("even")).toEqual(ROWS.map((r) => r.x % 2 === 0));
    expect(df.column("twice")).toEqual(ROWS.map((r) => (r.maybe === null ? null : Math.round(r.maybe * 2))));
    expect(df.column("none").every((v) => v === null)).toBe(true);
    expect(df.schema.find((f) => f.name === "twice")?.type).toBe("BIGINT");
  });

  it("takes zoned timestamps as Dates, decimals as numbers, lists as arrays and structs as objects", async () => {
    const q = await sql`select TIMESTAMPTZ '2024-03-01 12:00:00+00' as tz, 12.5::DECIMAL(6,2) as price, [1, 2, 3] as xs, {'a': 1, 'b': 'x'} as s`;
    const hour = udf((d: Date) => d.getUTCHours(), { returns: "int64" });
    const cents = udf((p: number) => p.toFixed(2), { returns: "string" });
    const total = udf((xs: number[]) => xs.reduce((a, b) => a + b, 0), { returns: "int64" });
    const label = udf((s: { a: number; b: string }) => `${s.b}${s.a}`, { returns: "string" });
    const [row] = (await q.select(hour(col("tz")).as("h"), cents(col("price")).as("c"), total(col("xs")).as("t"), label(col("s")).as("l")).collect()).toRecords();
    expect(row).toEqual({ h: 12, c: "12.50", t: 6, l: "x1" });
  });

  it("works in filters, aggregations and windows like any expression", async () => {
    const bucket = udf((x: number) => Math.floor(x / 10), { returns: "int64" });
    const rows = (await frame().filter(bucket(col("x")).lt(3)).groupBy(bucket(col("x")).as("b")).agg(col("x").sum().as("s")).sort("b").collect()).toRecords();
    const expected = new Map<number, number>();
    for (const r of ROWS) if (Math.floor(r.x / 10) < 3) expected.set(Math.floor(r.x / 10), (expected.get(Math.floor(r.x / 10)) ?? 0) + r.x);
    expect(rows).toEqual([...expected].sort((a, b) => a[0] - b[0]).map(([b, s]) => ({ b, s })));
    const running = await frame().withColumns(bucket(col("x")).sum().over({ orderBy: "id" }).as("r")).sort("id").limit(3).collect();
    expect(running.column("r")).toEqual([0, 3, 10].map((_, i) => ROWS.slice(0, i + 1).reduce((a, r) => a + Math.floor(r.x / 10), 0)));
  });

  it("a throw fails that query with the JS stack; the engine and process stay healthy", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    try {
      const fragile = udf(function parsePrice(x: number) {
        if (x === 42) throw new RangeError(`no price for ${x}`);
        return x;
      }, { returns: "double" });
      const err = await frame().withColumns(fragile(col("x")).as("p")).collect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      const message = (err as Error).message;
      expect(message).toContain("udf \"parsePrice\" failed");
      expect(message).toContain("RangeError: no price for 42");
      expect(message).toMatch(/at parsePrice \(.*udf\.test\.ts/); // the JS stack, pointing at the user's code
      const wrongType = udf(() => "text", { returns: "double", name: "wrongType" });
      await expect(frame().withColumns(wrongType(col("x")).as("w")).collect()).rejects.toThrow(/returned "text" \(string\) where a number was declared/);
      // Same engine, next queries run, including the same function on rows where it does not throw.
      expect(await frame().filter(col("x").neq(42)).withColumns(fragile(col("x")).as("p")).count()).toBe(ROWS.filter((r) => r.x !== 42).length);
      expect(await frame().count()).toBe(ROWS.length);
    } finally {
      process.off("uncaughtException", onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it("rejects unsupported declarations with the fix", () => {
    expect(() => udf((x: number) => x, { returns: "decimal" })).toThrow(/use double, int64, int32, float32, string or bool/);
    expect(() => udf(42 as unknown as () => number, { returns: "double" })).toThrow(/fn must be a function/);
    expect(() => udf((x: number) => x, { returns: "double" })()).toThrow(/at least one expression/);
  });
});
