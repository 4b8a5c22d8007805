import type { MimeBundle } from "../host/index.js";
import type { JobSnapshot } from "./jobs.js";
import { formatCount, formatDuration } from "./format.js";

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

export function progressText(job: JobSnapshot, now = Date.now()): string {
  const elapsed = elapsedOf(job, now);
  const pct = percentOf(job);
  const filled = Math.round(pct / 5);
  const bar = `[${"#".repeat(filled)}${"-".repeat(20 - filled)}]`;
  const rows = job.rowsTotal > 0 ? `${formatCount(job.rowsProcessed)}/${formatCount(job.rowsTotal)} rows` : `${formatCount(job.rowsProcessed)} rows`;
  const rate = rateOf(job, elapsed);
  const head = `${job.jobId} ${job.description}: ${job.status} ${bar} ${pct.toFixed(0)}% ${rows}${rate ? ` ${rate}` : ""} ${formatDuration(elapsed)}`;
  const lines = [head];
  if (job.error) lines.push(`  error: ${job.error}`);
  for (const op of job.operators) lines.push(`  ${op.name} (${op.id}): ${formatCount(op.rows)} rows, ${formatDuration(op.timeMs)}`);
  return lines.join("\n");
}

export function progressHtml(job: JobSnapshot, now = Date.now()): string {
  const elapsed = elapsedOf(job, now);
  const pct = percentOf(job);
  const color = STATUS_COLOR[job.status];
  const rows = job.rowsTotal > 0 ? `${formatCount(job.rowsProcessed)} / ${formatCount(job.rowsTotal)} rows` : `${formatCount(job.rowsProcessed)} rows`;
  const rate = rateOf(job, elapsed);
  const stats = [rows, rate, formatDuration(elapsed)].filter(Boolean).join(" · ");
  let html =
    `<div class="sluice-progress" data-job-id="${escapeHtml(job.jobId)}" data-status="${job.status}" style="font-family:sans-serif;font-size:12px;max-width:640px">` +
    `<div><b>${escapeHtml(job.description)}</b> <span style="color:${color}">${job.status}</span> <span style="color:#777">${escapeHtml(job.jobId)}</span></div>` +
    `<div style="background:#e0e0e0;height:8px;border-radius:4px;margin:4px 0"><div style="background:${color};width:${pct.toFixed(1)}%;height:8px;border-radius:4px"></div></div>` +
    `<div>${pct.toFixed(0)}% · ${escapeHtml(stats)}</div>`;
  if (job.error) html += `<div style="color:${STATUS_COLOR.failed}">${escapeHtml(job.error)}</div>`;
  if (job.operators.length > 0) {
    html += `<table style="margin-top:4px;border-collapse:collapse"><thead><tr><th style="text-align:left;padding-right:12px">operator</th><th style="text-align:right;padding-right:12px">rows</th><th style="text-align:right">time</th></tr></thead><tbody>`;
    for (const op of job.operators) {
      html += `<tr><td style="padding-right:12px">${escapeHtml(op.name)}</td><td style="text-align:right;padding-right:12px">${formatCount(op.rows)}</td><td style="text-align:right">${formatDuration(op.timeMs)}</td></tr>`;
    }
    html += `</tbody></table>`;
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

export function progressBundle(job: JobSnapshot, now = Date.now()): MimeBundle {
  const snapshot: JobSnapshot = {
    ...job,
    elapsedMs: elapsedOf(job, now),
    stages: job.stages.length > INLINE_STAGE_LIMIT ? job.stages.slice(-INLINE_STAGE_LIMIT) : job.stages,
  };
  return {
    [PROGRESS_MIME]: snapshot,
    "text/html": progressHtml(job, now),
    "text/plain": progressText(job, now),
  };
}
