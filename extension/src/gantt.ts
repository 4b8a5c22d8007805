import type { OpRunItem } from '../../src/browse/comm';
import { duration, h } from './storeui';

// A run's Gantt chart in plain DOM: one row per node (op, partition, item) in start order, bars on
// a time axis that stays at the top while the rows scroll, grid lines at the ticks. Hundreds of rows
// stay readable: the box scrolls, the labels keep their column.

/** A step of 1, 2 or 5 × 10^k ms giving at most about `ticks` ticks over `span`. */
export function tickStep(span: number, ticks = 8): number {
  const raw = Math.max(1, span / ticks);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function tickLabel(ms: number, step: number): string {
  if (step < 1000) return `${Math.round(ms)} ms`;
  if (step < 60_000 || ms < 60_000) return `${(ms / 1000).toFixed(step % 1000 === 0 ? 0 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min${ms % 60_000 ? ` ${Math.round((ms % 60_000) / 1000)} s` : ''}`;
}

export interface GanttOptions {
  /** Called with a node id when its row is clicked. */
  onSelect?: (nodeId: string) => void;
  selected?: string;
}

export function renderGantt(ops: OpRunItem[], runStart: number, runEnd: number | undefined, options: GanttOptions = {}): HTMLElement {
  const started = ops.filter((o) => o.startedAt !== undefined).sort((a, b) => a.startedAt! - b.startedAt! || a.nodeId.localeCompare(b.nodeId));
  const box = h('div', 'sluice-gantt');
  box.dataset.rows = String(started.length);
  if (started.length === 0) {
    box.append(h('div', 'sluice-muted', 'No node of this run started.'));
    return box;
  }
  const t0 = Math.min(runStart, ...started.map((o) => o.startedAt!));
  const end = Math.max(runEnd ?? 0, ...started.map((o) => o.endedAt ?? o.startedAt!));
  const span = Math.max(1, end - t0);
  const step = tickStep(span);
  const pct = (ms: number) => `${((ms / span) * 100).toFixed(3)}%`;
  const grid = `${((step / span) * 100).toFixed(4)}% 100%`;

  const scroll = h('div', 'sluice-gantt-scroll');
  const axis = h('div', 'sluice-gantt-axis');
  const axisTrack = h('div', 'sluice-gantt-track');
  for (let t = 0; t <= span + 0.5; t += step) {
    const tick = h('span', 'sluice-gantt-tick', tickLabel(t, step));
    tick.style.left = pct(t);
    axisTrack.append(tick);
  }
  axis.append(h('div', 'sluice-gantt-label sluice-muted', `${started.length} node${started.length === 1 ? '' : 's'} · ${duration(span)}`), axisTrack);
  scroll.append(axis);

  for (const op of started) {
    const row = h('div', 'sluice-gantt-row');
    row.dataset.node = op.nodeId;
    row.dataset.status = op.status;
    if (op.nodeId === options.selected) row.classList.add('sluice-selected');
    const label = h('div', 'sluice-gantt-label', op.nodeId);
    label.title = op.nodeId;
    const track = h('div', 'sluice-gantt-track');
    track.style.backgroundSize = grid;
    const from = op.startedAt! - t0;
    const to = (op.endedAt ?? end) - t0;
    const bar = h('div', `sluice-gantt-bar sluice-bar-${op.status}`);
    // An instant node at the very end still gets its 2 px inside the track.
    bar.style.left = `min(${pct(from)}, calc(100% - 2px))`;
    bar.style.width = `max(2px, ${pct(Math.max(0, to - from))})`;
    bar.title = `${op.nodeId}\n${op.status}${op.reason ? ` (${op.reason})` : ''}\n${duration(to - from)} from ${duration(from)}${op.attempts > 1 ? `\n${op.attempts} attempts` : ''}`;
    track.append(bar);
    row.append(label, track);
    if (options.onSelect) row.addEventListener('click', () => options.onSelect!(op.nodeId));
    scroll.append(row);
  }
  box.append(scroll);
  const legend = h('div', 'sluice-gantt-legend');
  for (const status of [...new Set(started.map((o) => o.status))]) legend.append(h('span', `sluice-gantt-key sluice-bar-${status}`), h('span', 'sluice-muted', status.replace('_', ' ')));
  box.append(legend);
  return box;
}
