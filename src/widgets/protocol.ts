// The Jupyter widget protocol, version 2 (docs/widgets.md): the names and versions the standard widget
// manager of JupyterLab (the jupyterlab_widgets package, @jupyter-widgets/* 8.x) knows, and the
// splitting of binary values out of a state into the comm message's buffers and back.

export const PROTOCOL_VERSION = "2.1.0";
export const WIDGET_TARGET = "jupyter.widget";
export const CONTROL_TARGET = "jupyter.widget.control";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";

/** Model modules and their versions as jupyterlab_widgets 3.0 registers them. */
export const MODULES = {
  base: { module: "@jupyter-widgets/base", version: "2.0.0" },
  controls: { module: "@jupyter-widgets/controls", version: "2.0.0" },
  output: { module: "@jupyter-widgets/output", version: "1.0.0" },
} as const;

export type BufferPath = Array<string | number>;

function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/**
 * Takes every binary value (ArrayBuffer or typed array/DataView/Buffer) out of `state`, as the
 * protocol's buffer_paths + buffers; the returned state holds the rest (binary values removed).
 */
export function removeBuffers(state: Record<string, unknown>): { state: Record<string, unknown>; bufferPaths: BufferPath[]; buffers: ArrayBufferView[] } {
  const bufferPaths: BufferPath[] = [];
  const buffers: ArrayBufferView[] = [];
  const walk = (value: unknown, path: BufferPath): unknown => {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      value.forEach((item, i) => {
        if (isBinary(item)) {
          bufferPaths.push([...path, i]);
          buffers.push(ArrayBuffer.isView(item) ? item : new Uint8Array(item));
          out.push(null);
        } else out.push(walk(item, [...path, i]));
      });
      return out;
    }
    if (value && typeof value === "object" && !(value instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (isBinary(item)) {
          bufferPaths.push([...path, key]);
          buffers.push(ArrayBuffer.isView(item) ? item : new Uint8Array(item));
        } else out[key] = walk(item, [...path, key]);
      }
      return out;
    }
    return value;
  };
  return { state: walk(state, []) as Record<string, unknown>, bufferPaths, buffers };
}

/** Puts received buffers back into `state` at their buffer_paths (in place). */
export function putBuffers(state: Record<string, unknown>, bufferPaths: unknown, buffers: Buffer[]): void {
  if (!Array.isArray(bufferPaths)) return;
  bufferPaths.forEach((path, i) => {
    if (!Array.isArray(path) || path.length === 0 || buffers[i] === undefined) return;
    let target: any = state;
    for (const key of path.slice(0, -1)) {
      if (target[key] === undefined || target[key] === null) target[key] = typeof key === "number" ? [] : {};
      target = target[key];
    }
    target[path[path.length - 1]] = buffers[i];
  });
}
