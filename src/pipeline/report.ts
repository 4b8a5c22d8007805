// What a run tells its user: a live view (one line per event, with running counts), a summary
// table at the end, and a Gantt chart of the nodes as vega-lite.
import type { NodeStatus, RunNode } from "./nodes.js";

export type Counts = Record<NodeStatus, number>;

export type PipelineEvent =
  | { type: "run.start"; runId: string; pipeline: string; partitions: string[]; maxConcurrency: number; storeRoot: string }
  | { type: "node.start"; runId: string; node: RunNode; counts: Counts }
  | { type: "node.end"; runId: string; node: RunNode; counts: Counts }
  | { type: "node.retry"; runId: string; node: RunNode; attempt: number; waitMs: number; error: string }
  | { type: "node.log"; runId: string; node: RunNode; text: string }
  | { type: "run.end"; runId: string; result: RunSummary & { status: string; ganttPath: string; checks?: ReadonlyArray<{ check: string; asset: string; partition?: string; passed: boolean; blocking: boolean; description?: string }> } };

export interface NodeSummary {
  id: string;
  op: string;
  partition?: string;
  item?: string;
  status: NodeStatus;
  reason?: string;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  error?: string;
  dataVersion?: string;
  /** Where its last attempt ran, as the executor reported it (a host name, a Ray node's address). */
  host?: string;
}

export interface RunSummary {
  counts: Counts;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  summaries: NodeSummary[];
}

export function summarize(nodes: RunNode[], startedAt: number, endedAt: number): RunSummary {
  const counts: Counts = { pending: 0, running: 0, succeeded: 0, skipped: 0, failed: 0, upstream_failed: 0, reused: 0 };
  for (const n of nodes) counts[n.status] += 1;
  return {
    counts,
    startedAt,
    endedAt,
    durationMs: endedAt - startedAt,
    summaries: nodes.map((n) => ({
      id: n.id,
      op: n.op.name,
      partition: n.partition,
      item: n.mappingKey,
      status: n.status,
      reason: n.reason,
      attempts: n.attempts,
      startedAt: n.startedAt,
      endedAt: n.endedAt,
      durationMs: n.startedAt !== undefined && n.endedAt !== undefined ? n.endedAt - n.startedAt : undefined,
      error: n.error,
      dataVersion: n.dataVersion,
      host: n.host,
    })),
  };
}

const SYMBOL: Record<NodeStatus, string> = {
  pending: "·",
  running: "▶",
  succeeded: "✓",
  skipped: "↷",
  failed: "✗",
  upstream_failed: "⊘",
  reused: "=",
};

function status(c: Counts): string {
  return `[running ${c.running} · done ${c.succeeded} · skipped ${c.skipped + c.reused} · failed ${c.failed + c.upstream_failed}]`;
}

/** Prints the live view, then the summary, to a stream (stdout by default). On a terminal a status
 * line under the log names the ops running now and is redrawn on every event. */
export function consoleReporter(writeTo?: (text: string) => void, options: { tty?: boolean } = {}): (event: PipelineEvent) => void {
  const write = writeTo ?? ((t: string) => void process.stdout.write(t));
  const tty = options.tty ?? (writeTo === undefined && process.stdout.isTTY === true);
  const running = new Set<string>();
  let last: Counts | undefined;
  const statusLine = () => {
    if (!tty || !last) return "";
    const names = [...running];
    const shown = names.slice(0, 4).join(", ") + (names.length > 4 ? ` +${names.length - 4}` : "");
    return `${status(last)}${names.length ? ` running: ${shown}` : ""}`.slice(0, (process.stdout.columns ?? 120) - 1);
  };
  const inner = lineReporter(write);
  return (event) => {
    if (event.type === "node.start") running.add(event.node.id);
    if (event.type === "node.end") running.delete(event.node.id);
    if (event.type === "node.start" || event.type === "node.end") last = event.counts;
    if (tty) write("\r\x1b[2K");
    inner(event);
    if (event.type === "run.end") last = undefined;
    if (tty) write(statusLine());
  };
}

