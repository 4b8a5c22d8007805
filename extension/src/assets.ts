import type { AssetDetail, AssetListItem, CheckItem, MaterializationItem } from '../../src/browse/comm';
import { renderLineage } from './lineage';
import type { StoreClient } from './storeclient';
import type { StoreService } from './storeservice';
import { StoreView, type StoreViewActions } from './storeview';
import { button, bytes, count, facts, h, table, valueText, when } from './storeui';

// The Assets view: every asset key in the store beside the selected asset — its latest version,
// metadata, asset check results, schema and preview, partitions, lineage graph, history and the executed
// notebooks of the op that made it. Everything comes from a Sluice kernel over comm `sluice.store`.

export class AssetsView extends StoreView {
  private assets: AssetListItem[] = [];
  private selected: string | undefined;
  private readonly filter = h('input', 'sluice-browse-filter');

  constructor(service: StoreService, actions: StoreViewActions) {
    super(service, actions, { id: 'assets', title: 'Assets', caption: 'Assets in the Sluice asset store', emptyDetail: 'Select an asset.' });
    this.filter.placeholder = 'filter keys';
    this.filter.addEventListener('input', () => this.drawList());
    this.placeBeside(h('div', 'sluice-browse-side', this.filter, this.list));
    void this.refresh();
  }

  /** Shows one asset (from a lineage link or another view). */
  async showAsset(key: string): Promise<void> {
    this.selected = key;
    this.drawList();
    await this.load(key);
  }

  protected async reload(client: StoreClient, via: string): Promise<void> {
    const reply = await client.request('assets');
    this.assets = reply.assets;
    this.showStore(reply.store, reply.assets.length, 'asset', via);
    if (!this.selected || !this.assets.some((a) => a.key === this.selected)) this.selected = this.assets.find((a) => a.latest.format !== 'ipynb')?.key ?? this.assets[0]?.key;
    this.drawList();
    if (this.selected) await this.load(this.selected);
    else this.body.replaceChildren(h('div', 'sluice-muted sluice-empty', 'No assets in this store yet: run a pipeline (for example `npm start`).'));
  }

  private drawList(): void {
    const needle = this.filter.value.trim().toLowerCase();
    this.list.replaceChildren();
    for (const asset of this.assets) {
      if (needle && !asset.key.toLowerCase().includes(needle)) continue;
      const row = h('div', 'sluice-browse-item');
      row.dataset.key = asset.key;
      if (asset.key === this.selected) row.classList.add('sluice-selected');
      const latest = asset.latest;
      row.append(
        h('div', 'sluice-browse-line', h('span', 'sluice-browse-name', asset.key), h('span', 'sluice-muted', latest.format === 'ipynb' ? 'notebook' : latest.rowCount !== undefined ? `${count(latest.rowCount)} rows` : '')),
        h(
          'div',
          'sluice-browse-line sluice-muted',
          h('span', undefined, when(latest.createdAt), asset.failingChecks ? h('span', 'sluice-check-failing', ` · ✗ ${asset.failingChecks} check${asset.failingChecks === 1 ? '' : 's'} failing`) : ''),
          h('span', undefined, [asset.partitions > 1 ? `${asset.partitions} partitions` : '', `${asset.materializations} version${asset.materializations === 1 ? '' : 's'}`].filter(Boolean).join(' · '))
        )
      );
      row.title = asset.key;
      row.addEventListener('click', () => void this.showAsset(asset.key));
      this.list.append(row);
    }
  }

  private async load(key: string): Promise<void> {
    try {
      const { client } = await this.service.source();
      const reply = await client.request('asset', { key });
      if (this.selected === key) this.draw(reply.asset);
    } catch (error) {
      this.body.replaceChildren(h('div', 'sluice-error', (error as Error).message));
    }
  }

