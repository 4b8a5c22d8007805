// Turns IOPub messages into nbformat outputs the way nbclient does: consecutive streams merge,
// clear_output (with wait) and update_display_data work across cells, and Sluice events are routed to a
// callback instead of the saved notebook.
import type { Cell, Output } from "./notebook.js";
import type { Message } from "./kernel/wire.js";

export const SLUICE_EVENT_MIME = "application/vnd.sluice.event+json";

export interface OutputSink {
  onOutput?(output: Output, cellIndex: number): void;
  onEvent?(event: unknown, info: { cellIndex: number; cellId?: string }): void;
}

/** A widget model as nbclient saves it in metadata.widgets (application/vnd.jupyter.widget-state+json). */
interface SavedWidget {
  model_name: unknown;
  model_module: unknown;
  model_module_version: unknown;
  state: Record<string, unknown>;
  buffers?: Array<{ path: unknown[]; encoding: "base64"; data: string }>;
}

export class OutputCollector {
  /** The jupyter.widget models the notebook opened, by comm id, with their latest state (as nbclient keeps them). */
  private readonly widgets = new Map<string, SavedWidget>();
  private readonly displays = new Map<string, Array<{ cell: Cell; index: number }>>();
  private clearOnNext = false;
  private cell!: Cell;
  private cellIndex = 0;
  constructor(private readonly sink: OutputSink) {}

  startCell(cell: Cell, cellIndex: number): void {
    this.cell = cell;
    this.cellIndex = cellIndex;
    this.clearOnNext = false;
    cell.outputs = [];
  }

  handle(msg: Message): void {
    const c = msg.content as Record<string, any>;
    const type = msg.header.msg_type;
    if (type === "comm_open" || type === "comm_msg" || type === "comm_close") return this.widgetMessage(type, c, msg.buffers ?? []);
    if (type === "clear_output") {
      if (c.wait) this.clearOnNext = true;
      else this.clear();
      return;
    }
    if (type === "execute_input") {
      if (typeof c.execution_count === "number") this.cell.execution_count = c.execution_count;
      return;
    }
    if (type === "update_display_data") {
      const id = c.transient?.display_id as string | undefined;
      for (const ref of (id && this.displays.get(id)) || []) {
        const out = ref.cell.outputs?.[ref.index];
        if (out) Object.assign(out, { data: c.data, metadata: c.metadata ?? {} });
      }
      return;
    }
    let output: Output | undefined;
    if (type === "stream") {
      const outputs = this.outputs();
      const last = outputs[outputs.length - 1];
      if (last && last.output_type === "stream" && last.name === c.name) {
        last.text = String(last.text) + c.text;
        this.sink.onOutput?.({ output_type: "stream", name: c.name, text: c.text }, this.cellIndex);
        return;
      }
      output = { output_type: "stream", name: c.name, text: c.text };
    } else if (type === "display_data") {
      if (c.data && SLUICE_EVENT_MIME in c.data) {
        this.sink.onEvent?.(c.data[SLUICE_EVENT_MIME], { cellIndex: this.cellIndex, cellId: this.cell.id });
        return;
      }
      output = { output_type: "display_data", data: c.data ?? {}, metadata: c.metadata ?? {} };
    } else if (type === "execute_result") {
      output = { output_type: "execute_result", execution_count: c.execution_count ?? null, data: c.data ?? {}, metadata: c.metadata ?? {} };
    } else if (type === "error") {
      output = { output_type: "error", ename: c.ename, evalue: c.evalue, traceback: c.traceback ?? [] };
    }
    if (!output) return;
    const outputs = this.outputs();
    outputs.push(output);
    const id = c.transient?.display_id as string | undefined;
    if (id && (type === "display_data" || type === "execute_result")) {
      const refs = this.displays.get(id) ?? [];
      refs.push({ cell: this.cell, index: outputs.length - 1 });
      this.displays.set(id, refs);
    }
    this.sink.onOutput?.(output, this.cellIndex);
  }

  /** metadata.widgets for the executed notebook, or undefined when no widget was opened. */
  widgetState(): Record<string, unknown> | undefined {
    if (this.widgets.size === 0) return undefined;
    return { "application/vnd.jupyter.widget-state+json": { version_major: 2, version_minor: 0, state: Object.fromEntries(this.widgets) } };
  }

  private widgetMessage(type: string, c: Record<string, any>, buffers: Buffer[]): void {
    const id = c.comm_id as string;
    if (type === "comm_close") return void this.widgets.delete(id);
    const data = c.data ?? {};
    if (type === "comm_open") {
      if (c.target_name !== "jupyter.widget" || !data.state) return;
      const state = data.state as Record<string, unknown>;
      this.widgets.set(id, { model_name: state._model_name, model_module: state._model_module, model_module_version: state._model_module_version, state: {} });
    } else if (data.method !== "update" && data.method !== "echo_update") return;
    const widget = this.widgets.get(id);
    if (!widget || !data.state) return;
    Object.assign(widget.state, data.state);
    const paths = Array.isArray(data.buffer_paths) ? (data.buffer_paths as unknown[][]) : [];
    if (paths.length) {
      const kept = (widget.buffers ?? []).filter((b) => !paths.some((p) => JSON.stringify(p) === JSON.stringify(b.path)));
      paths.forEach((path, i) => buffers[i] && kept.push({ path, encoding: "base64", data: Buffer.from(buffers[i]).toString("base64") }));
      widget.buffers = kept;
    }
  }

  private outputs(): Output[] {
    if (this.clearOnNext) this.clear();
    return (this.cell.outputs ??= []);
  }

  private clear(): void {
    this.clearOnNext = false;
    for (const refs of this.displays.values()) {
      for (let i = refs.length - 1; i >= 0; i--) if (refs[i].cell === this.cell) refs.splice(i, 1);
    }
    this.cell.outputs = [];
  }
}
