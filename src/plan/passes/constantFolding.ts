// constantFolding: computes expressions made only of literals (1 + 2 → 3, "a" = "a" → TRUE), simplifies
// boolean identities (x AND TRUE → x) and drops filters that are always true.
import { literal, mapChildren, type Expr, type Literal } from "../expr.js";
import { transformUp, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";

type Simple = number | string | boolean | null;
const isSimple = (v: Literal): v is Simple => v === null || ["number", "string", "boolean"].includes(typeof v);
const lit = (e: Expr): e is Extract<Expr, { kind: "lit" }> => e.kind === "lit";

const FOLD: Record<string, (a: Simple, b: Simple) => Simple | undefined> = {
  add: (a, b) => (typeof a === "number" && typeof b === "number" ? a + b : undefined),
  sub: (a, b) => (typeof a === "number" && typeof b === "number" ? a - b : undefined),
  mul: (a, b) => (typeof a === "number" && typeof b === "number" ? a * b : undefined),
  eq: (a, b) => (typeof a === typeof b ? a === b : undefined),
  neq: (a, b) => (typeof a === typeof b ? a !== b : undefined),
  lt: (a, b) => (typeof a === typeof b && typeof a !== "boolean" ? (a as number) < (b as number) : undefined),
  le: (a, b) => (typeof a === typeof b && typeof a !== "boolean" ? (a as number) <= (b as number) : undefined),
  gt: (a, b) => (typeof a === typeof b && typeof a !== "boolean" ? (a as number) > (b as number) : undefined),
  ge: (a, b) => (typeof a === typeof b && typeof a !== "boolean" ? (a as number) >= (b as number) : undefined),
};

export function foldExpr(e: Expr): Expr {
  const f = mapChildren(e, foldExpr);
  if (f.kind !== "call") return f;
  const [a, b] = f.args;
  if (f.fn === "not" && lit(a) && typeof a.value === "boolean") return literal(!a.value);
  if (f.fn === "and" || f.fn === "or") {
    const absorbing = f.fn === "or"; // TRUE absorbs OR, FALSE absorbs AND
    for (const [x, y] of [[a, b], [b, a]] as const) {
      if (lit(x) && x.value === absorbing) return literal(absorbing);
      if (lit(x) && x.value === !absorbing) return y;
    }
    return f;
  }
  const fold = FOLD[f.fn];
  if (fold && lit(a) && lit(b) && isSimple(a.value) && isSimple(b.value)) {
    if (a.value === null || b.value === null) return f; // keep the engine's typed NULL
    const v = fold(a.value, b.value);
    // Only exact results: no integer overflow, no float surprises in integer arithmetic.
    if (v !== undefined && (typeof v !== "number" || Number.isSafeInteger(v) || !Number.isInteger(a.value) || !Number.isInteger(b.value)))
      return literal(v);
  }
  return f;
}

function foldPlan(p: Plan): Plan {
  switch (p.kind) {
    case "filter": {
      const predicate = foldExpr(p.predicate);
      if (predicate.kind === "lit" && predicate.value === true) return p.input;
      return { ...p, predicate };
    }
    case "project":
      return { ...p, exprs: p.exprs.map(foldExpr) };
    case "aggregate":
      return { ...p, keys: p.keys.map(foldExpr), aggs: p.aggs.map(foldExpr) };
    case "scan":
      return { ...p, filters: p.filters.map(foldExpr).filter((f) => !(f.kind === "lit" && f.value === true)) };
    default:
      return p;
  }
}

export const constantFolding: Pass = {
  name: "constantFolding",
  description: "compute literal-only expressions and simplify always-true/false conditions",
  run: (plan) => transformUp(plan, foldPlan),
};
