// A data grid for frames, built from standard controls so JupyterLab's widget manager draws it as it
// is: a table of one page (an HTML widget), a vertical slider that scrolls through the rows, a row box
// to jump, sort and filter pickers. Each view runs a query for that page only — filter, sort, then
// OFFSET/LIMIT in the engine — so a 100M-row result is browsed without being collected.
import { inspect } from "node:util";
import { LazyFrame, DataFrame, col, fromArrow, type Expression } from "../frame/index.js";
import { CancelledError } from "../engine/index.js";
import { temporalText } from "../frame/cell-text.js";
import { onProgress, requestCancel, newJobId, withinJob } from "../progress/index.js";
import { BoundedIntText, Button, Dropdown, HBox, HTML, IntSlider, Label, Text, VBox, escapeHtml } from "./controls.js";
import { WidgetError } from "./widget.js";

export type FilterOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains";
export const FILTER_OPS: FilterOp[] = ["=", "!=", "<", "<=", ">", ">=", "contains"];

export interface GridFilter {
  column: string;
  op: FilterOp;
  /** As typed; compared as a number when the column is numeric. */
  value: string;
}

export interface GridState {
  sort?: { column: string; descending: boolean };
  filter?: GridFilter;
  /** The first row shown (0-based, in the sorted and filtered rows). */
  offset: number;
}

export interface GridOptions {
  /** Rows per page (default 20). */
  pageSize?: number;
  /** Initial sort and filter. */
  sort?: { column: string; descending?: boolean };
  filter?: GridFilter;
}

const NONE = "(none)";
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i;

/** What the grid has fetched from the engine so far: pages, not the frame. */
export interface GridStats {
  pageQueries: number;
  countQueries: number;
  rowsFetched: number;
  cancelled: number;
}

export class DataGrid extends VBox {
  readonly pageSize: number;
  readonly stats: GridStats = { pageQueries: 0, countQueries: 0, rowsFetched: 0, cancelled: 0 };
  /** Rows of the sorted and filtered frame (known once counted). */
  totalRows: number | undefined;
  /** The page shown now (its rows as records). */
  page: Record<string, unknown>[] = [];
  /** Settles when the view asked for last is shown. */
  ready: Promise<void> = Promise.resolve();
  private source: LazyFrame;
  private readonly table!: HTML;
  private readonly scroll!: IntSlider;
  private readonly rowBox!: BoundedIntText;
  private readonly status!: Label;
  private readonly sortColumn!: Dropdown<string>;
  private readonly sortOrder!: Dropdown<boolean>;
  private readonly filterColumn!: Dropdown<string>;
  private readonly filterOp!: Dropdown<FilterOp>;
  private readonly filterValue!: Text;
  private offset = 0;
  private inFlight: { jobId: string; jobs: Set<string>; cancelled: boolean } | undefined;
  private countFor: string | undefined;
  /** Set while the grid moves its own scroll controls (their change listeners must not fetch again). */
  private syncing = false;

