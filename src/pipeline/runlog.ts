// Each run's log, kept beside its Gantt chart in <store>/runs/<runId>/log.ndjson: the lines ops
// wrote with context.log, retries and failures, one JSON object a line. The console shows them as
// they come; the file keeps them for later (the Runs view in JupyterLab reads them back).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PipelineEvent } from "./report.js";

export interface RunLogEntry {
  /** ms since the epoch */
  at: number;
  /** The node (op[partition][item]) that wrote it. */
  node: string;
  kind: "log" | "retry" | "error";
  text: string;
}

export function runLogPath(storeRoot: string, runId: string): string {
  return join(storeRoot, "runs", runId, "log.ndjson");
}

/** Wraps a reporter so that log lines, retries and failures also go to the run's log file. */
export function withRunLog(storeRoot: string, runId: string, report: (event: PipelineEvent) => void): (event: PipelineEvent) => void {
  const path = runLogPath(storeRoot, runId);
  let broken = false;
  const append = (entry: RunLogEntry) => {
    if (broken) return;
    try {
      mkdirSync(join(storeRoot, "runs", runId), { recursive: true });
      appendFileSync(path, JSON.stringify(entry) + "\n");
    } catch {
      // A log that cannot be written (full disk, read-only store) must not fail the run.
      broken = true;
    }
  };
  return (event) => {
    if (event.type === "node.log") append({ at: Date.now(), node: event.node.id, kind: "log", text: event.text });
    else if (event.type === "node.retry") append({ at: Date.now(), node: event.node.id, kind: "retry", text: `attempt ${event.attempt} failed: ${event.error}; retrying in ${event.waitMs} ms` });
    else if (event.type === "node.end" && event.node.status === "failed") append({ at: Date.now(), node: event.node.id, kind: "error", text: event.node.error ?? "failed" });
    report(event);
  };
}

/** The entries of a run's log (all, or one node's), oldest first; none when the run logged nothing. */
export function readRunLog(storeRoot: string, runId: string, node?: string): RunLogEntry[] {
  const path = runLogPath(storeRoot, runId);
  if (!existsSync(path)) return [];
  const entries: RunLogEntry[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as RunLogEntry;
      if (node === undefined || entry.node === node) entries.push(entry);
    } catch {
      // A line cut short by a crash is skipped; the others are still worth reading.
    }
  }
  return entries;
}
