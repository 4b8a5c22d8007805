// LazyFrame: each verb returns a new frame over a bigger plan, checked against the schema at once;
// nothing runs until an action (collect, count, stream, write, explain, profile).
import type * as A from "apache-arrow";
import { InvalidArgumentError, TypeMismatchError, checkOptionNames } from "../plan/errors.js";
import { children, colRef, containsAgg, containsWindow, exprToString, mapChildren, outputName, type Expr } from "../plan/expr.js";
import { typeOf } from "../plan/infer.js";
import type { JoinHow, Plan, SortKey } from "../plan/nodes.js";
import { optimize, type OptimizerFlags } from "../plan/optimizer.js";
import { orderAggregates } from "../plan/aggregateOrder.js";
import { schemaOf } from "../plan/schema.js";
import { jobDescription, planText, planTree } from "../plan/tree.js";
import { comparable, isBoolean, isNumeric, nameClash, nameKey, type Field } from "../plan/types.js";
import { collectTable, countRows, explainPhysical, streamBatches, writeFile, type WriteOptions } from "../engine/execute.js";
import { DataFrame } from "./dataframe.js";
import { Explain, Profile } from "./explain.js";
import { Expression, toColumnExpr, type ExprInput } from "./expr.js";
import { LazyPlot } from "./plot.js";
import { cachePlan, describeFrame, profilePlan } from "./actions.js";

export type ColumnInput = Expression | string;
type Many<T> = T | readonly T[];

function flat<T>(items: readonly Many<T>[]): T[] {
  return items.flatMap((i) => (Array.isArray(i) ? (i as T[]) : [i as T]));
}

export interface JoinOptions {
  /** Key column names (or expressions) present on both sides. */
  on?: Many<ColumnInput>;
  leftOn?: Many<ColumnInput>;
  rightOn?: Many<ColumnInput>;
  how?: JoinHow;
  /** Appended to right-side column names that collide with left ones (default "_right"). */
  suffix?: string;
}

export interface SortOptions {
  descending?: boolean | readonly boolean[];
  /** Where nulls go (default: first, as in Polars). */
  nullsLast?: boolean | readonly boolean[];
}

const RENAME_ONE = "rename one: with rename() or .as() on the frame before this step, with the verb's naming option (suffix, prefix, variableName, ...), or in the input data (a record key)";

export class LazyFrame {
  /** Optimizer flags for this frame's actions: { predicatePushdown: false } turns a pass off. */
  optimizerFlags: OptimizerFlags = {};

  constructor(readonly plan: Plan) {
    const schema = schemaOf(plan); // every verb is checked when it is written, not when it runs
    // DuckDB resolves column names ignoring case, even quoted: with "tea" and "Tea" in one frame it
    // would read one of them for both, so such a frame is refused before any query runs.
    const clash = nameClash(schema.map((f) => f.name));
    if (clash)
      throw new InvalidArgumentError(
        clash[0] === clash[1]
          ? `two columns would be named '${clash[0]}'; ${RENAME_ONE}`
          : `columns '${clash[0]}' and '${clash[1]}' differ only in case, and DuckDB treats column names case-insensitively, so it would read one for the other; ${RENAME_ONE}`,
      );
  }

  get schema(): Field[] {
    return [...schemaOf(this.plan)];
  }

  get columns(): string[] {
    return this.schema.map((f) => f.name);
  }

  private derive(plan: Plan): LazyFrame {
    const next = new LazyFrame(plan);
    next.optimizerFlags = this.optimizerFlags;
    return next;
  }

  private check(e: Expr, what: string): Expr {
    typeOf(e, schemaOf(this.plan));
    if (containsAgg(e)) throw new InvalidArgumentError(`${what}(${exprToString(e)}): aggregations belong in groupBy(...).agg(...) or select(...)`);
    return e;
  }

  // ---- verbs

  select(...exprs: Many<ColumnInput>[]): LazyFrame {
    const list = flat(exprs).map(toColumnExpr);
    if (list.length === 0) throw new InvalidArgumentError("select() needs at least one column or expression");
    const aggs = list.filter(containsAgg);
    if (aggs.length === list.length) return this.aggregate([], list);
    if (aggs.length)
      throw new InvalidArgumentError(
        `select() mixes aggregations (${aggs.map(exprToString).join(", ")}) with row-wise columns; use groupBy(...).agg(...)`,
      );
    uniqueNames(list, "select");
    return this.derive({ kind: "project", input: this.plan, exprs: list });
  }

  withColumns(...exprs: Many<Expression>[]): LazyFrame {
    const added = flat(exprs).map((e) => this.check(toColumnExpr(e), "withColumns"));
    uniqueNames(added, "withColumns");
    const byName = new Map(added.map((e) => [outputName(e), e]));
    const kept = this.columns.map((name) => byName.get(name) ?? colRef(name));
    const fresh = added.filter((e) => !this.columns.includes(outputName(e)));
    return this.derive({ kind: "project", input: this.plan, exprs: [...kept, ...fresh] });
  }

