// pivot / unpivot / explode / unnest and nested (struct, list, map) values, against plain-JS results.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { col, fromRecords, onProgress, scan, type ProgressEvent } from "../../src/index.js";

const SALES = [
  { shop: "north", product: "tea", qty: 3, price: 2.5 },
  { shop: "north", product: "tea", qty: 1, price: 2.5 },
  { shop: "north", product: "cake", qty: 2, price: 4.0 },
  { shop: "south", product: "tea", qty: 5, price: 2.0 },
  { shop: "south", product: "pie", qty: 4, price: 3.0 },
  { shop: "east", product: "cake", qty: 7, price: 4.5 },
];
const sales = () => fromRecords(SALES);
const dir = mkdtempSync(join(tmpdir(), "sluice-reshape-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sumBy(shop: string, product: string): number | null {
  const rows = SALES.filter((s) => s.shop === shop && s.product === product);
  return rows.length ? rows.reduce((a, s) => a + s.qty, 0) : null;
}

describe("pivot and unpivot", () => {
  it("pivot with known values is lazy (no query) and matches a JS pivot", async () => {
    const events: ProgressEvent[] = [];
    const stop = onProgress((e) => events.push(e));
    const wide = sales().pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea", "cake", "pie", "juice"] });
    stop();
    expect(events.filter((e) => e.type === "job.start")).toHaveLength(0);
    expect(wide.columns).toEqual(["shop", "tea", "cake", "pie", "juice"]);
    const rows = (await wide.sort("shop").collect()).toRecords();
    const shops = [...new Set(SALES.map((s) => s.shop))].sort();
    expect(rows).toEqual(shops.map((shop) => ({ shop, tea: sumBy(shop, "tea"), cake: sumBy(shop, "cake"), pie: sumBy(shop, "pie"), juice: null })));
  });

  it("pivot discovers the values with a query (a job) when they are not given", async () => {
    const events: ProgressEvent[] = [];
    const stop = onProgress((e) => events.push(e));
    const wide = await sales().pivot({ on: "product", index: "shop", values: ["qty", "price"], agg: "max" });
    stop();
    expect(events.filter((e) => e.type === "job.start")).toHaveLength(1);
    expect(wide.columns).toEqual(["shop", "qty_cake", "qty_pie", "qty_tea", "price_cake", "price_pie", "price_tea"]);
    const north = (await wide.filter(col("shop").eq("north")).collect()).toRecords()[0];
    expect(north).toEqual({ shop: "north", qty_cake: 2, qty_pie: null, qty_tea: 3, price_cake: 4, price_pie: null, price_tea: 2.5 });
    expect((await wide.explain()).optimized).toMatch(/PIVOT on product \["cake", "pie", "tea"\] \(values discovered by a query\)/);
  });

  it("unpivot turns columns into rows (nulls kept) and undoes a pivot", async () => {
    const wide = sales().pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea", "cake", "pie"] });
    const long = wide.unpivot({ index: "shop", variableName: "product", valueName: "qty" });
    const rows = (await long.collect()).toRecords();
    expect(rows).toHaveLength(3 * 3);
    for (const r of rows) expect(r.qty).toBe(sumBy(r.shop as string, r.product as string));
    const back = (await long.filter(col("qty").isNotNull()).collect()).toRecords();
    const expected = new Set(SALES.map((s) => `${s.shop}/${s.product}`));
    expect(new Set(back.map((r) => `${r.shop}/${r.product}`))).toEqual(expected);
  });

  it("unpivot defaults to every non-index column and rejects mixed kinds", async () => {
    const f = fromRecords([{ id: 1, a: 1, b: 2.5 }]);
    expect((await f.unpivot({ index: "id" }).sort("variable").collect()).toRecords()).toEqual([
      { id: 1, variable: "a", value: 1 },
      { id: 1, variable: "b", value: 2.5 },
    ]);
    expect(() => sales().unpivot({ index: "shop", on: ["product", "qty"] })).toThrow(/unpivot columns of one kind/);
    expect(() => sales().pivot({ on: "prodct", values: "qty", columns: ["tea"] })).toThrow(/did you mean 'product'/);
  });
});

describe("nested values and explode", () => {
  it("valueCounts makes a map: read it, explode it into {key, value} rows, unnest them", async () => {
    const counts = sales().groupBy("shop").agg(col("product").valueCounts().as("products"), col("qty").collectList().as("qtys"));
    expect(counts.schema.find((f) => f.name === "products")?.type).toBe("MAP(VARCHAR, UBIGINT)");
    const withLookups = counts.withColumns(col("products").mapGet("tea").as("teas"), col("products").mapKeys().as("names"), col("qtys").listLen().as("n"));
    const rows = (await withLookups.sort("shop").collect()).toRecords();
    for (const r of rows) {
      const mine = SALES.filter((s) => s.shop === r.shop);
      const expected: Record<string, number> = {};
      for (const s of mine) expected[s.product] = (expected[s.product] ?? 0) + 1;
      expect(r.products).toEqual(expected);
      expect(r.teas).toBe(expected.tea ?? null);
      expect([...(r.names as string[])].sort()).toEqual(Object.keys(expected).sort());
      expect(r.n).toBe(mine.length);
    }
    const exploded = counts.drop("qtys").explode("products").unnest("products", { prefix: "product_" });
    expect(exploded.columns).toEqual(["shop", "product_key", "product_value"]);
    const got = (await exploded.collect()).toRecords().map((r) => `${r.shop}/${r.product_key}=${r.product_value}`).sort();
    const want = [...new Set(SALES.map((s) => `${s.shop}/${s.product}`))]
      .map((k) => `${k}=${SALES.filter((s) => `${s.shop}/${s.product}` === k).length}`)
      .sort();
    expect(got).toEqual(want);
  });

  it("explode a list column: one row per element, empty lists give none", async () => {
    const lists = sales().groupBy("shop").agg(col("qty").collectList().as("qtys"));
    const rows = (await lists.explode("qtys").collect()).toRecords();
    expect(rows.map((r) => `${r.shop}:${r.qtys}`).sort()).toEqual(SALES.map((s) => `${s.shop}:${s.qty}`).sort());
    expect(lists.explode("qtys").schema.find((f) => f.name === "qtys")?.type).toBe("BIGINT");
    expect(() => sales().explode("qty")).toThrow(/list \(T\[\]\) or a map/);
  });

  it("struct, list and map columns in (NDJSON) and out (Parquet, JS values)", async () => {
    const path = join(dir, "movies.ndjson");
    const movies = [
      { title: "Alien", info: { year: 1979, genre: "horror" }, cast: ["Weaver", "Skerritt"] },
      { title: "Heat", info: { year: 1995, genre: "crime" }, cast: ["Pacino", "De Niro", "Kilmer"] },
    ];
    writeFileSync(path, movies.map((m) => JSON.stringify(m)).join("\n"));
    const f = await scan.ndjson(path);
    const shaped = f.withColumns(col("info").field("year").as("year"), col("cast").listGet(0).as("lead"), col("cast").listLen().as("n"));
    const rows = (await shaped.sort("title").collect()).toRecords();
    expect(rows.map((r) => [r.title, r.year, r.lead, r.n])).toEqual(movies.map((m) => [m.title, m.info.year, m.cast[0], m.cast.length]));
    expect(rows.map((r) => r.info)).toEqual(movies.map((m) => m.info));
    const out = join(dir, "movies.parquet");
    await f.unnest("info").write.parquet(out);
    const back = (await (await scan.parquet(out)).sort("title").collect()).toRecords();
    expect(back).toEqual(movies.map((m) => ({ title: m.title, year: m.info.year, genre: m.info.genre, cast: m.cast })));
    expect(() => f.withColumns(col("info").field("yeer"))).toThrow(/fields year, genre/);
  });
});
