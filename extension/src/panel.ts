import { NotebookActions } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';
import { CellLocator } from './cells';
import { ProgressConnection } from './connection';
import { normalizePlan, operatorTree, pickPlan, renderDag, renderOperators } from './dag';
import { el, formatBytes, formatClock, formatCount, formatDuration } from './format';
import { StageSnapshot } from './protocol';
import { PanelJob, PanelStatus } from './store';
import { renderTimeline } from './timeline';

// The "Sluice jobs" side panel: the jobs of one kernel (the active notebook's) as a tree — a pipeline
// run holds its ops, an op the notebook and query jobs it ran, a notebook run its queries — with the
// running jobs pinned on top, then the newest. A filter (status) and a search (description) narrow it.
// A job's detail shows its plan DAG (the physical one fills in while the query runs), operators,
// stages and timeline.
//
// Following: while a job's detail is open, a new top-level job that starts running replaces it, so the
// detail always shows what the kernel is doing now; "Pin" keeps the detail on its job instead.
//
// The list is virtualized: only the rows in view exist in the DOM, so 1,000 jobs cost what 30 do;
// redraws follow the store's coalesced signal.

const ROW_H = 44;
const INDENT = 14;
const OVERSCAN = 6;
const STAGE_ROWS = 200;
const CHILD_ROWS = 200;

export function jobProgress(job: Pick<PanelJob, 'status' | 'percent' | 'stages'>): number {
  if (job.status === 'succeeded') return 100;
  if (job.percent > 0) return Math.min(100, job.percent);
  const total = job.stages.reduce((n, s) => n + s.tasksTotal, 0);
  const done = job.stages.reduce((n, s) => n + s.tasksDone, 0);
  return total > 0 ? (100 * done) / total : 0;
}

function durationOf(job: { startedAt: number; endedAt?: number }, now: number): number {
  return (job.endedAt ?? now) - job.startedAt;
}

function progressBar(job: PanelJob): HTMLElement {
  const track = el('div', 'sluice-progress-track');
  const pct = jobProgress(job);
  // No percentage from the engine yet: a moving bar says it works without claiming how far it is.
  const indeterminate = job.status === 'running' && (job.indeterminate === true || pct === 0);
  const bar = el('div', `sluice-progress-fill sluice-status-${job.status}${indeterminate ? ' sluice-progress-indeterminate' : ''}`);
  bar.style.width = indeterminate ? '' : `${pct.toFixed(1)}%`;
  track.appendChild(bar);
  return track;
}

function stageBar(stage: StageSnapshot): HTMLElement {
  const track = el('div', 'sluice-progress-track');
  const fill = el('div', `sluice-progress-fill sluice-status-${stage.endedAt ? 'succeeded' : 'running'}`);
  fill.style.width = `${stage.tasksTotal > 0 ? (100 * stage.tasksDone) / stage.tasksTotal : stage.endedAt ? 100 : 0}%`;
  track.appendChild(fill);
  return track;
}

const STATUSES: PanelStatus[] = ['running', 'succeeded', 'failed', 'cancelled', 'lost'];

/** One line of the tree: a job, or an op of a pipeline run (a stage of its job). */
interface TreeRow {
  key: string;
  depth: number;
  job?: PanelJob;
  op?: { parent: PanelJob; stageId: string; stage?: StageSnapshot };
  children: number;
  expanded: boolean;
}

interface TreeNode {
  key: string;
  job?: PanelJob;
  op?: { parent: PanelJob; stageId: string; stage?: StageSnapshot };
  children: TreeNode[];
}

export class JobsPanel extends Widget {
  private connection: ProgressConnection | undefined;
  private cells: CellLocator | undefined;
  private source = '';
  private selected: string | undefined;
  /** The user pinned the open detail: a new running job does not replace it. */
  private pinned = false;
  private rows: TreeRow[] = [];
  private jobCount = 0;
  /** Expanded or collapsed by the user (otherwise: open while running). */
  private readonly toggled = new Map<string, boolean>();
  /** Top-level jobs seen running, so only a new one is followed. */
  private seenRunning = new Set<string>();
  private primed = false;
  /** Execution counts of finished jobs' cells, kept once known (a later run of the cell changes the cell's). */
  private readonly counts = new Map<string, number>();
  private renderPending = false;
  private ticker: number | undefined;

