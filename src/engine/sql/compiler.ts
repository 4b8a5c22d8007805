// Plan → DuckDB SQL. Each plan node becomes one SELECT over its input's SELECT; DuckDB's own optimizer
// flattens the nesting, so the text stays simple and every identifier/literal is quoted in one place.
import { outputName, stripAlias, type Expr } from "../../plan/expr.js";
import { typeOf } from "../../plan/infer.js";
import type { HiveFile, Plan, Source } from "../../plan/nodes.js";
import { isNullPartition } from "../../plan/hive.js";
import { joinColumns, schemaOf } from "../../plan/schema.js";
import { isDecimal, isFloat, isInteger, type Schema } from "../../plan/types.js";
import { AGGREGATE_SQL, SCALAR_SQL, aggregateArgs, orderList, renderCall } from "./dialect.js";
import { quoteIdent, quoteLiteral, quoteString, quoteType } from "./quote.js";
import { literalPath } from "../paths.js";
import { compileExtension } from "./extensions.js";
import { renderWindow } from "./window.js";

export const MEMORY_SCHEMA = "sluice_mem";

const ARITHMETIC = new Set(["add", "sub", "mul", "mod"]);

export interface CompiledQuery {
  sql: string;
  /** In-memory sources (and JS functions, src/engine/udf.ts) the engine must load before running the SQL. */
  memorySources: string[];
  /** Values bound to $1, $2, ... (from sql`...` templates); undefined when there are none. */
  params?: unknown[];
}

export function compile(plan: Plan): CompiledQuery {
  const c = new Compiler();
  const sql = c.plan(plan);
  return { sql, memorySources: [...c.memory], params: c.params.length ? c.params : undefined };
}

export function compileExpr(e: Expr, schema: Schema, qualifier?: string): string {
  return new Compiler().expr(e, schema, qualifier);
}

class Compiler {
  readonly memory = new Set<string>();
  readonly params: unknown[] = [];
  private aliasCount = 0;

  private alias(): string {
    this.aliasCount += 1;
    return `t${this.aliasCount}`;
  }

  plan(p: Plan): string {
    switch (p.kind) {
      case "scan":
        return this.scan(p);
      case "project": {
        const input = schemaOf(p.input);
        return `SELECT ${this.selectList(p.exprs, input)} FROM (${this.plan(p.input)}) AS ${this.alias()}`;
      }
      case "filter":
        return `SELECT * FROM (${this.plan(p.input)}) AS ${this.alias()} WHERE ${this.expr(p.predicate, schemaOf(p.input))}`;
      case "aggregate": {
        const input = schemaOf(p.input);
        const list = this.selectList([...p.keys, ...p.aggs], input);
        const groupBy = p.keys.length ? ` GROUP BY ${p.keys.map((k) => this.expr(stripAlias(k), input)).join(", ")}` : "";
        return `SELECT ${list} FROM (${this.plan(p.input)}) AS ${this.alias()}${groupBy}`;
      }
      case "sort":
        return `SELECT * FROM (${this.plan(p.input)}) AS ${this.alias()} ORDER BY ${this.orderBy(p)}`;
      case "limit": {
        // Sort and limit in one block, so the order is kept and DuckDB can use a top-N.
        const sort = p.input.kind === "sort" ? p.input : undefined;
        const from = sort ? sort.input : p.input;
        const order = sort ? ` ORDER BY ${this.orderBy(sort)}` : "";
        // n and offset are checked integers (slice()); `| 0` would wrap them past 2^31.
        const offset = p.offset ? ` OFFSET ${integerText(p.offset)}` : "";
        return `SELECT * FROM (${this.plan(from)}) AS ${this.alias()}${order} LIMIT ${integerText(p.n)}${offset}`;
      }
      case "distinct": {
        const on = p.subset ? ` ON (${p.subset.map(quoteIdent).join(", ")})` : "";
        return `SELECT DISTINCT${on} * FROM (${this.plan(p.input)}) AS ${this.alias()}`;
      }
      case "union": {
        const fields = schemaOf(p);
        const list = (input: Plan) => {
          const own = schemaOf(input);
          return fields
            .map((f) => (own.find((x) => x.name === f.name)?.type === f.type ? quoteIdent(f.name) : `CAST(${quoteIdent(f.name)} AS ${quoteType(f.type)}) AS ${quoteIdent(f.name)}`))
            .join(", ");
        };
        return p.inputs.map((i) => `(SELECT ${list(i)} FROM (${this.plan(i)}) AS ${this.alias()})`).join(" UNION ALL ");
      }
      case "sample": {
        // DuckDB's sample clause takes number tokens only (no cast expression), so the checked numbers are written out.
        const how = p.n !== undefined ? `reservoir(${integerText(p.n)} ROWS)` : `bernoulli(${numberText(Number(p.fraction) * 100)} PERCENT)`;
        return `SELECT * FROM (${this.plan(p.input)}) AS ${this.alias()} USING SAMPLE ${how} REPEATABLE (${integerText(p.seed)})`;
      }
      case "join":
        return this.join(p);
      case "extension":
        return compileExtension(p, {
          input: (i) => this.plan(p.inputs[i]),
          alias: () => this.alias(),
          expr: (e, schema, qualifier) => this.expr(e, schema, qualifier),
          param: (value) => `$${this.params.push(value)}`,
          require: (id) => this.memory.add(id),
        });
    }
  }

