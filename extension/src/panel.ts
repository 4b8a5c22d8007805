import { Widget } from '@lumino/widgets';
import { ProgressConnection } from './connection';
import { normalizePlan, operatorTree, pickPlan, renderDag, renderOperators } from './dag';
import { el, formatBytes, formatClock, formatCount, formatDuration } from './format';
import { JobSnapshot } from './protocol';
import { renderTimeline } from './timeline';

// The "Sluice jobs" side panel: the jobs of one kernel (the active notebook's), newest first, and a
// job's detail (plan DAG, operators, stages, timeline). The list is virtualized: only the rows in
// view exist in the DOM, so 1,000 jobs cost what 30 do; redraws follow the store's coalesced signal.

const ROW_H = 46;
const OVERSCAN = 6;
const STAGE_ROWS = 200;

export function jobProgress(job: JobSnapshot): number {
  if (job.status === 'succeeded') return 100;
  if (job.percent > 0) return Math.min(100, job.percent);
  const total = job.stages.reduce((n, s) => n + s.tasksTotal, 0);
  const done = job.stages.reduce((n, s) => n + s.tasksDone, 0);
  return total > 0 ? (100 * done) / total : 0;
}

function durationOf(job: JobSnapshot, now: number): number {
  return (job.endedAt ?? now) - job.startedAt;
}

function progressBar(job: JobSnapshot): HTMLElement {
  const track = el('div', 'sluice-progress-track');
  const bar = el('div', `sluice-progress-fill sluice-status-${job.status}`);
  bar.style.width = `${jobProgress(job).toFixed(1)}%`;
  track.appendChild(bar);
  return track;
}

export class JobsPanel extends Widget {
  private connection: ProgressConnection | undefined;
  private source = '';
  private selected: string | undefined;
  private jobs: JobSnapshot[] = [];
  private renderPending = false;
  private ticker: number | undefined;

  private readonly header = el('div', 'sluice-jobs-header');
  private readonly status = el('div', 'sluice-jobs-status');
  private readonly list = el('div', 'sluice-jobs-list');
  private readonly spacer = el('div', 'sluice-jobs-spacer');
  private readonly detail = el('div', 'sluice-job-detail');

  constructor() {
    super();
    this.id = 'sluice-jobs';
    this.addClass('sluice-jobs-panel');
    this.title.caption = 'Sluice jobs';
    this.header.appendChild(el('div', 'sluice-jobs-title', 'Sluice jobs'));
    this.header.appendChild(this.status);
    this.list.appendChild(this.spacer);
    this.list.addEventListener('scroll', () => this.renderRows());
    this.list.addEventListener('click', event => {
      const row = (event.target as HTMLElement).closest<HTMLElement>('.sluice-job-row');
      if (row?.dataset.jobId) this.select(row.dataset.jobId);
    });
    this.detail.hidden = true;
    this.node.append(this.header, this.list, this.detail);
  }

  /** Shows the jobs of a kernel connection (undefined: no notebook, or no kernel). */
  setConnection(connection: ProgressConnection | undefined, source: string): void {
    if (connection !== this.connection) {
      this.connection?.store.changed.disconnect(this.scheduleRender, this);
      this.connection?.stateChanged.disconnect(this.scheduleRender, this);
      this.connection = connection;
      this.selected = undefined;
      connection?.store.changed.connect(this.scheduleRender, this);
      connection?.stateChanged.connect(this.scheduleRender, this);
    }
    this.source = source;
    this.scheduleRender();
  }

  select(jobId: string | undefined): void {
    this.selected = jobId;
    this.scheduleRender();
  }

  dispose(): void {
    if (this.ticker !== undefined) window.clearInterval(this.ticker);
    this.setConnection(undefined, '');
    super.dispose();
  }

  protected onAfterShow(): void {
    this.scheduleRender();
  }

  protected onResize(): void {
    this.renderRows();
  }