  constructor(frame: LazyFrame | DataFrame, options: GridOptions = {}) {
    const source = frame instanceof DataFrame ? fromArrow(frame.toArrow(), "collected frame") : frame;
    if (!(source instanceof LazyFrame)) throw new WidgetError("DataGrid(frame): expected a LazyFrame or a DataFrame");
    const pageSize = options.pageSize ?? 20;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new WidgetError(`DataGrid: pageSize must be an integer from 1 to 1000, got ${pageSize}`);
    const columns = source.columns;
    for (const c of [options.sort?.column, options.filter?.column]) if (c !== undefined && !columns.includes(c))
      throw new WidgetError(`DataGrid: no column "${c}" in the frame (columns: ${columns.join(", ")})`);
    const sortColumn = new Dropdown<string>({ description: "Sort by", options: [NONE, ...columns], value: options.sort?.column ?? NONE, layout: { width: "220px" } });
    const sortOrder = new Dropdown<boolean>({ options: [["ascending", false], ["descending", true]], value: options.sort?.descending ?? false, layout: { width: "120px" } });
    const filterColumn = new Dropdown<string>({ description: "Filter", options: [NONE, ...columns], value: options.filter?.column ?? NONE, layout: { width: "220px" } });
    const filterOp = new Dropdown<FilterOp>({ options: FILTER_OPS, value: options.filter?.op ?? "=", layout: { width: "90px" } });
    const filterValue = new Text({ value: options.filter?.value ?? "", placeholder: "value, then Enter", continuousUpdate: false, layout: { width: "180px" } });
    const table = new HTML("", { layout: { flex: "1 1 auto", overflow: "auto" } });
    const scroll = new IntSlider({ min: 0, max: 0, value: 0, orientation: "vertical", readout: false, continuousUpdate: false, description: "", layout: { height: `${Math.max(200, pageSize * 19 + 30)}px`, width: "28px" } });
    const rowBox = new BoundedIntText({ description: "Row", value: 0, min: 0, max: 0, layout: { width: "220px" } });
    const up = new Button({ description: "▲ page", layout: { width: "80px" } });
    const down = new Button({ description: "▼ page", layout: { width: "80px" } });
    const status = new Label("", { layout: { width: "auto", margin: "0 0 0 12px" } });
    super(
      [
        new HBox([sortColumn, sortOrder, filterColumn, filterOp, filterValue]),
        status,
        new HBox([table, scroll], { layout: { width: "100%" } }),
        new HBox([rowBox, up, down]),
      ],
      { layout: { width: "100%" } },
    );
    this.source = source;
    this.pageSize = pageSize;
    Object.assign(this, { table, scroll, rowBox, status, sortColumn, sortOrder, filterColumn, filterOp, filterValue });
    // The slider runs top (row 0) to bottom: its value is max - offset.
    scroll.onChange((v) => this.syncing || this.goTo((scroll.get("max") as number) - v));
    rowBox.onChange((v) => this.syncing || this.goTo(v));
    up.onClick(() => this.goTo(this.offset - pageSize));
    down.onClick(() => this.goTo(this.offset + pageSize));
    // A new sort keeps the scroll position (row 5,000,000 stays row 5,000,000); a new filter starts at the top.
    for (const control of [sortColumn, sortOrder]) control.onChange(() => this.syncing || this.refresh(false));
    for (const control of [filterColumn, filterOp, filterValue]) control.onChange(() => this.syncing || this.refresh(true));
    this.refresh(true);
  }

  /** Sort, filter and first row as chosen in the grid now. */
  get gridState(): GridState {
    const column = this.sortColumn.value;
    const filterColumn = this.filterColumn.value;
    return {
      offset: this.offset,
      ...(column && column !== NONE ? { sort: { column, descending: this.sortOrder.value ?? false } } : {}),
      ...(filterColumn && filterColumn !== NONE && this.filterValue.value !== ""
        ? { filter: { column: filterColumn, op: this.filterOp.value ?? "=", value: this.filterValue.value } }
        : {}),
    };
  }

  /** The frame as the grid shows it (its filter and sort), lazy: nothing runs until you collect it. */
  frame(): LazyFrame {
    const { sort, filter } = this.gridState;
    let frame = this.source;
    if (filter) frame = frame.filter(this.predicate(filter));
    if (sort) frame = frame.sort(sort.column, { descending: sort.descending });
    return frame;
  }

  /**
   * Shows another frame (e.g. the rows an interact function picked), keeping the sort when its column is
   * still there; back to the first row.
   */
  setFrame(frame: LazyFrame | DataFrame): Promise<void> {
    const next = frame instanceof DataFrame ? fromArrow(frame.toArrow(), "collected frame") : frame;
    if (!(next instanceof LazyFrame)) throw new WidgetError("DataGrid.setFrame(frame): expected a LazyFrame or a DataFrame");
    this.source = next;
    const columns = next.columns;
    this.syncing = true;
    try {
      this.sortColumn.options = [NONE, ...columns];
      this.filterColumn.options = [NONE, ...columns];
    } finally {
      this.syncing = false;
    }
    this.countFor = undefined;
    this.refresh(true);
    return this.ready;
  }

  /** Sorts by a column (as picking it in the grid does). */
  sortBy(column: string | undefined, descending = false): Promise<void> {
    if (column !== undefined && !this.source.columns.includes(column)) throw new WidgetError(`DataGrid.sortBy: no column "${column}" (columns: ${this.source.columns.join(", ")})`);
    this.sortOrder.value = descending;
    this.sortColumn.value = column ?? NONE;
    return this.ready;
  }