  private orderBy(p: Extract<Plan, { kind: "sort" }>): string {
    const input = schemaOf(p.input);
    return orderList(p.keys, (e) => this.expr(e, input));
  }

  private selectList(exprs: readonly Expr[], input: Schema): string {
    return exprs
      .map((e) => {
        const inner = stripAlias(e);
        const name = outputName(e);
        if (inner.kind === "col" && inner.name === name) return quoteIdent(name);
        return `${this.expr(inner, input)} AS ${quoteIdent(name)}`;
      })
      .join(", ");
  }

  private join(p: Extract<Plan, { kind: "join" }>): string {
    const l = this.alias();
    const r = this.alias();
    const ls = schemaOf(p.left);
    const rs = schemaOf(p.right);
    const kinds = { inner: "INNER JOIN", left: "LEFT JOIN", right: "RIGHT JOIN", full: "FULL JOIN", semi: "SEMI JOIN", anti: "ANTI JOIN", cross: "CROSS JOIN" };
    const cols = joinColumns(p).map((c) => {
      const lc = c.leftName !== undefined ? `${l}.${quoteIdent(c.leftName)}` : "";
      const rc = c.rightName !== undefined ? `${r}.${quoteIdent(c.rightName)}` : "";
      const value =
        c.from === "left" ? lc : c.from === "right" ? rc : p.how === "right" ? rc : p.how === "full" ? `coalesce(${lc}, ${rc})` : lc;
      return `${value} AS ${quoteIdent(c.name)}`;
    });
    const on =
      p.how === "cross"
        ? ""
        : ` ON ${p.leftOn.map((le, i) => `(${this.expr(le, ls, l)} = ${this.expr(p.rightOn[i], rs, r)})`).join(" AND ")}`;
    return `SELECT ${cols.join(", ")} FROM (${this.plan(p.left)}) AS ${l} ${kinds[p.how]} (${this.plan(p.right)}) AS ${r}${on}`;
  }

  private scan(p: Extract<Plan, { kind: "scan" }>): string {
    const schema = schemaOf(p);
    const cols = p.columns ? schema.map((f) => quoteIdent(f.name)).join(", ") : "*";
    const where = p.filters.length ? ` WHERE ${p.filters.map((f) => this.expr(f, p.source.schema)).join(" AND ")}` : "";
    if (p.source.kind === "parquet" && (p.files ?? p.source.files).length === 0) {
      // Every partition pruned: an empty result with the right columns, without opening a file.
      const empty = schema.map((f) => `CAST(NULL AS ${quoteType(f.type)}) AS ${quoteIdent(f.name)}`).join(", ");
      return `SELECT ${empty || "NULL AS \"empty\""} WHERE FALSE`;
    }
    return `SELECT ${cols} FROM ${this.source(p.source, p.files)}${where}`;
  }

