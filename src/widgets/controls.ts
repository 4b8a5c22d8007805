// The standard controls (@jupyter-widgets/controls 2.0 models, drawn by JupyterLab's widget manager)
// with a typed TypeScript API: options in camelCase, state keys as the protocol names them.
import { MODULES } from "./protocol.js";
import { Widget, WidgetError, type Change } from "./widget.js";

type State = Record<string, unknown>;

/** CSS layout of a widget's view (a LayoutModel of @jupyter-widgets/base). */
export interface LayoutOptions {
  width?: string;
  height?: string;
  minWidth?: string;
  maxWidth?: string;
  maxHeight?: string;
  overflow?: string;
  border?: string;
  margin?: string;
  padding?: string;
  display?: string;
  flexFlow?: string;
  alignItems?: string;
  justifyContent?: string;
  gridTemplateColumns?: string;
  flex?: string;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export class Layout extends Widget {
  constructor(options: LayoutOptions) {
    const state: State = {};
    for (const [k, v] of Object.entries(options)) if (v !== undefined) state[snake(k)] = v;
    super({ modelName: "LayoutModel", viewName: "LayoutView", module: MODULES.base }, state);
  }
}

export interface DomOptions {
  description?: string;
  disabled?: boolean;
  tooltip?: string;
  layout?: LayoutOptions;
}

/** Options every DOM widget shares → their state keys. */
function domState(options: DomOptions): State {
  const state: State = { description: options.description ?? "", _dom_classes: [], tabbable: null, tooltip: options.tooltip ?? null };
  if (options.disabled !== undefined) state.disabled = options.disabled;
  if (options.layout) state.layout = new Layout(options.layout);
  return state;
}

/** A widget whose state has a `value`: typed access and `observe("value", …)`. */
export class ValueWidget<T, S extends State = State> extends Widget<S & { value: T }> {
  get value(): T {
    return this.get("value");
  }
  set value(next: T) {
    this.set({ value: next } as Partial<S & { value: T }>);
  }
  /** Calls `listener` with each new value (from the kernel or the frontend). */
  onChange(listener: (value: T, change: Change<T>) => void): () => void {
    return this.observe("value", (change) => listener(change.new as T, change as Change<T>));
  }
}

function checkNumber(kind: string, name: string, value: unknown, integer: boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
    throw new WidgetError(`${kind}: ${name} must be ${integer ? "an integer" : "a finite number"}, got ${JSON.stringify(value)}`);
}

export interface SliderOptions<T> extends DomOptions {
  value?: T;
  min?: number;
  max?: number;
  step?: number;
  /** Send the value while dragging (true, the default) or only on release. */
  continuousUpdate?: boolean;
  orientation?: "horizontal" | "vertical";
  readout?: boolean;
}

function sliderState<T>(kind: string, options: SliderOptions<T>, integer: boolean, fallback: T): State {
  const min = options.min ?? 0;
  const max = options.max ?? 100;
  const step = options.step ?? 1;
  for (const [name, v] of Object.entries({ min, max, step })) checkNumber(kind, name, v, integer);
  if (min > max) throw new WidgetError(`${kind}: min (${min}) is greater than max (${max})`);
  const value = options.value ?? fallback;
  for (const v of Array.isArray(value) ? value : [value]) {
    checkNumber(kind, "value", v, integer);
    if (v < min || v > max) throw new WidgetError(`${kind}: value ${v} is outside [min ${min}, max ${max}]; pass min/max that include it`);
  }
  return {
    ...domState(options),
    value,
    min,
    max,
    step,
    continuous_update: options.continuousUpdate ?? true,
    orientation: options.orientation ?? "horizontal",
    readout: options.readout ?? true,
  };
}

export class IntSlider extends ValueWidget<number> {
  constructor(options: SliderOptions<number> = {}) {
    super({ modelName: "IntSliderModel", viewName: "IntSliderView" }, { ...sliderState("IntSlider", options, true, options.min ?? 0), readout_format: "d" });
  }
}

export class FloatSlider extends ValueWidget<number> {
  constructor(options: SliderOptions<number> & { readoutFormat?: string } = {}) {
    super(
      { modelName: "FloatSliderModel", viewName: "FloatSliderView" },
      { ...sliderState("FloatSlider", { step: 0.1, ...options }, false, options.min ?? 0), readout_format: options.readoutFormat ?? ".2f" },
    );
  }
}

/** Two handles: `value` is [low, high]. */
export class IntRangeSlider extends ValueWidget<[number, number]> {
  constructor(options: SliderOptions<[number, number]> = {}) {
    const value = options.value ?? [options.min ?? 0, options.max ?? 100];
    if (!Array.isArray(value) || value.length !== 2 || value[0] > value[1])
      throw new WidgetError(`IntRangeSlider: value must be [low, high] with low <= high, got ${JSON.stringify(value)}`);
    super({ modelName: "IntRangeSliderModel", viewName: "IntRangeSliderView" }, { ...sliderState("IntRangeSlider", { ...options, value }, true, value), readout_format: "d" });
  }
}

/** A number box kept within [min, max]. */
export class BoundedIntText extends ValueWidget<number> {
  constructor(options: DomOptions & { value?: number; min?: number; max?: number; step?: number; continuousUpdate?: boolean } = {}) {
    const min = options.min ?? 0;
    const max = options.max ?? 100;
    const value = options.value ?? min;
    checkNumber("BoundedIntText", "value", value, true);
    if (value < min || value > max) throw new WidgetError(`BoundedIntText: value ${value} is outside [min ${min}, max ${max}]`);
    super({ modelName: "BoundedIntTextModel", viewName: "IntTextView" }, { ...domState(options), value, min, max, step: options.step ?? 1, continuous_update: options.continuousUpdate ?? false });
  }
}

export class Text extends ValueWidget<string> {
  constructor(options: DomOptions & { value?: string; placeholder?: string; continuousUpdate?: boolean } = {}) {
    super({ modelName: "TextModel", viewName: "TextView" }, { ...domState(options), value: options.value ?? "", placeholder: options.placeholder ?? "", continuous_update: options.continuousUpdate ?? true });
  }
}

export class Checkbox extends ValueWidget<boolean> {
  constructor(options: DomOptions & { value?: boolean; indent?: boolean } = {}) {
    super({ modelName: "CheckboxModel", viewName: "CheckboxView" }, { ...domState(options), value: options.value ?? false, indent: options.indent ?? true });
  }
}

/** One option: a value shown as its string, or [label, value]. */
export type DropdownOption<T> = T | readonly [string, T];

/** A choice among options; `value` is the chosen option's value (the frontend sends its index). */
export class Dropdown<T = string> extends Widget<{ index: number | null; _options_labels: string[] }> {
  private values: T[] = [];

