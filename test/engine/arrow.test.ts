// DuckDB result → Arrow for VARCHAR and BLOB columns (bytes copied into Arrow offsets + data buffers):
// every value must equal what DuckDB itself returns through node-api for the same query.
import * as A from "apache-arrow";
import { DuckDBBlobValue } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultToTable } from "../../src/engine/arrow.js";
import { connect } from "../../src/engine/instance.js";
import { sql } from "../../src/index.js";

let conn: Awaited<ReturnType<typeof connect>>;
beforeAll(async () => {
  conn = await connect();
});
afterAll(() => conn.closeSync());

/** Sluice's Arrow table and DuckDB's own JS values for the same query. */
async function both(query: string): Promise<{ table: A.Table; duck: unknown[][] }> {
  const table = await resultToTable(await conn.run(query));
  const duck = (await conn.runAndReadAll(query)).getColumns();
  return { table, duck };
}

function arrowColumn(table: A.Table, name: string): unknown[] {
  const v = table.getChild(name)!;
  return Array.from({ length: v.length }, (_, i) => v.get(i));
}

describe("Arrow conversion of strings", () => {
  it("multi-byte text, emoji, empty strings and the 12/13-byte inline boundary equal DuckDB's values", async () => {
    const texts = ["", "a", "é", "日本語", "🙂", "👩‍👩‍👧‍👦 family", "exactly12byt", "exactly13byte", "ü".repeat(6), "ü".repeat(7), "x".repeat(1000), "tab\tnew\nline", "'quoted'"];
    const values = texts.map((t) => `('${t.replaceAll("'", "''")}')`).join(", ");
    const { table, duck } = await both(`SELECT s FROM (VALUES ${values}) v(s)`);
    expect(table.schema.fields[0].type).toBeInstanceOf(A.Utf8);
    expect(arrowColumn(table, "s")).toEqual(duck[0]);
    expect(arrowColumn(table, "s")).toEqual(texts);
  });

  it("nulls across chunk boundaries (> 2048 rows), mixed short/long/unicode, equal DuckDB's values", async () => {
    const query = `SELECT i, CASE WHEN i % 7 = 0 OR i IN (2047, 2048, 4095, 4096) THEN NULL
        WHEN i % 5 = 0 THEN ''
        WHEN i % 3 = 0 THEN 'long-🙂-' || repeat('é', (i % 40)::INTEGER) || i::VARCHAR
        ELSE 's' || i::VARCHAR END AS s FROM range(10000) t(i) ORDER BY i`;
    const { table, duck } = await both(query);
    const got = arrowColumn(table, "s");
    expect(got).toEqual(duck[1]);
    expect(table.getChild("s")!.nullCount).toBe((duck[1] as unknown[]).filter((x) => x === null).length);
    expect(got.slice(2046, 2050)).toEqual(["long-🙂-" + "é".repeat(2046 % 40) + "2046", null, null, "long-🙂-" + "é".repeat(2049 % 40) + "2049"]);
  });

  it("strings scanned from a table in shuffled order (not laid out back to back) and a constant column", async () => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE arrow_words AS
      SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE 'word-with-more-than-12-bytes-' || (i * 7919 % 10007)::VARCHAR END AS s
      FROM range(6000) t(i)`);
    const shuffled = await both(`SELECT s FROM arrow_words ORDER BY hash(i)`);
    expect(arrowColumn(shuffled.table, "s")).toEqual(shuffled.duck[0]);
    const constant = await both(`SELECT 'the same long constant string' AS c, NULL::VARCHAR AS n FROM range(5000)`);
    expect(arrowColumn(constant.table, "c")).toEqual(constant.duck[0]);
    expect(arrowColumn(constant.table, "n")).toEqual(constant.duck[1]);
    expect(constant.table.getChild("n")!.nullCount).toBe(5000);
  });

  it("BLOB columns become Arrow Binary with DuckDB's bytes (zero bytes, 0xff, long, null)", async () => {
    const { table, duck } = await both(`SELECT CASE WHEN i % 4 = 0 THEN NULL
        WHEN i % 4 = 1 THEN '\\x00\\xFF\\x01'::BLOB
        WHEN i % 4 = 2 THEN ''::BLOB
        ELSE ('blob-bytes-longer-than-twelve-' || i::VARCHAR)::BLOB END AS b FROM range(5000) t(i) ORDER BY i`);
    expect(table.schema.fields[0].type).toBeInstanceOf(A.Binary);
    const got = arrowColumn(table, "b").map((x) => (x === null ? null : Array.from(x as Uint8Array)));
    const want = (duck[0] as (DuckDBBlobValue | null)[]).map((x) => (x === null ? null : Array.from(x.bytes)));
    expect(got).toEqual(want);
    expect(got[1]).toEqual([0, 255, 1]);
    expect(got[2]).toEqual([]);
  });

  it("ENUM columns (8- and 16-bit dictionaries, unicode entries, nulls) come back as the same Utf8 strings", async () => {
    const small = await both(`SELECT CASE WHEN i % 6 = 0 THEN NULL ELSE (['red', '', '日本🙂', 'a-label-longer-than-sixteen-bytes'][(i % 4 + 1)::INTEGER])::ENUM('red', '', '日本🙂', 'a-label-longer-than-sixteen-bytes') END AS e FROM range(5000) t(i) ORDER BY i`);
    expect(small.table.schema.fields[0].type).toBeInstanceOf(A.Utf8);
    expect(arrowColumn(small.table, "e")).toEqual(small.duck[0]);
    expect(arrowColumn(small.table, "e").slice(0, 4)).toEqual([null, "", "日本🙂", "a-label-longer-than-sixteen-bytes"]);
    await conn.run(`CREATE TYPE IF NOT EXISTS arrow_big_enum AS ENUM (SELECT 'label-' || i::VARCHAR FROM range(1000) t(i))`);
    const big = await both(`SELECT CASE WHEN i % 13 = 0 THEN NULL ELSE ('label-' || (i * 37 % 1000)::VARCHAR)::arrow_big_enum END AS e FROM range(5000) t(i) ORDER BY i`);
    expect(String(big.duck[0][1])).toBe("label-37");
    expect(arrowColumn(big.table, "e")).toEqual(big.duck[0]);
  });

  it("collect() returns the same strings as DuckDB for an empty result and a large one", async () => {
    const text = "SELECT CASE WHEN i % 9 = 0 THEN NULL ELSE 'ü-' || i::VARCHAR END AS s FROM range(30000) t(i) ORDER BY i";
    const frame = await sql(Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray);
    const df = await frame.collect();
    expect(df.column("s")).toEqual((await conn.runAndReadAll(text)).getColumns()[0]);
    const empty = await (await sql`SELECT 'x' AS s WHERE false`).collect();
    expect(empty.numRows).toBe(0);
    expect(empty.column("s")).toEqual([]);
  });
});
