import { describe, expect, it } from "vitest";
import { col, count, fromColumns, fromRecords, lit, when } from "../../src/index.js";
import { DEPTS, PEOPLE, sortBy } from "./fixtures.js";

const people = () => fromRecords(PEOPLE);
const depts = () => fromRecords(DEPTS);

describe("verbs", () => {
  it("select picks and computes columns", async () => {
    const rows = (await people().select("id", col("salary").mul(2).as("double")).sort("id").collect()).toRecords();
    expect(rows).toEqual(PEOPLE.map((p) => ({ id: p.id, double: p.salary * 2 })));
  });

  it("withColumns adds and replaces columns, keeping the others in order", async () => {
    const df = await people().withColumns(col("salary").add(1), col("id").mul(10).as("id10")).sort("id").collect();
    expect(df.columns).toEqual(["id", "name", "dept", "salary", "age", "joined", "id10"]);
    expect(df.column("salary")).toEqual(PEOPLE.map((p) => p.salary + 1));
    expect(df.column("id10")).toEqual(PEOPLE.map((p) => p.id * 10));
  });

  it("filter keeps matching rows", async () => {
    const df = await people().filter(col("salary").gt(90).and(col("dept").eq("eng"))).sort("id").collect();
    expect(df.column("id")).toEqual(PEOPLE.filter((p) => p.salary > 90 && p.dept === "eng").map((p) => p.id));
  });

  it("groupBy().agg() computes every aggregation", async () => {
    const df = await people()
      .groupBy("dept")
      .agg(
        count().as("n"),
        col("age").count().as("ages"),
        col("salary").sum().as("total"),
        col("salary").mean().as("avg"),
        col("salary").min().as("lo"),
        col("salary").max().as("hi"),
        col("name").nUnique().as("names"),
        col("salary").median().as("med"),
        col("salary").collectList().as("all"),
      )
      .sort("dept")
      .collect();
    const expected = sortBy([...new Set(PEOPLE.map((p) => p.dept))], (d) => d).map((dept) => {
      const g = PEOPLE.filter((p) => p.dept === dept);
      const s = g.map((p) => p.salary).sort((a, b) => a - b);
      const med = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      return {
        dept,
        n: g.length,
        ages: g.filter((p) => p.age !== null).length,
        total: s.reduce((a, b) => a + b, 0),
        avg: s.reduce((a, b) => a + b, 0) / s.length,
        lo: s[0],
        hi: s[s.length - 1],
        names: new Set(g.map((p) => p.name)).size,
        med,
      };
    });
    const rows = df.toRecords().map((r) => ({ ...r, all: undefined }));
    expect(rows).toEqual(expected.map((e) => ({ ...e, all: undefined })));
    expect(df.toRecords().map((r) => [...(r.all as number[])].sort())).toEqual(
      expected.map((e) => PEOPLE.filter((p) => p.dept === e.dept).map((p) => p.salary).sort()),
    );
  });

  it("std, quantile, first, last and valueCounts", async () => {
    const df = await people()
      .sort("id")
      .groupBy("dept")
      .agg(col("salary").std().as("sd"), col("salary").quantile(0.5).as("q"), col("name").valueCounts().as("vc"))
      .filter(col("dept").eq("eng"))
      .collect();
    const s = PEOPLE.filter((p) => p.dept === "eng").map((p) => p.salary);
    const mean = s.reduce((a, b) => a + b) / s.length;
    const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (s.length - 1));
    const [row] = df.toRecords();
    expect(row.sd as number).toBeCloseTo(sd, 10);
    expect(row.q).toBe(120);
    expect(row.vc).toEqual({ Ada: 1, " Cy ": 1, eve: 1 });
    const fl = await people().select(col("id").min().as("first_id"), col("salary").first().as("f"), col("salary").last().as("l")).collect();
    expect(fl.toRecords()[0].first_id).toBe(1);
    expect(PEOPLE.map((p) => p.salary)).toContain(fl.toRecords()[0].f);
  });

  it("first, last and collectList follow an earlier sort, through projections and filters (like Polars)", async () => {
    // Enough rows that DuckDB aggregates in parallel: without the sort's order the picks are arbitrary.
    const N = 300_000;
    const g = Array.from({ length: N }, (_, i) => i % 10);
    const v = Array.from({ length: N }, (_, i) => (i * 7919) % N);
    const w = Array.from({ length: N }, (_, i) => i);
    const frame = fromColumns({ g, v, w });
    const byMax = (await frame.sort("v", { descending: true }).groupBy("g").agg(col("v").first().as("first"), col("v").last().as("last"), col("v").max(), col("v").min().as("min"), col("v").collectList().as("list")).collect()).toRecords();
    expect(byMax).toHaveLength(10);
    for (const r of byMax) {
      expect(r.first).toBe(r.v);
      expect(r.last).toBe(r.min);
      const list = [...(r.list as Iterable<number>)];
      expect(list).toEqual([...list].sort((a, b) => b - a));
    }
    // The sort key is dropped by a select, then a filter and an overriding withColumns come in between.
    const lowest = new Map<number, number>();
    for (let i = 0; i < N; i++) if (g[i] < 5 && (!lowest.has(g[i]) || v[i] < v[lowest.get(g[i])!])) lowest.set(g[i], i);
    const picked = await frame.sort("v").withColumns(col("v").mul(-1)).select("g", col("w").as("x")).filter(col("g").lt(5)).groupBy("g").agg(col("x").first().as("x")).sort("g").collect();
    expect(picked.toRecords()).toEqual([...lowest].sort(([a], [b]) => a - b).map(([key, i]) => ({ g: key, x: w[i] })));
    const global = (await frame.sort("v", { descending: true }).select(col("w").first().as("w")).collect()).toRecords();
    expect(global).toEqual([{ w: v.indexOf(N - 1) }]);
  });

  it("select with only aggregations is a global aggregation", async () => {
    const df = await people().select(count(), col("salary").sum()).collect();
    expect(df.toRecords()).toEqual([{ count: PEOPLE.length, salary: PEOPLE.reduce((a, p) => a + p.salary, 0) }]);
  });

  it("joins: inner, left, right, full, semi, anti, cross", async () => {
    const names = async (how: "inner" | "left" | "right" | "full" | "semi" | "anti") =>
      (await people().join(depts(), { on: "dept", how }).collect()).toRecords();
    const inner = await names("inner");
    expect(sortBy(inner, (r) => r.id as number).map((r) => [r.id, r.floor])).toEqual(
      PEOPLE.filter((p) => DEPTS.some((d) => d.dept === p.dept)).map((p) => [p.id, DEPTS.find((d) => d.dept === p.dept)!.floor]),
    );
    const left = await names("left");
    expect(left.length).toBe(PEOPLE.length);
    expect(left.find((r) => r.id === 4)!.floor).toBeNull();
    const right = await names("right");
    expect(right.filter((r) => r.dept === "hr")).toEqual([{ id: null, name: null, dept: "hr", salary: null, age: null, joined: null, floor: 2 }]);
    const full = await names("full");
    expect(full.length).toBe(PEOPLE.length + 1);
    expect(full.map((r) => r.dept).sort()).toEqual([...PEOPLE.map((p) => p.dept), "hr"].sort());
    const semi = await names("semi");
    expect(semi.map((r) => r.id).sort()).toEqual(PEOPLE.filter((p) => p.dept !== "sales").map((p) => p.id));
    expect(Object.keys(semi[0])).toEqual(["id", "name", "dept", "salary", "age", "joined"]);
    const anti = await names("anti");
    expect(anti.map((r) => r.id)).toEqual([4]);
    const cross = await people().select("id").join(depts().select("floor"), { how: "cross" }).count();
    expect(cross).toBe(PEOPLE.length * DEPTS.length);
  });

  it("joins on expressions with leftOn/rightOn and suffixes colliding names", async () => {
    const other = fromRecords([{ key: "ENG", name: "engineering" }]);
    const df = await people().join(other, { leftOn: col("dept").upper(), rightOn: "key" }).sort("id").collect();
    expect(df.column("id")).toEqual(PEOPLE.filter((p) => p.dept === "eng").map((p) => p.id));
    expect(df.columns).toContain("name_right");
    expect(df.column("name_right")).toEqual(["engineering", "engineering", "engineering"]);
  });

  it("sort by several keys, descending, nulls first/last", async () => {
    const byDeptSalary = (await people().sort(["dept", "salary"], { descending: [false, true] }).collect()).column("id");
    expect(byDeptSalary).toEqual(
      [...PEOPLE].sort((a, b) => (a.dept === b.dept ? b.salary - a.salary : a.dept < b.dept ? -1 : 1)).map((p) => p.id),
    );
    const nullsFirst = (await people().sort("age").collect()).column("age");
    expect(nullsFirst[0]).toBeNull();
    const nullsLast = (await people().sort("age", { descending: true, nullsLast: true }).collect()).column("age");
    expect(nullsLast).toEqual([...PEOPLE.map((p) => p.age).filter((a) => a !== null).sort((a, b) => b! - a!), null]);
  });

  it("limit, head and slice", async () => {
    const sorted = people().sort("id");
    expect((await sorted.limit(2).collect()).column("id")).toEqual([1, 2]);
    expect((await sorted.head().collect()).numRows).toBe(5);
    expect((await sorted.slice(2, 3).collect()).column("id")).toEqual([3, 4, 5]);
  });

  it("unique, on all columns and on a subset", async () => {
    const doubled = people().union(people());
    expect(await doubled.count()).toBe(PEOPLE.length * 2);
    expect(await doubled.unique().count()).toBe(PEOPLE.length);
    expect(await people().unique("dept").count()).toBe(new Set(PEOPLE.map((p) => p.dept)).size);
    // several columns, as arguments or as an array
    const pairs = new Set(PEOPLE.map((p) => JSON.stringify([p.dept, p.name]))).size;
    expect(await people().unique("dept", "name").count()).toBe(pairs);
    expect(await people().unique(["dept", "name"]).count()).toBe(pairs);
  });

  it("rename and drop", async () => {
    const df = await people().rename({ name: "who" }).drop("joined", "age").collect();
    expect(df.columns).toEqual(["id", "who", "dept", "salary"]);
  });

  it("union stacks frames by column name", async () => {
    const a = fromRecords([{ x: 1, y: "a" }]);
    const b = fromRecords([{ y: "b", x: 2 }]);
    const df = await a.union(b).sort("x").collect();
    expect(df.toRecords()).toEqual([{ x: 1, y: "a" }, { x: 2, y: "b" }]);
  });

  it("sample takes n rows or a fraction, repeatably", async () => {
    const many = fromRecords(Array.from({ length: 1000 }, (_, i) => ({ i })));
    expect(await many.sample({ n: 10 }).count()).toBe(10);
    const a = (await many.sample({ n: 10, seed: 7 }).sort("i").collect()).column("i");
    const b = (await many.sample({ n: 10, seed: 7 }).sort("i").collect()).column("i");
    expect(a).toEqual(b);
    const frac = await many.sample({ fraction: 0.5 }).count();
    expect(frac).toBeGreaterThan(350);
    expect(frac).toBeLessThan(650);
  });

  it("describe gives count, nulls, mean, std, min, median, max per column", async () => {
    const df = await people().select("salary", "age", "dept").describe();
    const rows = df.toRecords();
    const stat = (s: string) => rows.find((r) => r.statistic === s)!;
    expect(stat("count").salary).toBe(6);
    expect(stat("null_count").age).toBe(1);
    expect(stat("mean").salary).toBeCloseTo(PEOPLE.reduce((a, p) => a + p.salary, 0) / 6);
    expect(stat("min").dept).toBe("eng");
    expect(stat("max").dept).toBe("sales");
  });

  it("cache() computes once and later queries read the cached rows", async () => {
    const cached = await people().filter(col("dept").eq("eng")).cache();
    expect(cached.plan.kind).toBe("scan");
    expect(await cached.count()).toBe(3);
    expect((await cached.select(col("salary").sum()).collect()).toRecords()).toEqual([{ salary: 350 }]);
  });

  it("count() and stream()", async () => {
    expect(await people().filter(col("age").isNull()).count()).toBe(1);
    const many = fromRecords(Array.from({ length: 20000 }, (_, i) => ({ i })));
    let rows = 0;
    let sum = 0;
    for await (const batch of many.stream()) {
      rows += batch.numRows;
      for (const v of batch.getChild("i")!) sum += Number(v);
    }
    expect(rows).toBe(20000);
    expect(sum).toBe((19999 * 20000) / 2);
  });

  it("when/then/otherwise with several branches", async () => {
    const df = await people()
      .select("id", when(col("salary").ge(120)).then(lit("high")).when(col("salary").ge(90)).then(lit("mid")).otherwise(lit("low")).as("band"))
      .sort("id")
      .collect();
    expect(df.column("band")).toEqual(PEOPLE.map((p) => (p.salary >= 120 ? "high" : p.salary >= 90 ? "mid" : "low")));
  });
});