  private scheduleRender(): void {
    if (this.renderPending) return;
    this.renderPending = true;
    requestAnimationFrame(() => {
      this.renderPending = false;
      this.render();
    });
  }

  private render(): void {
    if (this.isDisposed) return;
    const connection = this.connection;
    this.jobs = connection ? connection.store.list() : [];
    const running = this.jobs.filter(j => j.status === 'running').length;
    const state = connection ? connection.state : 'no kernel';
    const stateText =
      state === 'unavailable' ? 'this kernel does not publish Sluice progress' : state === 'restarting' ? 'kernel restarting…' : state;
    this.status.textContent = [this.source || 'no notebook', stateText, `${this.jobs.length} jobs${running ? `, ${running} running` : ''}`, connection?.notice]
      .filter(Boolean)
      .join(' · ');
    this.node.dataset.state = state;
    this.node.dataset.jobs = String(this.jobs.length);

    // Durations of running jobs move with the clock, not only with events.
    if (running > 0 && this.ticker === undefined) this.ticker = window.setInterval(() => this.scheduleRender(), 1000);
    if (running === 0 && this.ticker !== undefined) {
      window.clearInterval(this.ticker);
      this.ticker = undefined;
    }

    const job = this.selected !== undefined ? connection?.store.get(this.selected) : undefined;
    this.list.hidden = job !== undefined;
    this.detail.hidden = job === undefined;
    if (job) this.renderDetail(job);
    else this.renderRows();
  }

  private renderRows(): void {
    if (this.list.hidden) return;
    this.spacer.style.height = `${this.jobs.length * ROW_H}px`;
    const top = this.list.scrollTop;
    const height = this.list.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.jobs.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    const now = Date.now();
    const rows = document.createDocumentFragment();
    for (let i = first; i < last; i++) rows.appendChild(this.renderRow(this.jobs[i], i, now));
    this.spacer.replaceChildren(rows);
    if (this.jobs.length === 0) {
      this.spacer.replaceChildren(el('div', 'sluice-muted sluice-empty', 'No jobs yet. Run a query (collect, count, write…) in a notebook on the Sluice kernel.'));
    }
  }

  private renderRow(job: JobSnapshot, index: number, now: number): HTMLElement {
    const row = el('div', `sluice-job-row sluice-status-${job.status}`);
    row.style.top = `${index * ROW_H}px`;
    row.dataset.jobId = job.jobId;
    row.dataset.status = job.status;
    row.title = job.error ?? job.description;
    const line1 = el('div', 'sluice-job-line');
    line1.append(
      el('span', `sluice-dot sluice-status-${job.status}`),
      el('span', 'sluice-job-desc', job.description),
      el('span', 'sluice-job-state', job.status)
    );
    const stages = job.stages.length;
    const tasks = job.stages.reduce((n, s) => n + s.tasksTotal, 0);
    const line2 = el('div', 'sluice-job-line sluice-muted');
    line2.append(
      el('span', 'sluice-job-id', job.jobId),
      el('span', undefined, job.cellId ? `cell ${job.cellId.slice(0, 8)}` : ''),
      el('span', undefined, formatClock(job.startedAt)),
      el('span', 'sluice-job-duration', formatDuration(durationOf(job, now))),
      el('span', undefined, stages > 0 ? `${stages} stage${stages === 1 ? '' : 's'} · ${formatCount(tasks)} tasks` : '')
    );
    row.append(line1, line2, progressBar(job));
    return row;
  }