  withColumn(expr: Expression): LazyFrame {
    return this.withColumns(expr);
  }

  filter(predicate: Expression): LazyFrame {
    const e = this.check(toColumnExpr(predicate), "filter");
    const t = typeOf(e, schemaOf(this.plan));
    if (!isBoolean(t)) throw new TypeMismatchError(`filter(${exprToString(e)}): a filter needs a BOOLEAN expression, got ${t}`);
    if (!containsWindow(e)) return this.derive({ kind: "filter", input: this.plan, predicate: e });
    // SQL computes windows after WHERE, so a condition on one (top-N per group, above the group's mean)
    // computes each window as a hidden column first, filters on it, then drops it.
    const windows: Expr[] = [];
    const hidden = (i: number) => {
      let name = `__window_${i}`;
      while (this.columns.some((c) => nameKey(c) === nameKey(name))) name = `_${name}`; // DuckDB ignores case
      return name;
    };
    const replace = (x: Expr): Expr => {
      if (x.kind !== "window") return mapChildren(x, replace);
      const name = hidden(windows.length);
      windows.push({ kind: "alias", expr: x, name });
      return colRef(name);
    };
    const onHidden = replace(e);
    const withWindows: Plan = { kind: "project", input: this.plan, exprs: [...this.columns.map(colRef), ...windows] };
    const filtered: Plan = { kind: "filter", input: withWindows, predicate: onHidden };
    return this.derive({ kind: "project", input: filtered, exprs: this.columns.map(colRef) });
  }

  where(predicate: Expression): LazyFrame {
    return this.filter(predicate);
  }

  groupBy(...keys: Many<ColumnInput>[]): GroupBy {
    const list = flat(keys).map((k) => this.check(toColumnExpr(k), "groupBy"));
    if (list.length === 0) throw new InvalidArgumentError("groupBy() needs at least one key");
    return new GroupBy(this, list);
  }

  /** @internal */
  aggregate(keys: Expr[], aggs: Expr[]): LazyFrame {
    for (const a of aggs) {
      if (!containsAgg(a)) throw new InvalidArgumentError(`agg(${exprToString(a)}): expected an aggregation such as col("x").sum() or count()`);
      const nested = innerAggregation(a);
      if (nested) throw new InvalidArgumentError(`agg(${exprToString(a)}): ${exprToString(nested)} is an aggregation inside another; aggregate once per groupBy (group again for a second level)`);
      typeOf(a, schemaOf(this.plan));
    }
    uniqueNames([...keys, ...aggs], "agg");
    const ordered = orderAggregates(this.plan, aggs);
    return this.derive({ kind: "aggregate", input: ordered.input, keys, aggs: ordered.aggs });
  }

  join(other: LazyFrame, options: JoinOptions = {}): LazyFrame {
    checkOptionNames("join", options, { on: true, leftOn: true, rightOn: true, how: true, suffix: true } satisfies Record<keyof JoinOptions, true>);
    const how = options.how ?? "inner";
    const kinds: JoinHow[] = ["inner", "left", "right", "full", "semi", "anti", "cross"];
    if (!kinds.includes(how)) throw new InvalidArgumentError(`join how must be one of ${kinds.join(", ")}; got ${JSON.stringify(how)}`);
    let leftOn: Expr[] = [];
    let rightOn: Expr[] = [];
    if (how === "cross" && (options.on ?? options.leftOn ?? options.rightOn) !== undefined)
      throw new InvalidArgumentError(`join: a cross join pairs every row with every row and takes no keys; drop on/leftOn/rightOn, or use how: "inner"`);
    if (how !== "cross") {
      if (options.on !== undefined) leftOn = rightOn = flat([options.on]).map(toColumnExpr);
      else if (options.leftOn !== undefined && options.rightOn !== undefined) {
        leftOn = flat([options.leftOn]).map(toColumnExpr);
        rightOn = flat([options.rightOn]).map(toColumnExpr);
      } else throw new InvalidArgumentError("join needs `on` (keys on both sides) or both `leftOn` and `rightOn`, unless how is \"cross\"");
      if (leftOn.length === 0 || leftOn.length !== rightOn.length)
        throw new InvalidArgumentError(`join: leftOn has ${leftOn.length} keys and rightOn has ${rightOn.length}; they must match and not be empty`);
      leftOn.forEach((l, i) => {
        const lt = typeOf(l, schemaOf(this.plan));
        const rt = typeOf(rightOn[i], schemaOf(other.plan));
        if (!comparable(lt, rt))
          throw new TypeMismatchError(`join key ${exprToString(l)} is ${lt} but ${exprToString(rightOn[i])} is ${rt}; cast one side`);
      });
    }
    return this.derive({ kind: "join", left: this.plan, right: other.plan, how, leftOn, rightOn, suffix: options.suffix ?? "_right" });
  }

