// Widget models in the kernel: each widget is one comm to target `jupyter.widget` whose id is the model
// id. State goes to the frontend in comm_open and `update` messages; the frontend's `update`s are
// applied here, echoed back (`echo_update`, protocol 2.1) and passed to `observe` listeners.
import { inspect } from "node:util";
import { getHost, type Comm } from "../host/index.js";
import { SluiceError } from "../errors.js";
import { CONTROL_TARGET, MODULES, PROTOCOL_VERSION, WIDGET_TARGET, WIDGET_VIEW_MIME, putBuffers, removeBuffers } from "./protocol.js";

const DISPLAY = Symbol.for("Jupyter.display");

export class WidgetError extends SluiceError {}

/** Which frontend class draws the model (the `_model_*` and `_view_*` keys of its state). */
export interface ModelSpec {
  modelName: string;
  viewName: string | null;
  module?: { module: string; version: string };
  viewModule?: { module: string; version: string };
}

export interface Change<T = unknown> {
  name: string;
  old: T;
  new: T;
  owner: Widget;
}

type Listener = (change: Change<any>) => void;

/** Every live widget of this process, by model id (the frontend asks for all of them on reconnect). */
const live = new Map<string, Widget>();
let localIds = 0;

function ref(widget: Widget): string {
  return `IPY_MODEL_${widget.id}`;
}

/** Widgets inside a state become "IPY_MODEL_<id>" references, as the protocol wants. */
function toWire(value: unknown): unknown {
  if (value instanceof Widget) return ref(value);
  if (Array.isArray(value)) return value.map(toWire);
  return value;
}

export class Widget<S extends Record<string, unknown> = Record<string, unknown>> {
  readonly id: string;
  protected readonly state: Record<string, unknown>;
  private readonly comm: Comm | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly messageHandlers = new Set<(content: unknown, buffers: Buffer[]) => void>();
  private closed = false;

  constructor(spec: ModelSpec, state: Partial<S> & Record<string, unknown>) {
    const model = spec.module ?? MODULES.controls;
    const view = spec.viewModule ?? model;
    this.state = {
      _model_name: spec.modelName,
      _model_module: model.module,
      _model_module_version: model.version,
      _view_name: spec.viewName,
      _view_module: view.module,
      _view_module_version: view.version,
    };
    for (const [name, value] of Object.entries(state)) this.state[name] = toWire(this.toWireValue(name, value));
    const host = getHost();
    if (!host) {
      // Outside a kernel (a script, a test): a widget still holds state and calls its listeners.
      this.comm = undefined;
      this.id = `local-${++localIds}`;
    } else {
      const { state: wire, bufferPaths, buffers } = removeBuffers(this.wireState());
      this.comm = host.openComm(WIDGET_TARGET, { state: wire, buffer_paths: bufferPaths }, { metadata: { version: PROTOCOL_VERSION }, buffers });
      this.id = this.comm.commId;
      this.comm.onMessage((data, buffers) => this.onComm(data, buffers));
      this.comm.onClose(() => this.forget());
    }
    live.set(this.id, this);
  }

  /** The value of one state key. */
  get<K extends keyof S & string>(name: K): S[K] {
    return this.fromWireValue(name, this.state[name]) as S[K];
  }

  /** Changes state keys: the frontend gets one `update`, listeners one call per changed key. */
  set(changes: Partial<S>): void {
    const changed: Record<string, unknown> = {};
    const calls: Change[] = [];
    for (const [name, value] of Object.entries(changes)) {
      const wire = toWire(this.toWireValue(name, value));
      if (sameValue(this.state[name], wire)) continue;
      const old = this.get(name as keyof S & string);
      this.state[name] = wire;
      changed[name] = wire;
      calls.push({ name, old, new: this.get(name as keyof S & string), owner: this });
    }
    if (calls.length === 0) return;
    this.sendState("update", changed);
    for (const change of calls) this.notify(change);
  }

  /**
   * Calls `listener` after a state key changes, from the kernel or from the frontend (a slider moved).
   * Returns a function that removes the listener.
   */
  observe<K extends keyof S & string>(names: K | K[], listener: (change: Change<S[K]>) => void): () => void {
    const list = Array.isArray(names) ? names : [names];
    for (const name of list) {
      if (!this.listeners.has(name)) this.listeners.set(name, new Set());
      this.listeners.get(name)!.add(listener as Listener);
    }
    return () => list.forEach((name) => this.listeners.get(name)?.delete(listener as Listener));
  }

