// Rich output: values become MIME bundles; `display(...)` and its helpers publish them.
import { inspect } from "node:util";
import type { MimeBundle, DisplayOptions } from "../../src/host/index.js";

export const DISPLAY_SYMBOL = Symbol.for("Jupyter.display");

export class DisplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DisplayError";
  }
}

export function toBundle(value: unknown): MimeBundle {
  const custom = (value as Record<symbol, unknown> | null | undefined)?.[DISPLAY_SYMBOL];
  if (typeof custom === "function") {
    const bundle = custom.call(value);
    if (bundle && typeof bundle === "object") {
      return "text/plain" in bundle ? bundle : { "text/plain": inspect(value, { depth: 2 }), ...bundle };
    }
  }
  return { "text/plain": inspect(value, { depth: 4, maxArrayLength: 100, breakLength: 100 }) };
}

export interface UserDisplayOptions extends DisplayOptions {
  /** The value already is a MIME bundle ({"text/html": "...", ...}). */
  raw?: boolean;
}

export type Show = (bundle: MimeBundle, options?: DisplayOptions) => void;

/** The notebook's global `display` function with its helpers. */
export function makeDisplay(show: Show) {
  const display = (value: unknown, options: UserDisplayOptions = {}) => {
    if (options.update && !options.displayId) throw new DisplayError("display(value, { update: true }) needs a displayId: pass the id used when the output was first shown");
    if (options.raw && (value === null || typeof value !== "object")) throw new DisplayError("display(value, { raw: true }) needs a MIME bundle object such as { \"text/html\": \"<b>hi</b>\" }");
    const bundle = options.raw ? (value as MimeBundle) : value === undefined ? {} : toBundle(value);
    show(bundle, options);
  };
  const helper = (mime: string, encode: (v: any) => unknown = (v) => v) => (value: unknown, options: UserDisplayOptions = {}) =>
    display({ [mime]: encode(value), "text/plain": `<${mime}>` }, { ...options, raw: true });
  return Object.assign(display, {
    html: helper("text/html"),
    markdown: helper("text/markdown"),
    svg: helper("image/svg+xml"),
    png: helper("image/png", (v: Uint8Array | string) => (typeof v === "string" ? v : Buffer.from(v).toString("base64"))),
    json: helper("application/json"),
    text: (value: string, options: UserDisplayOptions = {}) => display({ "text/plain": value }, { ...options, raw: true }),
  });
}