  private readonly header = el('div', 'sluice-jobs-header');
  private readonly status = el('div', 'sluice-jobs-status');
  private readonly search = el('input', 'sluice-jobs-search');
  private readonly filter = el('select', 'sluice-jobs-filter');
  private readonly list = el('div', 'sluice-jobs-list');
  private readonly spacer = el('div', 'sluice-jobs-spacer');
  private readonly detail = el('div', 'sluice-job-detail');

  constructor() {
    super();
    this.id = 'sluice-jobs';
    this.addClass('sluice-jobs-panel');
    this.title.caption = 'Sluice jobs';
    this.search.type = 'search';
    this.search.placeholder = 'Search jobs';
    this.search.setAttribute('aria-label', 'Search jobs by description');
    this.search.addEventListener('input', () => this.scheduleRender());
    this.filter.setAttribute('aria-label', 'Show jobs with this status');
    for (const s of ['all', ...STATUSES]) {
      const option = el('option', undefined, s === 'all' ? 'all jobs' : s);
      option.value = s;
      this.filter.appendChild(option);
    }
    this.filter.addEventListener('change', () => this.scheduleRender());
    const tools = el('div', 'sluice-jobs-tools');
    tools.append(this.search, this.filter);
    this.header.append(el('div', 'sluice-jobs-title', 'Sluice jobs'), this.status, tools);
    this.list.appendChild(this.spacer);
    this.list.addEventListener('scroll', () => this.renderRows());
    this.list.addEventListener('click', event => this.onListClick(event));
    this.detail.hidden = true;
    this.node.append(this.header, this.list, this.detail);
    // A cell's execution count is known when it finishes, after its jobs ended: redraw the In [n] links.
    NotebookActions.executed.connect(this.scheduleRender, this);
  }

  /** Shows the jobs of a kernel connection (undefined: no notebook, or no kernel) and finds cells in `cells`. */
  setConnection(connection: ProgressConnection | undefined, source: string, cells?: CellLocator): void {
    if (connection !== this.connection) {
      this.connection?.store.changed.disconnect(this.scheduleRender, this);
      this.connection?.stateChanged.disconnect(this.scheduleRender, this);
      this.connection = connection;
      this.selected = undefined;
      this.pinned = false;
      this.primed = false;
      this.seenRunning = new Set();
      connection?.store.changed.connect(this.scheduleRender, this);
      connection?.stateChanged.connect(this.scheduleRender, this);
    }
    this.cells = cells;
    this.source = source;
    this.scheduleRender();
  }

  select(jobId: string | undefined): void {
    this.selected = jobId;
    if (jobId === undefined) this.pinned = false;
    this.scheduleRender();
  }

  dispose(): void {
    if (this.ticker !== undefined) window.clearInterval(this.ticker);
    NotebookActions.executed.disconnect(this.scheduleRender, this);
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

  private onListClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const link = target.closest<HTMLElement>('.sluice-cell-link');
    if (link?.dataset.cellId) {
      event.stopPropagation();
      this.cells?.reveal(link.dataset.cellId);
      return;
    }
    const row = target.closest<HTMLElement>('.sluice-job-row');
    if (!row?.dataset.key) return;
    const toggle = target.closest('.sluice-caret') !== null || row.dataset.kind === 'op';
    if (toggle) {
      const current = this.rows.find(r => r.key === row.dataset.key);
      if (current && current.children > 0) this.toggled.set(current.key, !current.expanded);
      this.scheduleRender();
    } else if (row.dataset.jobId) this.select(row.dataset.jobId);
  }

