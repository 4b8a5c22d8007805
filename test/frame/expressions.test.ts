import { describe, expect, it } from "vitest";
import { coalesce, col, concatStr, fromRecords, lit, struct } from "../../src/index.js";
import { PEOPLE } from "./fixtures.js";

const people = () => fromRecords(PEOPLE).sort("id");
async function values(e: Parameters<ReturnType<typeof people>["select"]>[0]): Promise<unknown[]> {
  const df = await people().select(e).collect();
  return df.column(df.columns[0]);
}

describe("expressions", () => {
  it("arithmetic: add, sub, mul, div, mod, neg, abs, round", async () => {
    expect(await values(col("salary").add(col("id")).as("v"))).toEqual(PEOPLE.map((p) => p.salary + p.id));
    expect(await values(col("salary").sub(5).as("v"))).toEqual(PEOPLE.map((p) => p.salary - 5));
    expect(await values(col("salary").mul(1.5).as("v"))).toEqual(PEOPLE.map((p) => p.salary * 1.5));
    expect(await values(col("salary").div(col("id")).as("v"))).toEqual(PEOPLE.map((p) => p.salary / p.id));
    expect(await values(col("salary").mod(7).as("v"))).toEqual(PEOPLE.map((p) => p.salary % 7));
    expect(await values(col("id").neg().abs().as("v"))).toEqual(PEOPLE.map((p) => p.id));
    expect(await values(col("salary").div(7).round(2).as("v"))).toEqual(PEOPLE.map((p) => Math.round((p.salary / 7) * 100) / 100));
  });

  it("comparisons: eq, neq, lt, le, gt, ge", async () => {
    const ops = { eq: (a: number) => a === 100, neq: (a: number) => a !== 100, lt: (a: number) => a < 100, le: (a: number) => a <= 100, gt: (a: number) => a > 100, ge: (a: number) => a >= 100 };
    for (const [op, f] of Object.entries(ops)) {
      const e = (col("salary") as unknown as Record<string, (v: number) => ReturnType<typeof col>>)[op](100).as("v");
      expect(await values(e), op).toEqual(PEOPLE.map((p) => f(p.salary)));
    }
  });

  it("boolean logic: and, or, not; isIn", async () => {
    expect(await values(col("dept").eq("eng").or(col("salary").lt(75)).not().as("v"))).toEqual(
      PEOPLE.map((p) => !(p.dept === "eng" || p.salary < 75)),
    );
    expect(await values(col("dept").isIn(["ops", "sales"]).as("v"))).toEqual(PEOPLE.map((p) => ["ops", "sales"].includes(p.dept)));
  });

  it("nulls: isNull, isNotNull, fillNull, coalesce", async () => {
    expect(await values(col("age").isNull().as("v"))).toEqual(PEOPLE.map((p) => p.age === null));
    expect(await values(col("age").isNotNull().as("v"))).toEqual(PEOPLE.map((p) => p.age !== null));
    expect(await values(col("age").fillNull(0).as("v"))).toEqual(PEOPLE.map((p) => p.age ?? 0));
    expect(await values(coalesce(col("age"), col("id")).as("v"))).toEqual(PEOPLE.map((p) => p.age ?? p.id));
  });

  it("cast between numbers and text", async () => {
    expect(await values(col("salary").cast("string").as("v"))).toEqual(PEOPLE.map((p) => String(p.salary)));
    expect(await values(col("salary").cast("string").cast("int32").add(1).as("v"))).toEqual(PEOPLE.map((p) => p.salary + 1));
    const df = await people().select(col("id").cast("float64").as("f")).collect();
    expect(df.schema).toEqual([{ name: "f", type: "DOUBLE" }]);
  });

  it("strings: lower, upper, trim, length, contains, startsWith, endsWith, replace", async () => {
    expect(await values(col("name").lower().as("v"))).toEqual(PEOPLE.map((p) => p.name.toLowerCase()));
    expect(await values(col("name").upper().as("v"))).toEqual(PEOPLE.map((p) => p.name.toUpperCase()));
    expect(await values(col("name").trim().as("v"))).toEqual(PEOPLE.map((p) => p.name.trim()));
    expect(await values(col("name").length().as("v"))).toEqual(PEOPLE.map((p) => p.name.length));
    expect(await values(col("name").contains("e").as("v"))).toEqual(PEOPLE.map((p) => p.name.includes("e")));
    expect(await values(col("name").startsWith("D").as("v"))).toEqual(PEOPLE.map((p) => p.name.startsWith("D")));
    expect(await values(col("name").endsWith("e").as("v"))).toEqual(PEOPLE.map((p) => p.name.endsWith("e")));
    expect(await values(col("name").replace("e", "E").as("v"))).toEqual(PEOPLE.map((p) => p.name.replaceAll("e", "E")));
  });

  it("regexp match/extract, split, concatStr", async () => {
    expect(await values(col("name").regexpMatch("^[A-Z][a-z]+$").as("v"))).toEqual(PEOPLE.map((p) => /^[A-Z][a-z]+$/.test(p.name)));
    expect(await values(col("name").regexpExtract("([a-z])([a-z])", 2).as("v"))).toEqual(
      PEOPLE.map((p) => /([a-z])([a-z])/.exec(p.name)?.[2] ?? ""),
    );
    expect(await values(col("name").trim().split("e").as("v"))).toEqual(PEOPLE.map((p) => p.name.trim().split("e")));
    expect(await values(concatStr([col("dept"), col("id")], "|").as("v"))).toEqual(PEOPLE.map((p) => `${p.dept}|${p.id}`));
  });

  it("date/time: floor, parts, format, parse", async () => {
    const hours = (await values(col("joined").floor("1h").as("v"))) as Date[];
    expect(hours.map((d) => d.toISOString())).toEqual(
      PEOPLE.map((p) => new Date(Math.floor(p.joined.getTime() / 3_600_000) * 3_600_000).toISOString()),
    );
    const q = (await values(col("joined").floor("15m").as("v"))) as Date[];
    expect(q.map((d) => d.getTime())).toEqual(PEOPLE.map((p) => Math.floor(p.joined.getTime() / 900_000) * 900_000));
    const days = (await values(col("joined").floor("1d").as("v"))) as Date[];
    expect(days.map((d) => d.toISOString().slice(0, 10))).toEqual(PEOPLE.map((p) => p.joined.toISOString().slice(0, 10)));
    expect(await values(col("joined").year().as("v"))).toEqual(PEOPLE.map((p) => p.joined.getUTCFullYear()));
    expect(await values(col("joined").month().as("v"))).toEqual(PEOPLE.map((p) => p.joined.getUTCMonth() + 1));
    expect(await values(col("joined").day().as("v"))).toEqual(PEOPLE.map((p) => p.joined.getUTCDate()));
    expect(await values(col("joined").hour().as("v"))).toEqual(PEOPLE.map((p) => p.joined.getUTCHours()));
    expect(await values(col("joined").minute().as("v"))).toEqual(PEOPLE.map((p) => p.joined.getUTCMinutes()));
    expect(await values(col("joined").second().as("v"))).toEqual(PEOPLE.map((p) => p.joined.getUTCSeconds()));
    expect(await values(col("joined").format("%Y-%m-%d %H:%M").as("v"))).toEqual(
      PEOPLE.map((p) => p.joined.toISOString().slice(0, 16).replace("T", " ")),
    );
    const parsed = (await values(lit("2024-03-05 06:07:08").parse("%Y-%m-%d %H:%M:%S").as("v"))) as Date[];
    expect(parsed[0].toISOString()).toBe("2024-03-05T06:07:08.000Z");
  });

  it("literals of every kind and struct()", async () => {
    const df = await people()
      .limit(1)
      .select(lit(1).as("i"), lit(2.5).as("f"), lit("it's").as("s"), lit(true).as("b"), lit(null).as("n"), lit(new Date("2024-01-02T03:04:05Z")).as("d"))
      .collect();
    expect(df.toRecords()).toEqual([{ i: 1, f: 2.5, s: "it's", b: true, n: null, d: new Date("2024-01-02T03:04:05Z") }]);
    const st = await people().limit(1).select(struct({ a: col("id"), b: col("name") }).as("s")).collect();
    expect(st.toRecords()).toEqual([{ s: { a: 1, b: "Ada" } }]);
  });

  it("output names follow Polars: alias, else the leftmost column", async () => {
    const df = await people().select(col("salary").add(col("id")), lit(3).as("three")).collect();
    expect(df.columns).toEqual(["salary", "three"]);
  });
});
