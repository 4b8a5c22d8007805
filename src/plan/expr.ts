// The expression IR: plain data, so passes can rewrite it and tests can compare it. The builder API
// users touch (col("a").gt(1)) lives in src/frame and produces these nodes.
import type { DataType } from "./types.js";
import type { AggregateFn, ScalarFn, WindowOnlyFn } from "./names.js";

export type Literal = null | boolean | number | bigint | string | Date;
export type OptionValue = string | number | boolean | null | readonly (string | number | boolean | null)[];
export type Options = Readonly<Record<string, OptionValue>>;

export type Expr =
  | { readonly kind: "col"; readonly name: string }
  | { readonly kind: "lit"; readonly value: Literal; readonly type: DataType }
  /** A scalar function from the table in ./functions.ts. */
  | { readonly kind: "call"; readonly fn: ScalarFn; readonly args: readonly Expr[]; readonly options?: Options }
  /**
   * An aggregate function from the table in ./functions.ts. `orderBy` orders the rows it sees (first, last
   * and collectList after a sort: src/plan/aggregateOrder.ts).
   */
  | { readonly kind: "agg"; readonly fn: AggregateFn; readonly args: readonly Expr[]; readonly options?: Options; readonly orderBy?: readonly WindowOrder[] }
  | { readonly kind: "case"; readonly branches: readonly { when: Expr; then: Expr }[]; readonly otherwise: Expr }
  | { readonly kind: "cast"; readonly expr: Expr; readonly to: DataType }
  | { readonly kind: "struct"; readonly fields: readonly { name: string; expr: Expr }[] }
  | { readonly kind: "alias"; readonly expr: Expr; readonly name: string }
  /** A window function (src/plan/window.ts): fn over rows grouped by partitionBy, ordered by orderBy, within frame. */
  | WindowExpr;

export interface WindowOrder {
  readonly expr: Expr;
  readonly descending: boolean;
  readonly nullsLast: boolean;
}

/** Rows (by position) or range (by order-key value) around the current row; null = unbounded. */
export interface WindowFrame {
  readonly unit: "rows" | "range";
  readonly start: number | null;
  readonly end: number | null;
}

export interface WindowExpr {
  readonly kind: "window";
  readonly fn: WindowOnlyFn | AggregateFn;
  readonly args: readonly Expr[];
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly WindowOrder[];
  readonly frame?: WindowFrame;
  readonly options?: Options;
}

export function colRef(name: string): Expr {
  return { kind: "col", name };
}

export function literal(value: Literal): Expr {
  return { kind: "lit", value, type: literalType(value) };
}

export function literalType(value: Literal): DataType {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return "BOOLEAN";
  if (typeof value === "bigint") return "BIGINT";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return "DOUBLE";
    return Math.abs(value) <= 2147483647 ? "INTEGER" : "BIGINT";
  }
  if (value instanceof Date) return "TIMESTAMP";
  return "VARCHAR";
}

/** Children of an expression, in order. */
export function children(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case "col":
    case "lit":
      return [];
    case "call":
      return e.args;
    case "agg":
      return e.orderBy ? [...e.args, ...e.orderBy.map((o) => o.expr)] : e.args;
    case "case":
      return [...e.branches.flatMap((b) => [b.when, b.then]), e.otherwise];
    case "cast":
    case "alias":
      return [e.expr];
    case "struct":
      return e.fields.map((f) => f.expr);
    case "window":
      return [...e.args, ...e.partitionBy, ...e.orderBy.map((o) => o.expr)];
  }
}

/** Rebuilds an expression with each child replaced by f(child). */
export function mapChildren(e: Expr, f: (child: Expr) => Expr): Expr {
  switch (e.kind) {
    case "col":
    case "lit":
      return e;
    case "call":
      return { ...e, args: e.args.map(f) };
    case "agg":
      return { ...e, args: e.args.map(f), ...(e.orderBy && { orderBy: e.orderBy.map((o) => ({ ...o, expr: f(o.expr) })) }) };
    case "case":
      return { kind: "case", branches: e.branches.map((b) => ({ when: f(b.when), then: f(b.then) })), otherwise: f(e.otherwise) };
    case "cast":
    case "alias":
      return { ...e, expr: f(e.expr) };
    case "struct":
      return { kind: "struct", fields: e.fields.map((fl) => ({ name: fl.name, expr: f(fl.expr) })) };
    case "window":
      return { ...e, args: e.args.map(f), partitionBy: e.partitionBy.map(f), orderBy: e.orderBy.map((o) => ({ ...o, expr: f(o.expr) })) };
  }
}

export function columnsOf(e: Expr, into: Set<string> = new Set()): Set<string> {
  if (e.kind === "col") into.add(e.name);
  for (const c of children(e)) columnsOf(c, into);
  return into;
}

