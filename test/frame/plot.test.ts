// Charts are checked the way JupyterLab draws them: the Vega-Lite spec is compiled by vega-lite and run by
// vega (headless, renderer "none"), and the scales must cover the data.
import { describe, expect, it } from "vitest";
import * as vl from "vega-lite";
import * as vega from "vega";
import { InvalidArgumentError, fromColumns, fromRecords, sql } from "../../src/index.js";
import type { Chart } from "../../src/frame/plot.js";

async function view(chart: Chart): Promise<vega.View> {
  const compiled = vl.compile(chart.spec as unknown as vl.TopLevelSpec).spec;
  const v = new vega.View(vega.parse(compiled), { renderer: "none" });
  await v.runAsync();
  return v;
}

const weird = () =>
  sql`select i as "a.b", i * 2 as "x[0]", i + 10 as "it's", (i % 2)::varchar as "g.h", i as plain from range(1, 5) t(i)`;

describe("plot", () => {
  it("draws columns whose names contain . [ ] or ': fields escaped, titles and data keys the raw names", async () => {
    const df = await (await weird()).collect();
    expect(df.columns).toEqual(["a.b", "x[0]", "it's", "g.h", "plain"]);

    const bar = df.plot.bar({ x: "plain", y: "a.b", color: "g.h" });
    const enc = bar.spec.encoding as Record<string, { field: string; title?: string }>;
    expect(enc.x).toEqual({ field: "plain", type: "quantitative" });
    expect(enc.y).toEqual({ field: "a\\.b", title: "a.b", type: "quantitative" });
    expect(enc.color).toEqual({ field: "g\\.h", title: "g.h", type: "nominal" });
    expect((bar.spec.data as { values: object[] }).values[0]).toEqual({ "a.b": 1, "x[0]": 2, "it's": 11, "g.h": "1", plain: 1 });
    const barView = await view(bar);
    expect(barView.scale("y").domain()).toEqual([0, 4]);
    expect([...barView.scale("color").domain()].sort()).toEqual(["0", "1"]);

    const point = await view(df.plot.point({ x: "x[0]", y: "it's" }));
    expect(point.scale("x").domain()).toEqual([0, 8]);
    expect(point.scale("y").domain()).toEqual([0, 14]);

    const hist = df.plot.histogram({ x: "x[0]", bins: 4 });
    expect((hist.spec.encoding as Record<string, { field: string; title?: string }>).x).toMatchObject({ field: "x\\[0\\]", title: "x[0]" });
    const histView = await view(hist);
    expect(histView.scale("x").domain()[1]).toBeGreaterThanOrEqual(8);
    expect(histView.scale("y").domain()[1]).toBeGreaterThan(0);

    // the axis title vega-lite draws is the column's own name
    const compiled = vl.compile(bar.spec as unknown as vl.TopLevelSpec).spec as { axes?: { title?: string }[] };
    expect(compiled.axes?.map((a) => a.title)).toContain("a.b");
  });

  it("names Vega-Lite cannot address (backslash, double quote, newline) are inlined under a cleaned key, titled with the name", async () => {
    const df = await fromRecords([
      { "back\\slash": 1, 'say "hi"': 10, "two\nlines": 100, back_slash: 7, p: 1 },
      { "back\\slash": 5, 'say "hi"': 30, "two\nlines": 300, back_slash: 8, p: 2 },
    ]).collect();
    for (const [column, key, title, top] of [
      ["back\\slash", "back_slash_", "back\\slash", 5],
      ['say "hi"', "say _hi_", 'say "hi"', 30],
      ["two\nlines", "two_lines", "two lines", 300],
    ] as const) {
      for (const mark of ["point", "line", "bar"] as const) {
        const chart = df.plot[mark]({ x: "p", y: column });
        expect((chart.spec.encoding as Record<string, unknown>).y).toEqual({ field: key, title, type: "quantitative" });
        const v = await view(chart);
        expect(v.scale("y").domain()[1]).toBeGreaterThanOrEqual(top);
      }
      const hist = await view(df.plot.histogram({ x: column, bins: 3 }));
      expect(hist.scale("x").domain()[1]).toBeGreaterThanOrEqual(top);
    }
    // the column really called back_slash keeps its key and its values
    const values = (df.plot.point({ x: "p", y: "back_slash" }).spec.data as { values: Record<string, unknown>[] }).values;
    expect(values[0]).toEqual({ back_slash_: 1, "say _hi_": 10, two_lines: 100, back_slash: 7, p: 1 });
  });

  it("refuses bins, width and height a chart cannot draw, naming the option", async () => {
    const lazy = fromColumns({ a: [1, 2, 3, 4, 5], g: ["x", "y", "x", "y", "x"] });
    const df = await lazy.collect();
    for (const bins of [0, -3, 2.5, Number.NaN, "10"]) {
      expect(() => df.plot.histogram({ x: "a", bins: bins as number })).toThrow(InvalidArgumentError);
      expect(() => df.plot.histogram({ x: "a", bins: bins as number })).toThrow(/plot\.histogram: bins must be a positive whole number/);
      await expect(lazy.plot.histogram({ x: "a", bins: bins as number })).rejects.toThrow(/bins must be a positive whole number/);
    }
    for (const width of [-10, 0, "abc", Number.POSITIVE_INFINITY]) {
      expect(() => df.plot.bar({ x: "g", y: "a", width: width as number })).toThrow(/plot\.bar: width must be a positive number/);
      expect(() => df.plot.line({ x: "g", y: "a", height: width as number })).toThrow(/plot\.line: height must be a positive number/);
      await expect(lazy.plot.point({ x: "g", y: "a", width: width as number })).rejects.toThrow(InvalidArgumentError);
    }
    expect(() => df.plot.bar({ x: "g", y: 3 as unknown as string })).toThrow(/y must be a string/);
    // good values still draw
    const ok = await view(df.plot.histogram({ x: "a", bins: 2 }));
    expect(ok.scale("y").domain()[1]).toBeGreaterThan(0);
    expect(df.plot.bar({ x: "g", y: "a", width: 120.5, height: 80 }).spec).toMatchObject({ width: 120.5, height: 80 });
  });

  it("a lazy frame over 50,000 rows is refused with the real bound, not the probe's row count", async () => {
    const big = fromColumns({ a: Array.from({ length: 60_000 }, (_, i) => i) });
    const err = await big.plot.point({ x: "a", y: "a" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain("more than 50,000 rows");
    expect((err as Error).message).not.toContain("50001");
    expect(() => fromColumns({ a: [1] }).plot).not.toThrow();
    const collected = await big.collect();
    expect(() => collected.plot.point({ x: "a", y: "a" })).toThrow("60,000 rows is too many to inline (max 50,000)");
    const ok = await big.limit(50_000).plot.point({ x: "a", y: "a" });
    expect((ok.spec.data as { values: unknown[] }).values).toHaveLength(50_000);
  });

  it("displays as the Vega-Lite spec plus a text/plain line, with no text/html that JupyterLab would rank above the chart", async () => {
    const df = await fromRecords([{ k: "a", n: 1 }, { k: "b", n: 2 }]);
    const chart = await df.plot.bar({ x: "k", y: "n", title: "Counts" });
    const bundle = (chart as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]();
    expect(Object.keys(bundle).sort()).toEqual(["application/vnd.vegalite.v5+json", "text/plain"]);
    expect(bundle["text/plain"]).toBe("<Chart Counts: 2 points>");
  });
});
