import { el, formatDuration } from './format';
import { PanelJob } from './store';

// The job and its stages on one time axis (kernel clock), like the Spark UI's event timeline. Bars are
// placed in percent of the track, so the chart takes the panel's width and never spills past its edge.
// Many stages are drawn as the first and last ones plus a count, so a huge job stays cheap.

const MAX_BARS = 60;

export function renderTimeline(job: PanelJob, now: number): HTMLElement {
  const box = el('div', 'sluice-timeline');
  const start = job.startedAt;
  const end = Math.max(job.endedAt ?? now, start + 1);
  const span = end - start;
  const stages = job.stages.length > MAX_BARS ? [...job.stages.slice(0, MAX_BARS / 2), ...job.stages.slice(-MAX_BARS / 2)] : job.stages;
  const rows: Array<{ label: string; from: number; to: number; cls: string }> = [
    { label: `job ${job.status}`, from: start, to: job.endedAt ?? now, cls: `sluice-tl-job sluice-status-${job.status}` },
    ...stages.map(s => ({ label: s.name || s.stageId, from: s.startedAt, to: s.endedAt ?? now, cls: 'sluice-tl-stage' }))
  ];
  const pct = (t: number) => ((Math.min(Math.max(t, start), end) - start) / span) * 100;
  for (const r of rows) {
    const row = el('div', 'sluice-tl-row');
    const label = el('div', 'sluice-tl-label', r.label);
    label.title = r.label;
    const track = el('div', 'sluice-tl-track');
    const bar = el('div', `sluice-tl-bar ${r.cls}`);
    const left = pct(r.from);
    bar.style.left = `${left}%`;
    bar.style.width = `max(2px, ${Math.max(0, pct(r.to) - left)}%)`;
    bar.title = `${r.label}: +${formatDuration(r.from - start)} → +${formatDuration(r.to - start)}`;
    track.appendChild(bar);
    row.append(label, track);
    box.appendChild(row);
  }
  const axis = el('div', 'sluice-tl-row sluice-tl-axis');
  const ticks = el('div', 'sluice-tl-ticks');
  for (const f of [0, 0.5, 1]) ticks.appendChild(el('span', undefined, `+${formatDuration(f * span)}`));
  axis.append(el('div', 'sluice-tl-label'), ticks);
  box.appendChild(axis);
  if (job.stages.length > stages.length) {
    box.appendChild(el('div', 'sluice-muted', `${job.stages.length - stages.length} stages in between not drawn`));
  }
  return box;
}
