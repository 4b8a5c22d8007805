// Reshaping verbs on LazyFrame: pivot (values given, or discovered by a query), unpivot, explode
// (list and map columns), unnest (struct columns). Added to LazyFrame here by declaration merging.
import { InvalidArgumentError, TypeMismatchError, checkOptionNames } from "../plan/errors.js";
import { colRef } from "../plan/expr.js";
import { pivotColumnName, type PivotParams, type UnnestParams, type UnpivotParams, type ExplodeParams } from "../plan/extensions.js";
import { AGGREGATE_FUNCTIONS } from "../plan/functions.js";
import { typeOf } from "../plan/infer.js";
import { schemaOf } from "../plan/schema.js";
import type { ExtensionParams, Plan } from "../plan/nodes.js";
import { comparable, isString, isTemporal, nameClash } from "../plan/types.js";
import { col } from "./expr.js";
import { LazyFrame } from "./lazy.js";

type Many<T> = T | readonly T[];
export type PivotValue = string | number | boolean;

export interface PivotOptions {
  /** The column whose values become new columns. */
  on: string;
  /** Columns that identify a row of the result (default: none, one row). */
  index?: Many<string>;
  /** Column(s) aggregated into the cells; with several, columns are named `<value>_<on value>`. */
  values: Many<string>;
  /** How cells with several rows are combined (default "first"). */
  agg?: "first" | "last" | "sum" | "mean" | "min" | "max" | "count" | "median";
  /** The values of `on` to turn into columns, in order. Without it, pivot runs a query to find them.
   *  A bigint beyond 2^53 is kept exact (matched as its decimal text). */
  columns?: readonly (PivotValue | bigint)[];
}

export interface UnpivotOptions {
  /** Columns kept as they are on every output row. */
  index?: Many<string>;
  /** Columns turned into rows (default: every column not in index). */
  on?: Many<string>;
  variableName?: string;
  valueName?: string;
}

/** More distinct values than this is almost always a mistake (a pivot on an id column). */
export const MAX_PIVOT_COLUMNS = 1000;

declare module "./lazy.js" {
  interface LazyFrame {
    /** Long → wide. With `columns` the result is lazy; without, the values of `on` are found first
     *  by running a query (SELECT DISTINCT on), so it returns a Promise. */
    pivot(options: PivotOptions & { columns: readonly (PivotValue | bigint)[] }): LazyFrame;
    pivot(options: PivotOptions): Promise<LazyFrame>;
    /** Wide → long: one row per (index, column), with the column's name and value. */
    unpivot(options?: UnpivotOptions): LazyFrame;
    /** One row per element of a list column, or per entry of a map column (a {key, value} struct). Empty and null lists give no row. */
    explode(column: string, ...more: never[]): LazyFrame;
    /** Replaces a struct column by one column per field (named `prefix + field`). */
    unnest(column: string, options?: { prefix?: string }): LazyFrame;
  }
}

const many = (v: Many<string> | undefined): string[] => (v === undefined ? [] : typeof v === "string" ? [v] : [...v]);

/** A new frame over `plan` that keeps the optimizer flags of `from`. */
export function derived(from: LazyFrame, plan: Plan): LazyFrame {
  const next = new LazyFrame(plan);
  next.optimizerFlags = from.optimizerFlags;
  return next;
}

export function extension(from: LazyFrame, op: string, inputs: Plan[], params: object): LazyFrame {
  return derived(from, { kind: "extension", op, inputs, params: params as ExtensionParams });
}

function checkColumns(frame: LazyFrame, names: readonly string[]): void {
  for (const n of names) typeOf(colRef(n), frame.schema);
}