  sort(by: Many<ColumnInput>, options: SortOptions = {}): LazyFrame {
    if (typeof options !== "object" || options === null || Array.isArray(options) || options instanceof Expression)
      throw new InvalidArgumentError(`sort(by, options): the second argument is options ({ descending, nullsLast }); sort by several keys with an array: sort(["a", "b"])`);
    checkOptionNames("sort", options, { descending: true, nullsLast: true } satisfies Record<keyof SortOptions, true>);
    const keys = flat([by]).map((k) => this.check(toColumnExpr(k), "sort"));
    const pick = (v: boolean | readonly boolean[] | undefined, i: number, dflt: boolean) =>
      Array.isArray(v) ? (v[i] ?? dflt) : ((v as boolean | undefined) ?? dflt);
    const sortKeys: SortKey[] = keys.map((expr, i) => ({
      expr,
      descending: pick(options.descending, i, false),
      nullsLast: pick(options.nullsLast, i, false),
    }));
    return this.derive({ kind: "sort", input: this.plan, keys: sortKeys });
  }

  limit(n: number): LazyFrame {
    return this.slice(0, n);
  }

  head(n = 5): LazyFrame {
    return this.slice(0, n);
  }

  slice(offset: number, length: number): LazyFrame {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`slice: offset must be a non-negative integer, got ${JSON.stringify(offset)}`);
    if (!Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError(`slice/limit: length must be a non-negative integer, got ${JSON.stringify(length)}`);
    return this.derive({ kind: "limit", input: this.plan, n: length, offset });
  }

  unique(...subset: Many<string>[]): LazyFrame {
    const given = flat(subset).filter((c) => c !== undefined);
    const cols = given.length === 0 ? undefined : given;
    cols?.forEach((c) => typeOf(colRef(c), schemaOf(this.plan)));
    return this.derive({ kind: "distinct", input: this.plan, subset: cols });
  }

  rename(mapping: Record<string, string>): LazyFrame {
    for (const from of Object.keys(mapping)) typeOf(colRef(from), schemaOf(this.plan));
    const exprs = this.columns.map((c): Expr => (c in mapping ? { kind: "alias", expr: colRef(c), name: mapping[c] } : colRef(c)));
    uniqueNames(exprs, "rename");
    return this.derive({ kind: "project", input: this.plan, exprs });
  }

  drop(...columns: Many<string>[]): LazyFrame {
    const gone = new Set(flat(columns));
    for (const c of gone) typeOf(colRef(c), schemaOf(this.plan));
    return this.derive({ kind: "project", input: this.plan, exprs: this.columns.filter((c) => !gone.has(c)).map(colRef) });
  }

  union(...others: LazyFrame[]): LazyFrame {
    const mine = schemaOf(this.plan);
    for (const o of others) {
      const theirs = schemaOf(o.plan);
      const a = mine.map((f) => f.name).sort().join(", ");
      const b = theirs.map((f) => f.name).sort().join(", ");
      if (a !== b) throw new InvalidArgumentError(`union needs the same columns on every side: [${a}] vs [${b}]`);
      for (const f of mine) {
        const t = theirs.find((x) => x.name === f.name)!.type;
        // Numbers widen (BIGINT and DOUBLE give DOUBLE); other types must match, as in Polars.
        const fits = f.type === t || f.type === "NULL" || t === "NULL" || (isNumeric(f.type) && isNumeric(t));
        if (!fits) throw new TypeMismatchError(`union: column '${f.name}' is ${f.type} on one side and ${t} on the other; cast one side, e.g. col(${JSON.stringify(f.name)}).cast("${f.type}")`);
      }
    }
    return this.derive({ kind: "union", inputs: [this.plan, ...others.map((o) => o.plan)] });
  }