  constructor(options: DomOptions & { options: readonly DropdownOption<T>[]; value?: T }) {
    const { labels, values } = splitOptions("Dropdown", options.options);
    const index = options.value === undefined ? (values.length ? 0 : null) : values.indexOf(options.value);
    if (index === -1) throw new WidgetError(`Dropdown: value ${JSON.stringify(options.value)} is not one of the options (${labels.join(", ")})`);
    super({ modelName: "DropdownModel", viewName: "DropdownView" }, { ...domState(options), _options_labels: labels, index });
    this.values = values;
  }

  get value(): T | undefined {
    const index = this.get("index");
    return index === null || index === undefined ? undefined : this.values[index];
  }
  set value(next: T | undefined) {
    const index = next === undefined ? null : this.values.indexOf(next);
    if (index === -1) throw new WidgetError(`Dropdown: ${JSON.stringify(next)} is not one of the options (${this.get("_options_labels").join(", ")})`);
    this.set({ index });
  }
  get options(): T[] {
    return [...this.values];
  }
  /** Replaces the options; the value stays if it is still one of them, else the first is chosen. */
  set options(next: readonly DropdownOption<T>[]) {
    const current = this.value;
    const { labels, values } = splitOptions("Dropdown", next);
    this.values = values;
    const kept = current === undefined ? -1 : values.indexOf(current);
    this.set({ _options_labels: labels, index: kept >= 0 ? kept : values.length ? 0 : null });
  }
  onChange(listener: (value: T | undefined) => void): () => void {
    return this.observe("index", () => listener(this.value));
  }
}

function splitOptions<T>(kind: string, options: readonly DropdownOption<T>[]): { labels: string[]; values: T[] } {
  if (!Array.isArray(options)) throw new WidgetError(`${kind}: options must be an array of values or [label, value] pairs`);
  const labels: string[] = [];
  const values: T[] = [];
  for (const option of options) {
    if (Array.isArray(option) && option.length === 2 && typeof option[0] === "string") {
      labels.push(option[0]);
      values.push(option[1] as T);
    } else {
      labels.push(String(option));
      values.push(option as T);
    }
  }
  return { labels, values };
}

export class Button extends Widget<{ description: string }> {
  private readonly clickHandlers = new Set<(button: Button) => void>();

