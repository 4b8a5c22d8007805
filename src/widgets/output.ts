// The Output widget (@jupyter-widgets/output): an output area inside a widget. Its `outputs` state is
// set directly (display, appendStdout, clear), or it captures what a cell publishes while `capture`
// runs (state `msg_id`: the frontend routes that request's output messages into the widget).
import { inspect } from "node:util";
import { getHost } from "../host/index.js";
import { MODULES } from "./protocol.js";
import { Widget } from "./widget.js";
import { Layout, type LayoutOptions } from "./controls.js";

const DISPLAY = Symbol.for("Jupyter.display");

/** A value as a MIME bundle, as the kernel shows a cell's value. */
export function bundleOf(value: unknown): Record<string, unknown> {
  const custom = (value as Record<symbol, unknown> | null | undefined)?.[DISPLAY];
  if (typeof custom === "function") {
    const bundle = custom.call(value) as Record<string, unknown> | undefined;
    if (bundle && typeof bundle === "object") return "text/plain" in bundle ? bundle : { "text/plain": inspect(value, { depth: 2 }), ...bundle };
  }
  return { "text/plain": typeof value === "string" ? value : inspect(value, { depth: 4, maxArrayLength: 100, breakLength: 100 }) };
}

export type OutputItem =
  | { output_type: "display_data"; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string };

export class OutputWidget extends Widget<{ msg_id: string; outputs: OutputItem[] }> {
  constructor(options: { layout?: LayoutOptions } = {}) {
    super(
      { modelName: "OutputModel", viewName: "OutputView", module: MODULES.output },
      { _dom_classes: [], tabbable: null, tooltip: null, msg_id: "", outputs: [], ...(options.layout ? { layout: new Layout(options.layout) } : {}) },
    );
  }

  get outputs(): OutputItem[] {
    return [...this.get("outputs")];
  }

  /** Replaces everything shown with `items` in one update (no flicker between clear and display). */
  replace(items: OutputItem[]): void {
    this.set({ outputs: items });
  }

  clear(): void {
    this.replace([]);
  }

  /** Shows a value (a frame, a chart, a string...) below what is there. */
  display(value: unknown): void {
    this.replace([...this.get("outputs"), displayItem(value)]);
  }

  appendStdout(text: string): void {
    this.replace([...this.get("outputs"), { output_type: "stream", name: "stdout", text }]);
  }

  appendStderr(text: string): void {
    this.replace([...this.get("outputs"), { output_type: "stream", name: "stderr", text }]);
  }

  /**
   * Runs `fn`; what the running cell displays or prints meanwhile lands in this widget instead of the
   * cell's own output (as `with out:` does in Python).
   */
  async capture<T>(fn: () => T | Promise<T>): Promise<T> {
    const msgId = getHost()?.currentParentMsgId?.();
    if (msgId) this.set({ msg_id: msgId });
    try {
      return await fn();
    } finally {
      if (msgId) this.set({ msg_id: "" });
    }
  }
}

export function displayItem(value: unknown): OutputItem {
  return { output_type: "display_data", data: bundleOf(value), metadata: {} };
}
