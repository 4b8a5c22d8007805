// Custom widgets from an ES module (docs/widgets.md#custom-widgets-from-an-es-module). The kernel's
// AnyWidget is anywidget's own AnyModel; this plugin registers anywidget's published front end (the npm
// package `anywidget`: AnyModel and AnyView, which import the user's module and call its render) with
// JupyterLab's standard widget manager. When anywidget's own extension is installed (pip install
// anywidget) it registers the same models itself, and this plugin steps aside.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

/** The version the kernel asks for as "~0.11.*" (src/widgets/anywidget.ts); pinned in package.json. */
export const ANYWIDGET_VERSION = '0.11.0';

export const anywidgetPlugin: JupyterFrontEndPlugin<void> = {
  id: 'sluice-jupyterlab:anywidget',
  description: "Draws custom ES-module widgets (AnyWidget) with anywidget's front end in JupyterLab's widget manager.",
  autoStart: true,
  activate: async (app: JupyterFrontEnd) => {
    if (app.hasPlugin('anywidget:plugin')) return;
    // Loaded on demand: without jupyterlab_widgets there is no @jupyter-widgets/base to share, and the
    // rest of this extension must load all the same.
    let base: typeof import('@jupyter-widgets/base');
    try {
      base = await import('@jupyter-widgets/base');
    } catch {
      return;
    }
    const registry = await app.resolveOptionalService(base.IJupyterWidgetRegistry);
    if (!registry) return;
    registry.registerWidget({
      name: 'anywidget',
      version: ANYWIDGET_VERSION,
      exports: async () => (await import('anywidget')).default
    });
  }
};