  sample(options: { n?: number; fraction?: number; seed?: number }): LazyFrame {
    checkOptionNames("sample", options, { n: true, fraction: true, seed: true });
    const { n, fraction, seed = 42 } = options;
    if ((n === undefined) === (fraction === undefined)) throw new InvalidArgumentError("sample needs exactly one of { n } or { fraction }");
    if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw new InvalidArgumentError(`sample: n must be a non-negative integer, got ${JSON.stringify(n)}`);
    if (fraction !== undefined && !(typeof fraction === "number" && fraction >= 0 && fraction <= 1)) throw new InvalidArgumentError(`sample: fraction must be a number in [0, 1], got ${JSON.stringify(fraction)}`);
    // DuckDB's REPEATABLE takes a 32-bit signed seed; silently wrapping would repeat other seeds' rows.
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 2147483647)) throw new InvalidArgumentError(`sample: seed must be an integer from 0 to 2147483647, got ${JSON.stringify(seed)}`);
    return this.derive({ kind: "sample", input: this.plan, n, fraction, seed });
  }

  // ---- actions

  /** The plan the engine will run (after the optimizer). */
  optimizedPlan(): Plan {
    return optimize(this.plan, this.optimizerFlags);
  }

  private info(action: string, plan: Plan) {
    return { description: jobDescription(action, plan), planTree: planTree(plan) };
  }

  async collect(): Promise<DataFrame> {
    const plan = this.optimizedPlan();
    return new DataFrame(await collectTable(plan, this.info("collect", plan)));
  }

  async count(): Promise<number> {
    const plan = this.optimizedPlan();
    return countRows(plan, this.info("count", plan));
  }

  /** Record batches as the engine produces them. */
  stream(): AsyncGenerator<A.RecordBatch> {
    const plan = this.optimizedPlan();
    return streamBatches(plan, this.info("stream", plan));
  }

  get write(): FrameWriter {
    const write = (format: "parquet" | "csv" | "ndjson" | "arrow") => async (path: string, options: WriteOptions = {}) => {
      if (typeof path !== "string" || path === "") throw new InvalidArgumentError(`write.${format}(path): path must be a non-empty string`);
      if (typeof options !== "object" || options === null || Array.isArray(options))
        throw new InvalidArgumentError(`write.${format}(path, options): options must be an object such as { partitionBy: ["day"], overwrite: false }, got ${JSON.stringify(options)}`);
      checkOptionNames(`write.${format}`, options, { partitionBy: true, overwrite: true } satisfies Record<keyof WriteOptions, true>);
      if (options.partitionBy !== undefined && !Array.isArray(options.partitionBy))
        throw new InvalidArgumentError(`write.${format}: partitionBy must be an array of column names, e.g. { partitionBy: ["day"] }`);
      options.partitionBy?.forEach((c) => typeOf(colRef(c), schemaOf(this.plan)));
      const plan = this.optimizedPlan();
      await writeFile(plan, path, format, options, this.info(`write ${format} ${path}`, plan));
    };
    return { parquet: write("parquet"), csv: write("csv"), ndjson: write("ndjson"), arrow: write("arrow") };
  }

  async explain(): Promise<Explain> {
    const optimized = this.optimizedPlan();
    return new Explain(this.plan, optimized, await explainPhysical(optimized));
  }

  async profile(): Promise<Profile> {
    const plan = this.optimizedPlan();
    return profilePlan(plan, this.info("profile", plan));
  }

  async describe(): Promise<DataFrame> {
    return describeFrame(this);
  }

  /** Computes the frame once into engine memory; later queries read the cached rows. */
  async cache(): Promise<LazyFrame> {
    const plan = this.optimizedPlan();
    return this.derive(await cachePlan(plan, this.info("cache", plan)));
  }

  get plot(): LazyPlot {
    return new LazyPlot(this);
  }

  toString(): string {
    return `LazyFrame [${this.schema.map((f) => `${f.name}: ${f.type}`).join(", ")}]\n${planText(this.plan)}`;
  }
}

export interface FrameWriter {
  parquet(path: string, options?: WriteOptions): Promise<void>;
  csv(path: string, options?: WriteOptions): Promise<void>;
  ndjson(path: string, options?: WriteOptions): Promise<void>;
  /** Arrow IPC file. DuckDB has no built-in Arrow writer, so batches stream through JS. */
  arrow(path: string, options?: WriteOptions): Promise<void>;
}

export class GroupBy {
  constructor(
    private readonly frame: LazyFrame,
    private readonly keys: Expr[],
  ) {}

  agg(...aggs: Many<Expression>[]): LazyFrame {
    const list = flat(aggs).map(toColumnExpr);
    if (list.length === 0) throw new InvalidArgumentError("agg() needs at least one aggregation");
    return this.frame.aggregate(this.keys, list);
  }
}

/** The first aggregation found inside another aggregation's arguments (sum().sum()), if any. */
function innerAggregation(e: Expr): Expr | undefined {
  if (e.kind === "window") return undefined;
  if (e.kind === "agg") return e.args.find(containsAgg);
  for (const c of children(e)) {
    const found = innerAggregation(c);
    if (found) return found;
  }
  return undefined;
}

function uniqueNames(exprs: readonly Expr[], verb: string): void {
  const seen = new Set<string>();
  for (const e of exprs) {
    const n = outputName(e);
    if (seen.has(n)) throw new InvalidArgumentError(`${verb}: two outputs are named '${n}'; rename one with .as("...")`);
    seen.add(n);
  }
}

export type { ExprInput };
