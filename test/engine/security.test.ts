import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { col, fromRecords, lit, scan } from "../../src/index.js";
import { compile } from "../../src/engine/sql/compiler.js";

const EVIL = `a"; DROP TABLE t; --`;
const NASTY = [`it's`, `"double"`, `''; DROP TABLE t; --`, `back\\slash`, `$1 ? :name`, `line\nbreak`, `ünïcødé 🚀`];

describe("identifiers and literals are data, never code", () => {
  const frame = () => fromRecords(NASTY.map((v, i) => ({ [EVIL]: v, i, [`it's`]: i * 2 })));

  it("a column named like an injection round-trips through select, filter, group and sort", async () => {
    const f = frame();
    expect(f.columns).toEqual([EVIL, "i", "it's"]);
    const df = await f.filter(col(EVIL).neq("x")).select(col(EVIL), col("it's").as(`${EVIL}2`)).sort(EVIL).collect();
    expect(df.columns).toEqual([EVIL, `${EVIL}2`]);
    expect(df.column(EVIL)).toEqual([...NASTY].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)));
    const grouped = await f.groupBy(EVIL).agg(col("i").sum().as(`s"um`)).collect();
    expect(grouped.numRows).toBe(NASTY.length);
    expect(grouped.columns).toEqual([EVIL, `s"um`]);
  });

  it("string values full of quotes match exactly as literals", async () => {
    for (const v of NASTY) {
      const df = await frame().filter(col(EVIL).eq(v)).collect();
      expect(df.column("i")).toEqual([NASTY.indexOf(v)]);
      const echoed = await frame().limit(1).select(lit(v).as("v")).collect();
      expect(echoed.column("v")).toEqual([v]);
    }
  });

  it("the generated SQL quotes the identifier and literal", () => {
    const { sql } = compile(frame().filter(col(EVIL).eq(NASTY[2])).plan);
    expect(sql).toContain(`"a""; DROP TABLE t; --"`);
    expect(sql).toContain(`'''''; DROP TABLE t; --'`);
  });

  it("writes and reads back parquet and CSV, paths with quotes included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-it's-"));
    const pq = join(dir, `o'ne.parquet`);
    await frame().write.parquet(pq);
    const back = await (await scan.parquet(pq)).sort("i").collect();
    expect(back.column(EVIL)).toEqual(NASTY);
    const csv = join(dir, `t"wo.csv`);
    await frame().write.csv(csv);
    const backCsv = await (await scan.csv(csv)).sort("i").collect();
    expect(backCsv.column(EVIL)).toEqual(NASTY);
  });
});
