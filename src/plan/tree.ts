// Plans as display trees ({id, name, detail, children}) and as indented text, for explain() and job.start.
import { exprToString, type Expr } from "./expr.js";
import { inputsOf, type Plan } from "./nodes.js";
import { extensionOp } from "./extensions.js";

export interface PlanTreeNode {
  id: string;
  name: string;
  detail: string;
  children: PlanTreeNode[];
}

export function planTree(plan: Plan): PlanTreeNode {
  let next = 0;
  const walk = (p: Plan): PlanTreeNode => {
    const id = String(next++);
    const children = inputsOf(p).map(walk);
    return { id, name: nodeName(p), detail: nodeDetail(p), children: p.kind === "union" ? collapseSlices(children, () => String(next++)) : children };
  };
  return walk(plan);
}

/**
 * A union of inputs that differ only in the files they read (partitionWiseAggregation's slices) keeps the
 * first input and one node that counts the others, so explain() and the panel do not draw 48 copies.
 */
function collapseSlices(children: PlanTreeNode[], newId: () => string): PlanTreeNode[] {
  const files = children.map((c) => /; files (\d+)\//.exec(flatText(c))?.[1]);
  const shape = (c: PlanTreeNode) => flatText(c).replace(/; files \d+\/\d+/g, "");
  if (children.length <= 2 || files.some((f) => f === undefined) || children.some((c) => shape(c) !== shape(children[0]))) return children;
  const more = { id: newId(), name: "…", detail: `and ${children.length - 1} more inputs of the same shape (files per input: ${files.join(", ")})`, children: [] };
  return [children[0], more];
}

function flatText(n: PlanTreeNode): string {
  return [`${n.name} ${n.detail}`, ...n.children.map(flatText)].join("\n");
}

export function planText(plan: Plan): string {
  const lines: string[] = [];
  const walk = (n: PlanTreeNode, depth: number) => {
    lines.push(`${"  ".repeat(depth)}${n.name}${n.detail ? ` ${n.detail}` : ""}`);
    n.children.forEach((c) => walk(c, depth + 1));
  };
  walk(planTree(plan), 0);
  return lines.join("\n");
}

function nodeName(p: Plan): string {
  if (p.kind === "extension") return extensionOp(p.op).title;
  return { scan: "SCAN", project: "SELECT", filter: "FILTER", aggregate: "AGGREGATE", join: "JOIN", sort: "SORT", limit: "LIMIT", distinct: "UNIQUE", union: "UNION", sample: "SAMPLE" }[p.kind];
}

const list = (es: readonly Expr[]) => es.map(exprToString).join(", ");

function nodeDetail(p: Plan): string {
  switch (p.kind) {
    case "scan": {
      const s = p.source;
      const parts = [`${s.kind} ${s.label}`];
      if (s.kind === "parquet") parts.push(`files ${(p.files ?? s.files).length}/${s.files.length}`);
      if (p.columns) parts.push(`columns [${p.columns.join(", ")}]`);
      if (p.filters.length) parts.push(`filter ${list(p.filters)}`);
      return parts.join("; ");
    }
    case "project":
      return `[${list(p.exprs)}]`;
    case "filter":
      return exprToString(p.predicate);
    case "aggregate":
      return `by [${list(p.keys)}] agg [${list(p.aggs)}]`;
    case "join":
      return p.how === "cross" ? "cross" : `${p.how} on [${list(p.leftOn)}] = [${list(p.rightOn)}]`;
    case "sort":
      return p.keys.map((k) => `${exprToString(k.expr)} ${k.descending ? "desc" : "asc"}${k.nullsLast ? " nulls last" : " nulls first"}`).join(", ");
    case "limit":
      return p.offset ? `${p.n} offset ${p.offset}` : String(p.n);
    case "distinct":
      return p.subset ? `on [${p.subset.join(", ")}]` : "";
    case "union":
      return `${p.inputs.length} inputs`;
    case "sample":
      return p.n !== undefined ? `${p.n} rows seed ${p.seed}` : `${p.fraction} seed ${p.seed}`;
    case "extension":
      return extensionOp(p.op).detail(p);
  }
}

/** A job's one-line description: the action and its plan's steps, leaves first; a long plan keeps its first and
 *  last three steps (the panel shows the whole tree). */
export function jobDescription(action: string, plan: Plan): string {
  const steps = planText(plan).split("\n").reverse().map((l) => l.trim().split(" ")[0]);
  const shown = steps.length <= 8 ? steps : [...steps.slice(0, 3), `… ${steps.length - 6} more …`, ...steps.slice(-3)];
  return `${action}: ${shown.join(" → ")}`;
}