  private renderDetail(job: JobSnapshot): void {
    const now = Date.now();
    const scroll = this.detail.scrollTop;
    const parts: HTMLElement[] = [];
    const bar = el('div', 'sluice-detail-bar');
    const back = el('button', 'jp-Button sluice-back', '← all jobs');
    back.onclick = () => this.select(undefined);
    bar.appendChild(back);
    if (job.status === 'running') {
      const cancel = el('button', 'jp-Button sluice-cancel', 'Cancel job');
      cancel.onclick = () => this.connection?.cancel(job.jobId);
      bar.appendChild(cancel);
    }
    parts.push(bar);

    const head = el('div', 'sluice-detail-head');
    head.dataset.jobId = job.jobId;
    head.dataset.status = job.status;
    head.append(el('div', 'sluice-detail-desc', job.description), el('div', `sluice-detail-status sluice-status-${job.status}`, job.status));
    parts.push(head);
    const facts = el('dl', 'sluice-facts');
    const fact = (k: string, v: string) => facts.append(el('dt', undefined, k), el('dd', undefined, v));
    fact('job', job.jobId);
    if (job.cellId) fact('cell', job.cellId);
    fact('started', formatClock(job.startedAt));
    fact('duration', formatDuration(durationOf(job, now)));
    fact('rows', job.rowsTotal > 0 ? `${formatCount(job.rowsProcessed)} / ${formatCount(job.rowsTotal)}` : formatCount(job.rowsProcessed));
    parts.push(facts, progressBar(job));
    if (job.error) parts.push(el('pre', 'sluice-error', job.error));

    const plan = normalizePlan(pickPlan(job.plan));
    if (plan) {
      parts.push(el('h3', undefined, 'Plan'));
      parts.push(renderDag(plan));
    }
    if (job.operators.length > 0) {
      // DuckDB's physical operators (its profile), with rows out and time in each.
      const physical = operatorTree(job.operators);
      if (physical) {
        parts.push(el('h3', undefined, 'Physical plan (DuckDB): rows and time per operator'));
        const dag = renderDag(physical);
        dag.classList.add('sluice-dag-physical');
        parts.push(dag);
      }
      parts.push(el('h3', undefined, 'Operators'));
      parts.push(renderOperators(job.operators));
    }
    if (job.stages.length > 0) {
      parts.push(el('h3', undefined, `Stages (${formatCount(job.stages.length)})`));
      parts.push(this.renderStages(job));
    }
    parts.push(el('h3', undefined, 'Timeline'));
    parts.push(renderTimeline(job, now));
    this.detail.replaceChildren(...parts);
    this.detail.scrollTop = scroll;
  }

  private renderStages(job: JobSnapshot): HTMLElement {
    const box = el('div');
    const table = el('table', 'sluice-stages');
    const head = table.createTHead().insertRow();
    for (const h of ['stage', 'tasks', 'rows', 'bytes', '']) head.appendChild(el('th', undefined, h));
    const body = table.createTBody();
    // The newest stages are the interesting ones while a job runs.
    const shown = job.stages.length > STAGE_ROWS ? job.stages.slice(-STAGE_ROWS) : job.stages;
    for (const s of shown) {
      const row = body.insertRow();
      row.dataset.stageId = s.stageId;
      row.insertCell().textContent = s.name || s.stageId;
      const tasks = row.insertCell();
      tasks.className = 'sluice-num';
      tasks.textContent = `${formatCount(s.tasksDone)} / ${formatCount(s.tasksTotal)}`;
      const rows = row.insertCell();
      rows.className = 'sluice-num';
      rows.textContent = formatCount(s.rows);
      const bytes = row.insertCell();
      bytes.className = 'sluice-num';
      bytes.textContent = formatBytes(s.bytes);
      const cell = row.insertCell();
      const track = el('div', 'sluice-progress-track');
      const fill = el('div', `sluice-progress-fill sluice-status-${s.endedAt ? 'succeeded' : 'running'}`);
      fill.style.width = `${s.tasksTotal > 0 ? (100 * s.tasksDone) / s.tasksTotal : s.endedAt ? 100 : 0}%`;
      track.appendChild(fill);
      cell.appendChild(track);
    }
    box.appendChild(table);
    if (shown.length < job.stages.length) box.appendChild(el('div', 'sluice-muted', `the last ${STAGE_ROWS} of ${formatCount(job.stages.length)} stages`));
    return box;
  }
}
