// SQL for the operators of src/plan/extensions.ts, one function per operator (the Ibis visit_* shape).
// Each gets its inputs as compiled SELECTs and returns one SELECT; identifiers and literals are quoted
// here, user values from sql`...` templates are bound parameters ($n), never text.
import { createRequire } from "node:module";
import type { DuckDBValue } from "@duckdb/node-api";
import type { Expr } from "../../plan/expr.js";
import {
  asofColumns,
  fuzzyColumns,
  pivotColumnName,
  type AsofParams,
  type ExplodeParams,
  type ExtensionNode,
  type FuzzyParams,
  type PivotParams,
  type SqlParams,
  type UnnestParams,
  type UnpivotParams,
} from "../../plan/extensions.js";
import { InvalidArgumentError } from "../../plan/errors.js";
import { parseEvery } from "../../plan/duration.js";
import { mapTypes, structFields } from "../../plan/nested.js";
import { schemaOf } from "../../plan/schema.js";
import type { Schema } from "../../plan/types.js";
import { AGGREGATE_SQL, aggregateArgs, renderCall } from "./dialect.js";
import { quoteIdent, quoteLiteral, quoteString, quoteType } from "./quote.js";
import { tokensSql } from "./tokens.js";

export interface ExtensionContext {
  /** The compiled SELECT of input i (call once per place it is used). */
  input(i: number): string;
  alias(): string;
  expr(e: Expr, schema: Schema, qualifier?: string): string;
  /** Binds a value; returns its placeholder ($n). */
  param(value: DuckDBValue): string;
  /** Something the engine must load before the query (an in-memory table, a JS function). */
  require(id: string): void;
}

type Compile = (node: ExtensionNode, ctx: ExtensionContext) => string;
const P = <T>(node: ExtensionNode) => node.params as unknown as T;
const ids = (names: readonly string[], q?: string) => names.map((n) => (q ? `${q}.${quoteIdent(n)}` : quoteIdent(n)));