  private render(): void {
    if (this.isDisposed) return;
    const connection = this.connection;
    const jobs = connection ? connection.store.list() : [];
    this.jobCount = jobs.length;
    const running = jobs.filter(j => j.status === 'running').length;
    const lost = jobs.filter(j => j.status === 'lost').length;
    const state = connection ? connection.state : 'no kernel';
    const stateText =
      state === 'unavailable' ? 'this kernel does not publish Sluice progress' : state === 'restarting' ? 'kernel restarting…' : state;
    const counts = `${jobs.length} jobs${running ? `, ${running} running` : ''}${lost ? `, ${lost} lost in a restart` : ''}`;
    this.status.textContent = [this.source || 'no notebook', stateText, counts, connection?.notice].filter(Boolean).join(' · ');
    this.node.dataset.state = state;
    this.node.dataset.jobs = String(jobs.length);

    // Durations of running jobs move with the clock, not only with events.
    if (running > 0 && this.ticker === undefined) this.ticker = window.setInterval(() => this.scheduleRender(), 1000);
    if (running === 0 && this.ticker !== undefined) {
      window.clearInterval(this.ticker);
      this.ticker = undefined;
    }

    this.latchCounts(jobs);
    const byId = new Map(jobs.map(j => [j.jobId, j]));
    this.follow(jobs.filter(j => j.status === 'running' && !(j.parentId !== undefined && byId.has(j.parentId))));
    this.rows = this.flatten(this.tree(jobs, byId));

    const job = this.selected !== undefined ? connection?.store.get(this.selected) : undefined;
    this.list.hidden = job !== undefined;
    this.detail.hidden = job === undefined;
    this.header.querySelector<HTMLElement>('.sluice-jobs-tools')!.hidden = job !== undefined;
    if (job) this.renderDetail(job, byId);
    else this.renderRows();
  }

  /** A new top-level running job replaces the open detail, unless the user pinned it. */
  private follow(runningRoots: PanelJob[]): void {
    const fresh = runningRoots.filter(j => !this.seenRunning.has(j.jobId));
    for (const j of fresh) this.seenRunning.add(j.jobId);
    // Jobs already running when the panel connected are not "new".
    if (!this.primed) {
      this.primed = this.connection?.state === 'connected';
      return;
    }
    if (fresh.length === 0 || this.selected === undefined || this.pinned) return;
    if (fresh.some(j => j.jobId === this.selected)) return;
    this.selected = fresh.sort((a, b) => b.startedAt - a.startedAt)[0].jobId;
  }

  private latchCounts(jobs: PanelJob[]): void {
    if (!this.cells) return;
    for (const job of jobs) {
      if (!job.cellId || job.status === 'running' || this.counts.has(job.jobId)) continue;
      const count = this.cells.find(job.cellId)?.executionCount;
      if (typeof count === 'number') this.counts.set(job.jobId, count);
    }
  }

  /** `In [n]` for a job's cell (`In [*]` while it runs), or undefined when the job has no cell in this notebook. */
  private cellLabel(job: PanelJob): string | undefined {
    if (!job.cellId) return undefined;
    const cell = this.cells?.find(job.cellId);
    if (!cell) return undefined;
    if (job.status === 'running') return 'In [*]';
    const count = this.counts.get(job.jobId) ?? cell.executionCount;
    return `In [${count ?? ' '}]`;
  }

  private cellLink(job: PanelJob): HTMLElement | undefined {
    const label = this.cellLabel(job);
    if (!label || !job.cellId) return undefined;
    const link = el('a', 'sluice-cell-link', label);
    link.href = '#';
    link.dataset.cellId = job.cellId;
    link.title = 'Scroll to the cell that ran this job';
    link.onclick = event => {
      event.preventDefault();
      event.stopPropagation();
      this.cells?.reveal(job.cellId!);
    };
    return link;
  }

  private matcher(): ((job: PanelJob) => boolean) | undefined {
    const status = this.filter.value;
    const text = this.search.value.trim().toLowerCase();
    if (status === 'all' && !text) return undefined;
    return job =>
      (status === 'all' || job.status === status) &&
      (!text || job.description.toLowerCase().includes(text) || job.jobId.toLowerCase().includes(text));
  }