  constructor(options: DomOptions & { buttonStyle?: "" | "primary" | "success" | "info" | "warning" | "danger"; icon?: string } = {}) {
    super({ modelName: "ButtonModel", viewName: "ButtonView" }, { ...domState(options), button_style: options.buttonStyle ?? "", icon: options.icon ?? "" });
    this.onMessage((content) => {
      if ((content as { event?: string })?.event === "click") this.click();
    });
  }

  /** Calls `handler` each time the button is clicked. */
  onClick(handler: (button: Button) => void): () => void {
    this.clickHandlers.add(handler);
    return () => this.clickHandlers.delete(handler);
  }

  /** Runs the click handlers, as a click in the frontend does. */
  click(): void {
    for (const handler of this.clickHandlers) handler(this);
  }
}

/** A calendar date (no time); `value` is a Date at UTC midnight, or null. */
export class DatePicker extends ValueWidget<Date | null> {
  constructor(options: DomOptions & { value?: Date | null; min?: Date; max?: Date } = {}) {
    const value = options.value ?? null;
    if (value !== null && (!(value instanceof Date) || Number.isNaN(value.getTime()))) throw new WidgetError(`DatePicker: value must be a valid Date or null`);
    super({ modelName: "DatePickerModel", viewName: "DatePickerView" }, {
      ...domState(options),
      value,
      ...(options.min ? { min: options.min } : {}),
      ...(options.max ? { max: options.max } : {}),
    });
  }

  protected override toWireValue(name: string, value: unknown): unknown {
    return name === "value" || name === "min" || name === "max" ? toDateState(value as Date | null) : value;
  }

  protected override fromWireValue(name: string, value: unknown): unknown {
    if (name !== "value" && name !== "min" && name !== "max") return value;
    const v = value as { year: number; month: number; date: number } | null;
    return v ? new Date(Date.UTC(v.year, v.month, v.date)) : null;
  }
}

/** The protocol's date: { year, month (0-11), date } in UTC. */
function toDateState(value: Date | null): unknown {
  if (value === null || value === undefined) return null;
  return { year: value.getUTCFullYear(), month: value.getUTCMonth(), date: value.getUTCDate() };
}

export class Label extends ValueWidget<string> {
  constructor(value = "", options: DomOptions = {}) {
    super({ modelName: "LabelModel", viewName: "LabelView" }, { ...domState(options), value, placeholder: "" });
  }
}

/** HTML shown as it is (the kernel's own markup; escape user data with escapeHtml). */
export class HTML extends ValueWidget<string> {
  constructor(value = "", options: DomOptions = {}) {
    super({ modelName: "HTMLModel", viewName: "HTMLView" }, { ...domState(options), value, placeholder: "" });
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

abstract class Box extends Widget<{ children: Widget[] }> {
  get children(): Widget[] {
    return [...this.kids];
  }
  set children(next: Widget[]) {
    this.kids = [...next];
    this.set({ children: next });
  }
  private kids: Widget[] = [];
  protected init(children: Widget[]): void {
    this.kids = [...children];
  }
}

export class HBox extends Box {
  constructor(children: Widget[] = [], options: { layout?: LayoutOptions } = {}) {
    super({ modelName: "HBoxModel", viewName: "HBoxView" }, { ...domState(options), children, box_style: "" });
    this.init(children);
  }
}

export class VBox extends Box {
  constructor(children: Widget[] = [], options: { layout?: LayoutOptions } = {}) {
    super({ modelName: "VBoxModel", viewName: "VBoxView" }, { ...domState(options), children, box_style: "" });
    this.init(children);
  }
}
