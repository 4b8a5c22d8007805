// Window expressions in DuckDB SQL: `fn(args) OVER (PARTITION BY ... ORDER BY ... ROWS BETWEEN ...)`.
// Window-only functions are spelled here; aggregates reuse the aggregate table of ./dialect.ts.
import type { Literal, WindowExpr, WindowFrame } from "../../plan/expr.js";
import type { DataType } from "../../plan/types.js";
import { AGGREGATE_SQL, aggregateArgs, orderList, renderCall } from "./dialect.js";
import { quoteLiteral, quoteType } from "./quote.js";
import type { WindowOnlyFn } from "../../plan/names.js";

type Render = (args: string[], e: WindowExpr, type: DataType) => string;

// The offset was checked as a safe non-negative integer (src/plan/window.ts); with a default, value and
// default are both cast to the result type, so DuckDB never casts the default to the column's type.
const offsetArgs = (a: string[], e: WindowExpr, type: DataType) => {
  const offset = Number(e.options?.offset ?? 1);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`internal: unchecked ${e.fn} offset ${offset}`);
  const dflt = e.options?.default as Literal | undefined;
  if (dflt === undefined || dflt === null) return [a[0], String(offset)].join(", ");
  return [`CAST(${a[0]} AS ${quoteType(type)})`, String(offset), `CAST(${quoteLiteral(dflt)} AS ${quoteType(type)})`].join(", ");
};

export const WINDOW_SQL = {
  rowNumber: () => "row_number()",
  rank: () => "rank()",
  denseRank: () => "dense_rank()",
  lag: (a, e, t) => `lag(${offsetArgs(a, e, t)})`,
  lead: (a, e, t) => `lead(${offsetArgs(a, e, t)})`,
} satisfies Record<WindowOnlyFn, Render>;

function bound(n: number | null, side: "start" | "end"): string {
  if (n === null) return side === "start" ? "UNBOUNDED PRECEDING" : "UNBOUNDED FOLLOWING";
  if (n === 0) return "CURRENT ROW";
  return n < 0 ? `${quoteLiteral(-n)} PRECEDING` : `${quoteLiteral(n)} FOLLOWING`;
}

function frameSql(f: WindowFrame): string {
  return ` ${f.unit === "rows" ? "ROWS" : "RANGE"} BETWEEN ${bound(f.start, "start")} AND ${bound(f.end, "end")}`;
}

/** `q` renders a child expression; `type` is the window's result type (integer sums stay BIGINT). */
export function renderWindow(e: WindowExpr, q: (x: WindowExpr["args"][number]) => string, type: DataType): string {
  const args = e.args.map(q);
  const special = Object.hasOwn(WINDOW_SQL, e.fn) ? WINDOW_SQL[e.fn as WindowOnlyFn] : undefined;
  const call = special ? special(args, e, type) : renderCall(AGGREGATE_SQL, e.fn, aggregateArgs(e.fn, args, type), e.options);
  const partition = e.partitionBy.length ? `PARTITION BY ${e.partitionBy.map(q).join(", ")}` : "";
  const order = e.orderBy.length ? ` ORDER BY ${orderList(e.orderBy, q)}` : "";
  const frame = e.frame && !special ? frameSql(e.frame) : "";
  const sql = `${call} OVER (${partition}${order}${frame})`;
  // DuckDB widens integer sums to HUGEINT; keep BIGINT like the grouped sum does.
  return e.fn === "sum" && type === "BIGINT" ? `CAST(${sql} AS BIGINT)` : sql;
}
