// The optimizer: an ordered list of named passes, each a pure Plan → Plan function with a flag, so
// any pass can be switched off, tested alone, or shown before/after in explain().
import type { Plan } from "./nodes.js";
import { combineFilters } from "./passes/combineFilters.js";
import { constantFolding } from "./passes/constantFolding.js";
import { limitPushdown } from "./passes/limitPushdown.js";
import { partitionPruning } from "./passes/partitionPruning.js";
import { partitionWiseAggregation } from "./passes/partitionWiseAggregation.js";
import { predicatePushdown } from "./passes/predicatePushdown.js";
import { projectionPushdown } from "./passes/projectionPushdown.js";

export interface Pass {
  name: string;
  /** One line for explain() and docs/dataframes.md. */
  description: string;
  run(plan: Plan): Plan;
}

/** The passes, in the order they run. Add a pass here and nowhere else. */
export const PASSES: Pass[] = [
  constantFolding,
  combineFilters,
  predicatePushdown,
  partitionPruning,
  limitPushdown,
  projectionPushdown,
  partitionWiseAggregation,
];

export type OptimizerFlags = Partial<Record<string, boolean>>;

/** Runs every enabled pass once, in order. flags[name] === false disables a pass. */
export function optimize(plan: Plan, flags: OptimizerFlags = {}): Plan {
  let p = plan;
  for (const pass of PASSES) if (flags[pass.name] !== false) p = pass.run(p);
  return p;
}
