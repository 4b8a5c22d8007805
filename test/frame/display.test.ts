import { describe, expect, it } from "vitest";
import { FRAME_MIME, PLAN_MIME, VEGALITE_MIME, col, count, fromRecords } from "../../src/index.js";

const display = (x: object) => (x as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]();
const rows = Array.from({ length: 30 }, (_, i) => ({ i, name: `<b>n${i}</b>`, x: i * 1.5, ts: new Date(Date.UTC(2024, 0, 1, i)) }));

describe("display", () => {
  it("a collected frame shows frame+json (schema, numRows, first 20 rows), HTML with shape and types, and text", async () => {
    const df = await fromRecords(rows).sort("i").collect();
    const bundle = display(df);
    const frame = bundle[FRAME_MIME] as { schema: unknown; numRows: number; rows: Record<string, unknown>[] };
    expect(frame.numRows).toBe(30);
    expect(frame.schema).toEqual([
      { name: "i", type: "BIGINT" },
      { name: "name", type: "VARCHAR" },
      { name: "x", type: "DOUBLE" },
      { name: "ts", type: "TIMESTAMP" },
    ]);
    expect(frame.rows).toHaveLength(20);
    expect(frame.rows[3]).toEqual({ i: 3, name: "<b>n3</b>", x: 4.5, ts: "2024-01-01T03:00:00.000Z" });
    expect(JSON.parse(JSON.stringify(frame))).toEqual(frame);
    const html = bundle["text/html"] as string;
    expect(html).toContain("shape: (30, 4)");
    expect(html).toContain("<small>TIMESTAMP</small>");
    expect(html).toContain("&lt;b&gt;n3&lt;/b&gt;");
    expect(html).not.toContain("<b>n3</b>");
    expect(html).toContain("10 more rows");
    expect(bundle["text/plain"]).toContain("shape: (30, 4)");
  });

  it("explain() shows logical, optimized and DuckDB physical plans", async () => {
    const ex = await fromRecords(rows).filter(col("i").gt(3)).groupBy("name").agg(count()).explain();
    const text = String(ex);
    expect(text).toContain("== logical plan ==");
    expect(text).toContain("AGGREGATE");
    expect(text).toContain("== physical plan (DuckDB) ==");
    expect(ex.physical).toMatch(/HASH_GROUP_BY|PERFECT_HASH_GROUP_BY|GROUP/);
    const bundle = display(ex);
    const plan = bundle[PLAN_MIME] as { logical: { name: string }; optimized: { name: string }; physical: { text: string } };
    expect(plan.logical.name).toBe("AGGREGATE");
    expect(plan.optimized.name).toBe("AGGREGATE");
    expect(plan.physical.text.length).toBeGreaterThan(0);
    expect(bundle["text/plain"]).toBe(text);
  });

  it("profile() returns the result with per-operator rows and time", async () => {
    const p = await fromRecords(rows).filter(col("i").ge(10)).profile();
    expect(p.result.numRows).toBe(20);
    expect(p.operators.length).toBeGreaterThan(0);
    expect(p.operators.some((o) => o.rows === 20)).toBe(true);
    expect(display(p)[PLAN_MIME]).toBeDefined();
  });

  it("plot.bar|line|point|area|histogram give Vega-Lite v5 with inlined data", async () => {
    const df = await fromRecords(rows).collect();
    for (const mark of ["bar", "line", "point", "area"] as const) {
      const chart = df.plot[mark]({ x: "ts", y: "x", color: "name" });
      const spec = display(chart)[VEGALITE_MIME] as Record<string, any>;
      expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v5.json");
      expect(spec.mark.type).toBe(mark);
      expect(spec.encoding.x).toEqual({ field: "ts", type: "temporal" });
      expect(spec.encoding.y).toEqual({ field: "x", type: "quantitative" });
      expect(spec.encoding.color).toEqual({ field: "name", type: "nominal" });
      expect(spec.data.values).toHaveLength(30);
      expect(spec.data.values[1]).toEqual({ i: 1, name: "<b>n1</b>", x: 1.5, ts: "2024-01-01T01:00:00.000Z" });
    }
    const hist = (await fromRecords(rows).plot.histogram({ x: "x", bins: 5 })).spec as Record<string, any>;
    expect(hist.encoding.x.bin).toEqual({ maxbins: 5 });
    expect(hist.encoding.y.aggregate).toBe("count");
    expect(() => df.plot.histogram({ x: "name" })).toThrow("needs a numeric column");
    expect(() => df.plot.bar({ x: "nme", y: "x" })).toThrow("did you mean 'name'");
    expect(() => df.plot.bar({ x: "name", y: "x", colour: "name" } as never)).toThrow('plot.bar: unknown option "colour"; did you mean "color"?');
  });
});

