// sql`...` templates: frames as subqueries, values as bound parameters (hostile strings stay data).
import { describe, expect, it } from "vitest";
import { EngineError, col, fromRecords, sql } from "../../src/index.js";

const PEOPLE = [
  { id: 1, name: "Ada", dept: "eng", salary: 120 },
  { id: 2, name: "O'Brien", dept: "ops", salary: 80 },
  { id: 3, name: "Robert'); DROP TABLE people; --", dept: "eng", salary: 100 },
  { id: 4, name: "$1", dept: "sales", salary: 90 },
];
const DEPTS = [
  { dept: "eng", floor: 3 },
  { dept: "ops", floor: 1 },
];
const people = () => fromRecords(PEOPLE);
const depts = () => fromRecords(DEPTS);

describe("sql template", () => {
  it("composes SQL with frames (as subqueries) and values, and stays lazy and composable", async () => {
    const minSalary = 85;
    const q = await sql`
      select p.dept, count(*)::BIGINT as n, sum(p.salary)::BIGINT as total, d.floor
      from ${people().filter(col("id").neq(4))} p left join ${depts()} d using (dept)
      where p.salary >= ${minSalary}
      group by p.dept, d.floor`;
    expect(q.schema).toEqual([
      { name: "dept", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
      { name: "total", type: "BIGINT" },
      { name: "floor", type: "BIGINT" },
    ]);
    const rows = (await q.filter(col("n").gt(0)).sort("dept").collect()).toRecords();
    const kept = PEOPLE.filter((p) => p.id !== 4 && p.salary >= minSalary);
    const expected = [...new Set(kept.map((p) => p.dept))].sort().map((dept) => ({
      dept,
      n: kept.filter((p) => p.dept === dept).length,
      total: kept.filter((p) => p.dept === dept).reduce((a, p) => a + p.salary, 0),
      floor: DEPTS.find((d) => d.dept === dept)?.floor ?? null,
    }));
    expect(rows).toEqual(expected);
    expect((await q.explain()).optimized).toMatch(/^SORT|SQL/m);
  });

  it("hostile strings are bound as data, never spliced into the SQL text", async () => {
    for (const hostile of PEOPLE.map((p) => p.name).concat(["' OR '1'='1", "\"; SELECT 1; --", "${frame}", "\\'"])) {
      const q = await sql`select id, name, ${hostile} as echoed from ${people()} where name = ${hostile}`;
      const rows = (await q.collect()).toRecords();
      expect(rows).toEqual(PEOPLE.filter((p) => p.name === hostile).map((p) => ({ id: p.id, name: p.name, echoed: hostile })));
    }
    // The people frame is intact afterwards (nothing was dropped or changed).
    expect(await people().count()).toBe(PEOPLE.length);
  });

  it("binds numbers, bigints, booleans, dates and null", async () => {
    const when = new Date("2024-03-01T12:34:56Z");
    const q = await sql`select ${2.5} * 2 as d, ${9007199254740993n} as big, ${true} as yes, ${when} as at, ${null}::VARCHAR as nothing`;
    expect((await q.collect()).toRecords()).toEqual([{ d: 5, big: 9007199254740993n, yes: true, at: when, nothing: null }]);
  });

  it("a frame built from sql composes into further frames and templates", async () => {
    const rich = await sql`select * from ${people()} where salary > ${95}`;
    const nested = await sql`select count(*)::BIGINT as n from ${rich.filter(col("dept").eq("eng"))}`;
    expect((await nested.collect()).column("n")).toEqual([PEOPLE.filter((p) => p.salary > 95 && p.dept === "eng").length]);
  });

  it("a final semicolon or a trailing -- comment is fine, as in a SQL editor", async () => {
    const semi = await sql`select 1 as a;`;
    const comment = await sql`select 2 as a -- the answer`;
    const both = await sql`select ${3} as a; -- done
    `;
    const values = await Promise.all([semi, comment, both].map(async (f) => (await f.collect()).column("a")[0]));
    expect(values).toEqual([1, 2, 3]);
  });

  it("bad SQL and bad values fail at once with the engine's words", async () => {
    await expect(sql`select nope from ${people()}`).rejects.toThrow(EngineError);
    await expect(sql`select nope from ${people()}`).rejects.toThrow(/nope/);
    await expect(sql`select ${{ a: 1 } as unknown as string} as x`).rejects.toThrow(/interpolate frames, numbers, strings/);
    await expect(sql`select ${undefined as unknown as string} as x`).rejects.toThrow(/undefined/);
  });
});
