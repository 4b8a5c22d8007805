// Column names and map keys that are special to plain JS objects ("__proto__") stay ordinary own keys in
// records, in the frame+json display, in inlined chart data and in describe().
import { describe, expect, it } from "vitest";
import * as vl from "vega-lite";
import * as vega from "vega";
import { FRAME_MIME, sql } from "../../src/index.js";

const display = (x: object) => (x as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]();

describe("records with a column named __proto__", () => {
  it("toRecords() keeps it as an own key with its value and a normal prototype", async () => {
    const df = await (await sql`select range as "__proto__", range * 10 as constructor, MAP {'__proto__': range, 'k': 2} as m from range(2)`).collect();
    const rows = df.toRecords();
    expect(Object.keys(rows[1])).toEqual(["__proto__", "constructor", "m"]);
    expect(Object.getOwnPropertyDescriptor(rows[1], "__proto__")?.value).toBe(1);
    expect(Object.getPrototypeOf(rows[1])).toBe(Object.prototype);
    expect(rows[1].constructor).toBe(10);
    expect(Object.keys(rows[1].m as object)).toEqual(["__proto__", "k"]);
    expect(JSON.parse(JSON.stringify(rows))).toEqual(JSON.parse('[{"__proto__":0,"constructor":0,"m":{"__proto__":0,"k":2}},{"__proto__":1,"constructor":10,"m":{"__proto__":1,"k":2}}]'));
  });

  it("the frame+json rows, HTML and text show it", async () => {
    const df = await (await sql`select 42 as "__proto__", 'x' as other`).collect();
    const bundle = display(df);
    const rows = (bundle[FRAME_MIME] as { rows: Record<string, unknown>[] }).rows;
    expect(JSON.stringify(rows)).toBe('[{"__proto__":42,"other":"x"}]');
    expect(bundle["text/html"]).toContain("<td>42</td>");
    expect(bundle["text/plain"]).toMatch(/42\s+│ x/);
  });

  it("a chart of it (or of constructor, toString…) draws its values, inlined under a key Vega can read", async () => {
    const df = await (await sql`select range as "__proto__", range * 2 as "constructor", range * 3 as "toString", range as "__proto___" from range(1, 4)`).collect();
    for (const [column, key, top] of [["__proto__", "__proto____", 3], ["constructor", "constructor_", 6], ["toString", "toString_", 9]] as const) {
      for (const mark of ["point", "bar"] as const) {
        const chart = df.plot[mark]({ x: "__proto___", y: column });
        // the title draws as the name (a zero-width space after it: Vega fails on titles like "constructor")
        expect((chart.spec.encoding as Record<string, unknown>).y).toEqual({ field: key, title: `${column}\u200b`, type: "quantitative" });
        const v = new vega.View(vega.parse(vl.compile(chart.spec as unknown as vl.TopLevelSpec).spec), { renderer: "none" });
        await v.runAsync();
        expect(v.scale("y").domain()[1]).toBeGreaterThanOrEqual(top);
      }
    }
    const values = (df.plot.point({ x: "__proto___", y: "__proto__" }).spec.data as { values: unknown[] }).values;
    expect(JSON.stringify(values[0])).toBe('{"__proto____":1,"constructor_":2,"toString_":3,"__proto___":1}');
  });

  it("describe() keeps it as a column", async () => {
    const rows = (await (await sql`select range as "__proto__" from range(1, 4)`).describe()).toRecords();
    expect(Object.keys(rows[0])).toEqual(["statistic", "__proto__"]);
    expect(rows.map((r) => Object.getOwnPropertyDescriptor(r, "__proto__")?.value)).toEqual([3, 0, 2, 1, 1, 2, 2, 3, 3]);
  });
});
