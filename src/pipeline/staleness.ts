// Staleness: a step's data version (hash of its op's code, parameters, partition, item and input
// versions) and whether its outputs already hold that version, so it can be skipped as up to date.
import type { AssetStore, Materialization } from "../store/index.js";
import { canonicalJson, sha256, type Op } from "./ops.js";
import { storePartition, type RunNode } from "./nodes.js";
import type { ResolvedInput } from "./inputs.js";

export function dataVersionOf(node: RunNode, inputs: ResolvedInput[], codeVersion: string): string {
  return sha256(
    canonicalJson({ code: codeVersion, params: node.op.params, partition: node.partition, item: node.mappingKey, inputs: inputs.map((i) => [i.alias, i.refs.map((r) => r.dataVersion)]) }),
  ).slice(0, 16);
}

export type Staleness =
  /** Up to date: the stored outputs (and a dynamic op's items) to take over. */
  | { upToDate: true; reason: string; outputs: Materialization[]; items?: unknown[] }
  | { upToDate: false; reason: string };

/** Whether every materialized output of the step already has its data version (node.dataVersion). */
export function staleness(store: AssetStore, node: RunNode, inputs: ResolvedInput[], codeVersion: string): Staleness {
  const op = node.op;
  if (op.outputs.length === 0 && !op.dynamic) return { upToDate: false, reason: "no outputs to check" };
  if (op.outputs.some((o) => !o.materialize)) return { upToDate: false, reason: "in-memory outputs are recomputed" };
  const partition = storePartition(node);
  const found: Materialization[] = [];
  for (const out of op.outputs) {
    const m = store.latest(out.key, { partition });
    if (!m) return { upToDate: false, reason: `no materialization of ${out.key}${partition ? ` (${partition})` : ""} yet` };
    if (m.dataVersion !== node.dataVersion) return { upToDate: false, reason: changeReason(m, op, codeVersion, inputs) };
    try {
      store.verify(m);
    } catch (error) {
      return { upToDate: false, reason: (error as Error).message };
    }
    found.push(m);
  }
  let items: unknown[] | undefined;
  if (op.dynamic) {
    items = store.itemsFor(op.name, node.dataVersion!);
    if (!items) return { upToDate: false, reason: "no recorded items for this data version" };
  }
  return { upToDate: true, reason: `up to date (data version ${node.dataVersion})`, outputs: found, items };
}

function changeReason(m: Materialization, op: Op, codeVersion: string, inputs: ResolvedInput[]): string {
  if (m.codeVersion !== undefined && m.codeVersion !== codeVersion) return `code of ${op.name} changed`;
  if (canonicalJson(m.params ?? {}) !== canonicalJson(op.params)) {
    const before = m.params ?? {};
    const changed = [...new Set([...Object.keys(before), ...Object.keys(op.params)])].filter((k) => canonicalJson(before[k]) !== canonicalJson(op.params[k]));
    return `parameters changed (${changed.map((k) => `${k}: ${JSON.stringify(before[k])} → ${JSON.stringify(op.params[k])}`).join(", ")})`;
  }
  const previous = new Map(m.inputs.map((i) => [`${i.key}|${i.partition ?? ""}`, i.dataVersion ?? i.version]));
  for (const input of inputs) {
    for (const ref of input.refs) {
      if (previous.get(`${ref.key}|${ref.partition ?? ""}`) !== ref.dataVersion) return `input ${ref.key} changed`;
    }
  }
  return "data version changed";
}
