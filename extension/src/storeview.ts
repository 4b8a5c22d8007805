import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { NotebookRef } from '../../src/browse/comm';
import type { StoreClient } from './storeclient';
import type { StoreService } from './storeservice';
import { button, h } from './storeui';

// What the Runs and Assets views share: a main-area tab with a head (title, status line, Refresh),
// a list beside a detail pane, and a refresh that reports a store that cannot be reached in its status.

export interface StoreViewActions {
  openNotebook(ref: NotebookRef): void;
  openAsset?(key: string): void;
}

export interface StoreViewOptions {
  id: string;
  title: string;
  caption: string;
  emptyDetail: string;
}

export abstract class StoreView extends Widget {
  protected readonly status = h('div', 'sluice-browse-status sluice-muted', 'loading…');
  protected readonly list = h('div', 'sluice-browse-list');
  protected readonly body = h('div', 'sluice-browse-detail');

  constructor(
    protected readonly service: StoreService,
    protected readonly actions: StoreViewActions,
    options: StoreViewOptions
  ) {
    super();
    this.id = `sluice-${options.id}`;
    this.addClass('sluice-browse');
    this.addClass(`sluice-${options.id}-view`);
    this.title.label = `Sluice ${options.id}`;
    this.title.caption = options.caption;
    this.title.closable = true;
    const head = h('div', 'sluice-browse-head', h('span', 'sluice-browse-title', options.title), this.status, button('Refresh', () => void this.refresh()));
    this.node.append(head);
    this.body.append(h('div', 'sluice-muted sluice-empty', options.emptyDetail));
  }

  /** A closed tab is gone for good (Lumino only detaches it), so its command opens a fresh view. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  /** Places the list (with anything above it) beside the detail pane. */
  protected placeBeside(side: HTMLElement): void {
    this.node.append(h('div', 'sluice-browse-main', side, this.body));
  }

  /** Reloads the view from the store; a failure shows in the status line. */
  async refresh(): Promise<void> {
    this.node.dataset.state = 'loading';
    try {
      const { client, via } = await this.service.source();
      await this.reload(client, via);
      this.node.dataset.state = 'ready';
    } catch (error) {
      this.node.dataset.state = 'error';
      this.status.textContent = (error as Error).message;
      this.status.classList.add('sluice-error');
    }
  }

  /** Says which store this is, how many things it holds, and which kernel answered. */
  protected showStore(store: { root: string; exists: boolean }, count: number, noun: string, via: string): void {
    this.status.textContent = store.exists ? `${store.root} · ${count} ${noun}${count === 1 ? '' : 's'} · via ${via}` : `no store at ${store.root} yet · via ${via}`;
    this.status.title = this.status.textContent;
  }

  protected abstract reload(client: StoreClient, via: string): Promise<void>;
}
