// Operators beyond the core relational ones, as one table (like PASSES and the function tables): each
// entry says what the node outputs, how explain() shows it, and which input columns it needs. Their
// SQL lives in src/engine/sql/extensions.ts. A filter moves below one of these nodes only where its
// entry says which conditions keep the same result (`pushdown`); without one, filters stay above.
import { InvalidArgumentError } from "./errors.js";
import { columnsOf, type Expr } from "./expr.js";
import type { Plan } from "./nodes.js";
import { listElement, mapTypes, structFields, structType } from "./nested.js";
import { commonType, nameKey, type DataType, type Field, type Schema } from "./types.js";

export type ExtensionNode = Extract<Plan, { kind: "extension" }>;
type Needed = Set<string> | "all";

export interface ExtensionOp {
  /** Upper-case operator name shown in plan trees. */
  title: string;
  schema(node: ExtensionNode, schemaOf: (p: Plan) => Schema): Schema;
  detail(node: ExtensionNode): string;
  /** Columns each input must still provide when only `needed` is read from this node's output. */
  inputColumns?(node: ExtensionNode, needed: Needed): Needed[];
  /**
   * Which filter conditions above this node may run below it instead, per input, with the same result
   * (column names are the same below); the rest stay above.
   */
  pushdown?(node: ExtensionNode, conditions: readonly Expr[], schemaOf: (p: Plan) => Schema): { inputs: Expr[][]; stay: Expr[] };
}

/** Conditions that only read `allowed` columns go to the input `side`; the others stay. */
function onlyColumns(node: ExtensionNode, conditions: readonly Expr[], allowed: ReadonlySet<string>, side = 0): { inputs: Expr[][]; stay: Expr[] } {
  const inputs: Expr[][] = node.inputs.map(() => []);
  const stay: Expr[] = [];
  for (const c of conditions) ([...columnsOf(c)].every((name) => allowed.has(name)) ? inputs[side] : stay).push(c);
  return { inputs, stay };
}

export interface PivotParams {
  index: string[];
  on: string;
  values: string[];
  agg: string;
  /** The values of `on` that become columns (given, or discovered by a query). */
  pivotValues: (string | number | boolean)[];
  /** Result type of the aggregate per value column (from the same table as groupBy().agg()). */
  valueTypes: DataType[];
}
export interface UnpivotParams {
  index: string[];
  on: string[];
  variableName: string;
  valueName: string;
}
export interface ExplodeParams {
  column: string;
}
export interface UnnestParams {
  column: string;
  /** Prefix for the new columns ("" = the field names as they are). */
  prefix: string;
}
export interface AsofParams {
  leftOn: string;
  rightOn: string;
  by: string[];
  byRight: string[];
  strategy: "backward" | "forward";
  tolerance: number | string | null;
  suffix: string;
}
export interface FuzzyParams {
  left: string;
  right: string;
  threshold: number;
  tokens: "words" | { ngram: number };
  keep: "best" | "all";
  suffix: string;
  similarity: string;
}
export interface SqlParams {
  /** Text pieces around the slots; slots.length === text.length - 1. */
  text: string[];
  /** Each slot is an input frame (by index into inputs) or a bound value (by index into values). */
  slots: ({ frame: number } | { value: number })[];
  values: unknown[];
  schema: Field[];
}

const p = <T>(node: ExtensionNode) => node.params as unknown as T;
const all = (node: ExtensionNode): Needed[] => node.inputs.map(() => "all");

export function pivotColumnName(value: unknown, valueColumn: string, manyValues: boolean): string {
  const v = value === null ? "null" : String(value);
  return manyValues ? `${valueColumn}_${v}` : v;
}

