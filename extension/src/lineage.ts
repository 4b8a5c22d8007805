import type { AssetDetail } from '../../src/browse/comm';
import { h, s } from './storeui';

// An asset's lineage as an SVG graph, top to bottom: what it was computed from above (by depth), the
// asset, what uses it below; edges input → asset. Levels stack vertically, so a long chain stays as
// wide as its widest level. Clicking a node opens that asset.

const BOX_W = 210;
const BOX_H = 30;
const GAP_X = 24;
const GAP_Y = 34;
const PAD = 10;

function clip(text: string, max = 30): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

export function renderLineage(asset: AssetDetail, onOpen?: (key: string) => void): HTMLElement {
  const { upstream, downstream, edges } = asset.lineage;
  const column = new Map<string, number>([[asset.key, 0]]);
  for (const n of upstream) column.set(n.key, -n.depth);
  for (const n of downstream) if (!column.has(n.key)) column.set(n.key, n.depth);
  const levels = [...new Set(column.values())].sort((a, b) => a - b);
  const byLevel = new Map<number, string[]>();
  for (const [key, c] of column) byLevel.set(c, [...(byLevel.get(c) ?? []), key]);
  for (const keys of byLevel.values()) keys.sort();
  const across = Math.max(...[...byLevel.values()].map((k) => k.length));
  const width = PAD * 2 + across * BOX_W + (across - 1) * GAP_X;
  const height = PAD * 2 + levels.length * BOX_H + (levels.length - 1) * GAP_Y;
  const pos = new Map<string, { x: number; y: number }>();
  levels.forEach((level, i) => {
    const keys = byLevel.get(level)!;
    const offset = ((across - keys.length) * (BOX_W + GAP_X)) / 2;
    keys.forEach((key, j) => pos.set(key, { x: PAD + offset + j * (BOX_W + GAP_X), y: PAD + i * (BOX_H + GAP_Y) }));
  });

  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'sluice-lineage-svg', role: 'img' });
  svg.append(s('title'));
  svg.querySelector('title')!.textContent = `lineage of ${asset.key}`;
  const defs = s('defs');
  const marker = s('marker', { id: 'sluice-lineage-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'sluice-lineage-arrowhead' }));
  defs.append(marker);
  svg.append(defs);
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + BOX_W / 2;
    const y1 = a.y + BOX_H;
    const x2 = b.x + BOX_W / 2;
    const y2 = b.y;
    const mid = (y1 + y2) / 2;
    const path = s('path', { d: `M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2 - 2}`, class: 'sluice-lineage-edge', 'marker-end': 'url(#sluice-lineage-arrow)' });
    path.dataset.from = e.from;
    path.dataset.to = e.to;
    svg.append(path);
  }
  for (const [key, p] of pos) {
    const g = s('g', { class: `sluice-lineage-node${key === asset.key ? ' sluice-lineage-focus' : ''}`, transform: `translate(${p.x},${p.y})` });
    g.dataset.key = key;
    const title = s('title');
    title.textContent = key;
    g.append(title, s('rect', { width: BOX_W, height: BOX_H, rx: 4 }));
    const text = s('text', { x: 8, y: BOX_H / 2 + 4 });
    text.textContent = clip(key);
    g.append(text);
    if (onOpen && key !== asset.key) g.addEventListener('click', () => onOpen(key));
    svg.append(g);
  }
  const box = h('div', 'sluice-lineage');
  box.append(svg);
  if (!upstream.length && !downstream.length) box.append(h('div', 'sluice-muted', 'A source asset: nothing upstream, and nothing in the store reads it yet.'));
  return box;
}
