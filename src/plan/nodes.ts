// The logical plan: an immutable tree of plain objects. Frames build it, passes rewrite it, the engine's
// compiler turns it into SQL. Nothing here knows about DuckDB.
import type { Expr } from "./expr.js";
import type { Field, Schema } from "./types.js";

export interface HiveFile {
  path: string;
  /** Partition values parsed from key=value folders, as the text in the path. */
  partition: Readonly<Record<string, string>>;
  /** Size on disk when the scan was created (sizes the slices of partitionWiseAggregation). */
  bytes?: number;
}

export interface CsvOptions {
  delimiter?: string;
  header?: boolean;
  quote?: string;
  nullString?: string;
  /** Column name → DuckDB type, overriding detection. With `header: false` it names the columns, in order. */
  columns?: Record<string, string>;
  /** Skip rows that do not parse (wrong number of fields, values of the wrong type) instead of failing. */
  ignoreErrors?: boolean;
}

export type Source =
  | {
      kind: "parquet";
      files: readonly HiveFile[];
      hive: boolean;
      partitionColumns: readonly Field[];
      /** Partition column → its key as written in the folders (DuckDB names the column so; ours is URL-decoded). */
      hiveKeys?: Readonly<Record<string, string>>;
      /** Files with different columns are read by name (DuckDB union_by_name). */
      unionByName?: boolean;
      schema: Schema;
      label: string;
    }
  /** `files`: the files listed when the scan was created (a directory or glob is read as exactly these). */
  | { kind: "csv"; path: string; files?: readonly string[]; options: CsvOptions; schema: Schema; label: string }
  | { kind: "ndjson"; path: string; files?: readonly string[]; schema: Schema; label: string }
  /** In-memory data (Arrow, records, danfo): copied into the engine once, on first use. */
  | { kind: "memory"; id: string; schema: Schema; label: string }
  /** A table already in the engine (cache()). */
  | { kind: "table"; name: string; schema: Schema; label: string };

export interface SortKey {
  expr: Expr;
  descending: boolean;
  nullsLast: boolean;
}

export type JoinHow = "inner" | "left" | "right" | "full" | "semi" | "anti" | "cross";

export type Plan =
  | {
      readonly kind: "scan";
      readonly source: Source;
      /** Columns read (projection pushdown); undefined = all. */
      readonly columns?: readonly string[];
      /** Predicates evaluated by the scan (predicate pushdown). */
      readonly filters: readonly Expr[];
      /** Files left after partition pruning; undefined = all of source.files. */
      readonly files?: readonly HiveFile[];
    }
  | { readonly kind: "project"; readonly input: Plan; readonly exprs: readonly Expr[] }
  | { readonly kind: "filter"; readonly input: Plan; readonly predicate: Expr }
  | { readonly kind: "aggregate"; readonly input: Plan; readonly keys: readonly Expr[]; readonly aggs: readonly Expr[] }
  | {
      readonly kind: "join";
      readonly left: Plan;
      readonly right: Plan;
      readonly how: JoinHow;
      readonly leftOn: readonly Expr[];
      readonly rightOn: readonly Expr[];
      readonly suffix: string;
    }
  | { readonly kind: "sort"; readonly input: Plan; readonly keys: readonly SortKey[] }
  | { readonly kind: "limit"; readonly input: Plan; readonly n: number; readonly offset: number }
  | { readonly kind: "distinct"; readonly input: Plan; readonly subset?: readonly string[] }
  /** partitionWise: made by the partitionWiseAggregation pass, its inputs are disjoint slices of one aggregate (run alone by writes, src/engine/slices.ts). */
  | { readonly kind: "union"; readonly inputs: readonly Plan[]; readonly partitionWise?: true }
  | { readonly kind: "sample"; readonly input: Plan; readonly n?: number; readonly fraction?: number; readonly seed: number }
  /**
   * An operator defined in a table rather than in every switch (pivot, unpivot, explode, as-of and fuzzy
   * joins, SQL text): its schema and pushdown rules are in src/plan/extensions.ts (EXTENSION_OPS), its
   * SQL in src/engine/sql/extensions.ts. `params` is plain data.
   */
  | { readonly kind: "extension"; readonly op: string; readonly inputs: readonly Plan[]; readonly params: ExtensionParams };

export type ExtensionParams = Readonly<Record<string, unknown>>;

export function inputsOf(plan: Plan): readonly Plan[] {
  switch (plan.kind) {
    case "scan":
      return [];
    case "join":
      return [plan.left, plan.right];
    case "union":
    case "extension":
      return plan.inputs;
    default:
      return [plan.input];
  }
}

/** Rebuilds a node with its inputs replaced (same order as inputsOf). */
export function withInputs(plan: Plan, inputs: readonly Plan[]): Plan {
  switch (plan.kind) {
    case "scan":
      return plan;
    case "join":
      return { ...plan, left: inputs[0], right: inputs[1] };
    case "union":
    case "extension":
      return { ...plan, inputs };
    default:
      return { ...plan, input: inputs[0] };
  }
}

/** Bottom-up rewrite: f sees each node after its inputs were rewritten. */
export function transformUp(plan: Plan, f: (p: Plan) => Plan): Plan {
  const inputs = inputsOf(plan);
  const rewritten = inputs.map((i) => transformUp(i, f));
  const changed = rewritten.some((r, i) => r !== inputs[i]);
  return f(changed ? withInputs(plan, rewritten) : plan);
}