  /** Jobs under their parents (pipeline runs under ops), running roots first, then the newest. */
  private tree(jobs: PanelJob[], byId: Map<string, PanelJob>): TreeNode[] {
    const kids = new Map<string, PanelJob[]>();
    const roots: PanelJob[] = [];
    for (const job of jobs) {
      if (job.parentId !== undefined && byId.has(job.parentId) && job.parentId !== job.jobId) {
        const list = kids.get(job.parentId) ?? [];
        list.push(job);
        kids.set(job.parentId, list);
      } else roots.push(job);
    }
    const seen = new Set<string>();
    const build = (job: PanelJob): TreeNode => {
      seen.add(job.jobId);
      // Children oldest first: a run reads top to bottom in the order things happened.
      const children = (kids.get(job.jobId) ?? []).filter(c => !seen.has(c.jobId)).sort((a, b) => a.startedAt - b.startedAt);
      const byStage = new Map<string, PanelJob[]>();
      const direct: PanelJob[] = [];
      for (const c of children) {
        if (c.parentStageId === undefined) direct.push(c);
        else byStage.set(c.parentStageId, [...(byStage.get(c.parentStageId) ?? []), c]);
      }
      // A pipeline run's ops are rows of their own (its stages), holding the jobs each op ran.
      const stageIds = job.kind === 'pipeline' ? job.stages.map(s => s.stageId) : [];
      for (const id of byStage.keys()) if (!stageIds.includes(id)) stageIds.push(id);
      const ops: TreeNode[] = stageIds.map(stageId => ({
        key: `op:${job.jobId}:${stageId}`,
        op: { parent: job, stageId, stage: job.stages.find(s => s.stageId === stageId) },
        children: (byStage.get(stageId) ?? []).map(build)
      }));
      return { key: `job:${job.jobId}`, job, children: [...ops, ...direct.map(build)] };
    };
    const ordered = [...roots.filter(j => j.status === 'running'), ...roots.filter(j => j.status !== 'running')];
    const nodes = ordered.map(build);
    const match = this.matcher();
    if (!match) return nodes;
    const prune = (node: TreeNode): TreeNode | undefined => {
      const children = node.children.map(prune).filter((c): c is TreeNode => c !== undefined);
      if ((node.job && match(node.job)) || children.length > 0) return { ...node, children };
      return undefined;
    };
    return nodes.map(prune).filter((n): n is TreeNode => n !== undefined);
  }

  private flatten(nodes: TreeNode[]): TreeRow[] {
    const rows: TreeRow[] = [];
    const filtering = this.matcher() !== undefined;
    const walk = (node: TreeNode, depth: number) => {
      const running = node.job ? node.job.status === 'running' : node.op?.stage !== undefined && node.op.stage.endedAt === undefined;
      // Open while running (or while a filter found something inside), unless the user said otherwise.
      const expanded = node.children.length > 0 && (this.toggled.get(node.key) ?? (running || filtering));
      rows.push({ key: node.key, depth, job: node.job, op: node.op, children: node.children.length, expanded });
      if (expanded) for (const c of node.children) walk(c, depth + 1);
    };
    for (const n of nodes) walk(n, 0);
    return rows;
  }

  private renderRows(): void {
    if (this.list.hidden) return;
    this.spacer.style.height = `${this.rows.length * ROW_H}px`;
    this.node.dataset.rows = String(this.rows.length);
    const top = this.list.scrollTop;
    const height = this.list.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    const now = Date.now();
    const rows = document.createDocumentFragment();
    for (let i = first; i < last; i++) rows.appendChild(this.renderRow(this.rows[i], i, now));
    this.spacer.replaceChildren(rows);
    if (this.rows.length === 0) {
      const text =
        this.jobCount > 0
          ? 'No job matches the filter.'
          : 'No jobs yet. Run a query (collect, count, write…) in a notebook on the Sluice kernel.';
      this.spacer.replaceChildren(el('div', 'sluice-muted sluice-empty', text));
    }
  }