export const EXTENSION_SQL: Record<string, Compile> = {
  pivot(node, ctx) {
    const x = P<PivotParams>(node);
    const many = x.values.length > 1;
    const cells = x.values.flatMap((v, i) =>
      x.pivotValues.map((pv) => {
        const agg = renderCall(AGGREGATE_SQL, x.agg, aggregateArgs(x.agg, [quoteIdent(v)], x.valueTypes[i]), undefined);
        const cell = `${agg} FILTER (WHERE ${quoteIdent(x.on)} IS NOT DISTINCT FROM ${quoteLiteral(pv)})`;
        const typed = x.agg === "sum" && x.valueTypes[i] === "BIGINT" ? `CAST(${cell} AS BIGINT)` : cell;
        return `${typed} AS ${quoteIdent(pivotColumnName(pv, v, many))}`;
      }),
    );
    const groupBy = x.index.length ? ` GROUP BY ${ids(x.index).join(", ")}` : "";
    return `SELECT ${[...ids(x.index), ...cells].join(", ")} FROM (${ctx.input(0)}) AS ${ctx.alias()}${groupBy}`;
  },

  unpivot(node, ctx) {
    const x = P<UnpivotParams>(node);
    const out = schemaOf(node);
    const type = quoteType(out[out.length - 1].type);
    const inner = [...ids(x.index), ...x.on.map((c) => `CAST(${quoteIdent(c)} AS ${type}) AS ${quoteIdent(c)}`)].join(", ");
    // INCLUDE NULLS: a null cell is still a row, as in Polars.
    return (
      `SELECT ${[...ids(x.index), quoteIdent(x.variableName), quoteIdent(x.valueName)].join(", ")} FROM ` +
      `(SELECT ${inner} FROM (${ctx.input(0)}) AS ${ctx.alias()}) AS ${ctx.alias()} UNPIVOT INCLUDE NULLS ` +
      `(${quoteIdent(x.valueName)} FOR ${quoteIdent(x.variableName)} IN (${ids(x.on).join(", ")}))`
    );
  },

  explode(node, ctx) {
    const { column } = P<ExplodeParams>(node);
    const input = schemaOf(node.inputs[0]);
    const isMap = mapTypes(input.find((f) => f.name === column)!.type) !== undefined;
    const cols = input.map((f) =>
      f.name === column ? `unnest(${isMap ? `map_entries(${quoteIdent(column)})` : quoteIdent(column)}) AS ${quoteIdent(column)}` : quoteIdent(f.name),
    );
    return `SELECT ${cols.join(", ")} FROM (${ctx.input(0)}) AS ${ctx.alias()}`;
  },

  unnest(node, ctx) {
    const { column, prefix } = P<UnnestParams>(node);
    const cols = schemaOf(node.inputs[0]).flatMap((f) =>
      f.name !== column
        ? [quoteIdent(f.name)]
        : (structFields(f.type) ?? []).map((s) => `struct_extract(${quoteIdent(column)}, ${quoteString(s.name)}) AS ${quoteIdent(prefix + s.name)}`),
    );
    return `SELECT ${cols.join(", ")} FROM (${ctx.input(0)}) AS ${ctx.alias()}`;
  },

  asofJoin(node, ctx) {
    const a = P<AsofParams>(node);
    const l = ctx.alias();
    const r = ctx.alias();
    const lo = `${l}.${quoteIdent(a.leftOn)}`;
    const ro = `${r}.${quoteIdent(a.rightOn)}`;
    const conds = a.by.map((b, i) => `${l}.${quoteIdent(b)} = ${r}.${quoteIdent(a.byRight[i])}`);
    conds.push(a.strategy === "backward" ? `${lo} >= ${ro}` : `${lo} <= ${ro}`);
    let within = "";
    if (a.tolerance !== null) {
      // Shift the left key by the tolerance rather than subtract the keys: DATE - DATE is a number of days,
      // which cannot be compared with an INTERVAL; DATE ± INTERVAL is a TIMESTAMP, which can.
      const tol = toleranceSql(a.tolerance);
      within = a.strategy === "backward" ? `${ro} >= ${lo} - ${tol}` : `${ro} <= ${lo} + ${tol}`;
    }
    const cols = asofColumns(node, schemaOf).map((c) => {
      const v = `${c.from === "left" ? l : r}.${quoteIdent(c.source)}`;
      // Polars semantics: the nearest match is found, then dropped when it is further than the tolerance.
      const value = c.from === "right" && within ? `CASE WHEN ${within} THEN ${v} END` : v;
      return `${value} AS ${quoteIdent(c.name)}`;
    });
    return `SELECT ${cols.join(", ")} FROM (${ctx.input(0)}) AS ${l} ASOF LEFT JOIN (${ctx.input(1)}) AS ${r} ON ${conds.join(" AND ")}`;
  },

  fuzzyJoin(node, ctx) {
    const f = P<FuzzyParams>(node);
    const t = quoteLiteral(f.threshold);
    const cols = fuzzyColumns(node, schemaOf).map((c) => `${c.from === "left" ? "l" : "r"}.${quoteIdent(c.source)} AS ${quoteIdent(c.name)}`);
    // Prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): with every token set sorted by global
    // token frequency (rarest first), two sets with Jaccard >= t must share a token among the first
    // |x| - ceil(t·|x|) + 1 of each. Only pairs sharing such a prefix token are verified exactly, so the
    // result equals the all-pairs check without comparing all pairs. The 1e-9 keeps prefixes long
    // (never short) when t·|x| lands a hair above an integer in floating point.
    // Each distinct text is matched once (catalogs repeat titles), then joined back to all its rows.
    const tokens = (side: "l" | "r", column: string) => `
      ${side}texts AS MATERIALIZED (SELECT row_number() OVER () AS id, txt FROM (SELECT DISTINCT ${quoteIdent(column)} AS txt FROM ${side}rows) WHERE txt IS NOT NULL),
      ${side}list AS MATERIALIZED (SELECT id, list_distinct(${tokensSql("txt", f.tokens)}) AS toks FROM ${side}texts),
      ${side}toks AS MATERIALIZED (SELECT id, len(toks) AS n, unnest(toks) AS tok FROM ${side}list WHERE len(toks) > 0)`;
    const ranked = (side: "l" | "r") => `
      ${side}tok AS MATERIALIZED (SELECT k.id, k.n, d.rk FROM ${side}toks k JOIN df d ON d.tok = k.tok),
      ${side}pre AS MATERIALIZED (SELECT id, n, rk, pos FROM (SELECT id, n, rk, row_number() OVER (PARTITION BY id ORDER BY rk) AS pos FROM ${side}tok)
                                  WHERE pos <= n - ceil(${t} * n - 1e-9) + 1)`;
    const best = f.keep === "best" ? " QUALIFY sim = max(sim) OVER (PARTITION BY lid)" : "";
    // Positional filter (PPJoin, Xiao et al. 2008): Jaccard >= t needs an overlap of t/(1+t)·(|x|+|y|);
    // if the first shared token sits at positions i and j, at most 1 + min(|x|-i, |y|-j) tokens can be
    // shared, so a row whose bound is too small is dropped (the first shared token's row always passes
    // for a true match, so no match is lost).
    // Tokens become integers ranked by document frequency (rarest = 1), which is also the prefix order.
    // Verification counts shared tokens per candidate pair; the MATERIALIZED steps fix the join order,
    // so the engine never pairs every occurrence of a common token.
    return `SELECT * FROM (
      WITH
      lrows AS MATERIALIZED (SELECT * FROM (${ctx.input(0)}) AS ${ctx.alias()}),
      rrows AS MATERIALIZED (SELECT * FROM (${ctx.input(1)}) AS ${ctx.alias()}),
      ${tokens("l", f.left)},
      ${tokens("r", f.right)},
      df AS MATERIALIZED (SELECT tok, row_number() OVER (ORDER BY count(*), tok) AS rk
                          FROM (SELECT tok FROM ltoks UNION ALL SELECT tok FROM rtoks) GROUP BY tok),
      ${ranked("l")},
      ${ranked("r")},
      cand AS MATERIALIZED (SELECT DISTINCT a.id AS lid, b.id AS rid, a.n AS ln, b.n AS rn FROM lpre a JOIN rpre b ON a.rk = b.rk
                            WHERE b.n >= ${t} * a.n - 1e-9 AND a.n >= ${t} * b.n - 1e-9
                              AND 1 + least(a.n - a.pos, b.n - b.pos) >= ${t} / (1 + ${t}) * (a.n + b.n) - 1e-9),
      candtok AS MATERIALIZED (SELECT c.lid, c.rid, c.ln, c.rn, a.rk FROM cand c JOIN ltok a ON a.id = c.lid),
      inter AS (SELECT c.lid, c.rid, c.ln, c.rn, count(*) AS k FROM candtok c JOIN rtok b ON b.id = c.rid AND b.rk = c.rk
                GROUP BY c.lid, c.rid, c.ln, c.rn),
      scored AS (SELECT lid, rid, k / (ln + rn - k) AS sim FROM inter WHERE k / (ln + rn - k) >= ${t}${best})
      SELECT ${cols.join(", ")}, m.sim AS ${quoteIdent(f.similarity)}
      FROM scored m JOIN ltexts lt ON lt.id = m.lid JOIN rtexts rt ON rt.id = m.rid
        JOIN lrows l ON l.${quoteIdent(f.left)} = lt.txt JOIN rrows r ON r.${quoteIdent(f.right)} = rt.txt
    ) AS ${ctx.alias()}`.replace(/\n\s+/g, " ");
  },

  sql(node, ctx) {
    const s = P<SqlParams>(node);
    let text = s.text[0];
    s.slots.forEach((slot, i) => {
      const value = "value" in slot ? s.values[slot.value] : undefined;
      // A JS bigint binds as HUGEINT; it is meant as a 64-bit integer (and HUGEINT results read back as doubles).
      const param = () => (typeof value === "bigint" ? `CAST(${ctx.param(value)} AS BIGINT)` : ctx.param(toDuckDBValue(value)));
      text += "frame" in slot ? `(${ctx.input(slot.frame)})` : param();
      text += s.text[i + 1];
    });
    return `SELECT * FROM (${text}) AS ${ctx.alias()}`;
  },
};

function toleranceSql(tol: number | string): string {
  if (typeof tol === "number") return quoteLiteral(tol);
  const { n, unit } = parseEvery(tol);
  return `INTERVAL ${quoteString(`${n} ${unit}`)}`;
}

// Loaded on first use (a Date parameter), so the compiler — and its tests — never load the engine's native
// module. The package is CommonJS: require returns the instance the engine's own import uses.
const duckdbApi = () => createRequire(import.meta.url)("@duckdb/node-api") as typeof import("@duckdb/node-api");

export function toDuckDBValue(v: unknown): DuckDBValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (v instanceof Date) return new (duckdbApi().DuckDBTimestampValue)(BigInt(v.getTime()) * 1000n);
  throw new InvalidArgumentError(`sql\`...\`: cannot bind a ${Object.prototype.toString.call(v)} as a parameter; pass a number, string, boolean, bigint, Date or null`);
}

export function compileExtension(node: ExtensionNode, ctx: ExtensionContext): string {
  const compile = EXTENSION_SQL[node.op];
  if (!compile) throw new InvalidArgumentError(`plan operator '${node.op}' has no DuckDB spelling`);
  return compile(node, ctx);
}
