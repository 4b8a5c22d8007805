import { JupyterFrontEnd } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Kernel, Session } from '@jupyterlab/services';
import { StoreClient } from './storeclient';

// Which kernel the Runs and Assets views ask: the active notebook's kernel when it is a Sluice
// kernel (so the views show the store that notebook reads and writes), else a Sluice kernel of their
// own, in a session JupyterLab keeps by a fixed path so a page reload finds it again instead of
// starting another. Either kernel opens SLUICE_STORE, else ./.sluice in its folder.

/** The path of the views' own session; it names no file. */
export const STORE_SESSION_PATH = '.sluice-store-view';

export interface StoreSource {
  client: StoreClient;
  /** Where the answers come from, for the view's header. */
  via: string;
}

export class StoreService {
  private readonly clients = new Map<string, StoreClient>();
  private own: Session.ISessionConnection | undefined;
  private starting: Promise<Session.ISessionConnection> | undefined;

  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly notebooks: INotebookTracker | null
  ) {}

  async source(): Promise<StoreSource> {
    const notebook = this.notebooks?.currentWidget;
    const kernel = notebook?.sessionContext.session?.kernel;
    if (notebook && kernel && (await this.sluiceSpecs()).includes(kernel.name)) {
      return { client: this.clientFor(kernel), via: `the kernel of ${notebook.context.path}` };
    }
    const session = await this.ownSession();
    return { client: this.clientFor(session.kernel!), via: 'a Sluice kernel of its own' };
  }

  dispose(): void {
    for (const client of this.clients.values()) client.dispose();
    this.clients.clear();
  }

  private clientFor(kernel: Kernel.IKernelConnection): StoreClient {
    const key = `${kernel.id}/${kernel.clientId}`;
    let client = this.clients.get(key);
    if (!client || client.isClosed) {
      client?.dispose();
      client = new StoreClient(kernel);
      this.clients.set(key, client);
    }
    return client;
  }

  /** Kernelspec names of Sluice kernels (their kernel.json carries metadata.sluice). */
  private async sluiceSpecs(): Promise<string[]> {
    const specs = this.app.serviceManager.kernelspecs;
    await specs.ready;
    return Object.values(specs.specs?.kernelspecs ?? {})
      .filter((spec) => spec && (spec.metadata as { sluice?: unknown } | undefined)?.sluice !== undefined)
      .map((spec) => spec!.name);
  }

  private async ownSession(): Promise<Session.ISessionConnection> {
    if (this.own && !this.own.isDisposed && this.own.kernel && this.own.kernel.connectionStatus !== 'disconnected') return this.own;
    this.starting ??= (async () => {
      try {
        const sessions = this.app.serviceManager.sessions;
        await sessions.ready;
        const names = await this.sluiceSpecs();
        if (names.length === 0) throw new Error('no Sluice kernel is installed in this JupyterLab; run `sluice lab install --user` (or start JupyterLab with `sluice lab`).');
        const name = names.includes('sluice') ? 'sluice' : names[0]!;
        const existing = await sessions.findByPath(STORE_SESSION_PATH);
        const session = existing
          ? sessions.connectTo({ model: existing })
          : await sessions.startNew({ path: STORE_SESSION_PATH, name: 'Sluice store', type: 'sluice-store', kernel: { name } });
        this.own = session;
        return session;
      } finally {
        this.starting = undefined;
      }
    })();
    return this.starting;
  }
}