  /** Filters rows (as the filter pickers do); undefined removes the filter. */
  filterBy(filter: GridFilter | undefined): Promise<void> {
    this.filterValue.value = filter?.value ?? "";
    this.filterOp.value = filter?.op ?? "=";
    this.filterColumn.value = filter?.column ?? NONE;
    return this.ready;
  }

  /** Scrolls so that row `offset` (0-based) is the first shown. */
  scrollTo(offset: number): Promise<void> {
    this.goTo(offset);
    return this.ready;
  }

  private predicate(filter: GridFilter): Expression {
    const type = this.source.schema.find((f) => f.name === filter.column)?.type ?? "VARCHAR";
    const numeric = NUMERIC.test(type);
    if (filter.op === "contains") return col(filter.column).cast("VARCHAR").contains(filter.value);
    let value: string | number = filter.value;
    if (numeric) {
      value = Number(filter.value);
      if (!Number.isFinite(value)) throw new WidgetError(`filter: ${filter.column} is a number column (${type}); "${filter.value}" is not a number`);
    }
    const c = numeric ? col(filter.column) : col(filter.column).cast("VARCHAR");
    switch (filter.op) {
      case "=": return c.eq(value);
      case "!=": return c.neq(value);
      case "<": return c.lt(value);
      case "<=": return c.le(value);
      case ">": return c.gt(value);
      case ">=": return c.ge(value);
    }
    throw new WidgetError(`filter: unknown operator "${filter.op}" (one of ${FILTER_OPS.join(" ")})`);
  }

  private goTo(offset: number): void {
    const last = Math.max(0, (this.totalRows ?? 0) - this.pageSize);
    const next = Math.max(0, Math.min(Math.round(offset), last));
    if (next === this.offset && this.page.length > 0) return;
    this.offset = next;
    this.refresh(false);
  }

  /** Fetches the page at the current offset (and the row count first when the filter changed). */
  private refresh(toTop: boolean): void {
    if (toTop) this.offset = 0;
    if (this.inFlight) {
      this.inFlight.cancelled = true;
      for (const job of this.inFlight.jobs) requestCancel(job);
      this.stats.cancelled += 1;
    }
    const run = { jobId: newJobId(), jobs: new Set<string>(), cancelled: false };
    this.inFlight = run;
    const stop = onProgress((event) => {
      if (event.type === "job.start" && event.parentId === run.jobId) run.jobs.add(event.jobId);
      else if (event.type === "job.end") run.jobs.delete(event.jobId);
    });
    this.status.value = "loading…";
    // Queries of the grid run as children of one job of their own: no progress bar under the cell.
    this.ready = withinJob(run.jobId, undefined, () => this.load(run))
      .catch((error) => {
        if (run.cancelled || error instanceof CancelledError) return;
        this.status.value = `error: ${error instanceof Error ? error.message : inspect(error)}`;
      })
      .finally(() => {
        stop();
        if (this.inFlight === run) this.inFlight = undefined;
      });
  }

  private async load(run: { cancelled: boolean }): Promise<void> {
    const filter = this.gridState.filter;
    const frame = filter ? this.source.filter(this.predicate(filter)) : this.source;
    const key = JSON.stringify(this.gridState.filter ?? null);
    if (this.countFor !== key) {
      this.stats.countQueries += 1;
      const total = await frame.count();
      if (run.cancelled) return;
      this.totalRows = total;
      this.countFor = key;
      const max = Math.max(0, total - this.pageSize);
      this.offset = Math.min(this.offset, max);
      this.moveControls(max, this.offset);
    }
    const offset = this.offset;
    const rows = await this.fetchPage(offset);
    if (run.cancelled) return;
    this.stats.rowsFetched += rows.length;
    this.page = rows;
    this.moveControls(this.scroll.get("max") as number, offset);
    this.table.value = this.render(offset);
    const total = this.totalRows ?? 0;
    const { sort } = this.gridState;
    this.status.value = total === 0
      ? "no rows"
      : `rows ${(offset + 1).toLocaleString("en-US")}–${(offset + rows.length).toLocaleString("en-US")} of ${total.toLocaleString("en-US")}` +
        (sort ? ` · sorted by ${sort.column} ${sort.descending ? "descending" : "ascending"}` : "") +
        (filter ? ` · where ${filter.column} ${filter.op} ${filter.value}` : "");
  }