  private caret(row: TreeRow): HTMLElement {
    const caret = el('span', 'sluice-caret', row.children > 0 ? (row.expanded ? '▾' : '▸') : '');
    if (row.children > 0) {
      caret.title = `${row.expanded ? 'Fold' : 'Unfold'} ${row.children} item${row.children === 1 ? '' : 's'}`;
      caret.setAttribute('role', 'button');
      caret.setAttribute('aria-expanded', String(row.expanded));
    }
    return caret;
  }

  private renderRow(row: TreeRow, index: number, now: number): HTMLElement {
    if (row.op) return this.renderOpRow(row, index, now);
    const job = row.job!;
    const node = el('div', `sluice-job-row sluice-status-${job.status}`);
    node.style.top = `${index * ROW_H}px`;
    node.style.paddingLeft = `${4 + row.depth * INDENT}px`;
    node.dataset.key = row.key;
    node.dataset.jobId = job.jobId;
    node.dataset.status = job.status;
    node.dataset.depth = String(row.depth);
    if (job.parentId) node.dataset.parentId = job.parentId;
    if (row.children > 0) node.dataset.expanded = String(row.expanded);
    node.title = [job.description, job.error].filter(Boolean).join('\n');
    const line1 = el('div', 'sluice-job-line sluice-job-line1');
    line1.append(
      this.caret(row),
      el('span', `sluice-dot sluice-status-${job.status}`),
      el('span', 'sluice-job-desc', job.description),
      el('span', 'sluice-job-duration', formatDuration(durationOf(job, now)))
    );
    const line2 = el('div', 'sluice-job-line sluice-job-line2 sluice-muted');
    const meta = el('span', 'sluice-job-meta');
    const link = this.cellLink(job);
    // The dot's colour tells running and succeeded; the other endings are spelled out.
    const ended = job.status === 'failed' || job.status === 'cancelled' || job.status === 'lost';
    if (ended) meta.append(el('span', `sluice-job-state sluice-status-${job.status}`, job.status), ' · ');
    if (link) meta.append(link, ' · ');
    const stages = job.stages.length;
    const facts = [formatClock(job.startedAt)];
    if (row.children > 0) facts.push(`${row.children} inside`);
    else if (stages > 0) facts.push(`${stages} stage${stages === 1 ? '' : 's'}`);
    meta.append(facts.join(' · '));
    line2.append(meta, progressBar(job));
    node.append(line1, line2);
    return node;
  }

  private renderOpRow(row: TreeRow, index: number, now: number): HTMLElement {
    const { parent, stageId, stage } = row.op!;
    const status = stage === undefined ? 'pending' : stage.endedAt === undefined ? (parent.status === 'running' ? 'running' : parent.status) : 'succeeded';
    const node = el('div', `sluice-job-row sluice-op-row sluice-status-${status}`);
    node.style.top = `${index * ROW_H}px`;
    node.style.paddingLeft = `${4 + row.depth * INDENT}px`;
    node.dataset.key = row.key;
    node.dataset.kind = 'op';
    node.dataset.op = stageId;
    node.dataset.depth = String(row.depth);
    if (row.children > 0) node.dataset.expanded = String(row.expanded);
    const line1 = el('div', 'sluice-job-line sluice-job-line1');
    line1.append(
      this.caret(row),
      el('span', 'sluice-op-mark', 'op'),
      el('span', 'sluice-job-desc', stage?.name ?? stageId),
      el('span', 'sluice-job-duration', stage ? formatDuration(durationOf(stage, now)) : '')
    );
    const line2 = el('div', 'sluice-job-line sluice-job-line2 sluice-muted');
    const facts = stage
      ? [`${formatCount(stage.tasksDone)} / ${formatCount(stage.tasksTotal)} done`, stage.rows > 0 ? `${formatCount(stage.rows)} rows` : '']
      : ['not started'];
    if (row.children > 0) facts.push(`${row.children} job${row.children === 1 ? '' : 's'}`);
    line2.append(el('span', 'sluice-job-meta', facts.filter(Boolean).join(' · ')), stage ? stageBar(stage) : el('span'));
    node.append(line1, line2);
    return node;
  }

