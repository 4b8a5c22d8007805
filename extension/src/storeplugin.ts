import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker, showErrorMessage } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import type { NotebookRef } from '../../src/browse/comm';
import { AssetsView } from './assets';
import { NotebookView } from './notebookview';
import { RunsView } from './runs';
import { StoreService } from './storeservice';
import { h } from './storeui';

// The Runs and Assets views of the Sluice asset store, as main-area tabs: commands in the palette and
// the launcher (category Sluice) and a "Sluice store" entry in the left side bar that open them. The
// tabs come back after a page reload, like JupyterLab's own (the layout restorer).

const storeIcon = new LabIcon({
  name: 'sluice-jupyterlab:store',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<ellipse cx="12" cy="5.5" rx="8" ry="2.5"/><path d="M4 8v3.5c0 1.4 3.6 2.5 8 2.5s8-1.1 8-2.5V8c0 1.4-3.6 2.5-8 2.5S4 9.4 4 8z"/>' +
    '<path d="M4 14v3.5c0 1.4 3.6 2.5 8 2.5s8-1.1 8-2.5V14c0 1.4-3.6 2.5-8 2.5S4 15.4 4 14z"/></g></svg>'
});

export const OPEN_RUNS = 'sluice:open-runs';
export const OPEN_ASSETS = 'sluice:open-assets';

export const storeViews: JupyterFrontEndPlugin<void> = {
  id: 'sluice-jupyterlab:store-views',
  description: 'The Sluice Runs and Assets views: pipeline runs with their Gantt chart, assets with lineage, from the asset store.',
  autoStart: true,
  optional: [INotebookTracker, IRenderMimeRegistry, ICommandPalette, ILayoutRestorer, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    rendermime: IRenderMimeRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null
  ) => {
    const service = new StoreService(app, notebooks);
    let runs: RunsView | undefined;
    let assets: AssetsView | undefined;
    // One tracker per view: what the restorer saves and reopens with the view's command.
    const runsTracker = new WidgetTracker<RunsView>({ namespace: 'sluice-runs' });
    const assetsTracker = new WidgetTracker<AssetsView>({ namespace: 'sluice-assets' });

    const openCopy = async (content: unknown) => {
      // Into the served folder (an untitled notebook), so the notebook editor can open it; the store's file stays as it is.
      const contents = app.serviceManager.contents;
      const model = await contents.newUntitled({ type: 'notebook', path: '' });
      await contents.save(model.path, { type: 'notebook', format: 'json', content });
      await app.commands.execute('docmanager:open', { path: model.path });
    };

    const openNotebook = async (ref: NotebookRef) => {
      try {
        const { client } = await service.source();
        const reply = await client.request('notebook', { version: ref.version });
        const label = `${ref.op ?? ref.key}${ref.partition ? ` [${ref.partition}]` : ''}`;
        const view = new NotebookView(rendermime, label, reply.path, reply.content, () =>
          void openCopy(reply.content).catch((error) => showErrorMessage('Sluice: could not copy the notebook', error))
        );
        view.id = `sluice-notebook-${ref.version}`;
        app.shell.add(view, 'main');
        app.shell.activateById(view.id);
      } catch (error) {
        void showErrorMessage('Sluice: could not open the executed notebook', error as Error);
      }
    };
    const actions = {
      openNotebook: (ref: NotebookRef) => void openNotebook(ref),
      openAsset: (key: string) => void app.commands.execute(OPEN_ASSETS, { key })
    };

    app.commands.addCommand(OPEN_RUNS, {
      label: (args) => (args.isLauncher ? 'Runs' : 'Show Sluice Runs'),
      caption: 'Pipeline runs in the asset store, with their Gantt chart, logs and executed notebooks',
      icon: storeIcon,
      execute: () => {
        if (!runs || runs.isDisposed) {
          runs = new RunsView(service, actions);
          runs.title.icon = storeIcon;
          app.shell.add(runs, 'main');
          void runsTracker.add(runs);
        } else void runs.refresh();
        app.shell.activateById(runs.id);
      }
    });
    app.commands.addCommand(OPEN_ASSETS, {
      label: (args) => (args.isLauncher ? 'Assets' : 'Show Sluice Assets'),
      caption: 'Assets in the asset store: partitions, metadata, lineage and history',
      icon: storeIcon,
      execute: (args) => {
        const key = typeof args.key === 'string' ? args.key : undefined;
        if (!assets || assets.isDisposed) {
          assets = new AssetsView(service, actions);
          assets.title.icon = storeIcon;
          app.shell.add(assets, 'main');
          void assetsTracker.add(assets);
        } else if (!key) void assets.refresh();
        if (key) void assets.showAsset(key);
        app.shell.activateById(assets.id);
      }
    });
    palette?.addItem({ command: OPEN_RUNS, category: 'Sluice' });
    palette?.addItem({ command: OPEN_ASSETS, category: 'Sluice' });
    launcher?.add({ command: OPEN_RUNS, category: 'Sluice', rank: 1, args: { isLauncher: true } });
    launcher?.add({ command: OPEN_ASSETS, category: 'Sluice', rank: 2, args: { isLauncher: true } });
    void restorer?.restore(runsTracker, { command: OPEN_RUNS, name: () => 'runs' });
    void restorer?.restore(assetsTracker, { command: OPEN_ASSETS, name: () => 'assets' });

    // The side-bar entry: two buttons and what they show.
    const side = new Widget();
    side.id = 'sluice-store';
    side.addClass('sluice-store-sidebar');
    side.title.icon = storeIcon;
    side.title.caption = 'Sluice store';
    const entry = (label: string, text: string, command: string) => {
      const b = h('button', 'sluice-store-entry', h('b', undefined, label), h('span', 'sluice-muted', text));
      b.type = 'button';
      b.dataset.command = command;
      b.addEventListener('click', () => void app.commands.execute(command));
      return b;
    };
    side.node.append(
      h('div', 'sluice-jobs-title', 'Sluice store'),
      entry('Runs', 'pipeline runs: status, Gantt chart, logs, executed notebooks', OPEN_RUNS),
      entry('Assets', 'asset keys: partitions, metadata, lineage, history', OPEN_ASSETS),
      h('div', 'sluice-muted', 'The store of the active Sluice notebook (SLUICE_STORE, else .sluice in its folder).')
    );
    app.shell.add(side, 'left', { rank: 950 });
  }
};
