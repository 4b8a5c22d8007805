// Rich output for collected frames: application/vnd.sluice.frame+json, an HTML table and plain text
// (DESIGN.md: every rich output also carries text/plain, and text/html where a picture helps).
import type { DataFrame } from "./dataframe.js";

export const FRAME_MIME = "application/vnd.sluice.frame+json";
export const PLAN_MIME = "application/vnd.sluice.plan+json";
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
const SHOWN_ROWS = 20;

/** A value as JSON can carry it: Dates as ISO text, big integers as text. */
export function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

function cellText(v: unknown): string {
  const j = jsonSafe(v);
  if (j === null) return "null";
  return typeof j === "object" ? JSON.stringify(j) : String(j);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function frameBundle(df: DataFrame): Record<string, unknown> {
  const schema = df.schema;
  const rows = df.toRecords(SHOWN_ROWS);
  const shape = `shape: (${df.numRows.toLocaleString("en-US")}, ${schema.length})`;
  const more = df.numRows > rows.length ? `<p>… ${(df.numRows - rows.length).toLocaleString("en-US")} more rows</p>` : "";
  const html =
    `<div class="sluice-frame"><p>${escapeHtml(shape)}</p><table>` +
    `<thead><tr>${schema.map((f) => `<th>${escapeHtml(f.name)}<br><small>${escapeHtml(f.type)}</small></th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${schema.map((f) => `<td>${escapeHtml(cellText(r[f.name]))}</td>`).join("")}</tr>`).join("")}</tbody>` +
    `</table>${more}</div>`;
  return {
    [FRAME_MIME]: { schema, numRows: df.numRows, rows: rows.map((r) => jsonSafe(r)) },
    "text/html": html,
    "text/plain": textTable(shape, schema, rows, df.numRows),
  };
}

function textTable(shape: string, schema: { name: string; type: string }[], rows: Record<string, unknown>[], total: number): string {
  const header = schema.map((f) => f.name);
  const types = schema.map((f) => f.type);
  const body = rows.map((r) => schema.map((f) => cellText(r[f.name])));
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, types[i].length, ...body.map((b) => b[i].length))));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]) => cells.map((c, i) => fit(c, widths[i])).join(" │ ");
  const lines = [shape, line(header), line(types), widths.map((w) => "─".repeat(w)).join("─┼─"), ...body.map(line)];
  if (total > rows.length) lines.push(`… ${total - rows.length} more rows`);
  return lines.join("\n");
}
