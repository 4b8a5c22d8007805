// frame.plot.bar|line|point|area|histogram(...) → a Vega-Lite v5 spec with the data inlined from a
// collected result; JupyterLab renders application/vnd.vegalite.v5+json natively.
import { ColumnNotFoundError, InvalidArgumentError, checkOptionNames } from "../plan/errors.js";
import { isNumeric, isTemporal } from "../plan/types.js";
import type { DataFrame } from "./dataframe.js";
import { VEGALITE_MIME, jsonSafe } from "./display.js";
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

/** Characters Vega-Lite 5 cannot carry in a field name at all: its generated tooltip and bin expressions break. */
const UNADDRESSABLE = /[\\"\u0000-\u001f\u007f]/g;

/**
 * The key each column's values get in the inlined data: the column name itself, except for names with a
 * backslash, a double quote or a control character, which get those replaced by "_", and names of
 * Object.prototype members ("__proto__", "constructor", "toString"…: Vega's lookups miss them), which get
 * a "_" appended; a cleaned key is made unique among the columns.
 */
export function dataKeys(names: readonly string[]): Map<string, string> {
  const taken = new Set(names);
  const keys = new Map<string, string>();
  for (const name of names) {
    let key = name.replace(UNADDRESSABLE, "_");
    if (key in Object.prototype) key += "_";
    if (key !== name) {
      while (taken.has(key)) key += "_";
      taken.add(key);
    }
    keys.set(name, key);
  }
  return keys;
}

/**
 * Vega-Lite reads `field` as a path ("a.b" is b inside a, "x[0]" an element of x); a data key is one key, so
 * its path characters are escaped with a backslash (Vega-Lite's documented escaping).
 */
export function fieldPath(key: string): string {
  return key.replace(/[.\[\]']/g, (c) => `\\${c}`);
}

function checkPositive(call: string, option: string, value: unknown, integer: boolean): void {
  if (value === undefined) return;
  const ok = typeof value === "number" && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
  if (!ok)
    throw new InvalidArgumentError(`${call}: ${option} must be a positive ${integer ? "whole number" : "number"} (of ${option === "bins" ? "bins" : "pixels"}), got ${JSON.stringify(value) ?? String(value)}`);
}

function checkStrings<O extends object>(call: string, o: O, keys: readonly (keyof O & string)[]): void {
  for (const k of keys)
    if (o[k] !== undefined && typeof o[k] !== "string") throw new InvalidArgumentError(`${call}: ${k} must be a string${k === "title" ? "" : " (a column name)"}, got ${JSON.stringify(o[k])}`);
}

/** Option values a chart cannot draw, refused before any query runs. */
function checkPlotOptions(mark: string, o: PlotOptions): void {
  checkOptionNames(`plot.${mark}`, o, { x: true, y: true, color: true, title: true, width: true, height: true } satisfies Record<keyof PlotOptions, true>);
  if (!o || typeof o.x !== "string") throw new InvalidArgumentError(`plot.${mark}({ x, y }): x (a column name) is required`);
  checkStrings(`plot.${mark}`, o, ["y", "color", "title"]);
  checkPositive(`plot.${mark}`, "width", o.width, false);
  checkPositive(`plot.${mark}`, "height", o.height, false);
}

function checkHistogramOptions(o: HistogramOptions): void {
  checkOptionNames("plot.histogram", o, { x: true, bins: true, color: true, title: true } satisfies Record<keyof HistogramOptions, true>);
  if (!o || typeof o.x !== "string") throw new InvalidArgumentError("plot.histogram({ x }): x (a numeric column name) is required");
  checkStrings("plot.histogram", o, ["color", "title"]);
  checkPositive("plot.histogram", "bins", o.bins, true);
}

export class Chart {
  constructor(readonly spec: Record<string, unknown>) {}
  toJSON(): Record<string, unknown> {
    return this.spec;
  }
  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    const title = typeof this.spec.title === "string" ? this.spec.title : `${String((this.spec.mark as { type: string }).type)} chart`;
    const n = ((this.spec.data as { values: unknown[] }).values ?? []).length;
    // No text/html: JupyterLab ranks HTML (50) above its Vega renderer (57) and would show the fallback
    // instead of the chart. Frontends without a Vega-Lite renderer (nbconvert, GitHub) show the text.
    return { [VEGALITE_MIME]: this.spec, "text/plain": `<Chart ${title}: ${n} points>` };
  }
}

export class Plot {
  private keyCache?: Map<string, string>;
  private keysAreNamesCache?: boolean;
  constructor(private readonly df: DataFrame) {}

  bar(o: PlotOptions): Chart { return this.chart("bar", o); }
  line(o: PlotOptions): Chart { return this.chart("line", o); }
  point(o: PlotOptions): Chart { return this.chart("point", o); }
  area(o: PlotOptions): Chart { return this.chart("area", o); }

  histogram(o: HistogramOptions): Chart {
    checkHistogramOptions(o);
    const x = this.field(o.x);
    if (!isNumeric(x.type)) throw new InvalidArgumentError(`histogram(x: '${o.x}'): needs a numeric column, '${o.x}' is ${x.type}`);
    return new Chart({
      ...this.base(o.title),
      mark: { type: "bar" },
      encoding: {
        x: { ...this.fieldOf(o.x), type: "quantitative", bin: { maxbins: o.bins ?? 30 } },
        y: { aggregate: "count", type: "quantitative" },
        ...(o.color ? { color: this.encode(o.color) } : {}),
      },
    });
  }

  private chart(mark: string, o: PlotOptions): Chart {
    checkPlotOptions(mark, o);
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

  /** `field` for a column, with its name as the title when the field differs (a title takes no control characters). */
  private fieldOf(name: string): { field: string; title?: string } {
    const field = fieldPath(this.keys.get(name) ?? name);
    if (field === name) return { field };
    // Vega fails ("Operator not defined") on a title spelled like an Object.prototype member; a zero-width
    // space after it draws the same text.
    const title = name.replace(/[\u0000-\u001f\u007f]/g, " ");
    return { field, title: title in Object.prototype ? `${title}\u200b` : title };
  }

  private get keys(): Map<string, string> {
    return (this.keyCache ??= dataKeys(this.df.columns));
  }

  /** Whether every column is its own data key (checked once, not per record). */
  private get keysAreNames(): boolean {
    return (this.keysAreNamesCache ??= [...this.keys].every(([name, key]) => name === key));
  }

  private encode(name: string) {
    const f = this.field(name);
    return { ...this.fieldOf(name), type: isNumeric(f.type) ? "quantitative" : isTemporal(f.type) ? "temporal" : "nominal" };
  }

  /** A record under the data keys (the same object when no column needed another key). */
  private datum(record: Record<string, unknown>): Record<string, unknown> {
    if (this.keysAreNames) return record;
    return Object.fromEntries(Object.entries(record).map(([name, v]) => [this.keys.get(name) ?? name, v]));
  }

  private base(title?: string, width?: number, height?: number) {
    if (this.df.numRows > MAX_POINTS)
      throw new InvalidArgumentError(`plot: ${this.df.numRows.toLocaleString("en-US")} rows is too many to inline (max ${MAX_POINTS.toLocaleString("en-US")}); aggregate or sample the frame first`);
    return {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      ...(title ? { title } : {}),
      width: width ?? 400,
      height: height ?? 250,
      data: { values: this.df.toRecords().map((r) => this.datum(jsonSafe(r) as Record<string, unknown>)) },
    };
  }
}

/** The same methods on a lazy frame: collect first (at most MAX_POINTS rows), then chart. */
export class LazyPlot {
  constructor(private readonly frame: LazyFrame) {}
  private async plot(): Promise<Plot> {
    // One row past the limit tells "too many" apart without counting them all.
    const df = await this.frame.limit(MAX_POINTS + 1).collect();
    if (df.numRows > MAX_POINTS)
      throw new InvalidArgumentError(`plot: the frame has more than ${MAX_POINTS.toLocaleString("en-US")} rows, too many to inline; aggregate or sample it first`);
    return df.plot;
  }
  async bar(o: PlotOptions): Promise<Chart> { checkPlotOptions("bar", o); return (await this.plot()).bar(o); }
  async line(o: PlotOptions): Promise<Chart> { checkPlotOptions("line", o); return (await this.plot()).line(o); }
  async point(o: PlotOptions): Promise<Chart> { checkPlotOptions("point", o); return (await this.plot()).point(o); }
  async area(o: PlotOptions): Promise<Chart> { checkPlotOptions("area", o); return (await this.plot()).area(o); }
  async histogram(o: HistogramOptions): Promise<Chart> { checkHistogramOptions(o); return (await this.plot()).histogram(o); }
}