/** Columns of a two-sided node: left ones, then right ones not merged, a right name that collides gets the suffix. */
export function sideBySide(left: Schema, right: Schema, dropRight: readonly string[], suffix: string): { name: string; type: DataType; from: "left" | "right"; source: string }[] {
  const out: { name: string; type: DataType; from: "left" | "right"; source: string }[] = left.map((f) => ({ name: f.name, type: f.type, from: "left", source: f.name }));
  // Taken ignoring case: DuckDB reads "Sym" and "sym" as one column.
  const taken = new Set(out.map((c) => nameKey(c.name)));
  for (const f of right) {
    if (dropRight.includes(f.name)) continue;
    let name = f.name;
    if (taken.has(nameKey(name)) && !suffix) throw new InvalidArgumentError(`the right column '${name}' clashes with a left column and suffix is empty; pass a non-empty suffix`);
    while (taken.has(nameKey(name))) name = `${name}${suffix}`;
    taken.add(nameKey(name));
    out.push({ name, type: f.type, from: "right", source: f.name });
  }
  return out;
}

/** Output columns that are left-side columns under the same name. */
const leftOnly = (cols: ReturnType<typeof sideBySide>) => new Set(cols.filter((c) => c.from === "left" && c.source === c.name).map((c) => c.name));

export function asofColumns(node: ExtensionNode, schemaOf: (p: Plan) => Schema) {
  const a = p<AsofParams>(node);
  const drop = a.byRight.filter((r, i) => r === a.by[i]);
  if (a.rightOn === a.leftOn) drop.push(a.rightOn);
  return sideBySide(schemaOf(node.inputs[0]), schemaOf(node.inputs[1]), drop, a.suffix);
}

export function fuzzyColumns(node: ExtensionNode, schemaOf: (p: Plan) => Schema) {
  const f = p<FuzzyParams>(node);
  return sideBySide(schemaOf(node.inputs[0]), schemaOf(node.inputs[1]), [], f.suffix);
}

