import { el, formatCount, formatDuration, svg } from './format';
import { OperatorMetric } from './protocol';


// Draws a plan tree as a DAG: data flows from the scans at the bottom to the result at the top,
// each operator a box with its rows and time when known. Plans come from the kernel as plain JSON
// (application/vnd.sluice.plan+json, or `plan` of job.start), so the shape is read leniently.

export interface PlanNodeView {
  id?: string;
  label: string;
  detail?: string;
  rows?: number;
  timeMs?: number;
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

/** DuckDB's physical operators (job.end / profile) as a tree, when they say whom they feed. */
export function operatorTree(operators: OperatorMetric[]): PlanNodeView | undefined {
  if (operators.length === 0 || !operators.some(o => o.parentId !== undefined)) return undefined;
  const nodes = new Map<string, PlanNodeView>();
  for (const o of operators) nodes.set(o.id, { id: o.id, label: o.name, rows: o.rows, timeMs: o.timeMs, children: [] });
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
    detail: [current.detail, `+${folded} projection${folded === 1 ? '' : 's'}`].filter(Boolean).join(' '),
    timeMs: (current.timeMs ?? 0) + timeMs,
    children
  };
}

const BOX_W = 168;
const BOX_H = 50;
const GAP_X = 16;
const GAP_Y = 30;

interface Placed {
  node: PlanNodeView;
  x: number;
  y: number;
  parent?: Placed;
}

function layout(root: PlanNodeView): Placed[] {
  const placed: Placed[] = [];
  let nextLeaf = 0;
  const visit = (node: PlanNodeView, depth: number, parent?: Placed): Placed => {
    const me: Placed = { node, x: 0, y: depth * (BOX_H + GAP_Y), parent };
    placed.push(me);
    if (node.children.length === 0) {
      me.x = nextLeaf++ * (BOX_W + GAP_X);
    } else {
      const kids = node.children.map(c => visit(c, depth + 1, me));
      me.x = (kids[0].x + kids[kids.length - 1].x) / 2;
    }
    return me;
  };
  visit(root, 0);
  return placed;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function renderDag(root: PlanNodeView): HTMLElement {
  const placed = layout(root);
  const width = Math.max(...placed.map(p => p.x)) + BOX_W + 2;
  const height = Math.max(...placed.map(p => p.y)) + BOX_H + 2;
  const maxTime = Math.max(0, ...placed.map(p => p.node.timeMs ?? 0));
  const box = el('div', 'sluice-dag');
  // Scales down to the panel's width (never up), keeping its proportions.
  const canvas = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'query plan' });
  // Text stays legible: below 70% the panel scrolls sideways instead of shrinking further.
  canvas.style.width = '100%';
  canvas.style.minWidth = `${Math.round(width * 0.7)}px`;
  canvas.style.maxWidth = `${width}px`;
  canvas.style.height = 'auto';
  for (const p of placed) {
    if (!p.parent) continue;
    canvas.appendChild(
      svg('line', {
        x1: p.x + BOX_W / 2 + 1,
        y1: p.y + 1,
        x2: p.parent.x + BOX_W / 2 + 1,
        y2: p.parent.y + BOX_H + 1,
        class: 'sluice-dag-edge'
      })
    );
  }
  for (const p of placed) {
    const g = svg('g', { transform: `translate(${p.x + 1},${p.y + 1})`, class: 'sluice-dag-node' });
    g.setAttribute('data-operator', p.node.label);
    const title = svg('title');
    title.textContent = [p.node.label, p.node.detail].filter(Boolean).join('\n');
    g.appendChild(title);
    g.appendChild(svg('rect', { width: BOX_W, height: BOX_H, rx: 4, class: 'sluice-dag-box' }));
    // The share of the job's time spent here, as a bar along the bottom edge.
    if (p.node.timeMs !== undefined && maxTime > 0) {
      g.appendChild(svg('rect', { x: 0, y: BOX_H - 4, width: Math.max(2, (BOX_W * p.node.timeMs) / maxTime), height: 4, class: 'sluice-dag-time' }));
    }
    const label = svg('text', { x: 8, y: 16, class: 'sluice-dag-label' });
    label.textContent = truncate(p.node.label, 24);
    g.appendChild(label);
    if (p.node.detail) {
      const detail = svg('text', { x: 8, y: 30, class: 'sluice-dag-detail' });
      detail.textContent = truncate(p.node.detail, 28);
      g.appendChild(detail);
    }
    const metrics = [
      p.node.rows !== undefined ? `${formatCount(p.node.rows)} rows` : '',
      p.node.timeMs !== undefined ? formatDuration(p.node.timeMs) : ''
    ].filter(Boolean);
    if (metrics.length > 0) {
      const m = svg('text', { x: 8, y: 43, class: 'sluice-dag-metrics' });
      m.textContent = metrics.join(' · ');
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
  for (const h of ['operator', 'rows', 'time', '']) head.appendChild(el('th', undefined, h));
  const body = table.createTBody();
  const maxTime = Math.max(0, ...operators.map(o => o.timeMs));
  for (const op of operators) {
    const row = body.insertRow();
    row.dataset.operator = op.name;
    row.insertCell().textContent = op.name;
    const rows = row.insertCell();
    rows.className = 'sluice-num';
    rows.textContent = formatCount(op.rows);
    const time = row.insertCell();
    time.className = 'sluice-num';
    time.textContent = formatDuration(op.timeMs);
    const barCell = row.insertCell();
    const bar = el('div', 'sluice-bar sluice-bar-time');
    bar.style.width = `${maxTime > 0 ? Math.max(1, (100 * op.timeMs) / maxTime) : 0}%`;
    barCell.appendChild(bar);
  }
  return table;
}
