// `sluice pipeline show`: the DAG as text, and as a vega-lite picture (layers left to right).
import { getHost } from "../host/index.js";
import { buildGraph, type Pipeline } from "./graph.js";

export function describePipeline(p: Pipeline): string {
  const graph = buildGraph(p);
  const lines = [`pipeline ${p.name}: ${p.ops.length} ops, max concurrency ${p.options.maxConcurrency}`];
  for (const op of graph.order) {
    const flags = [
      op.kind === "fn" ? "function" : `notebook ${op.notebook}`,
      op.partitions ? `partitions ${op.partitions.id}` : "",
      op.dynamic ? "dynamic" : "",
      op.map ? `map over ${op.map}` : "",
      op.collect ? `collect ${op.collect}` : "",
      op.priority ? `priority ${op.priority}` : "",
      op.retry.max ? `retries ${op.retry.max}` : "",
    ].filter(Boolean);
    lines.push(`  ${op.name}  (${flags.join(", ")})`);
    const after = [...graph.upstream.get(op.name)!].sort();
    if (after.length) lines.push(`    after   ${after.join(", ")}`);
    for (const [alias, key] of Object.entries(op.inputs)) lines.push(`    in      ${alias} = ${key}`);
    for (const out of op.outputs) lines.push(`    out     ${out.key}${out.materialize ? "" : " (in memory)"}`);
    if (Object.keys(op.params).length) lines.push(`    params  ${JSON.stringify(op.params)}`);
  }
  return lines.join("\n") + "\n";
}

/** The DAG as a vega-lite layered chart: ops are points placed by dependency level, edges are rules. */
export function pipelineSpec(p: Pipeline): Record<string, unknown> {
  const graph = buildGraph(p);
  const level = new Map<string, number>();
  for (const op of graph.order) level.set(op.name, Math.max(0, ...[...graph.upstream.get(op.name)!].map((d) => level.get(d)! + 1)));
  const row = new Map<number, number>();
  const nodes = graph.order.map((op) => {
    const x = level.get(op.name)!;
    const y = row.get(x) ?? 0;
    row.set(x, y + 1);
    return { op: op.name, kind: op.kind, x, y };
  });
  const at = new Map(nodes.map((n) => [n.op, n]));
  const edges = graph.order.flatMap((op) => [...graph.upstream.get(op.name)!].map((d) => ({ x: at.get(d)!.x, y: at.get(d)!.y, x2: at.get(op.name)!.x, y2: at.get(op.name)!.y })));
  const axis = { axis: null };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `pipeline ${p.name}`,
    width: Math.max(200, 140 * (Math.max(...nodes.map((n) => n.x), 0) + 1)),
    height: Math.max(80, 40 * Math.max(...row.values(), 1)),
    layer: [
      { data: { values: edges }, mark: { type: "rule", color: "#999" }, encoding: { x: { field: "x", type: "quantitative", ...axis }, y: { field: "y", type: "quantitative", ...axis }, x2: { field: "x2" }, y2: { field: "y2" } } },
      {
        data: { values: nodes },
        mark: { type: "point", filled: true, size: 200 },
        encoding: { x: { field: "x", type: "quantitative", ...axis }, y: { field: "y", type: "quantitative", ...axis }, color: { field: "kind", type: "nominal" }, tooltip: [{ field: "op" }] },
      },
      { data: { values: nodes }, mark: { type: "text", dy: -14 }, encoding: { x: { field: "x", type: "quantitative", ...axis }, y: { field: "y", type: "quantitative", ...axis }, text: { field: "op" } } },
    ],
  };
}

/** In a notebook: displays the DAG (vega-lite, with the text form as text/plain). Returns the text. */
export function showPipeline(p: Pipeline): string {
  const text = describePipeline(p);
  getHost()?.display({ "application/vnd.vegalite.v5+json": pipelineSpec(p), "text/plain": text });
  return text;
}
