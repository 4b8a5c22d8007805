// predicatePushdown: moves each part (conjunct) of a filter as close to the data as it can go — through
// projections (rewriting column references), sorts, unions, distincts, joins (to the side it names) and
// aggregations (when it only uses group keys), extension operators (where their entry allows) — and into the scan, where the engine can skip row groups.
import { columnsOf, conjunction, conjuncts, containsAgg, containsWindow, outputName, renameColumns, stripAlias, substitute, type Expr } from "../expr.js";
import { inputsOf, withInputs, type Plan } from "../nodes.js";
import type { Pass } from "../optimizer.js";
import { extensionOp } from "../extensions.js";
import { joinColumns, schemaOf } from "../schema.js";

function wrap(plan: Plan, preds: readonly Expr[]): Plan {
  return preds.length ? { kind: "filter", input: plan, predicate: conjunction(preds) } : plan;
}

const subset = (cols: Set<string>, allowed: Set<string>) => [...cols].every((c) => allowed.has(c));

function push(plan: Plan, preds: readonly Expr[]): Plan {
  switch (plan.kind) {
    case "filter":
      return push(plan.input, [...preds, ...conjuncts(plan.predicate)]);
    case "scan":
      return preds.length ? { ...plan, filters: [...plan.filters, ...preds] } : plan;
    case "project": {
      // Filtering below a window would change which rows each window sees.
      if (plan.exprs.some(containsWindow)) return wrap({ ...plan, input: push(plan.input, []) }, preds);
      const bindings = new Map(plan.exprs.map((e) => [outputName(e), stripAlias(e)]));
      return { ...plan, input: push(plan.input, preds.map((p) => substitute(p, bindings))) };
    }
    case "sort":
    case "union":
      return withInputs(plan, inputsOf(plan).map((i) => push(i, preds)));
    case "distinct": {
      // With DISTINCT ON, only conditions on the distinct columns keep the same groups.
      const allowed = plan.subset ? new Set(plan.subset) : undefined;
      const down = preds.filter((p) => !allowed || subset(columnsOf(p), allowed));
      const up = preds.filter((p) => !down.includes(p));
      return wrap({ ...plan, input: push(plan.input, down) }, up);
    }
    case "aggregate": {
      const keyCols = new Map<string, string>();
      for (const k of plan.keys) {
        const inner = stripAlias(k);
        if (inner.kind === "col") keyCols.set(outputName(k), inner.name);
      }
      const down = preds.filter((p) => !containsAgg(p) && subset(columnsOf(p), new Set(keyCols.keys())));
      const up = preds.filter((p) => !down.includes(p));
      return wrap({ ...plan, input: push(plan.input, down.map((p) => renameColumns(p, keyCols))) }, up);
    }
    case "join": {
      const cols = joinColumns(plan);
      // A merged key carries the left value for inner/left/semi/anti joins and the right value for right joins.
      const leftKeyOk = ["inner", "left", "semi", "anti", "cross"].includes(plan.how);
      const rightKeyOk = ["inner", "right", "cross"].includes(plan.how);
      const leftSide = new Map<string, string>();
      const rightSide = new Map<string, string>();
      for (const c of cols) {
        if (c.from === "left" || (c.from === "key" && leftKeyOk)) leftSide.set(c.name, c.leftName!);
        if (c.from === "right" || (c.from === "key" && rightKeyOk)) rightSide.set(c.name, c.rightName!);
      }
      const canLeft = ["inner", "left", "semi", "anti", "cross"].includes(plan.how);
      const canRight = ["inner", "right", "cross"].includes(plan.how);
      const toLeft: Expr[] = [];
      const toRight: Expr[] = [];
      const stay: Expr[] = [];
      for (const p of preds) {
        const used = columnsOf(p);
        if (canLeft && subset(used, new Set(leftSide.keys()))) toLeft.push(renameColumns(p, leftSide));
        else if (canRight && subset(used, new Set(rightSide.keys()))) toRight.push(renameColumns(p, rightSide));
        else stay.push(p);
      }
      return wrap({ ...plan, left: push(plan.left, toLeft), right: push(plan.right, toRight) }, stay);
    }
    case "extension": {
      const rule = extensionOp(plan.op).pushdown;
      const { inputs, stay } = rule ? rule(plan, preds, schemaOf) : { inputs: [], stay: [...preds] };
      return wrap(withInputs(plan, plan.inputs.map((input, i) => push(input, inputs[i] ?? []))), stay);
    }
    case "limit":
    case "sample":
      // Filtering before a limit or a sample would change which rows are kept.
      return wrap(withInputs(plan, inputsOf(plan).map((i) => push(i, []))), preds);
  }
}

export const predicatePushdown: Pass = {
  name: "predicatePushdown",
  description: "move filter conditions through projections, joins, aggregations and unions into the scans",
  run: (plan) => push(plan, []),
};
