// frame.plot.bar|line|point|area|histogram(...) → a Vega-Lite v5 spec with the data inlined from a
// collected result; JupyterLab renders application/vnd.vegalite.v5+json natively.
import { ColumnNotFoundError, InvalidArgumentError, checkOptionNames } from "../plan/errors.js";
import { isNumeric, isTemporal } from "../plan/types.js";
import type { DataFrame } from "./dataframe.js";
import { VEGALITE_MIME, escapeHtml, jsonSafe } from "./display.js";
import type { LazyFrame } from "./lazy.js";

export interface PlotOptions {
  x: string;
  y?: string;
  color?: string;
  title?: string;
  width?: number;
  height?: number;
}
export interface HistogramOptions {
  x: string;
  bins?: number;
  color?: string;
  title?: string;
}

/** More rows than this are refused: a chart is not the place for a million points. */
const MAX_POINTS = 50_000;

export class Chart {
  constructor(readonly spec: Record<string, unknown>) {}
  toJSON(): Record<string, unknown> {
    return this.spec;
  }
  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    const title = typeof this.spec.title === "string" ? this.spec.title : `${String((this.spec.mark as { type: string }).type)} chart`;
    const n = ((this.spec.data as { values: unknown[] }).values ?? []).length;
    return { [VEGALITE_MIME]: this.spec, "text/html": `<p>${escapeHtml(title)} (${n} points; open in JupyterLab to see the chart)</p>`, "text/plain": `<Chart ${title}: ${n} points>` };
  }
}

export class Plot {
  constructor(private readonly df: DataFrame) {}

  bar(o: PlotOptions): Chart { return this.chart("bar", o); }
  line(o: PlotOptions): Chart { return this.chart("line", o); }
  point(o: PlotOptions): Chart { return this.chart("point", o); }
  area(o: PlotOptions): Chart { return this.chart("area", o); }

  histogram(o: HistogramOptions): Chart {
    checkOptionNames("plot.histogram", o, { x: true, bins: true, color: true, title: true } satisfies Record<keyof HistogramOptions, true>);
    const x = this.field(o.x);
    if (!isNumeric(x.type)) throw new InvalidArgumentError(`histogram(x: '${o.x}'): needs a numeric column, '${o.x}' is ${x.type}`);
    return new Chart({
      ...this.base(o.title),
      mark: { type: "bar" },
      encoding: {
        x: { field: o.x, type: "quantitative", bin: { maxbins: o.bins ?? 30 } },
        y: { aggregate: "count", type: "quantitative" },
        ...(o.color ? { color: this.encode(o.color) } : {}),
      },
    });
  }

  private chart(mark: string, o: PlotOptions): Chart {
    checkOptionNames(`plot.${mark}`, o, { x: true, y: true, color: true, title: true, width: true, height: true } satisfies Record<keyof PlotOptions, true>);
    if (!o || typeof o.x !== "string") throw new InvalidArgumentError(`plot.${mark}({ x, y }): x (a column name) is required`);
    const y = o.y ? this.encode(o.y) : { aggregate: "count", type: "quantitative" };
    return new Chart({
      ...this.base(o.title, o.width, o.height),
      mark: { type: mark, tooltip: true },
      encoding: { x: this.encode(o.x), y, ...(o.color ? { color: this.encode(o.color) } : {}) },
    });
  }

  private field(name: string) {
    const f = this.df.schema.find((x) => x.name === name);
    if (!f) throw new ColumnNotFoundError(name, this.df.columns);
    return f;
  }

  private encode(name: string) {
    const f = this.field(name);
    return { field: name, type: isNumeric(f.type) ? "quantitative" : isTemporal(f.type) ? "temporal" : "nominal" };
  }

  private base(title?: string, width?: number, height?: number) {
    if (this.df.numRows > MAX_POINTS)
      throw new InvalidArgumentError(`plot: ${this.df.numRows} rows is too many to inline (max ${MAX_POINTS}); aggregate or sample the frame first`);
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      ...(title ? { title } : {}),
      width: width ?? 400,
      height: height ?? 250,
      data: { values: this.df.toRecords().map((r) => jsonSafe(r)) },
    };
  }
}

/** The same methods on a lazy frame: collect first (at most MAX_POINTS rows), then chart. */
export class LazyPlot {
  constructor(private readonly frame: LazyFrame) {}
  private async plot(): Promise<Plot> {
    return (await this.frame.limit(MAX_POINTS + 1).collect()).plot;
  }
  async bar(o: PlotOptions): Promise<Chart> { return (await this.plot()).bar(o); }
  async line(o: PlotOptions): Promise<Chart> { return (await this.plot()).line(o); }
  async point(o: PlotOptions): Promise<Chart> { return (await this.plot()).point(o); }
  async area(o: PlotOptions): Promise<Chart> { return (await this.plot()).area(o); }
  async histogram(o: HistogramOptions): Promise<Chart> { return (await this.plot()).histogram(o); }
}
