// complete_request and inspect_request: the TypeScript language service, merged with the names
// that exist at run time (globals, and the properties of a plain `a.b.` chain).
import { inspect as inspectValue } from "node:util";
import type { Handler, Kernel } from "../kernel.js";
import * as language from "../language/client.js";
import type { Completion } from "../language/service.js";
import { importCompletions } from "../language/quick.js";

/**
 * While the language service is still loading (a fresh kernel: seconds), a completion is answered at
 * once from the running values and the library's exports: JupyterLab drops a reply slower than about
 * a second, and a first Tab that shows nothing looks broken. The service keeps loading meanwhile.
 */
async function serviceCompletion(kernel: Kernel, code: string, cursor: number): Promise<Completion> {
  const full = language.complete(previousCells(kernel), code, cursor);
  if (language.isWarm()) return full;
  full.catch(() => {}); // its answer is not waited for; a failure shows on a later request
  const word = /[\w$]*$/.exec(code.slice(0, cursor))![0];
  const names = importCompletions(code, cursor)?.names ?? [];
  const start = cursor - word.length;
  return { matches: names, cursorStart: start, cursorEnd: cursor, types: names.map((text) => ({ start, end: cursor, text, type: "library" })) };
}

function previousCells(kernel: Kernel): string[] {
  return kernel.history.succeeded;
}

/** The runtime object behind `a.b.` before the cursor, without calling anything but getters. */
function runtimeTarget(code: string, cursor: number): { target: unknown; word: string } | undefined {
  const m = /((?:[A-Za-z_$][\w$]*\.)*)([\w$]*)$/.exec(code.slice(0, cursor));
  if (!m) return undefined;
  const path = m[1].split(".").filter(Boolean);
  let target: unknown = globalThis;
  for (const key of path) {
    if (target === null || target === undefined) return undefined;
    const desc = Object.getOwnPropertyDescriptor(target as object, key);
    target = desc && "value" in desc ? desc.value : undefined;
  }
  return { target, word: m[2] };
}

function runtimeNames(target: unknown): string[] {
  const names = new Set<string>();
  for (let o = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  }
  return [...names].filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && !n.startsWith("__sluice"));
}

export const completeRequest: Handler = async (request, kernel) => {
  const code = String(request.content.code ?? "");
  const cursor = Math.min(Number(request.content.cursor_pos ?? code.length), code.length);
  const result = await serviceCompletion(kernel, code, cursor);
  // Inside `import { … }` the names in scope are not what is asked for.
  const runtime = importCompletions(code, cursor) ? undefined : runtimeTarget(code, cursor);
  const matches = [...result.matches];
  const types = [...result.types];
  if (runtime && runtime.target !== undefined) {
    const seen = new Set(matches);
    for (const name of runtimeNames(runtime.target).sort()) {
      if (name.startsWith(runtime.word) && !seen.has(name)) {
        matches.push(name);
        types.push({ start: result.cursorStart, end: cursor, text: name, type: "runtime" });
      }
    }
  }
  return { status: "ok", matches, cursor_start: result.cursorStart, cursor_end: cursor, metadata: { _jupyter_types_experimental: types } };
};

export const inspectRequest: Handler = async (request, kernel) => {
  const code = String(request.content.code ?? "");
  const cursor = Math.min(Number(request.content.cursor_pos ?? code.length), code.length);
  const info = await language.inspect(previousCells(kernel), code, cursor);
  if (info) {
    const text = info.documentation ? `${info.signature}\n\n${info.documentation}` : info.signature;
    const markdown = "```ts\n" + info.signature + "\n```" + (info.documentation ? `\n\n${info.documentation}` : "");
    return { status: "ok", found: true, data: { "text/plain": text, "text/markdown": markdown }, metadata: {} };
  }
  const word = /[\w$]+$/.exec(code.slice(0, cursor))?.[0];
  if (word && word in globalThis) {
    const value = (globalThis as Record<string, unknown>)[word];
    return { status: "ok", found: true, data: { "text/plain": `${word}: ${inspectValue(value, { depth: 1 })}` }, metadata: {} };
  }
  return { status: "ok", found: false, data: {}, metadata: {} };
};
