// Semantics a Polars user relies on, and the promise that `frame.schema` (known before running) is the
// schema `collect()` returns. Each case was a wrong answer or a late engine error before.
import { describe, expect, it } from "vitest";
import { col, fromColumns, fromRecords, lit } from "../../src/index.js";

const typed = () =>
  fromColumns({ i: [2, -3, 7], f: [2.5, -2.7, 3.5], s: [" \tx\n ", "é ", "y"], d: [new Date("2024-03-10T13:47:00Z"), new Date("1969-12-31T23:00:00Z"), new Date("2024-01-01T00:00:00Z")] }).withColumns(
    col("i").cast("int8").as("i8"),
    col("f").cast("DECIMAL(10,2)").as("dec"),
    col("i").cast("DECIMAL(5,1)").as("dec5"),
    col("d").cast("date").as("day"),
  );

describe("frame.schema is what collect() returns", () => {
  const cases: Array<[string, (f: ReturnType<typeof typed>) => ReturnType<typeof typed>]> = [
    ["int8 * 100", (f) => f.select(col("i8").mul(100).as("x"))],
    ["int8 + int8", (f) => f.select(col("i8").add(col("i8")).as("x"))],
    ["decimal + integer", (f) => f.select(col("dec").add(1).as("x"))],
    ["decimal + decimal", (f) => f.select(col("dec").add(col("dec5")).as("x"))],
    ["decimal - bigint", (f) => f.select(col("dec").sub(col("i")).as("x"))],
    ["decimal * decimal", (f) => f.select(col("dec").mul(col("dec5")).as("x"))],
    ["decimal * integer", (f) => f.select(col("dec").mul(2).as("x"))],
    ["decimal % decimal", (f) => f.select(col("dec").mod(col("dec5")).as("x"))],
    ["decimal * double", (f) => f.select(col("dec").mul(col("f")).as("x"))],
    ["round(decimal, 1)", (f) => f.select(col("dec").round(1).as("x"))],
    ["sum(decimal)", (f) => f.select(col("dec").sum().as("x"))],
    ["mean, min of decimal", (f) => f.select(col("dec").mean().as("x"), col("dec").min().as("y"))],
    ["floor of a DATE", (f) => f.select(col("day").floor("1d").as("a"), col("day").floor("1h").as("b"), col("day").floor("1mo").as("c"), col("day").floor("2d").as("e"))],
    ["floor of a TIMESTAMP", (f) => f.select(col("d").floor("5h").as("a"), col("d").floor("1w").as("b"))],
    ["cast double → int", (f) => f.select(col("f").cast("int32").as("x"))],
    ["union BIGINT with DOUBLE", (f) => f.select("i").union(f.select(col("f").as("i")))],
  ];
  it.each(cases)("%s", async (_name, make) => {
    const frame = make(typed());
    const df = await frame.collect();
    expect(df.schema).toEqual(frame.schema);
  });
});