  /**
   * The rows [offset, offset + pageSize) of the sorted, filtered frame. A deep page of a sorted frame is
   * not asked for as ORDER BY … OFFSET 5000000, which makes the engine keep five million whole rows in
   * its top-N heap: past the middle the order is reversed (the heap is never more than half the rows),
   * the sort key at the page's first position is found on the key column alone, and the page is then
   * read from the rows at or after that key (a small offset past the rows tied with it).
   */
  private async fetchPage(offset: number): Promise<Record<string, unknown>[]> {
    const { sort, filter } = this.gridState;
    let frame = this.source;
    if (filter) frame = frame.filter(this.predicate(filter));
    const total = this.totalRows ?? 0;
    const n = Math.max(0, Math.min(this.pageSize, total - offset));
    this.stats.pageQueries += 1;
    if (!sort) return (await frame.slice(offset, n).collect()).toRecords();
    const reverse = offset + n > total / 2;
    const descending = reverse ? !sort.descending : sort.descending;
    const nullsLast = reverse; // the grid sorts nulls first; the reversed order puts them last
    const start = reverse ? total - offset - n : offset;
    const ordered = (f: LazyFrame) => f.sort(sort.column, { descending, nullsLast });
    const key = col(sort.column);
    const plain = async () => (await ordered(frame).slice(start, n).collect()).toRecords();
    let rows: Record<string, unknown>[];
    if (start < 10_000) rows = await plain();
    else {
      const boundary = (await ordered(frame.select(sort.column)).slice(start, 1).collect()).toRecords()[0]?.[sort.column];
      if (boundary === null || boundary === undefined || typeof boundary === "object" && !(boundary instanceof Date)) rows = await plain();
      else {
        const k = boundary as string | number | bigint | Date;
        const before = await frame.filter(descending ? key.gt(k) : key.lt(k)).count();
        rows = (await ordered(frame.filter((descending ? key.le(k) : key.ge(k)).or(key.isNull()))).slice(start - before, n).collect()).toRecords();
      }
    }
    return reverse ? rows.reverse() : rows;
  }

  private moveControls(max: number, offset: number): void {
    this.syncing = true;
    try {
      this.scroll.set({ max, value: max - offset });
      this.rowBox.set({ max, value: offset });
    } finally {
      this.syncing = false;
    }
  }

  private render(offset: number): string {
    const schema = this.source.schema;
    const sort = this.gridState.sort;
    const head = schema
      .map((f) => `<th title="${escapeHtml(f.type)}">${escapeHtml(f.name)}${sort?.column === f.name ? (sort.descending ? " ▼" : " ▲") : ""}</th>`)
      .join("");
    const rows = this.page
      .map((row, i) => {
        const cells = schema.map((f) => {
          const v = row[f.name];
          const text = v === null || v === undefined ? "null" : (temporalText(v, f.type) ?? (typeof v === "object" ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)) : String(v)));
          const align = NUMERIC.test(f.type) ? "right" : "left";
          return `<td style="text-align:${align};padding:2px 8px;white-space:nowrap">${escapeHtml(text)}</td>`;
        });
        return `<tr data-row="${offset + i}"><td style="color:#888;text-align:right;padding:2px 8px">${offset + i}</td>${cells.join("")}</tr>`;
      })
      .join("");
    return (
      `<table class="sluice-grid" style="border-collapse:collapse;font-family:var(--jp-code-font-family,monospace);font-size:12px;line-height:1.35">` +
      `<thead><tr style="border-bottom:1px solid #999"><th style="color:#888">#</th>${head}</tr></thead><tbody>${rows}</tbody></table>`
    );
  }
}

/** A scrollable, sortable, filterable grid of `frame` that fetches one page at a time. */
export function grid(frame: LazyFrame | DataFrame, options: GridOptions = {}): DataGrid {
  return new DataGrid(frame, options);
}