function lineReporter(write: (text: string) => void): (event: PipelineEvent) => void {
  return (event) => {
    switch (event.type) {
      case "run.start":
        write(
          `run ${event.runId} of pipeline ${event.pipeline}${event.partitions.length ? ` · partitions ${event.partitions.length > 3 ? `${event.partitions[0]}..${event.partitions.at(-1)} (${event.partitions.length})` : event.partitions.join(", ")}` : ""} · max concurrency ${event.maxConcurrency} · store ${event.storeRoot}\n`,
        );
        break;
      case "node.start":
        write(`${status(event.counts)} ${SYMBOL.running} ${event.node.id}: run (${event.node.reason})\n`);
        break;
      case "node.end": {
        const n = event.node;
        const time = n.startedAt !== undefined && n.endedAt !== undefined && n.status === "succeeded" ? ` in ${n.endedAt - n.startedAt} ms` : "";
        const why = n.status === "failed" ? `: ${n.error}` : n.status === "succeeded" ? (n.attempts > 1 ? ` after ${n.attempts} attempts` : "") : ` (${n.reason})`;
        write(`${status(event.counts)} ${SYMBOL[n.status]} ${n.id}: ${n.status.replace("_", " ")}${time}${why}\n`);
        break;
      }
      case "node.retry":
        write(`  ↻ ${event.node.id}: attempt ${event.attempt} failed (${event.error}); retrying in ${event.waitMs} ms\n`);
        break;
      case "node.log":
        write(`  ${event.node.id}: ${event.text}\n`);
        break;
      case "run.end":
        write(summaryTable(event.result.summaries));
        if (event.result.checks?.length) {
          // Asset checks: a count, and each failure (blocking ones failed their op above).
          const failed = event.result.checks.filter((c) => !c.passed);
          write(`checks: ${event.result.checks.length - failed.length} passed, ${failed.length} failed\n`);
          for (const c of failed) write(`  ✗ ${c.check} of ${c.asset}${c.partition ? ` (${c.partition})` : ""}${c.blocking ? " [blocking]" : ""}: ${c.description ?? "no details"}\n`);
        }
        write(`run ${event.runId} ${event.result.status} in ${event.result.durationMs} ms ${status(event.result.counts)}\nGantt chart: ${event.result.ganttPath}\n`);
        break;
    }
  };
}

export function summaryTable(rows: NodeSummary[]): string {
  const lines = [["node", "status", "time", "attempts", "reason / error"]];
  for (const r of rows) {
    lines.push([r.id, r.status, r.durationMs !== undefined ? `${r.durationMs} ms` : "", String(r.attempts), (r.status === "failed" ? r.error : r.reason) ?? ""]);
  }
  const widths = lines[0]!.map((_, i) => Math.min(60, Math.max(...lines.map((l) => l[i]!.length))));
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.slice(0, widths[i]).padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** A vega-lite Gantt chart of the nodes that ran (or were skipped), coloured by status. */
export function ganttSpec(pipeline: string, runId: string, nodes: RunNode[]): Record<string, unknown> {
  const values = nodes
    .filter((n) => n.startedAt !== undefined)
    .map((n) => ({ node: n.id, op: n.op.name, status: n.status, start: n.startedAt, end: Math.max(n.endedAt ?? n.startedAt!, n.startedAt! + 1), attempts: n.attempts }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `${pipeline} · run ${runId}`,
    width: 600,
    height: { step: 14 },
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "node", type: "nominal", sort: { field: "start" }, title: null },
      x: { field: "start", type: "temporal", title: "time" },
      x2: { field: "end" },
      color: {
        field: "status",
        type: "nominal",
        scale: { domain: ["succeeded", "skipped", "reused", "failed"], range: ["#4c9f70", "#b0b0b0", "#d0d0d0", "#d1495b"] },
      },
    },
  };
}
