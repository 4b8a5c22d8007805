// combineFilters: filter(filter(x, a), b) → filter(x, a AND b), so later passes see one predicate.
import { conjunction, conjuncts } from "../expr.js";
import { transformUp, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";

function combine(p: Plan): Plan {
  if (p.kind === "filter" && p.input.kind === "filter")
    return { kind: "filter", input: p.input.input, predicate: conjunction([...conjuncts(p.input.predicate), ...conjuncts(p.predicate)]) };
  return p;
}

export const combineFilters: Pass = {
  name: "combineFilters",
  description: "merge stacked filters into one conjunction",
  run: (plan) => transformUp(plan, combine),
};
