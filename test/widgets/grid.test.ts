// The data grid's paging against the engine itself (no kernel: widgets keep their state locally): every
// page, deep ones included, holds the rows DuckDB's own ORDER BY … LIMIT … OFFSET puts there — in both
// directions, with nulls and with ties in the sort column — and the grid's state reads back as a frame.
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { sql, grid, fromRecords, WidgetError } from "../../src/index.js";

const N = 60_000;
// v has ties (every value 6 times) and nulls (every 1000th row); id is unique.
const SQL = `select range as id, case when range % 1000 = 0 then null else (range * 7) % 10000 end as v, 'k' || (range % 5) as k from range(${N})`;
let db: DuckDBInstance;
const frame = () => sql(Object.assign([SQL], { raw: [SQL] }) as unknown as TemplateStringsArray);

beforeAll(async () => {
  db = await DuckDBInstance.create(":memory:");
});
afterAll(() => db?.closeSync());

async function duck(query: string): Promise<Array<Record<string, unknown>>> {
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(query)).getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  } finally {
    connection.closeSync();
  }
}

const plain = (rows: Array<Record<string, unknown>>) => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
// Rows tied on v come in no fixed order: compare a page as the multiset of (v, k) plus its v sequence.
const shape = (rows: Array<Record<string, unknown>>) => ({ vs: rows.map((r) => r.v), rows: rows.map((r) => `${r.v}/${r.k}`).sort() });

describe("DataGrid paging", () => {
  it("pages an unsorted frame by offset, counting it once", async () => {
    const g = grid(await frame(), { pageSize: 10 });
    await g.ready;
    expect(g.totalRows).toBe(N);
    expect(plain(g.page).map((r) => r.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await g.scrollTo(45_678);
    expect(plain(g.page).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => 45_678 + i));
    await g.scrollTo(N + 5); // past the end: the last page
    expect(plain(g.page).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => N - 10 + i));
    expect(g.stats.countQueries).toBe(1);
  });

  for (const descending of [false, true]) {
    it(`sorted ${descending ? "descending" : "ascending"}: shallow, middle and deep pages hold DuckDB's rows (ties, nulls first)`, async () => {
      const g = grid(await frame(), { pageSize: 25 });
      await g.sortBy("v", descending);
      for (const offset of [0, 30, 12_345, 29_990, 30_000, 47_000, N - 25]) {
        await g.scrollTo(offset);
        expect(g.gridState.offset).toBe(offset);
        const expected = await duck(`select * from (${SQL}) order by v ${descending ? "desc" : "asc"} nulls first limit 25 offset ${offset}`);
        expect(shape(plain(g.page))).toEqual(shape(expected));
      }
    });
  }

  it("filters (a count query, back to the top) and reads its state back as a lazy frame", async () => {
    const g = grid(await frame(), { pageSize: 10, sort: { column: "id", descending: true } });
    await g.filterBy({ column: "k", op: "=", value: "k3" });
    expect(g.totalRows).toBe(N / 5);
    expect(plain(g.page).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => N - 2 - 5 * i));
    expect(g.gridState).toEqual({ offset: 0, sort: { column: "id", descending: true }, filter: { column: "k", op: "=", value: "k3" } });
    const back = await g.frame().slice(0, 3).collect();
    expect(plain(back.toRecords()).map((r) => r.id)).toEqual([N - 2, N - 7, N - 12]);
    await g.filterBy({ column: "v", op: ">=", value: "9990" });
    expect(g.totalRows).toBe((await duck(`select count(*) as n from (${SQL}) where v >= 9990`))[0].n);
    await g.filterBy(undefined);
    expect(g.totalRows).toBe(N);
  });

  it("shows a collected DataFrame too, and says what is wrong with bad options", async () => {
    const df = await fromRecords([{ a: 1 }, { a: 2 }, { a: 3 }]).collect();
    const g = grid(df, { pageSize: 2 });
    await g.sortBy("a", true);
    expect(plain(g.page)).toEqual([{ a: 3 }, { a: 2 }]);
    expect(() => grid(df, { pageSize: 0 })).toThrow(WidgetError);
    expect(() => grid(df, { sort: { column: "nope" } })).toThrow(/no column "nope".*columns: a/);
    await g.filterBy({ column: "a", op: ">", value: "two" });
    expect(g.gridState.filter).toEqual({ column: "a", op: ">", value: "two" });
  });
});
