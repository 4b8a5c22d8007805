import type { MimeBundle } from "../host/index.js";
import type { JobSnapshot } from "./jobs.js";
import { formatCount, formatDuration } from "./format.js";
import { OPERATOR_TIME_NOTE, childText, hasQueryOperators, isIndeterminate as indeterminate, rowsText, stageText, type InlineChild, type InlineProgressData } from "./summary.js";

// The inline progress display of one job: the JSON snapshot for the Sluice renderer, plus HTML and
// plain text so that nbclient, VS Code, GitHub and `sluice run` outputs show a sensible state
// without the extension.

import { PROGRESS_MIME } from "../display/mime.js";

export { PROGRESS_MIME };

/** Stages kept in the inline snapshot; the panel gets all of them over the comm. */
const INLINE_STAGE_LIMIT = 20;

export { formatCount, formatDuration };

function elapsedOf(job: JobSnapshot, now: number): number {
  if (job.endedAt !== undefined) return job.endedAt - job.startedAt;
  return Math.max(job.elapsedMs, now - job.startedAt);
}

function rateOf(job: JobSnapshot, elapsedMs: number): string {
  if (elapsedMs <= 0 || job.rowsProcessed <= 0) return "";
  return `${formatCount((job.rowsProcessed * 1000) / elapsedMs)} rows/s`;
}

