// Small DOM and text helpers of the Runs and Assets views (plain DOM, like the jobs panel).

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, ...children: Array<Node | string | undefined>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== undefined) node.append(child);
  return node;
}

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  const sec = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m} min ${sec} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function count(n: number | undefined): string {
  return n === undefined ? '' : n.toLocaleString('en-US');
}

/** Local date and time, to the second, without wrapping. */
export function when(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const pad = (v: number) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A definition list of label → value (empty values left out). */
export function facts(rows: Array<[string, string | Node | undefined]>): HTMLElement {
  const dl = h('dl', 'sluice-facts');
  for (const [label, value] of rows) {
    if (value === undefined || value === '') continue;
    dl.append(h('dt', undefined, label), h('dd', undefined, value));
  }
  return dl;
}

export function table(head: string[], rows: Array<Array<string | Node>>, className = ''): HTMLTableElement {
  const t = h('table', `sluice-browse-table ${className}`.trim());
  const tr = h('tr');
  for (const name of head) tr.append(h('th', undefined, name));
  t.append(h('thead', undefined, tr));
  const body = h('tbody');
  for (const row of rows) {
    const line = h('tr');
    for (const cell of row) line.append(h('td', undefined, cell));
    body.append(line);
  }
  t.append(body);
  return t;
}

export function statusBadge(status: string): HTMLElement {
  const badge = h('span', `sluice-badge sluice-run-${status.replace(/[^a-z_]/gi, '')}`, status.replace('_', ' '));
  return badge;
}

export function button(label: string, onClick: () => void, className = 'sluice-browse-button'): HTMLButtonElement {
  const b = h('button', className, label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '';
  // A DATE arrives as midnight UTC in JSON: show the day.
  if (typeof value === 'string') return /^\d{4}-\d\d-\d\dT00:00:00(\.000)?Z$/.test(value) ? value.slice(0, 10) : value;
  return JSON.stringify(value);
}
