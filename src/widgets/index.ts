// Widgets for TypeScript cells (docs/widgets.md): the Jupyter widget protocol, the standard controls,
// interact, custom ES-module widgets and a data grid for frames.
export { Widget, WidgetError, widgetById, registerWidgetControl, type Change, type ModelSpec } from "./widget.js";
export { PROTOCOL_VERSION, WIDGET_VIEW_MIME, WIDGET_STATE_MIME, MODULES as WIDGET_MODULES } from "./protocol.js";
export {
  Layout, ValueWidget, IntSlider, FloatSlider, IntRangeSlider, BoundedIntText, Text, Checkbox, Dropdown, Button, DatePicker, Label, HTML, HBox, VBox, escapeHtml,
  type LayoutOptions, type DomOptions, type SliderOptions, type DropdownOption,
} from "./controls.js";
export { OutputWidget, bundleOf, type OutputItem } from "./output.js";
export { interact, Interactive, type Control, type ValuesOf, type RunContext } from "./interact.js";
export { DataGrid, grid, FILTER_OPS, type FilterOp, type GridFilter, type GridState, type GridOptions, type GridStats } from "./grid.js";
export { AnyWidget, ANYWIDGET_MODULE, type AnyWidgetOptions } from "./anywidget.js";