  private source(s: Source, files: readonly HiveFile[] | undefined): string {
    switch (s.kind) {
      case "parquet": {
        const list = (files ?? s.files).map((f) => quoteString(literalPath(f.path))).join(", ");
        const union = s.unionByName ? ", union_by_name = TRUE" : "";
        if (!s.hive) return `read_parquet([${list}], hive_partitioning = FALSE${union})`;
        // DuckDB names a partition column by its key as written in the folder (not URL-decoded), and adds one
        // for every key=value folder in the path, even above the scan root: select our columns by name.
        const key = (name: string) => s.hiveKeys?.[name] ?? name;
        const types = s.partitionColumns.map((c) => `${quoteString(key(c.name))}: ${quoteString(c.type)}`).join(", ");
        const partitions = new Set(s.partitionColumns.map((c) => c.name));
        const read = files ?? s.files;
        if (shadowsDataColumn(read[0].path, s.schema, partitions)) return hiveByGroups(s, read, union);
        const select = s.schema.map((f) => (partitions.has(f.name) ? `${quoteIdent(key(f.name))} AS ${quoteIdent(f.name)}` : quoteIdent(f.name)));
        return `(SELECT ${select.join(", ")} FROM read_parquet([${list}], hive_partitioning = TRUE, hive_types = {${types}}${union}))`;
      }
      case "csv":
        return `read_csv(${fileList(s)}, ${csvArgs(s.options, s.schema)})`;
      case "ndjson":
        return `read_json(${fileList(s)}, format = 'newline_delimited', hive_partitioning = FALSE, columns = ${structOfTypes(s.schema)})`;
      case "memory":
        this.memory.add(s.id);
        return `${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(s.id)}`;
      case "table":
        return `${quoteIdent(MEMORY_SCHEMA)}.${quoteIdent(s.name)}`;
    }
  }

  expr(e: Expr, schema: Schema, qualifier?: string): string {
    const q = (x: Expr) => this.expr(x, schema, qualifier);
    switch (e.kind) {
      case "col":
        return qualifier ? `${qualifier}.${quoteIdent(e.name)}` : quoteIdent(e.name);
      case "lit":
        return quoteLiteral(e.value);
      case "alias":
        return q(e.expr);
      case "cast": {
        // DuckDB rounds a fraction cast to an integer; Polars (like Math.trunc) cuts toward zero.
        const from = typeOf(e.expr, schema);
        const inner = isInteger(e.to) && (isFloat(from) || isDecimal(from)) ? `trunc(${q(e.expr)})` : q(e.expr);
        return `CAST(${inner} AS ${quoteType(e.to)})`;
      }
      case "struct":
        return `struct_pack(${e.fields.map((f) => `${quoteIdent(f.name)} := ${q(f.expr)}`).join(", ")})`;
      case "case":
        return `CASE ${e.branches.map((b) => `WHEN ${q(b.when)} THEN ${q(b.then)}`).join(" ")} ELSE ${q(e.otherwise)} END`;
      case "call": {
        if (e.fn === "udf") this.memory.add(String(e.options?.name)); // registered with the engine before the query
        // DuckDB types a bare integer literal as narrowly as the other operand (TINYINT * 100 overflows in
        // TINYINT); the schema says INTEGER, so the literal is written with its type.
        const args = e.args.map((a) => (ARITHMETIC.has(e.fn) && a.kind === "lit" && isInteger(a.type) ? `CAST(${quoteLiteral(a.value)} AS ${a.type})` : q(a)));
        const options = e.fn === "floor" ? { ...e.options, inputType: typeOf(e.args[0], schema) } : e.options;
        return this.decimalResult(e, schema, renderCall(SCALAR_SQL, e.fn, args, options));
      }
      case "window":
        return renderWindow(e, q, typeOf(e, schema));
      case "agg": {
        const args = aggregateArgs(e.fn, e.args.map(q), typeOf(e, schema));
        // An ordered aggregate (src/plan/aggregateOrder.ts): first(x ORDER BY k DESC NULLS LAST).
        if (e.orderBy?.length) args[args.length - 1] += ` ORDER BY ${orderList(e.orderBy, q)}`;
        const sql = renderCall(AGGREGATE_SQL, e.fn, args, e.options);
        // DuckDB widens integer sums to HUGEINT; keep BIGINT like Polars so results stay plain numbers.
        return e.fn === "sum" && typeOf(e, schema) === "BIGINT" ? `CAST(${sql} AS BIGINT)` : this.decimalResult(e, schema, sql);
      }
    }
  }

