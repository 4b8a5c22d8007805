import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { normalizePlan, operatorTree, pickPlan, renderDag, renderOperators } from './dag';
import { el, formatCount, formatDuration } from './format';
import { jobProgress } from './panel';
import { OperatorMetric } from './protocol';
import { childText, hasQueryOperators, isIndeterminate, lostAfterMs, OPERATOR_TIME_NOTE, rowsText, stageText, type InlineChild, type InlineProgressData } from '../../src/progress/summary';

// Renderers for the Sluice MIME types (docs/contracts.md "Display: MIME types"): a job's progress, a collected frame,
// and a plan. Each output also carries text/html and text/plain for frontends without them.

import { FRAME_MIME, PLAN_MIME, PROGRESS_MIME } from '../../src/display/mime';
import { isTemporalType, temporalText } from '../../src/frame/cell-text';

// The MIME names are the library's own (src/display/mime.ts).
export { FRAME_MIME, PLAN_MIME, PROGRESS_MIME };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

abstract class JsonRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(protected readonly mimeType: string, className: string) {
    super();
    this.addClass('sluice-output');
    this.addClass(className);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.mimeType];
    try {
      this.node.replaceChildren(this.draw(data));
    } catch (error) {
      this.node.replaceChildren(el('pre', 'sluice-error', `Sluice could not draw this ${this.mimeType} output: ${(error as Error).message}`));
    }
    return Promise.resolve();
  }

  protected abstract draw(data: unknown): HTMLElement;
}

export class ProgressRenderer extends JsonRenderer {
  private lostTimer: number | undefined;

  constructor() {
    super(PROGRESS_MIME, 'sluice-progress-output');
  }

  dispose(): void {
    window.clearTimeout(this.lostTimer);
    super.dispose();
  }

  protected draw(data: unknown): HTMLElement {
    const job = data as InlineProgressData;
    // A running job's display is refreshed every refreshMs by its kernel; none for a long while (or a saved
    // notebook reopened later) means the kernel that ran it restarted or stopped: the job is lost, not running.
    window.clearTimeout(this.lostTimer);
    const lostAfter = lostAfterMs(job);
    const silentFor = job.shownAt !== undefined ? Date.now() - job.shownAt : 0;
    if (lostAfter !== undefined && silentFor < lostAfter)
      this.lostTimer = window.setTimeout(() => this.node.replaceChildren(this.drawJob(job, true)), lostAfter - silentFor);
    return this.drawJob(job, lostAfter !== undefined && silentFor >= lostAfter);
  }

