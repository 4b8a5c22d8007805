import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { anywidgetPlugin } from './anywidget';
import { NotebookCells } from './cells';
import { JobsPanel } from './panel';
import { storeViews } from './storeplugin';
import { SluiceJobs } from './service';
import { ISluiceJobs } from './tokens';

// Plugins, one per concern: the jobs service (one progress stream per kernel, by token) and the
// "Sluice jobs" panel that follows the active notebook. The MIME renderers live in ./mime.

export { ISluiceJobs } from './tokens';

const sluiceIcon = new LabIcon({
  name: 'sluice-jupyterlab:jobs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<rect x="3" y="4" width="18" height="3" rx="1"/><rect x="3" y="10.5" width="12" height="3" rx="1"/>' +
    '<rect x="3" y="17" width="7" height="3" rx="1"/></g></svg>'
});

const jobsService: JupyterFrontEndPlugin<ISluiceJobs> = {
  id: 'sluice-jupyterlab:jobs',
  description: 'Connects to the Sluice progress stream of each kernel.',
  autoStart: true,
  provides: ISluiceJobs,
  activate: () => new SluiceJobs()
};

const jobsPanel: JupyterFrontEndPlugin<void> = {
  id: 'sluice-jupyterlab:panel',
  description: 'The Sluice jobs panel: live progress, plans and cancel for the active notebook.',
  autoStart: true,
  requires: [ISluiceJobs, INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    jobs: ISluiceJobs,
    notebooks: INotebookTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new JobsPanel();
    panel.title.icon = sluiceIcon;
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, 'sluice-jobs');

    let followed: NotebookPanel | null = null;
    const show = () => {
      const kernel = followed?.sessionContext.session?.kernel ?? null;
      const name = followed ? followed.context.path : '';
      panel.setConnection(kernel ? jobs.connect(kernel) : undefined, name, followed ? new NotebookCells(followed) : undefined);
    };
    const follow = (notebook: NotebookPanel | null) => {
      followed?.sessionContext.kernelChanged.disconnect(show);
      followed = notebook;
      followed?.sessionContext.kernelChanged.connect(show);
      show();
      void followed?.sessionContext.ready.then(() => {
        if (followed === notebook) show();
      });
    };
    notebooks.currentChanged.connect((_, notebook) => follow(notebook));
    follow(notebooks.currentWidget);

    const command = 'sluice:open-jobs';
    app.commands.addCommand(command, {
      label: 'Show Sluice Jobs',
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command, category: 'Sluice' });
  }
};

export default [jobsService, jobsPanel, storeViews, anywidgetPlugin];