  private renderDetail(job: PanelJob, byId: Map<string, PanelJob>): void {
    const now = Date.now();
    const scroll = this.detail.scrollTop;
    // The DAGs scroll sideways in a narrow panel: a redraw (every second while the job runs) keeps where
    // the user scrolled them; a job shown for the first time starts with the plan's root in view.
    const sameJob = this.detail.dataset.jobId === job.jobId;
    const dagScroll = sameJob ? [...this.detail.querySelectorAll<HTMLElement>('.sluice-dag')].map(d => d.scrollLeft) : [];
    const parts: HTMLElement[] = [];
    const bar = el('div', 'sluice-detail-bar');
    const back = el('button', 'jp-Button sluice-back', '← all jobs');
    back.onclick = () => this.select(undefined);
    const pin = el('button', `jp-Button sluice-pin${this.pinned ? ' sluice-active' : ''}`, this.pinned ? 'Pinned' : 'Pin');
    pin.title = this.pinned ? 'Unpin: follow the next job that starts running' : 'Keep this job here when another job starts running';
    pin.setAttribute('aria-pressed', String(this.pinned));
    pin.onclick = () => {
      this.pinned = !this.pinned;
      this.scheduleRender();
    };
    bar.append(back, pin);
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
    const fact = (k: string, v: string | HTMLElement) => {
      const dd = el('dd');
      dd.append(v);
      facts.append(el('dt', undefined, k), dd);
    };
    fact('job', job.jobId);
    if (job.kind) fact('kind', job.kind);
    const parent = job.parentId !== undefined ? byId.get(job.parentId) : undefined;
    if (parent) {
      const up = el('a', 'sluice-parent-link', parent.description);
      up.href = '#';
      up.onclick = event => {
        event.preventDefault();
        this.select(parent.jobId);
      };
      fact('part of', up);
      if (job.parentStageId) fact('op', job.parentStageId);
    }
    const link = this.cellLink(job);
    if (link) fact('cell', link);
    else if (job.cellId) fact('cell', `${job.cellId} (not in this notebook)`);
    if (job.destination) fact('writes', job.destination);
    fact('started', formatClock(job.startedAt));
    fact('duration', formatDuration(durationOf(job, now)));
    fact('rows', job.rowsTotal > 0 ? `${formatCount(job.rowsProcessed)} / ${formatCount(job.rowsTotal)}` : formatCount(job.rowsProcessed));
    parts.push(facts, progressBar(job));
    if (job.error) parts.push(el('pre', 'sluice-error', job.error));

    const children = [...byId.values()].filter(j => j.parentId === job.jobId && j.jobId !== job.jobId).sort((a, b) => a.startedAt - b.startedAt);
    if (children.length > 0) {
      parts.push(el('h3', undefined, `Jobs inside (${formatCount(children.length)})`));
      parts.push(this.renderChildren(children, now));
    }

    const plan = normalizePlan(pickPlan(job.plan));
    if (plan) {
      parts.push(el('h3', undefined, 'Plan'));
      parts.push(renderDag(plan));
    }
    if (job.operators.length > 0) {
      // DuckDB's physical operators: from the start of the query (estimates), measured as they finish.
      const physical = operatorTree(job.operators);
      const live = job.operators.some(o => o.pending);
      if (physical) {
        parts.push(el('h3', undefined, live ? 'Physical plan (DuckDB), running: estimates until measured' : 'Physical plan (DuckDB): rows and CPU time per operator'));
        const dag = renderDag(physical);
        dag.classList.add('sluice-dag-physical');
        dag.dataset.live = String(live);
        parts.push(dag);
      }
      parts.push(el('h3', undefined, physical ? 'Operators (time: CPU summed over threads)' : 'Ops'));
      parts.push(renderOperators(job.operators));
    }
    if (job.stages.length > 0) {
      parts.push(el('h3', undefined, `Stages (${formatCount(job.stages.length)})`));
      parts.push(this.renderStages(job));
    }
    parts.push(el('h3', undefined, 'Timeline'));
    parts.push(renderTimeline(job, now));
    this.detail.replaceChildren(...parts);
    this.detail.dataset.jobId = job.jobId;
    this.detail.scrollTop = sameJob ? scroll : 0;
    this.detail.querySelectorAll<HTMLElement>('.sluice-dag').forEach((dag, i) => {
      if (sameJob && dagScroll[i] !== undefined) dag.scrollLeft = dagScroll[i];
      else centerRoot(dag);
    });
  }