  private drawJob(job: InlineProgressData, lost: boolean): HTMLElement {
    const status = lost ? 'lost' : job.status;
    const box = el('div');
    box.dataset.jobId = job.jobId;
    box.dataset.status = status;
    const head = el('div', 'sluice-progress-head');
    head.append(el('b', undefined, job.description), el('span', `sluice-detail-status sluice-status-${status}`, status), el('span', 'sluice-muted', job.jobId));
    const moving = !lost && isIndeterminate(job);
    box.dataset.indeterminate = String(moving);
    const track = el('div', 'sluice-progress-track');
    const fill = el('div', `sluice-progress-fill sluice-status-${status}${moving ? ' sluice-progress-indeterminate' : ''}`);
    const pct = jobProgress(job);
    if (!moving) fill.style.width = `${pct.toFixed(1)}%`;
    track.appendChild(fill);
    const elapsed = job.endedAt !== undefined ? job.endedAt - job.startedAt : job.elapsedMs;
    const rate = job.status === 'running' && elapsed > 0 && job.rowsProcessed > 0 ? `${formatCount((job.rowsProcessed * 1000) / elapsed)} rows/s` : '';
    const parts = lost
      ? [`lost: no update since ${new Date(job.shownAt ?? job.startedAt).toLocaleTimeString()} (its kernel restarted or stopped, or this page was reloaded: the jobs panel has the live state)`, rowsText(job), formatDuration(elapsed)]
      : [moving ? '' : `${pct.toFixed(0)}%`, rowsText(job), rate, formatDuration(elapsed)];
    box.append(head, track, el('div', 'sluice-progress-stats', parts.filter(Boolean).join(' · ')));
    if (job.error) box.appendChild(el('pre', 'sluice-error', job.error));
    // Pipeline ops, notebook cells and query fragments, one line each (a query's scan stages repeat its operators).
    // The running child jobs (a pipeline op's queries) under their stage, so a run is one block that still moves.
    const shown = (job.stages ?? []).filter(s => (job.kind !== 'query' && job.kind !== 'write') || !s.stageId.startsWith('scan-'));
    const children = lost ? [] : job.children ?? [];
    if (shown.length || children.length) {
      const stages = el('div', 'sluice-muted sluice-progress-stages');
      const childLine = (c: InlineChild) => {
        const line = el('div', undefined, `↳ ${childText(c)}`);
        line.style.marginLeft = '1.5em';
        return line;
      };
      for (const stage of shown) {
        stages.appendChild(el('div', undefined, stageText(stage)));
        for (const c of children.filter(c => c.parentStageId === stage.stageId)) stages.appendChild(childLine(c));
      }
      const ids = new Set(shown.map(s => s.stageId));
      for (const c of children.filter(c => !ids.has(c.parentStageId ?? ''))) stages.appendChild(childLine(c));
      box.appendChild(stages);
    }
    if (job.operators?.length && hasQueryOperators(job)) {
      // A long plan folds away behind its slowest operator, so the cell's result stays in view.
      const pending = job.operators.some(o => o.pending);
      const slowest = job.operators.reduce((a, b) => (b.timeMs > a.timeMs ? b : a));
      const details = el('details', 'sluice-operators-details');
      details.open = job.operators.length <= 8;
      const summary = pending
        ? `${job.operators.length} operators (physical plan; rows and time when the query ends)`
        : `${job.operators.length} operators · slowest ${slowest.name} ${formatDuration(slowest.timeMs)} CPU`;
      const line = el('summary', 'sluice-muted', summary);
      line.title = OPERATOR_TIME_NOTE;
      details.appendChild(line);
      details.appendChild(renderOperators(job.operators));
      if (!pending) details.appendChild(el('div', 'sluice-muted', OPERATOR_TIME_NOTE));
      box.appendChild(details);
    }
    return box;
  }
}

function columnsOf(frame: Json, rows: unknown[]): Array<{ name: string; type?: string }> {
  const schema = Array.isArray(frame.schema) ? frame.schema : isObject(frame.schema) && Array.isArray(frame.schema.fields) ? frame.schema.fields : undefined;
  if (schema) return schema.map(f => (isObject(f) ? { name: String(f.name), type: f.type === undefined ? undefined : String(f.type) } : { name: String(f) }));
  if (Array.isArray(frame.columns)) return frame.columns.map(c => (isObject(c) ? { name: String(c.name), type: c.type === undefined ? undefined : String(c.type) } : { name: String(c) }));
  return isObject(rows[0]) ? Object.keys(rows[0]).map(name => ({ name })) : [];
}

