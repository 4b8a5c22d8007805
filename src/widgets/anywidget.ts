// Custom widgets from an ES module, in the anywidget style: the module's `render({ model, el })` (and
// optional `initialize({ model })`) runs in the browser; `model.get/set/save_changes/on/send` talk to
// this kernel-side model through the ordinary widget protocol. The model is anywidget's own AnyModel,
// drawn by anywidget's front end, which the Sluice JupyterLab extension registers with the standard
// widget manager (extension/src/anywidget.ts; docs/widgets.md).
import { Widget, WidgetError } from "./widget.js";
import { Layout, type LayoutOptions } from "./controls.js";

/** The widget module anywidget 0.11's frontend registers (its Python package sends "~major.minor.*"). */
export const ANYWIDGET_MODULE = { module: "anywidget", version: "~0.11.*" } as const;

export interface AnyWidgetOptions<S extends Record<string, unknown>> {
  /** The ES module's source: `export default { render({ model, el }) { … } }` (or an exported render). */
  esm: string;
  /** CSS the frontend adds while a view is shown. */
  css?: string;
  /** The model's own state: what `model.get(name)` reads in the browser. */
  state?: S;
  /** Names the widget kind for the frontend's hot reload (anywidget's _anywidget_id). */
  id?: string;
  layout?: LayoutOptions;
}

export class AnyWidget<S extends Record<string, unknown> = Record<string, unknown>> extends Widget<S & { _esm: string; _css: string }> {
  constructor(options: AnyWidgetOptions<S>) {
    if (typeof options?.esm !== "string" || !/\bexport\b/.test(options.esm))
      throw new WidgetError("AnyWidget({ esm }): esm must be the source of an ES module that exports render (or a default object with render)");
    super(
      { modelName: "AnyModel", viewName: "AnyView", module: ANYWIDGET_MODULE },
      {
        _dom_classes: [],
        tabbable: null,
        tooltip: null,
        _esm: options.esm,
        _css: options.css ?? "",
        _anywidget_id: options.id ?? "sluice.AnyWidget",
        ...(options.layout ? { layout: new Layout(options.layout) } : {}),
        ...(options.state ?? {}),
      } as unknown as Partial<S & { _esm: string; _css: string }> & Record<string, unknown>,
    );
  }
}
