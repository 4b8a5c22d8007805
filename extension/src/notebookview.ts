import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import type { Message } from '@lumino/messaging';
import { h } from './storeui';

// A read-only view of an executed notebook that arrived over the store comm: the store folder is
// usually outside the folder JupyterLab serves, so the file cannot be opened by path. Markdown and
// outputs go through JupyterLab's own renderers (charts included), as untrusted output.

type Json = Record<string, unknown>;
const text = (v: unknown): string => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');

export class NotebookView extends Widget {
  constructor(
    private readonly rendermime: IRenderMimeRegistry | null,
    readonly title_: string,
    readonly path: string,
    readonly content: unknown,
    onCopy?: () => void
  ) {
    super();
    this.addClass('sluice-notebook-view');
    this.title.label = title_;
    this.title.caption = path;
    this.title.closable = true;
    const head = h('div', 'sluice-notebook-head', h('span', 'sluice-muted', `Read-only view of ${path}`));
    if (onCopy) {
      const copy = h('button', 'sluice-browse-button', 'Open a copy as a notebook');
      copy.type = 'button';
      copy.addEventListener('click', onCopy);
      head.append(copy);
    }
    this.node.append(head);
  }

  private drawn = false;

  protected onAfterAttach(_msg: Message): void {
    // Renderers are attached into the page, so the view must be in it first.
    if (this.drawn) return;
    this.drawn = true;
    void this.draw();
  }

  private async draw(): Promise<void> {
    const cells = ((this.content as Json | null)?.cells ?? []) as Json[];
    for (const cell of cells) {
      const box = h('div', `sluice-nb-cell sluice-nb-${String(cell.cell_type)}`);
      this.node.append(box);
      const source = text(cell.source);
      if (cell.cell_type === 'markdown') {
        await this.render(box, { 'text/markdown': source });
        continue;
      }
      const count = cell.execution_count;
      box.append(h('div', 'sluice-nb-input', h('span', 'sluice-nb-prompt', `[${count ?? ' '}]:`), h('pre', 'sluice-nb-source', source)));
      for (const output of (cell.outputs ?? []) as Json[]) {
        const out = h('div', 'sluice-nb-output');
        box.append(out);
        if (output.output_type === 'stream') {
          await this.render(out, { [output.name === 'stderr' ? 'application/vnd.jupyter.stderr' : 'application/vnd.jupyter.stdout']: text(output.text) });
        } else if (output.output_type === 'error') {
          const trace = (output.traceback as string[] | undefined)?.join('\n') || `${String(output.ename)}: ${String(output.evalue)}`;
          out.classList.add('sluice-nb-error');
          await this.render(out, { 'application/vnd.jupyter.stderr': trace });
        } else if (output.data) {
          const data = { ...(output.data as Json) };
          for (const [mime, value] of Object.entries(data)) if (Array.isArray(value) && mime.startsWith('text/')) data[mime] = value.join('');
          await this.render(out, data, (output.metadata ?? {}) as Json);
        }
      }
    }
  }

  private async render(host: HTMLElement, data: Json, metadata: Json = {}): Promise<void> {
    const registry = this.rendermime;
    const mime = registry?.preferredMimeType(data as never, 'ensure');
    if (!registry || !mime) {
      host.append(h('pre', undefined, text(data['text/plain']) || text(data['text/markdown'])));
      return;
    }
    const renderer = registry.createRenderer(mime);
    const model = new MimeModel({ data: data as never, metadata: metadata as never, trusted: false });
    try {
      await renderer.renderModel(model);
      Widget.attach(renderer, host);
    } catch (error) {
      host.append(h('pre', 'sluice-error', `could not render ${mime}: ${(error as Error).message}`));
    }
  }
}