  private draw(a: AssetDetail): void {
    const m = a.latest;
    const box = h('div', 'sluice-asset');
    box.dataset.key = a.key;
    box.append(
      h('div', 'sluice-browse-heading', h('span', 'sluice-browse-heading-name', a.key), h('span', 'sluice-muted', m.format)),
      facts([
        ['latest', `${m.version}${m.partition !== undefined ? ` (partition ${m.partition})` : ''}`],
        ['created', when(m.createdAt)],
        ['by', [m.op ? `op ${m.op}` : '', m.runId ? `run ${m.runId}` : ''].filter(Boolean).join(' · ')],
        ['rows', m.rowCount !== undefined ? count(m.rowCount) : undefined],
        ['size', bytes(m.byteSize)],
        ['partitions', a.partitions.length ? String(a.partitions.length) : undefined],
        ['data version', m.dataVersion],
        ['code version', m.codeVersion],
        ['params', m.params && Object.keys(m.params).length ? JSON.stringify(m.params) : undefined],
        ['file', m.path]
      ])
    );
    box.append(h('h3', 'sluice-lineage-title', 'Lineage'));
    box.append(renderLineage(a, (key) => void this.showAsset(key)));
    if (m.inputs.length) box.append(h('div', 'sluice-muted', `Latest version computed from ${m.inputs.map((i) => `${i.key}${i.partition ? `[${i.partition}]` : ''} @ ${i.version}`).join(', ')}`));
    const meta = Object.entries(m.metadata);
    if (meta.length) {
      box.append(h('h3', undefined, 'Metadata'));
      box.append(
        table(
          ['name', 'value'],
          meta.map(([name, entry]) => {
            const value = valueText(entry.value);
            return [name, entry.type === 'md' || value.includes('\n') ? h('pre', 'sluice-asset-meta-text', value.replace(/```\n?/g, '')) : value];
          }),
          'sluice-asset-metadata'
        )
      );
    }
    if (a.checks?.length) {
      const failed = a.checks.filter((c) => !c.passed).length;
      box.append(h('h3', undefined, `Checks (${a.checks.length - failed} passed, ${failed} failed)`));
      box.append(h('div', 'sluice-asset-scroll', this.checks(a.checks, a.partitions.length > 0, m.version)));
    }
    if (m.schema?.length) {
      box.append(h('h3', undefined, 'Schema'), h('div', 'sluice-asset-schema', m.schema.map((c) => `${c.name}: ${c.type}`).join(' · ')));
    }
    if (m.preview?.length) {
      const cols = Object.keys(m.preview[0]!);
      box.append(h('h3', undefined, `Preview (${m.preview.length} rows)`));
      box.append(h('div', 'sluice-asset-preview', table(cols, m.preview.map((r) => cols.map((c) => valueText(r[c]))))));
    }
    if (a.partitions.length) {
      box.append(h('h3', undefined, `Partitions (${a.partitions.length})`));
      box.append(h('div', 'sluice-asset-scroll', this.versions(a.partitions, true, 'sluice-asset-partitions')));
    }
    box.append(h('h3', undefined, `History (${a.history.length}${a.history.length >= 100 ? '+' : ''})`));
    box.append(h('div', 'sluice-asset-scroll', this.versions(a.history, a.partitions.length > 0, 'sluice-asset-history')));
    if (a.notebooks.length) {
      box.append(h('h3', undefined, a.notebooks.length === 1 ? 'Executed notebook' : `Executed notebooks (${a.notebooks.length})`));
      box.append(
        table(
          ['notebook', 'partition', 'status', ''],
          a.notebooks.map((n) => [n.key, n.partition ?? '', n.status ?? '', button('Open', () => this.actions.openNotebook(n), 'sluice-browse-button sluice-open-notebook')]),
          'sluice-asset-notebooks'
        )
      );
    }
    this.body.replaceChildren(box);
  }

  /** One row per check and partition: its latest result, what it found and its metadata. */
  private checks(rows: CheckItem[], withPartition: boolean, latestVersion: string): HTMLTableElement {
    const head = ['check', ...(withPartition ? ['partition'] : []), 'result', 'found', 'metadata'];
    const t = table(
      head,
      rows.map((c) => {
        const result = h('span', c.passed ? 'sluice-check-passed' : 'sluice-check-failed', `${c.passed ? '✓ passed' : '✗ failed'}${c.blocking ? ' · blocking' : ''}`);
        // A result on another version than the newest one shown is named by its version.
        const found = `${c.description ?? ''}${!withPartition && c.version !== latestVersion ? ` (version ${c.version})` : ''}`;
        const meta = Object.keys(c.metadata).length ? h('code', 'sluice-check-meta', JSON.stringify(c.metadata)) : '';
        return [c.check, ...(withPartition ? [c.partition ?? ''] : []), result, found, meta];
      }),
      'sluice-asset-checks'
    );
    return t;
  }

  private versions(rows: MaterializationItem[], withPartition: boolean, className: string): HTMLTableElement {
    const head = [...(withPartition ? ['partition'] : []), 'version', 'created', 'rows', 'size', 'run', ...(rows.some((v) => v.format === 'ipynb') ? [''] : [])];
    return table(
      head,
      rows.map((v) => {
        const cells: Array<string | Node> = [v.version, when(v.createdAt), v.rowCount !== undefined ? count(v.rowCount) : '', bytes(v.byteSize), v.runId ?? ''];
        if (v.format === 'ipynb') cells.push(button('Open', () => this.actions.openNotebook({ key: v.key, op: v.op, partition: v.partition, version: v.version, byteSize: v.byteSize }), 'sluice-browse-button sluice-open-notebook'));
        return withPartition ? [v.partition ?? '', ...cells] : cells;
      }),
      className
    );
  }
}
