// The optimizer: an ordered list of named passes, each a pure Plan → Plan function with a flag, so
// any pass can be switched off, tested alone, or shown before/after in explain().
import { InvalidArgumentError } from "./errors.js";
import type { Plan } from "./nodes.js";
import { combineFilters } from "./passes/combineFilters.js";
import { constantFolding } from "./passes/constantFolding.js";
import { limitPushdown } from "./passes/limitPushdown.js";
import { partitionPruning } from "./passes/partitionPruning.js";
import { partitionWiseAggregation } from "./passes/partitionWiseAggregation.js";
import { predicatePushdown } from "./passes/predicatePushdown.js";
import { projectionPushdown } from "./passes/projectionPushdown.js";

/** The passes' names, in the order they run. Add a pass here and in PASS_TABLE, nowhere else. */
export const PASS_NAMES = [
  "constantFolding",
  "combineFilters",
  "predicatePushdown",
  "partitionPruning",
  "limitPushdown",
  "projectionPushdown",
  "partitionWiseAggregation",
] as const;
export type PassName = (typeof PASS_NAMES)[number];

export interface Pass {
  name: PassName;
  /** One line for explain() and docs/dataframes.md. */
  description: string;
  run(plan: Plan): Plan;
}

const PASS_TABLE = {
  constantFolding,
  combineFilters,
  predicatePushdown,
  partitionPruning,
  limitPushdown,
  projectionPushdown,
  partitionWiseAggregation,
} satisfies Record<PassName, Pass>;

/** The passes, in the order they run. */
export const PASSES: readonly Pass[] = PASS_NAMES.map((n) => PASS_TABLE[n]);

/** Flags by pass name: `{ predicatePushdown: false }` turns that pass off. A misspelled name is a compile
 *  error in TypeScript, and refused at run time (from JavaScript or a notebook). */
export type OptimizerFlags = Partial<Record<PassName, boolean>>;

export function checkOptimizerFlags(flags: unknown): asserts flags is OptimizerFlags {
  if (flags === null || typeof flags !== "object" || Array.isArray(flags))
    throw new InvalidArgumentError(`optimizerFlags must be an object such as { predicatePushdown: false }, got ${JSON.stringify(flags)}`);
  for (const [name, value] of Object.entries(flags)) {
    if (!(PASS_NAMES as readonly string[]).includes(name))
      throw new InvalidArgumentError(`optimizerFlags: '${name}' is not an optimizer pass; the passes are ${PASS_NAMES.join(", ")}`);
    if (typeof value !== "boolean" && value !== undefined)
      throw new InvalidArgumentError(`optimizerFlags.${name} must be true or false, got ${JSON.stringify(value)}`);
  }
}

/** Runs every enabled pass once, in order. flags[name] === false disables a pass. */
export function optimize(plan: Plan, flags: OptimizerFlags = {}): Plan {
  checkOptimizerFlags(flags);
  let p = plan;
  for (const pass of PASSES) if (flags[pass.name] !== false) p = pass.run(p);
  return p;
}
