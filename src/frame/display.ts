// Rich output for collected frames: application/vnd.sluice.frame+json, an HTML table and plain text
// (docs/contracts.md "Display: MIME types": every rich output also carries text/plain, and text/html where a picture helps).
import type { DataFrame } from "./dataframe.js";

import { FRAME_MIME } from "../display/mime.js";
import { isTemporalType, temporalText } from "./cell-text.js";

export { FRAME_MIME, PLAN_MIME, VEGALITE_MIME } from "../display/mime.js";
const SHOWN_ROWS = 20;
/** A cell's text is cut here in every view: a 1 MB string in 20 rows would be a 20 MB notebook output. */
const MAX_CELL_CHARS = 1000;
/** Wider frames show their first and last columns in HTML and text (all are in frame+json's schema). */
const MAX_SHOWN_COLUMNS = 60;

/** A value as JSON can carry it: Dates as ISO text, big integers as text. */
export function jsonSafe(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  if (typeof v === "string") return cut(v);
  if (v instanceof Uint8Array) return blobText(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

function cut(s: string): string {
  return s.length > MAX_CELL_CHARS ? `${s.slice(0, MAX_CELL_CHARS)}… (${(s.length - MAX_CELL_CHARS).toLocaleString("en-US")} more characters)` : s;
}

/** Bytes as DuckDB prints a BLOB: printable ASCII as is, the rest as \xHH. */
function blobText(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes.subarray(0, MAX_CELL_CHARS)) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return bytes.length > MAX_CELL_CHARS ? `${out}… (${bytes.length - MAX_CELL_CHARS} more bytes)` : out;
}

/** A cell as text; a DATE column shows its day, a TIMESTAMP its date and time as DuckDB prints them. */
function cellText(v: unknown, type?: string): string {
  const temporal = temporalText(v, type);
  if (temporal !== undefined) return temporal;
  const j = jsonSafe(v);
  if (j === null) return "null";
  return typeof j === "object" ? cut(JSON.stringify(j)) : String(j); // (strings were cut by jsonSafe)
}

/** The columns HTML and text show: all of them, or the first and last halves of MAX_SHOWN_COLUMNS with a gap. */
function shownColumns<T>(schema: readonly T[]): (T | undefined)[] {
  if (schema.length <= MAX_SHOWN_COLUMNS) return [...schema];
  const half = MAX_SHOWN_COLUMNS / 2;
  return [...schema.slice(0, half), undefined, ...schema.slice(-half)];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function frameBundle(df: DataFrame): Record<string, unknown> {
  const schema = df.schema;
  const rows = df.toRecords(SHOWN_ROWS);
  const shape = `shape: (${df.numRows.toLocaleString("en-US")}, ${schema.length})`;
  const more = df.numRows > rows.length ? `<p>… ${(df.numRows - rows.length).toLocaleString("en-US")} more rows</p>` : "";
  const columns = shownColumns(schema);
  const gap = `<td>… ${schema.length - MAX_SHOWN_COLUMNS} more columns</td>`;
  const html =
    `<div class="sluice-frame"><p>${escapeHtml(shape)}</p><table>` +
    `<thead><tr>${columns.map((f) => (f ? `<th>${escapeHtml(f.name)}<br><small>${escapeHtml(f.type)}</small></th>` : gap.replace(/td>/g, "th>"))).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${columns.map((f) => (f ? `<td${isTemporalType(f.type) ? ' style="white-space:nowrap"' : ""}>${escapeHtml(cellText(r[f.name], f.type))}</td>` : "<td>…</td>")).join("")}</tr>`).join("")}</tbody>` +
    `</table>${more}</div>`;
  return {
    [FRAME_MIME]: { schema, numRows: df.numRows, rows: rows.map((r) => jsonSafe(r)) },
    "text/html": html,
    "text/plain": textTable(shape, schema, rows, df.numRows),
  };
}

function textTable(shape: string, schema: { name: string; type: string }[], rows: Record<string, unknown>[], total: number): string {
  const columns = shownColumns(schema);
  const header = columns.map((f) => f?.name ?? "…");
  const types = columns.map((f) => f?.type ?? "");
  // One line per row: line breaks inside a value are shown as ⏎.
  const body = rows.map((r) => columns.map((f) => (f ? cellText(r[f.name], f.type).replace(/\r?\n/g, "⏎") : "…")));
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, types[i].length, ...body.map((b) => b[i].length))));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (cells: string[]) => cells.map((c, i) => fit(c, widths[i])).join(" │ ");
  const lines = [shape, line(header), line(types), widths.map((w) => "─".repeat(w)).join("─┼─"), ...body.map(line)];
  if (total > rows.length) lines.push(`… ${total - rows.length} more rows`);
  return lines.join("\n");
}
