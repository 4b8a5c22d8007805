// console.* and process.stdout/stderr writes become `stream` messages of the cell that made them.
// The kernel's own diagnostics go straight to file descriptor 2 (see log()), never through here.
import { writeSync } from "node:fs";
import type { Publisher } from "./publisher.js";
import { currentScope } from "./scope.js";

export function log(text: string): void {
  writeSync(2, `[sluice kernel] ${text}\n`);
}

export function captureStreams(publisher: Publisher): void {
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const scope = currentScope();
      const done = typeof encoding === "function" ? encoding : callback;
      if (!scope) return original(chunk as string, encoding as BufferEncoding, done as () => void);
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
      if (!scope.silent) publisher.stream(name, text, scope.parent);
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  }
}
