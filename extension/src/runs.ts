import type { OpRunItem, RunListItem, StoreReply } from '../../src/browse/comm';
import { renderGantt } from './gantt';
import type { StoreClient } from './storeclient';
import type { StoreService } from './storeservice';
import { StoreView, type StoreViewActions } from './storeview';
import { button, count, duration, facts, h, statusBadge, table, when } from './storeui';

// The Runs view: the pipeline runs recorded in the asset store (newest first) beside the selected
// run — its status and duration, a Gantt chart of its nodes on a time axis, the selected node's log,
// error and executed notebook. Everything comes from a Sluice kernel over comm `sluice.store`.

type RunDetail = Extract<StoreReply, { type: 'run' }>;

export class RunsView extends StoreView {
  private runs: RunListItem[] = [];
  private selectedRun: string | undefined;
  private selectedNode: string | undefined;
  private detail: RunDetail | undefined;

  constructor(service: StoreService, actions: StoreViewActions) {
    super(service, actions, { id: 'runs', title: 'Runs', caption: 'Pipeline runs in the Sluice asset store', emptyDetail: 'Select a run.' });
    this.placeBeside(this.list);
    void this.refresh();
  }

  /** Reloads the list of runs and the selected run. */
  protected async reload(client: StoreClient, via: string): Promise<void> {
    const reply = await client.request('runs', { limit: 200 });
    this.runs = reply.runs;
    this.showStore(reply.store, reply.runs.length, 'run', via);
    this.drawList();
    if (!this.selectedRun && this.runs.length) this.selectedRun = this.runs[0]!.runId;
    if (this.selectedRun) await this.loadRun(this.selectedRun);
    else this.body.replaceChildren(h('div', 'sluice-muted sluice-empty', reply.store.exists ? 'No pipeline runs in this store yet.' : 'Run a pipeline (for example `npm start`) to fill the store.'));
  }

  private drawList(): void {
    this.list.replaceChildren();
    for (const run of this.runs) {
      const row = h('div', 'sluice-browse-item');
      row.dataset.runId = run.runId;
      row.dataset.status = run.status;
      if (run.runId === this.selectedRun) row.classList.add('sluice-selected');
      const c = run.counts;
      const nodes = c ? `${count((c.succeeded ?? 0) + (c.skipped ?? 0) + (c.reused ?? 0) + (c.failed ?? 0) + (c.upstream_failed ?? 0))} nodes` : '';
      row.append(
        h('div', 'sluice-browse-line', h('span', 'sluice-browse-name', run.pipeline), statusBadge(run.status)),
        h('div', 'sluice-browse-line sluice-muted', h('span', undefined, when(run.startedAt)), h('span', undefined, [duration(run.endedAt !== undefined ? run.endedAt - run.startedAt : undefined), nodes].filter(Boolean).join(' · ')))
      );
      row.title = run.runId;
      row.addEventListener('click', () => {
        this.selectedRun = run.runId;
        this.selectedNode = undefined;
        this.drawList();
        void this.loadRun(run.runId);
      });
      this.list.append(row);
    }
  }

  private async loadRun(runId: string): Promise<void> {
    try {
      const { client } = await this.service.source();
      this.detail = await client.request('run', { runId });
      if (this.selectedRun === runId) this.drawRun();
    } catch (error) {
      this.body.replaceChildren(h('div', 'sluice-error', (error as Error).message));
    }
  }

  private drawRun(): void {
    const d = this.detail!;
    const run = d.run;
    const box = h('div', 'sluice-run');
    box.dataset.runId = run.runId;
    const c = run.counts ?? {};
    const partitions = Array.isArray(run.args.partitions) ? (run.args.partitions as string[]) : [];
    box.append(
      h('div', 'sluice-browse-heading', h('span', 'sluice-browse-heading-name', run.pipeline), statusBadge(run.status), h('span', 'sluice-muted', run.runId)),
      facts([
        ['started', when(run.startedAt)],
        ['duration', run.endedAt !== undefined ? duration(run.endedAt - run.startedAt) : 'still running'],
        [
          'nodes',
          [`${c.succeeded ?? 0} ran`, `${(c.skipped ?? 0) + (c.reused ?? 0)} up to date`, c.failed ? `${c.failed} failed` : '', c.upstream_failed ? `${c.upstream_failed} not run` : '']
            .filter(Boolean)
            .join(' · ')
        ],
        ['partitions', partitions.length > 3 ? `${partitions[0]} … ${partitions.at(-1)} (${partitions.length})` : partitions.join(', ')]
      ])
    );
    if (run.error) box.append(h('pre', 'sluice-error', run.error));
    box.append(h('h3', undefined, 'Gantt chart'));
    box.append(
      renderGantt(d.ops, run.startedAt, run.endedAt, {
        selected: this.selectedNode,
        onSelect: (nodeId) => {
          this.selectedNode = nodeId;
          this.drawRun();
        }
      })
    );
    const notRun = d.ops.filter((o) => o.startedAt === undefined);
    if (notRun.length) box.append(h('div', 'sluice-muted', `Not started: ${notRun.map((o) => `${o.nodeId} (${o.status.replace('_', ' ')})`).join(', ')}`));
    box.append(this.nodeSection(d));
    this.body.replaceChildren(box);
  }

  private nodeSection(d: RunDetail): HTMLElement {
    const section = h('div', 'sluice-run-node');
    const node = d.ops.find((o) => o.nodeId === this.selectedNode);
    const notebooksOf = (o: OpRunItem | undefined) => (o ? d.notebooks.filter((n) => n.op === o.op && (n.partition ?? '') === o.partition) : d.notebooks);
    if (node) {
      section.append(
        h('h3', undefined, `Node ${node.nodeId}`),
        facts([
          ['status', statusBadge(node.status)],
          ['why', node.reason],
          ['time', node.startedAt !== undefined && node.endedAt !== undefined ? `${duration(node.endedAt - node.startedAt)} (${when(node.startedAt)})` : undefined],
          ['attempts', node.attempts > 1 ? String(node.attempts) : undefined]
        ])
      );
      if (node.error) section.append(h('pre', 'sluice-error', node.error));
    } else {
      section.append(h('h3', undefined, 'Log'), h('div', 'sluice-muted', 'Click a bar of the chart for one node; the log of the whole run is below.'));
    }
    const log = node ? d.log.filter((e) => e.node === node.nodeId) : d.log;
    if (node) section.append(h('h3', undefined, 'Log'));
    if (log.length) {
      const pre = h('pre', 'sluice-run-log');
      pre.textContent = log.map((e) => `${when(e.at).slice(11)}  ${node ? '' : `${e.node}  `}${e.kind === 'log' ? '' : `${e.kind}: `}${e.text}`).join('\n');
      section.append(pre);
    } else section.append(h('div', 'sluice-muted', node ? 'This node logged nothing.' : 'The ops of this run logged nothing (context.log).'));
    const notebooks = notebooksOf(node);
    if (notebooks.length) {
      section.append(h('h3', undefined, node ? 'Executed notebook' : `Executed notebooks (${notebooks.length})`));
      const rows = notebooks.map((n) => [
        n.op ?? n.key,
        n.partition ?? '',
        n.status ?? '',
        button('Open', () => this.actions.openNotebook(n), 'sluice-browse-button sluice-open-notebook')
      ]);
      section.append(table(['op', 'partition', 'status', ''], rows, 'sluice-run-notebooks'));
    }
    return section;
  }
}
