// anywidget's npm package ships its front end without types: an AMD-style module whose value is the
// widget manager's { AnyModel, AnyView } classes, built on the shared @jupyter-widgets/base.
declare module 'anywidget' {
  import type { DOMWidgetModel, DOMWidgetView } from '@jupyter-widgets/base';
  const widgets: { AnyModel: typeof DOMWidgetModel; AnyView: typeof DOMWidgetView };
  export default widgets;
}
