// A node is one invocation of an op: op × partition × (for mapped ops) item.
import type { Materialization } from "../store/index.js";
import type { Op } from "./ops.js";

export type NodeStatus = "pending" | "running" | "succeeded" | "skipped" | "failed" | "upstream_failed" | "reused";

export interface NodeOutput {
  key: string;
  dataVersion: string;
  materialization?: Materialization;
  /** The value handed over in memory (function ops in this process). */
  value?: unknown;
  hasValue: boolean;
}

export interface RunNode {
  id: string;
  op: Op;
  partition: string | undefined;
  partitionIndex: number;
  item: unknown;
  itemIndex: number;
  mappingKey: string | undefined;
  status: NodeStatus;
  reason?: string;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  error?: string;
  dataVersion?: string;
  outputs: Map<string, NodeOutput>;
  items?: unknown[];
  /** False for nodes whose results are taken from the store (--only, --from-failure). */
  selected: boolean;
  /** The host its last attempt ran on, as the executor reported it. */
  host?: string;
}

export function nodeId(op: string, partition: string | undefined, mappingKey: string | undefined): string {
  return `${op}${partition !== undefined ? `[${partition}]` : ""}${mappingKey !== undefined ? `[${mappingKey}]` : ""}`;
}

/** The store partition of a node's outputs: time/static partition and mapping key joined by "|". */
export function storePartition(node: Pick<RunNode, "partition" | "mappingKey">): string | undefined {
  const parts = [node.partition, node.mappingKey].filter((p): p is string => p !== undefined);
  return parts.length ? parts.join("|") : undefined;
}

/** A readable, file-safe key per item: the item itself when it is a short safe string or number, `item.key`, else its index. */
export function mappingKeys(items: readonly unknown[]): string[] {
  const seen = new Set<string>();
  return items.map((item, index) => {
    let key =
      typeof item === "string" || typeof item === "number"
        ? String(item)
        : item && typeof item === "object" && "key" in item && (typeof item.key === "string" || typeof item.key === "number")
          ? String(item.key)
          : String(index);
    key = key.replace(/[^A-Za-z0-9_.=-]/g, "_").slice(0, 80) || String(index);
    if (seen.has(key)) key = `${key}_${index}`;
    seen.add(key);
    return key;
  });
}

/** Ready nodes run in this order: op priority, then earlier partitions, then earlier items (so an item
 * runs end to end before later items start), then ops nearer the end of the graph. */
export function compareNodes(depth: Map<string, number>, declIndex: Map<string, number>) {
  return (a: RunNode, b: RunNode): number =>
    b.op.priority - a.op.priority ||
    a.partitionIndex - b.partitionIndex ||
    a.itemIndex - b.itemIndex ||
    (depth.get(a.op.name) ?? 0) - (depth.get(b.op.name) ?? 0) ||
    declIndex.get(a.op.name)! - declIndex.get(b.op.name)!;
}