function pivot(this: LazyFrame, options: PivotOptions): LazyFrame | Promise<LazyFrame> {
  checkOptionNames("pivot", options, { on: true, index: true, values: true, agg: true, columns: true } satisfies Record<keyof PivotOptions, true>);
  const index = many(options.index);
  const values = many(options.values);
  const agg = options.agg ?? "first";
  if (typeof options.on !== "string") throw new InvalidArgumentError("pivot({ on }): `on` must be a column name");
  if (values.length === 0) throw new InvalidArgumentError("pivot({ values }): name at least one column to fill the cells");
  if (!["first", "last", "sum", "mean", "min", "max", "count", "median"].includes(agg))
    throw new InvalidArgumentError(`pivot({ agg }): use one of first, last, sum, mean, min, max, count, median; got ${JSON.stringify(agg)}`);
  checkColumns(this, [options.on, ...index, ...values]);
  const valueTypes = values.map((v) => AGGREGATE_FUNCTIONS[agg].result([typeOf(colRef(v), this.schema)], undefined));
  if (agg === "sum" || agg === "mean") for (const v of values) typeOf({ kind: "agg", fn: agg, args: [colRef(v)] }, this.schema);
  const build = (given: readonly (PivotValue | bigint)[], discovered: boolean) => {
    // A bigint stays exact: a number when it is safe, else its decimal text (DuckDB casts the text back
    // to the column's integer type in the comparison), never a rounded Number().
    const pivotValues = given.map((v) => (typeof v === "bigint" ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v));
    if (pivotValues.length > MAX_PIVOT_COLUMNS)
      throw new InvalidArgumentError(`pivot: '${options.on}' has ${pivotValues.length} distinct values (more than ${MAX_PIVOT_COLUMNS}); pivot on a column with fewer values, or pass columns: [...]`);
    const names = new Set<string>();
    for (const pv of pivotValues) {
      if (pv === null || !["string", "number", "boolean"].includes(typeof pv)) throw new InvalidArgumentError(`pivot({ columns }): values must be strings, numbers or booleans, got ${JSON.stringify(pv)}`);
      if (names.has(String(pv))) throw new InvalidArgumentError(`pivot({ columns }): ${JSON.stringify(pv)} is listed twice`);
      names.add(String(pv));
    }
    // DuckDB reads names that differ only in case as one column ("tea" and "Tea"), and a value named
    // like an index column would shadow it.
    const outNames = [...index, ...values.flatMap((v) => pivotValues.map((pv) => pivotColumnName(pv, v, values.length > 1)))];
    const clash = nameClash(outNames);
    if (clash)
      throw new InvalidArgumentError(
        `pivot: the output columns '${clash[0]}' and '${clash[1]}' ${clash[0] === clash[1] ? "have the same name" : "differ only in case, which DuckDB reads as one column"}; ` +
          `rename the index column, or map the values of '${options.on}' first (e.g. col("${options.on}").lower()), or leave one out of columns`,
      );
    const params: PivotParams & { discovered: boolean } = { index, on: options.on, values, agg, pivotValues: [...pivotValues], valueTypes, discovered };
    return extension(this, "pivot", [this.plan], params);
  };
  if (options.columns !== undefined) {
    if (!Array.isArray(options.columns)) throw new InvalidArgumentError(`pivot({ columns }): columns must be an array of values, e.g. columns: [${JSON.stringify(options.columns)}]; got ${typeof options.columns}`);
    return build(options.columns, false);
  }
  // Discovery is a query: its own job (with progress), before the pivot frame exists.
  return this.select(options.on)
    .filter(col(options.on).isNotNull())
    .unique()
    .sort(options.on)
    .collect()
    .then((df) => build(df.column(options.on).map((v) => (v instanceof Date ? v.toISOString() : v)) as (PivotValue | bigint)[], true));
}
LazyFrame.prototype.pivot = pivot as LazyFrame["pivot"];

LazyFrame.prototype.unpivot = function (this: LazyFrame, options: UnpivotOptions = {}): LazyFrame {
  checkOptionNames("unpivot", options, { index: true, on: true, variableName: true, valueName: true } satisfies Record<keyof UnpivotOptions, true>);
  const index = many(options.index);
  checkColumns(this, index);
  const on = options.on === undefined ? this.columns.filter((c) => !index.includes(c)) : many(options.on);
  checkColumns(this, on);
  if (on.length === 0) throw new InvalidArgumentError("unpivot: no columns to unpivot (every column is in index)");
  const types = on.map((c) => typeOf(colRef(c), this.schema));
  types.forEach((t, i) => {
    // DuckDB will not unpivot a date with text (no implicit cast), though a comparison would parse it.
    if (!comparable(types[0], t) || (isTemporal(types[0]) && isString(t)) || (isString(types[0]) && isTemporal(t))) throw new TypeMismatchError(`unpivot: '${on[0]}' is ${types[0]} but '${on[i]}' is ${t}; unpivot columns of one kind, or cast them first`);
  });
  const params: UnpivotParams = { index, on, variableName: options.variableName ?? "variable", valueName: options.valueName ?? "value" };
  // Compared ignoring case: DuckDB reads "id" and "ID" as one column.
  if (nameClash([...index, params.variableName, params.valueName]))
    throw new InvalidArgumentError(
      `unpivot: variableName '${params.variableName}' and valueName '${params.valueName}' must differ from each other and from the index columns [${index.join(", ")}], also ignoring case (DuckDB reads names that differ only in case as one column); set variableName/valueName to other names`,
    );
  return extension(this, "unpivot", [this.plan], params);
};

LazyFrame.prototype.explode = function (this: LazyFrame, column: string, ...more: unknown[]): LazyFrame {
  if (typeof column !== "string" || more.length)
    throw new InvalidArgumentError(`explode(column): takes one column name as a string, got ${JSON.stringify([column, ...more])}; call explode once per column (note: .explode("a").explode("b") gives every pair, not the lists zipped)`);
  checkColumns(this, [column]);
  const params: ExplodeParams = { column };
  return extension(this, "explode", [this.plan], params);
};

LazyFrame.prototype.unnest = function (this: LazyFrame, column: string, options: { prefix?: string } = {}): LazyFrame {
  checkOptionNames("unnest", options, { prefix: true });
  checkColumns(this, [column]);
  const params: UnnestParams = { column, prefix: options.prefix ?? "" };
  const plan: Plan = { kind: "extension", op: "unnest", inputs: [this.plan], params: params as unknown as ExtensionParams };
  // Checked before the frame is made (ignoring case: DuckDB reads "name" and "Name" as one column).
  const clash = nameClash(schemaOf(plan).map((f) => f.name));
  if (clash) throw new InvalidArgumentError(
      `unnest('${column}'): a field collides with a column ('${clash[0]}' and '${clash[1]}'${clash[0] === clash[1] ? "" : ", which DuckDB reads as one name since it ignores case"}); pass { prefix: "${column}_" }`,
    );
  return derived(this, plan);
};