  private renderChildren(children: PanelJob[], now: number): HTMLElement {
    const table = el('table', 'sluice-children');
    const body = table.createTBody();
    for (const c of children.slice(-CHILD_ROWS)) {
      const row = body.insertRow();
      row.dataset.jobId = c.jobId;
      row.dataset.status = c.status;
      const name = row.insertCell();
      name.className = 'sluice-child-desc';
      name.append(el('span', `sluice-dot sluice-status-${c.status}`), el('span', undefined, c.parentStageId ? `${c.parentStageId}: ${c.description}` : c.description));
      name.title = c.description;
      const time = row.insertCell();
      time.className = 'sluice-num';
      time.textContent = formatDuration(durationOf(c, now));
      row.onclick = () => this.select(c.jobId);
    }
    return table;
  }

  private renderStages(job: PanelJob): HTMLElement {
    const box = el('div');
    const table = el('table', 'sluice-stages');
    // Stage bytes are shown only when some stage reports them (0 means unknown).
    const bytes = job.stages.some(s => s.bytes > 0);
    const head = table.createTHead().insertRow();
    for (const h of ['stage', 'tasks', 'rows', ...(bytes ? ['bytes'] : []), '']) head.appendChild(el('th', h === 'stage' || h === '' ? undefined : 'sluice-num', h));
    const body = table.createTBody();
    // The newest stages are the interesting ones while a job runs.
    const shown = job.stages.length > STAGE_ROWS ? job.stages.slice(-STAGE_ROWS) : job.stages;
    for (const s of shown) {
      const row = body.insertRow();
      row.dataset.stageId = s.stageId;
      const name = row.insertCell();
      name.textContent = s.name || s.stageId;
      name.title = s.name || s.stageId;
      const tasks = row.insertCell();
      tasks.className = 'sluice-num';
      tasks.textContent = `${formatCount(s.tasksDone)} / ${formatCount(s.tasksTotal)}`;
      const rows = row.insertCell();
      rows.className = 'sluice-num';
      rows.textContent = formatCount(s.rows);
      if (s.rowsTotal) rows.title = `${formatCount(s.rows)} of ${formatCount(s.rowsTotal)} rows`;
      if (bytes) {
        const b = row.insertCell();
        b.className = 'sluice-num';
        b.textContent = formatBytes(s.bytes);
      }
      row.insertCell().appendChild(stageBar(s));
    }
    box.appendChild(table);
    if (shown.length < job.stages.length) box.appendChild(el('div', 'sluice-muted', `the last ${STAGE_ROWS} of ${formatCount(job.stages.length)} stages`));
    return box;
  }
}

/** Scrolls a DAG that is wider than its box so that its root (the top box) is in the middle. */
function centerRoot(dag: HTMLElement): void {
  const root = dag.querySelector('.sluice-dag-node');
  if (!root || dag.scrollWidth <= dag.clientWidth) return;
  const box = root.getBoundingClientRect();
  const view = dag.getBoundingClientRect();
  dag.scrollLeft += box.left + box.width / 2 - (view.left + view.width / 2);
}