function percentOf(job: JobSnapshot): number {
  return Math.max(0, Math.min(100, job.percent));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STATUS_COLOR: Record<JobSnapshot["status"], string> = {
  running: "#1976d2",
  succeeded: "#2e7d32",
  failed: "#c62828",
  cancelled: "#ef6c00",
};

/** Pipeline ops, notebook cells, query fragments and the like: one line each (query jobs' scan stages repeat the operator table). */
function shownStages(job: JobSnapshot): JobSnapshot["stages"] {
  const stages = job.kind === "query" || job.kind === "write" ? job.stages.filter((s) => !s.stageId.startsWith("scan-")) : job.stages;
  return stages.slice(-INLINE_STAGE_LIMIT);
}

/** The running child jobs listed under stage `stageId` (undefined: those under no shown stage). */
function childrenOf(job: InlineProgressData, stageId: string | undefined): InlineChild[] {
  const shown = new Set(shownStages(job).map((s) => s.stageId));
  return (job.children ?? []).filter((c) => (stageId === undefined ? !shown.has(c.parentStageId ?? "") : c.parentStageId === stageId));
}

/** The physical plan of a running query in one line (its operators are measured when it ends). */
function pendingPlanText(job: JobSnapshot): string {
  const names = job.operators.map((o) => o.name);
  const shown = names.length <= 8 ? names : [...names.slice(0, 7), `… ${names.length - 7} more`];
  return `physical plan: ${shown.join(" ← ")} (${job.status === "running" ? "rows and time when it ends" : "not measured: the query did not finish"})`;
}

function operatorRows(op: JobSnapshot["operators"][number]): string {
  if (op.pending) return op.estimatedRows !== undefined ? `~${formatCount(op.estimatedRows)} est.` : "…";
  return formatCount(op.rows);
}

export function progressText(job: InlineProgressData, now = Date.now()): string {
  const elapsed = elapsedOf(job, now);
  let bar: string;
  let pct = "";
  if (indeterminate(job)) {
    // A block moving with the clock: the line changes on every refresh even when no number does.
    const at = Math.floor(elapsed / 1000) % 17;
    bar = `[${" ".repeat(at)}<=>${" ".repeat(17 - at)}]`;
  } else {
    const p = percentOf(job);
    const filled = Math.round(p / 5);
    bar = `[${"#".repeat(filled)}${"-".repeat(20 - filled)}]`;
    pct = ` ${p.toFixed(0)}%`;
  }
  const rows = rowsText(job);
  const rate = job.status === "running" ? rateOf(job, elapsed) : "";
  const head = `${job.jobId} ${job.description}: ${job.status} ${bar}${pct}${rows ? ` ${rows}` : ""}${rate ? ` ${rate}` : ""} ${formatDuration(elapsed)}`;
  const lines = [head];
  if (job.error) lines.push(`  error: ${job.error}`);
  for (const stage of shownStages(job)) {
    lines.push(`  ${stageText(stage)}`);
    for (const child of childrenOf(job, stage.stageId)) lines.push(`    ${childText(child)}`);
  }
  for (const child of childrenOf(job, undefined)) lines.push(`  ${childText(child)}`);
  // A run's ops and cells are its stage lines; a query's operators are DuckDB's, timed in CPU time.
  const operators = hasQueryOperators(job) ? job.operators : [];
  const measured = operators.some((o) => !o.pending && o.timeMs > 0);
  if (operators.some((o) => o.pending)) lines.push(`  ${pendingPlanText(job)}`);
  else for (const op of operators) lines.push(`  ${op.name} (${op.id}): ${formatCount(op.rows)} rows, ${formatDuration(op.timeMs)}${measured ? " CPU" : ""}`);
  if (measured) lines.push(`  (${OPERATOR_TIME_NOTE})`);
  return lines.join("\n");
}

export function progressHtml(job: InlineProgressData, now = Date.now()): string {
  const elapsed = elapsedOf(job, now);
  const color = STATUS_COLOR[job.status];
  const moving = indeterminate(job);
  const pct = percentOf(job);
  const rate = job.status === "running" ? rateOf(job, elapsed) : "";
  const stats = [moving ? "" : `${pct.toFixed(0)}%`, rowsText(job), rate, formatDuration(elapsed)].filter(Boolean).join(" · ");
  // Without the extension, an indeterminate bar is a striped one whose stripes move with each refresh.
  const offset = Math.floor(elapsed / 250) * 4;
  const fill = moving
    ? `<div style="background:repeating-linear-gradient(45deg,${color} 0 8px,#90caf9 8px 16px);background-position:${offset}px 0;width:100%;height:8px;border-radius:4px;opacity:.6"></div>`
    : `<div style="background:${color};width:${pct.toFixed(1)}%;height:8px;border-radius:4px"></div>`;
  let html =
    `<div class="sluice-progress" data-job-id="${escapeHtml(job.jobId)}" data-status="${job.status}"${moving ? ' data-indeterminate="true"' : ""} style="font-family:sans-serif;font-size:12px;max-width:640px">` +
    `<div><b>${escapeHtml(job.description)}</b> <span style="color:${color}">${job.status}</span> <span style="color:#777">${escapeHtml(job.jobId)}</span></div>` +
    `<div style="background:#e0e0e0;height:8px;border-radius:4px;margin:4px 0">${fill}</div>` +
    `<div>${escapeHtml(stats)}</div>`;
  if (job.error) html += `<div style="color:${STATUS_COLOR.failed}">${escapeHtml(job.error)}</div>`;
  const stages = shownStages(job);
  const childLines = (stageId: string | undefined, indent: number) =>
    childrenOf(job, stageId).map((c) => `<br><span style="margin-left:${indent}em">${escapeHtml(childText(c))}</span>`).join("");
  if (stages.length > 0 || childrenOf(job, undefined).length > 0)
    html += `<div style="margin-top:4px;color:#555">${stages.map((s) => escapeHtml(stageText(s)) + childLines(s.stageId, 1.5)).join("<br>")}${childLines(undefined, 0)}</div>`;
  if (job.operators.some((o) => o.pending) && hasQueryOperators(job)) html += `<div style="margin-top:4px;color:#555">${escapeHtml(pendingPlanText(job))}</div>`;
  else if (job.operators.length > 0 && hasQueryOperators(job)) {
    const measured = job.operators.some((o) => !o.pending && o.timeMs > 0);
    html += `<table style="margin-top:4px;border-collapse:collapse"><thead><tr><th style="text-align:left;padding-right:12px">operator</th><th style="text-align:right;padding-right:12px">rows</th><th style="text-align:right" title="${OPERATOR_TIME_NOTE}">${measured ? "CPU time" : "time"}</th></tr></thead><tbody>`;
    for (const op of job.operators) {
      html += `<tr><td style="padding-right:12px">${escapeHtml(op.name)}</td><td style="text-align:right;padding-right:12px">${operatorRows(op)}</td><td style="text-align:right">${op.pending ? "…" : formatDuration(op.timeMs)}</td></tr>`;
    }
    html += `</tbody></table>`;
    if (measured) html += `<div style="color:#777">${OPERATOR_TIME_NOTE}</div>`;
  }
  return html + `</div>`;
}

/** The one line under a cell for its jobs beyond the first few: how many, and how they ended. */
export function moreJobsBundle(statuses: readonly JobSnapshot["status"][]): MimeBundle {
  const count = (status: JobSnapshot["status"]) => statuses.filter((s) => s === status).length;
  const parts = (["succeeded", "failed", "cancelled", "running"] as const).filter((s) => count(s) > 0).map((s) => `${count(s).toLocaleString("en-US")} ${s}`);
  const text = `… and ${statuses.length.toLocaleString("en-US")} more jobs in this cell: ${parts.join(", ")} (the Sluice jobs panel lists each one)`;
  return {
    "text/html": `<div class="sluice-progress-more" style="font-family:sans-serif;font-size:12px;color:#555">${escapeHtml(text)}</div>`,
    "text/plain": text,
  };
}

function inlineChild(child: JobSnapshot): InlineChild {
  const { jobId, description, parentStageId, percent, rowsProcessed, rowsTotal, indeterminate, kind } = child;
  return { jobId, description, parentStageId, percent, rowsProcessed, rowsTotal, indeterminate, kind };
}

/** `refreshMs`: how often a running job's display is refreshed (in the data, so the renderer can tell a lost job). */
export function progressBundle(job: JobSnapshot, now = Date.now(), refreshMs?: number, children: readonly JobSnapshot[] = []): MimeBundle {
  const snapshot: InlineProgressData = {
    ...job,
    ...(children.length > 0 ? { children: children.slice(0, INLINE_STAGE_LIMIT).map(inlineChild) } : {}),
    elapsedMs: elapsedOf(job, now),
    stages: job.stages.length > INLINE_STAGE_LIMIT ? job.stages.slice(-INLINE_STAGE_LIMIT) : job.stages,
    shownAt: now,
    ...(refreshMs !== undefined && job.status === "running" ? { refreshMs } : {}),
  };
  return {
    [PROGRESS_MIME]: snapshot,
    "text/html": progressHtml(snapshot, now),
    "text/plain": progressText(snapshot, now),
  };
}