function cellText(v: unknown, type: string | undefined): string {
  if (v === null || v === undefined) return 'null';
  const temporal = temporalText(v, type);
  if (temporal !== undefined) return temporal;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export class FrameRenderer extends JsonRenderer {
  constructor() {
    super(FRAME_MIME, 'sluice-frame-output');
  }

  protected draw(data: unknown): HTMLElement {
    const frame = isObject(data) ? data : {};
    const rows = Array.isArray(frame.rows) ? frame.rows : Array.isArray(frame.data) ? frame.data : [];
    const columns = columnsOf(frame, rows);
    const total = typeof frame.rowCount === 'number' ? frame.rowCount : typeof frame.numRows === 'number' ? frame.numRows : rows.length;
    const box = el('div');
    const table = el('table', 'sluice-frame');
    const head = table.createTHead().insertRow();
    for (const c of columns) {
      const th = el('th', undefined, c.name);
      if (c.type) th.appendChild(el('div', 'sluice-col-type', c.type));
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const r of rows) {
      const row = body.insertRow();
      columns.forEach((c, i) => {
        const v = Array.isArray(r) ? r[i] : isObject(r) ? r[c.name] : undefined;
        const cell = row.insertCell();
        cell.textContent = cellText(v, c.type);
        if (typeof v === 'number' || typeof v === 'bigint') cell.className = 'sluice-num';
        if (isTemporalType(c.type)) cell.classList.add('sluice-temporal');
        if (v === null || v === undefined) cell.classList.add('sluice-null');
      });
    }
    const scroll = el('div', 'sluice-frame-scroll');
    scroll.appendChild(table);
    box.append(scroll, el('div', 'sluice-muted', `${formatCount(total)} rows × ${columns.length} columns${rows.length < total ? ` (first ${formatCount(rows.length)} shown)` : ''}`));
    return box;
  }
}

export class PlanRenderer extends JsonRenderer {
  constructor() {
    super(PLAN_MIME, 'sluice-plan-output');
  }

  protected draw(data: unknown): HTMLElement {
    const box = el('div');
    const variants = isObject(data) ? ['logical', 'optimized', 'physical'].filter(k => data[k] !== undefined) : [];
    const show = (key: string | undefined) => {
      const plan = key && isObject(data) ? data[key] : data;
      const body = el('div', 'sluice-plan-body');
      body.dataset.variant = key ?? 'plan';
      if (typeof plan === 'string') body.appendChild(el('pre', undefined, plan));
      else if (isObject(plan) && typeof plan.text === 'string') body.appendChild(el('pre', undefined, plan.text));
      else if (isObject(plan) && Array.isArray(plan.operators)) {
        const operators = plan.operators as OperatorMetric[];
        const tree = operatorTree(operators);
        if (tree) body.appendChild(renderDag(tree));
        body.appendChild(renderOperators(operators));
      }
      else {
        const tree = normalizePlan(pickPlan(plan));
        body.appendChild(tree ? renderDag(tree) : el('pre', undefined, JSON.stringify(plan, null, 2)));
      }
      return body;
    };
    if (variants.length === 0) {
      box.appendChild(show(undefined));
      return box;
    }
    const first = variants.includes('optimized') ? 'optimized' : variants[0];
    const tabs = el('div', 'sluice-plan-tabs');
    let body = show(first);
    for (const key of variants) {
      const tab = el('button', 'jp-Button sluice-plan-tab', key);
      tab.dataset.variant = key;
      tab.classList.toggle('sluice-active', key === first);
      tab.onclick = () => {
        const next = show(key);
        body.replaceWith(next);
        body = next;
        tabs.querySelectorAll('.sluice-plan-tab').forEach(t => t.classList.toggle('sluice-active', t === tab));
      };
      tabs.appendChild(tab);
    }
    box.append(tabs, body);
    return box;
  }
}

const extensions: IRenderMime.IExtension[] = [
  {
    id: 'sluice-jupyterlab:progress-renderer',
    rendererFactory: { safe: true, mimeTypes: [PROGRESS_MIME], defaultRank: 10, createRenderer: () => new ProgressRenderer() },
    rank: 10,
    dataType: 'json'
  },
  {
    id: 'sluice-jupyterlab:frame-renderer',
    rendererFactory: { safe: true, mimeTypes: [FRAME_MIME], defaultRank: 10, createRenderer: () => new FrameRenderer() },
    rank: 10,
    dataType: 'json'
  },
  {
    id: 'sluice-jupyterlab:plan-renderer',
    rendererFactory: { safe: true, mimeTypes: [PLAN_MIME], defaultRank: 10, createRenderer: () => new PlanRenderer() },
    rank: 10,
    dataType: 'json'
  }
];

export default extensions;
