// limitPushdown: moves a limit below projections, merges stacked limits and gives each side of a union
// its own limit, so less data flows; a limit right above a sort stays there (the engine runs a top-N).
import { containsWindow } from "../expr.js";
import { transformUp, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";

function pushLimit(p: Plan): Plan {
  if (p.kind !== "limit") return p;
  const input = p.input;
  // A window over fewer rows gives other values, so a limit stays above a projection that has one.
  if (input.kind === "project" && !input.exprs.some(containsWindow)) return { ...input, input: pushLimit({ ...p, input: input.input }) };
  if (input.kind === "limit") {
    const offset = input.offset + p.offset;
    const n = Math.max(0, Math.min(p.n, input.n - p.offset));
    return pushLimit({ kind: "limit", input: input.input, n, offset });
  }
  if (input.kind === "union") {
    const each = p.n + p.offset;
    const inputs = input.inputs.map((i) => (i.kind === "limit" && i.offset === 0 && i.n <= each ? i : pushLimit({ kind: "limit", input: i, n: each, offset: 0 })));
    return { ...p, input: { ...input, inputs } };
  }
  return p;
}

export const limitPushdown: Pass = {
  name: "limitPushdown",
  description: "move limits below projections and into union inputs; merge stacked limits",
  run: (plan) => transformUp(plan, pushLimit),
};
