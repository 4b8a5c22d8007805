// Output schema of every plan node, computed without running anything.
import { outputName, type Expr } from "./expr.js";
import { typeOf } from "./infer.js";
import type { Plan } from "./nodes.js";
import { commonType, nameKey, type Field, type Schema } from "./types.js";
import { extensionOp } from "./extensions.js";
import { InvalidArgumentError } from "./errors.js";

const cache = new WeakMap<Plan, Schema>();

export function schemaOf(plan: Plan): Schema {
  let s = cache.get(plan);
  if (!s) {
    s = compute(plan);
    cache.set(plan, s);
  }
  return s;
}

function compute(plan: Plan): Schema {
  switch (plan.kind) {
    case "scan": {
      const all = plan.source.schema;
      return plan.columns ? plan.columns.map((c) => all.find((f) => f.name === c)!) : all;
    }
    case "project":
      return fieldsOf(plan.exprs, schemaOf(plan.input));
    case "aggregate":
      return fieldsOf([...plan.keys, ...plan.aggs], schemaOf(plan.input));
    case "filter":
    case "sort":
    case "limit":
    case "distinct":
    case "sample":
      return schemaOf(plan.input);
    case "union": {
      // Columns match by name; numbers widen across the inputs (checked when the union was made).
      const all = plan.inputs.map(schemaOf);
      return all[0].map((f) => ({ name: f.name, type: all.map((s) => s.find((x) => x.name === f.name)?.type ?? f.type).reduce(commonType) }));
    }
    case "join":
      return joinColumns(plan).map((c) => ({ name: c.name, type: c.type }));
    case "extension":
      return extensionOp(plan.op).schema(plan, schemaOf);
  }
}

function fieldsOf(exprs: readonly Expr[], input: Schema): Field[] {
  return exprs.map((e) => ({ name: outputName(e), type: typeOf(e, input) }));
}

export interface JoinColumn {
  name: string;
  type: string;
  /** Where the value comes from; "key" = a merged join key (left, right or coalesced by join type). */
  from: "left" | "right" | "key";
  leftName?: string;
  rightName?: string;
}

/**
 * Columns a join outputs, Polars-style: all left columns, then right columns except keys merged with
 * a same-named left key; a right column whose name is taken gets the suffix.
 */
export function joinColumns(plan: Extract<Plan, { kind: "join" }>): JoinColumn[] {
  const left = schemaOf(plan.left);
  if (plan.how === "semi" || plan.how === "anti") return left.map((f) => ({ name: f.name, type: f.type, from: "left", leftName: f.name }));
  const right = schemaOf(plan.right);
  const merged = new Map<string, string>(); // right key name → left key name
  plan.rightOn.forEach((r, i) => {
    const l = plan.leftOn[i];
    if (r.kind === "col" && l?.kind === "col" && r.name === l.name) merged.set(r.name, l.name);
  });
  const out: JoinColumn[] = left.map((f) =>
    [...merged.values()].includes(f.name)
      ? { name: f.name, type: f.type, from: "key", leftName: f.name, rightName: f.name }
      : { name: f.name, type: f.type, from: "left", leftName: f.name },
  );
  // Taken ignoring case: DuckDB reads "Sym" and "sym" as one column.
  const taken = new Set(out.map((c) => nameKey(c.name)));
  for (const f of right) {
    if (merged.has(f.name)) continue;
    let name = f.name;
    if (taken.has(nameKey(name)) && !plan.suffix) throw new InvalidArgumentError(`join: the right column '${name}' clashes with a left column and suffix is empty; pass a non-empty suffix`);
    while (taken.has(nameKey(name))) name = `${name}${plan.suffix}`;
    taken.add(nameKey(name));
    out.push({ name, type: f.type, from: "right", rightName: f.name });
  }
  return out;
}