  /** DuckDB's DECIMAL result types have corner cases; a call over a DECIMAL is cast to the type the schema shows. */
  private decimalResult(e: Extract<Expr, { kind: "call" | "agg" }>, schema: Schema, sql: string): string {
    if (!e.args.some((a) => isDecimal(typeOf(a, schema)))) return sql;
    return `CAST(${sql} AS ${quoteType(typeOf(e, schema))})`;
  }
}

/** A checked non-negative integer as SQL text (never in exponent form). */
function integerText(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`internal: expected a non-negative integer, got ${n}`);
  return BigInt(n).toString();
}

/** A checked finite number as a plain SQL number token (no exponent: "0.00001", not "1e-5"). */
function numberText(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`internal: expected a finite number, got ${x}`);
  return x.toFixed(12).replace(/\.?0+$/, "");
}

function structOfTypes(schema: Schema): string {
  return `{${schema.map((f) => `${quoteString(f.name)}: ${quoteString(f.type)}`).join(", ")}}`;
}

/** Whether a key=value folder in the path (one above the scan root: ours are partition columns) is named like
 *  a column of the files: DuckDB's hive reader would put the folder's value in place of the file's column. */
function shadowsDataColumn(path: string, schema: Schema, partitions: ReadonlySet<string>): boolean {
  const data = new Set(schema.filter((f) => !partitions.has(f.name)).map((f) => f.name.toLowerCase()));
  return path.split(/[\\/]/).slice(0, -1).some((segment) => {
    const m = /^([^=]+)=/.exec(segment);
    return m !== null && data.has(m[1].toLowerCase());
  });
}

/** Hive partitions without DuckDB's hive reader: one read per partition value, each with its values as
 *  literals, glued with UNION ALL (only used when a folder above the root would shadow a file column). */
function hiveByGroups(s: Extract<Source, { kind: "parquet" }>, files: readonly HiveFile[], union: string): string {
  const groups = new Map<string, HiveFile[]>();
  for (const f of files) {
    const k = JSON.stringify(s.partitionColumns.map((c) => f.partition[c.name]));
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(f);
  }
  const types = new Map(s.partitionColumns.map((c) => [c.name, c.type]));
  const branches = [...groups.values()].map((group) => {
    const select = s.schema.map((f) => {
      const type = types.get(f.name);
      if (type === undefined) return quoteIdent(f.name);
      const raw = group[0].partition[f.name];
      const isNull = isNullPartition(raw, type);
      return `${isNull ? `CAST(NULL AS ${quoteType(type)})` : `CAST(${quoteString(raw)} AS ${quoteType(type)})`} AS ${quoteIdent(f.name)}`;
    });
    const list = group.map((f) => quoteString(literalPath(f.path))).join(", ");
    return `SELECT ${select.join(", ")} FROM read_parquet([${list}], hive_partitioning = FALSE${union})`;
  });
  return `(${branches.join(" UNION ALL ")})`;
}

/** The files a CSV/NDJSON scan listed when it was created, or its path. */
function fileList(s: { path: string; files?: readonly string[] }): string {
  return s.files ? `[${s.files.map((f) => quoteString(literalPath(f))).join(", ")}]` : quoteString(s.path);
}

export function csvArgs(o: import("../../plan/nodes.js").CsvOptions, schema?: Schema): string {
  const args = [
    `header = ${o.header === false ? "FALSE" : "TRUE"}`,
    `delim = ${quoteString(o.delimiter ?? ",")}`,
    `quote = ${quoteString(o.quote ?? '"')}`,
    // key=value folders are not columns of a CSV scan (read_csv would add them on its own).
    "hive_partitioning = FALSE",
  ];
  if (o.nullString !== undefined) args.push(`nullstr = ${quoteString(o.nullString)}`);
  if (o.ignoreErrors) args.push("ignore_errors = TRUE");
  if (schema) args.push(`columns = ${structOfTypes(schema)}`);
  else if (o.columns) {
    // Without a header the file has no names to match: `columns` names the columns in order.
    if (o.header === false) args.push(`names = [${Object.keys(o.columns).map(quoteString).join(", ")}]`);
    args.push(`types = {${Object.entries(o.columns).map(([k, v]) => `${quoteString(k)}: ${quoteString(v)}`).join(", ")}}`);
  }
  return args.join(", ");
}