export const EXTENSION_OPS: Record<string, ExtensionOp> = {
  pivot: {
    title: "PIVOT",
    schema(node, schemaOf) {
      const x = p<PivotParams>(node);
      const input = schemaOf(node.inputs[0]);
      const index = x.index.map((n) => input.find((f) => f.name === n)!);
      const many = x.values.length > 1;
      const cols = x.values.flatMap((v, i) => x.pivotValues.map((pv) => ({ name: pivotColumnName(pv, v, many), type: x.valueTypes[i] })));
      return [...index, ...cols];
    },
    detail: (node) => {
      const x = p<PivotParams>(node);
      const discovered = (node.params as { discovered?: boolean }).discovered ? " (values discovered by a query)" : "";
      return `on ${x.on} [${x.pivotValues.map((v) => JSON.stringify(v)).join(", ")}]${discovered} ${x.agg}(${x.values.join(", ")}) by [${x.index.join(", ")}]`;
    },
    inputColumns: (node) => {
      const x = p<PivotParams>(node);
      return [new Set([...x.index, x.on, ...x.values])];
    },
    // A condition on index columns removes whole output rows, whose input rows it removes too.
    pushdown: (node, conditions) => onlyColumns(node, conditions, new Set(p<PivotParams>(node).index)),
  },
  unpivot: {
    title: "UNPIVOT",
    schema(node, schemaOf) {
      const x = p<UnpivotParams>(node);
      const input = schemaOf(node.inputs[0]);
      const type = x.on.map((n) => input.find((f) => f.name === n)!.type).reduce(commonType);
      return [...x.index.map((n) => input.find((f) => f.name === n)!), { name: x.variableName, type: "VARCHAR" }, { name: x.valueName, type }];
    },
    detail: (node) => {
      const x = p<UnpivotParams>(node);
      return `[${x.on.join(", ")}] into ${x.variableName}, ${x.valueName} by [${x.index.join(", ")}]`;
    },
    inputColumns: (node) => {
      const x = p<UnpivotParams>(node);
      return [new Set([...x.index, ...x.on])];
    },
    // Every output row carries its input row's index values.
    pushdown: (node, conditions) => onlyColumns(node, conditions, new Set(p<UnpivotParams>(node).index)),
  },
  explode: {
    title: "EXPLODE",
    schema(node, schemaOf) {
      const { column } = p<ExplodeParams>(node);
      return schemaOf(node.inputs[0]).map((f) => (f.name === column ? { name: f.name, type: explodedType(f) } : f));
    },
    detail: (node) => p<ExplodeParams>(node).column,
    inputColumns: (node, needed) => [needed === "all" ? "all" : new Set([...needed, p<ExplodeParams>(node).column])],
    // Each output row copies its input row's other columns.
    pushdown: (node, conditions, schemaOf) => {
      const { column } = p<ExplodeParams>(node);
      return onlyColumns(node, conditions, new Set(schemaOf(node.inputs[0]).map((f) => f.name).filter((n) => n !== column)));
    },
  },
  unnest: {
    title: "UNNEST",
    schema(node, schemaOf) {
      const { column, prefix } = p<UnnestParams>(node);
      return schemaOf(node.inputs[0]).flatMap((f) => {
        if (f.name !== column) return [f];
        const fields = structFields(f.type);
        if (!fields) throw new InvalidArgumentError(`unnest('${column}'): the column is ${f.type}, not a STRUCT`);
        return fields.map((s) => ({ name: `${prefix}${s.name}`, type: s.type }));
      });
    },
    detail: (node) => p<UnnestParams>(node).column,
    inputColumns: all,
    // Columns other than the struct's pass through unchanged (a field named like one of them would shadow it).
    pushdown: (node, conditions, schemaOf) => {
      const { column } = p<UnnestParams>(node);
      const input = schemaOf(node.inputs[0]);
      const fields = new Set(EXTENSION_OPS.unnest.schema(node, schemaOf).map((f) => f.name));
      for (const f of input) if (f.name !== column) fields.delete(f.name);
      return onlyColumns(node, conditions, new Set(input.map((f) => f.name).filter((n) => n !== column && !fields.has(n))));
    },
  },
  asofJoin: {
    title: "ASOF JOIN",
    schema: (node, schemaOf) => asofColumns(node, schemaOf).map(({ name, type }) => ({ name, type })),
    detail: (node) => {
      const a = p<AsofParams>(node);
      const by = a.by.length ? ` by [${a.by.join(", ")}]` : "";
      return `${a.strategy} ${a.leftOn} ~ ${a.rightOn}${by}${a.tolerance !== null ? ` within ${a.tolerance}` : ""}`;
    },
    inputColumns: all,
    // Each left row finds its match among the right rows alone, so left-side conditions can go first;
    // a right-side condition would change which row is nearest.
    pushdown: (node, conditions, schemaOf) => onlyColumns(node, conditions, leftOnly(asofColumns(node, schemaOf))),
  },
  fuzzyJoin: {
    title: "FUZZY JOIN",
    schema: (node, schemaOf) => [...fuzzyColumns(node, schemaOf).map(({ name, type }) => ({ name, type })), { name: p<FuzzyParams>(node).similarity, type: "DOUBLE" }],
    detail: (node) => {
      const f = p<FuzzyParams>(node);
      const tokens = f.tokens === "words" ? "words" : `${f.tokens.ngram}-grams`;
      return `jaccard(${f.left}, ${f.right}) >= ${f.threshold} on ${tokens}, keep ${f.keep} (prefix filtering)`;
    },
    inputColumns: all,
    // As for as-of joins: a left row's matches depend on the right rows only.
    pushdown: (node, conditions, schemaOf) => onlyColumns(node, conditions, leftOnly(fuzzyColumns(node, schemaOf))),
  },
  sql: {
    title: "SQL",
    schema: (node) => p<SqlParams>(node).schema,
    detail: (node) => {
      const s = p<SqlParams>(node);
      const text = s.text.map((t, i) => t + (i < s.slots.length ? ("frame" in s.slots[i] ? `\${frame ${(s.slots[i] as { frame: number }).frame}}` : "$?") : "")).join("");
      return JSON.stringify(text.replace(/\s+/g, " ").trim().slice(0, 120));
    },
    inputColumns: all,
  },
};

function explodedType(f: Field): DataType {
  const element = listElement(f.type);
  if (element) return element;
  const map = mapTypes(f.type);
  if (map) return structType([{ name: "key", type: map.key }, { name: "value", type: map.value }]);
  throw new InvalidArgumentError(`explode('${f.name}'): the column is ${f.type}; explode takes a list (T[]) or a map (MAP(K, V)) column`);
}

export function extensionOp(name: string): ExtensionOp {
  const op = EXTENSION_OPS[name];
  if (!op) throw new InvalidArgumentError(`unknown plan operator '${name}'`);
  return op;
}
