// Types across the JS ↔ DuckDB boundary: Arrow decimals going in, and the DuckDB types Arrow has no plain
// JS value for (TIME, INTERVAL, UNION, …) coming out readable, the same through collect() and stream().
import * as A from "apache-arrow";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromArrow, scan, sql } from "../../src/index.js";

/** A Decimal(10,2) column built with apache-arrow: values are the unscaled integers (1.25 → 125). */
function decimalTable(): A.Table {
  const type = new A.Decimal(2, 10, 128);
  const unscaled = [125n, null, -310n, 99999999n];
  const words = new Uint32Array(unscaled.length * 4);
  const nullBitmap = new Uint8Array([0b1101]);
  unscaled.forEach((v, i) => {
    const x = BigInt.asUintN(128, v ?? 0n);
    for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((x >> BigInt(32 * w)) & 0xffffffffn);
  });
  const data = A.makeData({ type, length: unscaled.length, nullCount: 1, nullBitmap, data: words });
  return new A.Table({ d: A.makeVector(data) });
}

describe("Arrow decimals into the engine", () => {
  it("fromArrow loads Decimal(10,2) as DECIMAL(10,2) with its real values (was 125 for 1.25)", async () => {
    const f = fromArrow(decimalTable());
    expect(f.schema).toEqual([{ name: "d", type: "DECIMAL(10,2)" }]);
    expect((await f.collect()).column("d")).toEqual([1.25, null, -3.1, 999999.99]);
  });

  it("scan.arrow of an IPC file with a decimal column reads the same values", async () => {
    const d = mkdtempSync(join(tmpdir(), "sluice-types-"));
    const path = join(d, "d.arrow");
    writeFileSync(path, A.tableToIPC(decimalTable(), "file"));
    const f = await scan.arrow(path);
    expect((await f.collect()).column("d")).toEqual([1.25, null, -3.1, 999999.99]);
  });
});

describe("DuckDB types without a plain JS value come back readable", () => {
  const query = () =>
    sql`SELECT TIME '12:34:56.789' AS t, TIMETZ '12:34:56+02' AS tz, INTERVAL '1 month 2 days 3 hours 0.5 seconds' AS i,
      union_value(num := 2)::UNION(num INTEGER, s VARCHAR) AS u, [INTERVAL 1 day] AS li, {'a': TIME '01:02:03'} AS st, NULL::TIME AS tn`;
  const expected = { t: "12:34:56.789", tz: "12:34:56+02", i: "1 month 2 days 03:00:00.5", u: "2", li: ["1 day"], st: { a: "01:02:03" }, tn: null };

  it("collect()", async () => {
    expect((await (await query()).collect()).toRecords()).toEqual([expected]);
  });

  it("stream() gives the same values as collect()", async () => {
    const batches: A.RecordBatch[] = [];
    for await (const b of (await query()).stream()) batches.push(b);
    expect(batches).toHaveLength(1);
    const row = batches[0].get(0)!.toJSON() as Record<string, unknown>;
    expect({ ...row, li: [...(row.li as Iterable<unknown>)], st: (row.st as { toJSON(): unknown }).toJSON() }).toEqual(expected);
  });

  it("stream() splits a large result into batches with every row and null kept", async () => {
    const q = await sql`SELECT range AS i, CASE WHEN range % 3 = 0 THEN NULL ELSE range::VARCHAR END AS s FROM range(20000)`;
    let rows = 0;
    let nulls = 0;
    for await (const b of q.stream()) {
      rows += b.numRows;
      nulls += b.getChild("s")!.nullCount;
      expect(b.getChild("i")!.get(0)).toBe(BigInt(rows - b.numRows));
    }
    expect(rows).toBe(20000);
    expect(nulls).toBe(6667);
  });
});
