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

export class OutputCollector {
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