describe("display limits and value text", () => {
  it("long values are cut in every view, wide frames show their first and last columns, dates show their day, blobs and line breaks read well", async () => {
    const { sql, fromColumns } = await import("../../src/index.js");
    const long = await (await sql`select repeat('ab', 50000) as s, DATE '2024-01-02' as d, '\\x00A'::BLOB as b, 'one' || chr(10) || 'two' as t`).collect();
    const bundle = display(long);
    const html = bundle["text/html"] as string;
    const text = bundle["text/plain"] as string;
    const row = (bundle[FRAME_MIME] as { rows: Record<string, unknown>[] }).rows[0];
    expect(html.length).toBeLessThan(5_000);
    expect(html).toContain("… (99,000 more characters)");
    expect(row.s).toBe(`${"ab".repeat(500)}… (99,000 more characters)`);
    expect(html).toContain('<td style="white-space:nowrap">2024-01-02</td>');
    expect(text).toContain("2024-01-02");
    expect(row.d).toBe("2024-01-02T00:00:00.000Z"); // frame+json keeps the ISO value; views format it
    expect(row.b).toBe("\\x00A");
    expect(text.split("\n")).toHaveLength(5); // shape, names, types, rule, one row: the line break is shown as ⏎
    expect(text).toContain("one⏎two");

    const wide = await fromColumns(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`c${i}`, [i]]))).collect();
    const w = display(wide);
    expect((w[FRAME_MIME] as { schema: unknown[] }).schema).toHaveLength(150);
    expect(w["text/html"]).toContain("<th>… 90 more columns</th>");
    expect(w["text/html"]).toContain(">c29<");
    expect(w["text/html"]).not.toContain(">c30<");
    expect(w["text/html"]).toContain(">c120<");
    expect((w["text/plain"] as string).split("\n")[1]).toMatch(/^c0 .* … .* c149 *$/);
  });
});

describe("date and timestamp cells", () => {
  it("read as DuckDB prints them in HTML, text and the extension's renderer, and do not wrap", async () => {
    const { sql } = await import("../../src/index.js");
    const { temporalText } = await import("../../src/frame/cell-text.js");
    const df = await (
      await sql`select DATE '2024-03-01' as d, TIMESTAMP '2024-03-01 09:30:00' as t, TIMESTAMP '2024-03-01 09:30:00.250' as ms, TIMESTAMPTZ '2024-03-01 09:30:00+00' as tz`
    ).collect();
    const bundle = display(df);
    const html = bundle["text/html"] as string;
    const text = bundle["text/plain"] as string;
    for (const shown of ["2024-03-01", "2024-03-01 09:30:00", "2024-03-01 09:30:00.250", "2024-03-01 09:30:00+00"]) {
      expect(html).toContain(`<td style="white-space:nowrap">${shown}</td>`);
      expect(text).toContain(shown);
    }
    expect(html).not.toContain("T09:30");
    expect(text).not.toContain("T00:00:00");
    // The renderer gets frame+json's ISO text and the column type.
    const frame = bundle[FRAME_MIME] as { rows: Record<string, string>[]; schema: { name: string; type: string }[] };
    const shownByRenderer = frame.schema.map((f) => temporalText(frame.rows[0][f.name], f.type));
    expect(shownByRenderer).toEqual(["2024-03-01", "2024-03-01 09:30:00", "2024-03-01 09:30:00.250", "2024-03-01 09:30:00+00"]);
    expect(temporalText("not a date", "DATE")).toBeUndefined();
    expect(temporalText("2024-03-01T00:00:00.000Z", "VARCHAR")).toBeUndefined();
  });
});