export function containsAgg(e: Expr): boolean {
  // A window's aggregate is evaluated per row, so it does not make the expression an aggregation.
  return e.kind === "agg" || (e.kind !== "window" && children(e).some(containsAgg));
}

export function containsWindow(e: Expr): boolean {
  return e.kind === "window" || children(e).some(containsWindow);
}

export function stripAlias(e: Expr): Expr {
  return e.kind === "alias" ? stripAlias(e.expr) : e;
}

/** The output column name, Polars-style: an alias, else the leftmost column, else "literal". */
export function outputName(e: Expr): string {
  switch (e.kind) {
    case "alias":
      return e.name;
    case "col":
      return e.name;
    case "lit":
      return "literal";
    case "agg":
      if (e.fn === "count_star") return "count";
      break;
    case "struct":
      return e.fields[0]?.name ?? "struct";
    case "window":
      return e.args.length ? outputName(e.args[0]) : e.fn;
  }
  for (const c of children(e)) {
    const name = outputName(c);
    if (name !== "literal") return name;
  }
  return "literal";
}

/** Splits a conjunction into its parts: a AND (b AND c) → [a, b, c]. */
export function conjuncts(e: Expr): Expr[] {
  if (e.kind === "call" && e.fn === "and") return e.args.flatMap(conjuncts);
  return [e];
}

export function conjunction(parts: readonly Expr[]): Expr {
  return parts.reduce((acc, p) => ({ kind: "call", fn: "and", args: [acc, p] }));
}

/** Replaces column references by the expressions they stand for (used when pushing through a projection). */
export function substitute(e: Expr, bindings: ReadonlyMap<string, Expr>): Expr {
  if (e.kind === "col") return bindings.get(e.name) ?? e;
  return mapChildren(e, (c) => substitute(c, bindings));
}

export function renameColumns(e: Expr, names: ReadonlyMap<string, string>): Expr {
  if (e.kind === "col") return names.has(e.name) ? colRef(names.get(e.name)!) : e;
  return mapChildren(e, (c) => renameColumns(c, names));
}

/** Readable form in the builder's own syntax, for errors and explain(). */
export function exprToString(e: Expr): string {
  switch (e.kind) {
    case "col":
      return `col(${JSON.stringify(e.name)})`;
    case "lit":
      return `lit(${formatLiteral(e.value)})`;
    case "call":
    case "agg": {
      if (e.fn === "count_star") return "count()";
      const [self, ...rest] = e.args;
      const opts = e.options ? Object.values(e.options).map((v) => JSON.stringify(v)) : [];
      const order = e.kind === "agg" && e.orderBy?.length ? [`orderBy: [${e.orderBy.map(orderToString).join(", ")}]`] : [];
      const args = [...rest.map(exprToString), ...opts, ...order].join(", ");
      return self ? `${exprToString(self)}.${e.fn}(${args})` : `${e.fn}(${args})`;
    }
    case "case":
      return `when(${e.branches.map((b) => `${exprToString(b.when)} → ${exprToString(b.then)}`).join("; ")}).otherwise(${exprToString(e.otherwise)})`;
    case "cast":
      return `${exprToString(e.expr)}.cast(${JSON.stringify(e.to)})`;
    case "struct":
      return `struct({${e.fields.map((f) => `${f.name}: ${exprToString(f.expr)}`).join(", ")}})`;
    case "alias":
      return `${exprToString(e.expr)}.as(${JSON.stringify(e.name)})`;
    case "window": {
      const [self, ...rest] = e.args;
      const opts = e.options ? Object.values(e.options).map((v) => JSON.stringify(v)) : [];
      const call = `${self ? `${exprToString(self)}.` : ""}${e.fn}(${[...rest.map(exprToString), ...opts].join(", ")})`;
      const spec = [
        e.partitionBy.length ? `partitionBy: [${e.partitionBy.map(exprToString).join(", ")}]` : "",
        e.orderBy.length ? `orderBy: [${e.orderBy.map(orderToString).join(", ")}]` : "",
        e.frame ? `frame: ${e.frame.unit} ${e.frame.start ?? "unbounded"}..${e.frame.end ?? "unbounded"}` : "",
      ].filter(Boolean);
      return `${call}.over({${spec.join(", ")}})`;
    }
  }
}

function orderToString(o: WindowOrder): string {
  return `${exprToString(o.expr)}${o.descending ? " desc" : ""}`;
}

function formatLiteral(v: Literal): string {
  if (v instanceof Date) return `Date(${JSON.stringify(v.toISOString())})`;
  if (typeof v === "bigint") return `${v}n`;
  return JSON.stringify(v);
}
