// DataFrame: a collected result, backed by an Arrow Table. Displays in Jupyter as a table.
import * as A from "../engine/apache_arrow.js";
import { createRequire } from "node:module";
import { ColumnNotFoundError } from "../plan/errors.js";
import type { Field } from "../plan/types.js";
import { frameBundle } from "./display.js";
import { columnValues, setOwn } from "./values.js";
import { Plot } from "./plot.js";

export class DataFrame {
  constructor(readonly table: A.Table) {}

  get numRows(): number {
    return this.table.numRows;
  }

  get shape(): [number, number] {
    return [this.table.numRows, this.table.numCols];
  }

  get columns(): string[] {
    return this.table.schema.fields.map((f) => f.name);
  }

  /** Column names and types, in the same spelling as LazyFrame.schema. */
  get schema(): Field[] {
    return this.table.schema.fields.map((f) => ({ name: f.name, type: f.metadata.get("duckdb_type") ?? String(f.type) }));
  }

  toArrow(): A.Table {
    return this.table;
  }

  /** A column's values as plain JS values (int64 → number when exact, timestamps → Date, maps → objects). */
  column(name: string): unknown[] {
    const i = this.table.schema.fields.findIndex((f) => f.name === name);
    if (i < 0) throw new ColumnNotFoundError(name, this.columns);
    return columnValues(this.table.getChildAt(i)!, this.table.schema.fields[i].type);
  }

  toRecords(limit = Infinity): Record<string, unknown>[] {
    const n = Math.min(limit, this.numRows);
    const fields = this.table.schema.fields;
    const cols = fields.map((f, i) => columnValues(this.table.getChildAt(i)!.slice(0, n), f.type));
    const rows: Record<string, unknown>[] = [];
    for (let r = 0; r < n; r++) {
      const row: Record<string, unknown> = {};
      fields.forEach((f, i) => setOwn(row, f.name, cols[i][r]));
      rows.push(row);
    }
    return rows;
  }

  /** A danfojs-node DataFrame with the same columns (loads danfojs-node on first use). */
  toDanfo(): unknown {
    const dfd = createRequire(import.meta.url)("danfojs-node") as { DataFrame: new (data: unknown, opts?: unknown) => unknown };
    // danfo refuses a dict of empty columns ("end must be greater than start") but takes no rows with column names.
    if (this.numRows === 0) return new dfd.DataFrame([], { columns: this.columns });
    const data: Record<string, unknown[]> = {};
    for (const name of this.columns) setOwn(data, name, this.column(name).map((v) => (typeof v === "bigint" ? Number(v) : v)));
    return new dfd.DataFrame(data, { columns: this.columns });
  }

  get plot(): Plot {
    return new Plot(this);
  }

  toString(): string {
    return String(frameBundle(this)["text/plain"]);
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return frameBundle(this);
  }
}