  /** Sends a custom message (and binary buffers) to the frontend's model. */
  send(content: unknown, buffers: ArrayBufferView[] = []): void {
    this.checkOpen("send");
    this.comm?.send({ method: "custom", content }, buffers);
  }

  /** Calls `handler` with each custom message the frontend sends. */
  onMessage(handler: (content: unknown, buffers: Buffer[]) => void): () => void {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  /** Closes the model: its views disappear from the frontend. */
  close(): void {
    if (this.closed) return;
    this.comm?.close();
    this.forget();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The whole state as it goes on the wire (widgets as references; binary values still in place). */
  wireState(): Record<string, unknown> {
    return { ...this.state };
  }

  /** What `display(widget)` and a cell's last value show: a view of this model. */
  [DISPLAY](): Record<string, unknown> {
    return {
      [WIDGET_VIEW_MIME]: { version_major: 2, version_minor: 1, model_id: this.id },
      "text/plain": `${this.constructor.name}(${inspect(this.plainState(), { breakLength: Infinity, depth: 1 })})`,
    };
  }

  /** A state key as this class holds it → as the protocol carries it (subclasses convert dates...). */
  protected toWireValue(_name: string, value: unknown): unknown {
    return value;
  }

  /** The reverse of toWireValue. */
  protected fromWireValue(_name: string, value: unknown): unknown {
    return value;
  }

  private plainState(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.state)) if (!k.startsWith("_") && k !== "layout" && k !== "style") out[k] = v;
    return out;
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new WidgetError(`${this.constructor.name}.${what}: the widget is closed; create a new one`);
  }

  private notify(change: Change): void {
    for (const listener of this.listeners.get(change.name) ?? []) {
      try {
        listener(change);
      } catch (error) {
        // A listener's failure is the user's to see, under the cell that shows output now.
        process.stderr.write(`${this.constructor.name} listener for "${change.name}" failed: ${(error as Error)?.stack ?? error}\n`);
      }
    }
  }

  private sendState(method: "update" | "echo_update", state: Record<string, unknown>): void {
    if (!this.comm || this.closed) return;
    const { state: wire, bufferPaths, buffers } = removeBuffers(state);
    this.comm.send({ method, state: wire, buffer_paths: bufferPaths }, buffers);
  }

  private onComm(data: unknown, buffers: Buffer[]): void {
    const message = (data ?? {}) as { method?: string; state?: Record<string, unknown>; buffer_paths?: unknown; content?: unknown };
    switch (message.method) {
      case "update": {
        const state = { ...(message.state ?? {}) };
        putBuffers(state, message.buffer_paths, buffers);
        // Echo first (other frontends and the sender's pending-change bookkeeping), then apply.
        this.sendState("echo_update", state);
        const calls: Change[] = [];
        for (const [name, value] of Object.entries(state)) {
          if (sameValue(this.state[name], value)) continue;
          const old = this.get(name as keyof S & string);
          this.state[name] = value;
          calls.push({ name, old, new: this.get(name as keyof S & string), owner: this });
        }
        for (const change of calls) this.notify(change);
        return;
      }
      case "request_state":
        return this.sendState("update", this.wireState());
      case "custom":
        for (const handler of this.messageHandlers) {
          try {
            handler(message.content, buffers);
          } catch (error) {
            process.stderr.write(`${this.constructor.name} message handler failed: ${(error as Error)?.stack ?? error}\n`);
          }
        }
        return;
    }
  }

  private forget(): void {
    this.closed = true;
    live.delete(this.id);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return false;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

/** The model of a widget with the given id, if it is live in this process. */
export function widgetById(id: string): Widget | undefined {
  return live.get(id);
}

let controlRegistered = false;
/**
 * Answers the widget manager's `jupyter.widget.control` comm: on (re)connect JupyterLab asks for the
 * state of every live model at once (`request_states` → `update_states`).
 */
export function registerWidgetControl(): void {
  const host = getHost();
  if (!host || controlRegistered) return;
  controlRegistered = true;
  host.registerCommTarget(CONTROL_TARGET, (comm) => {
    comm.onMessage((data) => {
      if ((data as { method?: string })?.method !== "request_states") return;
      const states: Record<string, unknown> = {};
      for (const widget of live.values()) {
        const state = widget.wireState();
        states[widget.id] = {
          model_name: state._model_name,
          model_module: state._model_module,
          model_module_version: state._model_module_version,
          state,
        };
      }
      const { state, bufferPaths, buffers } = removeBuffers(states);
      comm.send({ method: "update_states", states: state, buffer_paths: bufferPaths }, buffers);
    });
  });
}
