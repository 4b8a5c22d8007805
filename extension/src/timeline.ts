import { el, formatDuration, svg } from './format';
import { JobSnapshot } from './protocol';

// The job and its stages on one time axis (kernel clock), like the Spark UI's event timeline.
// Many stages are drawn as the first and last ones plus a count, so a huge job stays cheap.

const MAX_BARS = 60;
const ROW_H = 16;
const LABEL_W = 120;
const WIDTH = 420;

export function renderTimeline(job: JobSnapshot, now: number): HTMLElement {
  const box = el('div', 'sluice-timeline');
  const start = job.startedAt;
  const end = Math.max(job.endedAt ?? now, start + 1);
  const span = end - start;
  const stages = job.stages.length > MAX_BARS ? [...job.stages.slice(0, MAX_BARS / 2), ...job.stages.slice(-MAX_BARS / 2)] : job.stages;
  const rows: Array<{ label: string; from: number; to: number; cls: string }> = [
    { label: `job ${job.status}`, from: start, to: job.endedAt ?? now, cls: `sluice-tl-job sluice-status-${job.status}` },
    ...stages.map(s => ({ label: s.name || s.stageId, from: s.startedAt, to: s.endedAt ?? now, cls: 'sluice-tl-stage' }))
  ];
  const height = rows.length * ROW_H + 18;
  const canvas = svg('svg', { width: LABEL_W + WIDTH + 8, height, role: 'img', 'aria-label': 'event timeline' });
  const x = (t: number) => LABEL_W + ((Math.min(Math.max(t, start), end) - start) / span) * WIDTH;
  rows.forEach((r, i) => {
    const y = i * ROW_H;
    const label = svg('text', { x: 0, y: y + 11, class: 'sluice-tl-label' });
    label.textContent = r.label.length > 18 ? `${r.label.slice(0, 17)}…` : r.label;
    canvas.appendChild(label);
    const bar = svg('rect', { x: x(r.from), y: y + 2, width: Math.max(2, x(r.to) - x(r.from)), height: ROW_H - 5, rx: 2, class: r.cls });
    const title = svg('title');
    title.textContent = `${r.label}: +${formatDuration(r.from - start)} → +${formatDuration(r.to - start)}`;
    bar.appendChild(title);
    canvas.appendChild(bar);
  });
  const axisY = rows.length * ROW_H + 12;
  for (const f of [0, 0.5, 1]) {
    const t = svg('text', { x: LABEL_W + f * WIDTH - (f === 1 ? 40 : f === 0.5 ? 20 : 0), y: axisY, class: 'sluice-tl-axis' });
    t.textContent = `+${formatDuration(f * span)}`;
    canvas.appendChild(t);
  }
  box.appendChild(canvas);
  if (job.stages.length > stages.length) {
    box.appendChild(el('div', 'sluice-muted', `${job.stages.length - stages.length} stages in between not drawn`));
  }
  return box;
}
