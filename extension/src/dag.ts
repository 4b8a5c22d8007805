import { el, formatCount, formatDuration, svg } from './format';
import { OperatorMetric } from './protocol';

// Draws a plan tree as a DAG: data flows from the scans at the bottom to the result at the top,
// each operator a box with its rows and time when known. Plans come from the kernel as plain JSON
// (application/vnd.sluice.plan+json, or `plan` of job.start), so the shape is read leniently.
// What a person needs is written in the box, not only in its tooltip: a scan shows the tail of the
// path it reads, the files it keeps of all, and the filters pushed into it.

export interface PlanNodeView {
  id?: string;
  label: string;
  detail?: string;
  rows?: number;
  timeMs?: number;
  /** The planner's estimate, shown while the operator has not reported rows yet. */
  estimatedRows?: number;
  /** The query runs and this operator's metrics are not measured yet. */
  pending?: boolean;
  children: PlanNodeView[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** The variant of a {logical, optimized, physical} bundle to draw, or the tree itself. */
export function pickPlan(plan: unknown, prefer: string[] = ['optimized', 'logical', 'physical']): unknown {
  if (isObject(plan)) for (const key of prefer) if (isObject(plan[key])) return plan[key];
  return plan;
}

function childrenOf(node: Json): unknown[] {
  for (const key of ['children', 'inputs', 'sources']) if (Array.isArray(node[key])) return node[key] as unknown[];
  const out: unknown[] = [];
  for (const key of ['input', 'left', 'right']) if (isObject(node[key])) out.push(node[key]);
  return out;
}

export function normalizePlan(plan: unknown, depth = 0): PlanNodeView | undefined {
  if (!isObject(plan) || depth > 200) return undefined;
  const metrics = isObject(plan.metrics) ? plan.metrics : plan;
  const label = str(plan.label) ?? str(plan.name) ?? str(plan.op) ?? str(plan.operator) ?? str(plan.kind) ?? str(plan.type) ?? 'operator';
  const detail = str(plan.detail) ?? str(plan.description) ?? str(plan.summary) ?? (isObject(plan.source) ? str(plan.source.label) : undefined);
  return {
    id: str(plan.id),
    label,
    detail,
    rows: num(metrics.rows) ?? num(metrics.rowsOut) ?? num(metrics.cardinality),
    timeMs: num(metrics.timeMs) ?? num(metrics.time_ms),
    children: childrenOf(plan)
      .map(c => normalizePlan(c, depth + 1))
      .filter((c): c is PlanNodeView => c !== undefined)
  };
}

/** DuckDB's physical operators (job.operators, job.end, profile) as a tree, when they say whom they feed. */
export function operatorTree(operators: OperatorMetric[]): PlanNodeView | undefined {
  // A physical plan has ids in pre-order and parents (a bare scan: one operator "0"); a pipeline's op list has neither.
  const plan = operators.length === 1 ? operators[0].id === '0' : operators.some(o => o.parentId !== undefined);
  if (!plan) return undefined;
  const nodes = new Map<string, PlanNodeView>();
  for (const o of operators) {
    nodes.set(o.id, {
      id: o.id,
      label: o.name,
      detail: o.detail,
      rows: o.pending ? undefined : o.rows,
      timeMs: o.pending ? undefined : o.timeMs,
      estimatedRows: o.estimatedRows,
      pending: o.pending,
      children: []
    });
  }
  const roots: PlanNodeView[] = [];
  for (const o of operators) {
    const parent = o.parentId !== undefined ? nodes.get(o.parentId) : undefined;
    if (parent) parent.children.push(nodes.get(o.id)!);
    else roots.push(nodes.get(o.id)!);
  }
  const root = roots.length === 1 ? roots[0] : { label: 'RESULT', children: roots };
  return foldProjections(root);
}

/** DuckDB wraps operators in pass-through PROJECTIONs; a chain of them folds into the operator below. */
function foldProjections(node: PlanNodeView): PlanNodeView {
  let folded = 0;
  let timeMs = 0;
  let current = node;
  while (current.label === 'PROJECTION' && current.children.length === 1) {
    folded += 1;
    timeMs += current.timeMs ?? 0;
    current = current.children[0];
  }
  const children = current.children.map(foldProjections);
  if (folded === 0) return { ...current, children };
  return {
    ...current,
    detail: [current.detail, `+${folded} projection${folded === 1 ? '' : 's'}`].filter(Boolean).join('; '),
    timeMs: current.timeMs === undefined ? undefined : current.timeMs + timeMs,
    children
  };
}

const BOX_W = 210;
const GAP_X = 14;
const GAP_Y = 26;
const LINE_H = 13;
/** Characters of 10px text that fit a box line. */
const LINE_CHARS = 36;
const MAX_DETAIL_LINES = 6;

/** The end of a path: its last two parts (`…/trips/part-1.parquet`), never a cut absolute path. */
export function pathTail(path: string): string {
  const parts = path.split(/[\\/]+/).filter(Boolean);
  if (parts.length <= 2) return path;
  return `…/${parts.slice(-2).join('/')}`;
}

/** `parquet …/dir/file.parquet`, or `parquet …/file.parquet` when that is too long: the file name is kept whole if it can be. */
function sourceLine(kind: string, path: string): string {
  const tail = `${kind} ${pathTail(path)}`;
  if (tail.length <= LINE_CHARS) return tail;
  const name = path.split(/[\\/]+/).filter(Boolean).pop() ?? path;
  const short = `${kind} …/${name}`;
  return short.length <= LINE_CHARS ? short : `${kind} …${name.slice(-(LINE_CHARS - kind.length - 2))}`;
}

/** Splits text into lines of at most `width` characters, at spaces when it can. */
function wrap(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text.trim();
  while (rest.length > 0 && lines.length < maxLines) {
    if (rest.length <= width) {
      lines.push(rest);
      rest = '';
      break;
    }
    let cut = rest.lastIndexOf(' ', width);
    if (cut < width / 2) cut = width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) lines[lines.length - 1] = `${lines[lines.length - 1].slice(0, width - 1)}…`;
  return lines;
}

/**
 * The lines written in a node's box under its name. A scan's detail (`parquet /a/b/c.parquet; files
 * 4/96; columns [...]; filter ...`) becomes one line per fact, the path cut to its tail.
 */
export function detailLines(detail: string | undefined): string[] {
  if (!detail) return [];
  // What a scan keeps (files, pushed filters) before the columns it reads, which matter less.
  const parts = detail
    .split('; ')
    .filter(Boolean)
    .sort((a, b) => Number(a.startsWith('columns ')) - Number(b.startsWith('columns ')));
  const lines: string[] = [];
  for (const part of parts) {
    const source = /^(parquet|csv|ndjson|json) (.+)$/.exec(part);
    const files = /^files (\d+)\/(\d+)$/.exec(part);
    if (source) lines.push(sourceLine(source[1], source[2]));
    else if (files) lines.push(`files ${files[1]} of ${files[2]} kept`);
    else if (part.startsWith('filter ')) lines.push(...wrap(`pushed ${part}`, LINE_CHARS, 2));
    else lines.push(...wrap(part, LINE_CHARS, 2));
  }
  const cut = lines.slice(0, MAX_DETAIL_LINES).map(l => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS - 1)}…` : l));
  if (lines.length > MAX_DETAIL_LINES) cut[MAX_DETAIL_LINES - 1] = `${cut[MAX_DETAIL_LINES - 1].slice(0, LINE_CHARS - 8)} (+${lines.length - MAX_DETAIL_LINES} more)`;
  return cut;
}

function metricsLine(node: PlanNodeView): string {
  if (node.pending) return node.estimatedRows !== undefined ? `~${formatCount(node.estimatedRows)} rows est. · running` : 'running…';
  return [node.rows !== undefined ? `${formatCount(node.rows)} rows` : '', node.timeMs !== undefined ? formatDuration(node.timeMs) : ''].filter(Boolean).join(' · ');
}

interface Placed {
  node: PlanNodeView;
  lines: string[];
  metrics: string;
  x: number;
  y: number;
  h: number;
  parent?: Placed;
}

function boxHeight(lines: string[], metrics: string): number {
  return 8 + LINE_H + lines.length * LINE_H + (metrics ? LINE_H : 0) + 6;
}

function layout(root: PlanNodeView): Placed[] {
  const placed: Placed[] = [];
  const depthOf = new Map<Placed, number>();
  let nextLeaf = 0;
  const visit = (node: PlanNodeView, depth: number, parent?: Placed): Placed => {
    const lines = detailLines(node.detail);
    const metrics = metricsLine(node);
    const me: Placed = { node, lines, metrics, x: 0, y: 0, h: boxHeight(lines, metrics), parent };
    placed.push(me);
    depthOf.set(me, depth);
    if (node.children.length === 0) {
      me.x = nextLeaf++ * (BOX_W + GAP_X);
    } else {
      const kids = node.children.map(c => visit(c, depth + 1, me));
      me.x = (kids[0].x + kids[kids.length - 1].x) / 2;
    }
    return me;
  };
  visit(root, 0);
  // Each level as tall as its tallest box.
  const levelH: number[] = [];
  for (const p of placed) levelH[depthOf.get(p)!] = Math.max(levelH[depthOf.get(p)!] ?? 0, p.h);
  const levelY: number[] = [];
  levelH.reduce((y, h, i) => ((levelY[i] = y), y + h + GAP_Y), 0);
  for (const p of placed) p.y = levelY[depthOf.get(p)!];
  return placed;
}

export function renderDag(root: PlanNodeView): HTMLElement {
  const placed = layout(root);
  const width = Math.max(...placed.map(p => p.x)) + BOX_W + 2;
  const height = Math.max(...placed.map(p => p.y + p.h)) + 2;
  const maxTime = Math.max(0, ...placed.map(p => p.node.timeMs ?? 0));
  const box = el('div', 'sluice-dag');
  // Scales down to the panel's width (never up), keeping its proportions.
  const canvas = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'query plan' });
  // Text stays legible: below 80% the view scrolls sideways instead of shrinking further.
  canvas.style.width = '100%';
  canvas.style.minWidth = `${Math.round(width * 0.8)}px`;
  canvas.style.maxWidth = `${width}px`;
  canvas.style.height = 'auto';
  for (const p of placed) {
    if (!p.parent) continue;
    canvas.appendChild(
      svg('line', {
        x1: p.x + BOX_W / 2 + 1,
        y1: p.y + 1,
        x2: p.parent.x + BOX_W / 2 + 1,
        y2: p.parent.y + p.parent.h + 1,
        class: 'sluice-dag-edge'
      })
    );
  }
  for (const p of placed) {
    const g = svg('g', { transform: `translate(${p.x + 1},${p.y + 1})`, class: `sluice-dag-node${p.node.pending ? ' sluice-dag-pending' : ''}` });
    g.setAttribute('data-operator', p.node.label);
    const title = svg('title');
    title.textContent = [p.node.label, ...(p.node.detail ?? '').split('; ')].filter(Boolean).join('\n');
    g.appendChild(title);
    g.appendChild(svg('rect', { width: BOX_W, height: p.h, rx: 4, class: 'sluice-dag-box' }));
    // The share of the job's time spent here, as a bar along the bottom edge.
    if (p.node.timeMs !== undefined && maxTime > 0) {
      g.appendChild(svg('rect', { x: 0, y: p.h - 4, width: Math.max(2, (BOX_W * p.node.timeMs) / maxTime), height: 4, class: 'sluice-dag-time' }));
    }
    let y = 8 + 10;
    const label = svg('text', { x: 8, y, class: 'sluice-dag-label' });
    label.textContent = p.node.label.length > 28 ? `${p.node.label.slice(0, 27)}…` : p.node.label;
    g.appendChild(label);
    for (const line of p.lines) {
      y += LINE_H;
      const detail = svg('text', { x: 8, y, class: 'sluice-dag-detail' });
      detail.textContent = line;
      g.appendChild(detail);
    }
    if (p.metrics) {
      y += LINE_H;
      const m = svg('text', { x: 8, y, class: 'sluice-dag-metrics' });
      m.textContent = p.metrics;
      g.appendChild(m);
    }
    canvas.appendChild(g);
  }
  box.appendChild(canvas);
  return box;
}

/** A table of operator metrics with a bar for each operator's share of the time. */
export function renderOperators(operators: OperatorMetric[]): HTMLElement {
  const table = el('table', 'sluice-operators');
  const head = table.createTHead().insertRow();
  const timeHead = el('th', 'sluice-num', 'CPU time');
  // DuckDB times each operator on every thread it ran on: the sum can exceed the job's wall time.
  timeHead.title = 'CPU time summed over threads (can exceed the wall time)';
  head.append(el('th', undefined, 'operator'), el('th', 'sluice-num', 'rows'), timeHead, el('th'));
  const body = table.createTBody();
  const maxTime = Math.max(0, ...operators.map(o => (o.pending ? 0 : o.timeMs)));
  for (const op of operators) {
    const row = body.insertRow();
    row.dataset.operator = op.name;
    const name = row.insertCell();
    name.textContent = op.name;
    name.title = [op.name, op.detail].filter(Boolean).join('\n');
    const rows = row.insertCell();
    rows.className = 'sluice-num';
    rows.textContent = op.pending ? (op.estimatedRows !== undefined ? `~${formatCount(op.estimatedRows)}` : '–') : formatCount(op.rows);
    const time = row.insertCell();
    time.className = 'sluice-num';
    time.textContent = op.pending ? '–' : formatDuration(op.timeMs);
    const barCell = row.insertCell();
    const bar = el('div', 'sluice-bar sluice-bar-time');
    bar.style.width = `${maxTime > 0 && !op.pending ? Math.max(1, (100 * op.timeMs) / maxTime) : 0}%`;
    barCell.appendChild(bar);
  }
  return table;
}