describe("values", () => {
  it("casting a fraction to an integer cuts toward zero (like Polars and Math.trunc)", async () => {
    const rows = (await typed().select(col("f").cast("int64").as("x"), col("dec").cast("int32").as("y")).collect()).toRecords();
    expect(rows.map((r) => r.x)).toEqual([2.5, -2.7, 3.5].map(Math.trunc));
    expect(rows.map((r) => r.y)).toEqual([2, -2, 3]);
  });

  it("small integer columns do arithmetic in the type the schema shows (no TINYINT overflow)", async () => {
    const rows = (await typed().select(col("i8").mul(100).as("x"), col("i8").add(200).as("y")).collect()).toRecords();
    expect(rows).toEqual([{ x: 200, y: 202 }, { x: -300, y: 197 }, { x: 700, y: 207 }]);
  });

  it("decimal arithmetic is exact", async () => {
    const rows = (await typed().select(col("dec").add(1).as("a"), col("dec").mul(col("dec5")).as("m"), col("dec").sum().over({}).as("total")).collect()).toRecords();
    expect(rows.map((r) => Number(r.a))).toEqual([3.5, -1.7, 4.5]);
    expect(rows.map((r) => Number(r.m))).toEqual([5, 8.1, 24.5]);
  });

  it("trim() removes whitespace, not only spaces", async () => {
    const rows = (await typed().select(col("s").trim().as("t")).collect()).toRecords();
    expect(rows.map((r) => r.t)).toEqual(["x", "é", "y"]);
  });

  it("floor() buckets count from the Unix epoch (like Polars); weeks start on Monday; a DATE stays a DATE", async () => {
    const at = new Date("2024-03-10T13:47:00Z");
    const f = fromColumns({ t: [at] }).withColumns(col("t").cast("date").as("day"));
    const [r] = (await f.select(col("t").floor("2d").as("d2"), col("t").floor("7d").as("d7"), col("t").floor("5h").as("h5"), col("t").floor("15m").as("m15"), col("t").floor("1w").as("w"), col("day").floor("3d").as("day3")).collect()).toRecords();
    const epochFloor = (ms: number) => new Date(Math.floor(at.getTime() / ms) * ms);
    expect(r.d2).toEqual(epochFloor(2 * 86_400_000));
    expect(r.d7).toEqual(epochFloor(7 * 86_400_000));
    expect(r.h5).toEqual(epochFloor(5 * 3_600_000));
    expect(r.m15).toEqual(epochFloor(15 * 60_000));
    expect(r.w).toEqual(new Date("2024-03-04T00:00:00Z")); // the Monday before
    expect(r.day3).toEqual(epochFloor(3 * 86_400_000));
  });

  it("sample({ fraction }) takes any fraction; the seed repeats the rows", async () => {
    const f = fromColumns({ i: Array.from({ length: 20_000 }, (_, i) => i) });
    for (const fraction of [0.07, 0.333, 0.005, 0.00001]) {
      const n = await f.sample({ fraction, seed: 7 }).count();
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(Math.max(5, 20_000 * fraction * 1.5));
    }
    const a = (await f.sample({ fraction: 0.333, seed: 11 }).sort("i").collect()).column("i");
    const b = (await f.sample({ fraction: 0.333, seed: 11 }).sort("i").collect()).column("i");
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(5_000);
    expect(() => f.sample({ fraction: 0.1, seed: 2 ** 32 + 7 })).toThrow(/seed must be an integer from 0 to 2147483647, got 4294967303/);
    expect(() => f.sample({ fraction: 0.1, seed: 1.9 })).toThrow(/seed must be an integer/);
  });

  it("limit() and slice() take counts past 2^31", async () => {
    const f = fromColumns({ i: [1, 2, 3] });
    expect(await f.limit(2 ** 31).count()).toBe(3);
    expect(await f.slice(1, 2 ** 40).count()).toBe(2);
  });

  it("union widens numbers and refuses other mixes", async () => {
    const ints = fromColumns({ a: [1], b: ["x"] });
    const floats = fromColumns({ a: [1.5], b: ["q"] });
    expect((await ints.union(floats).sort("a").collect()).column("a")).toEqual([1, 1.5]);
    expect(() => fromColumns({ a: [new Date(0)] }).union(fromColumns({ a: ["hello"] }))).toThrow(/union: column 'a' is TIMESTAMP on one side and VARCHAR on the other; cast one side/);
  });
});

describe("mistakes fail where they are written", () => {
  const people = () => fromRecords([{ age: 30, name: "Ada" }]);
  it("isIn() with values of another type", () => {
    expect(() => people().filter(col("age").isIn(["x"]))).toThrow(/every value must be comparable with the column: col\("age"\) is BIGINT, lit\("x"\) is VARCHAR/);
  });
  it("an aggregation inside another", () => {
    expect(() => people().select(col("age").sum().sum())).toThrow(/col\("age"\)\.sum\(\) is an aggregation inside another/);
    expect(() => people().groupBy("name").agg(col("age").max().add(col("age").sum().mean()))).toThrow(/aggregation inside another/);
  });
  it("a zero duration, a non-integer round, a keyed cross join", () => {
    expect(() => col("t").floor("0h")).toThrow(/the duration must be at least 1 hour/);
    expect(() => col("a").round("x" as unknown as number)).toThrow(/decimals must be an integer, got "x"/);
    expect(() => people().join(people(), { how: "cross", on: "age" })).toThrow(/cross join .* takes no keys/);
  });
  it("fillNull with a value of another type names fillNull", () => {
    expect(() => people().select(col("age").fillNull(lit("x")))).toThrow(/col\("age"\)\.fillNull\(lit\("x"\)\): the fill value must have the column's type/);
  });
  it("two aggregations with one name in select()", () => {
    expect(() => people().select(col("age").sum(), col("age").max())).toThrow(/two outputs are named 'age'/);
  });
});
