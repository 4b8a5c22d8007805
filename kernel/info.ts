// kernel_info_reply content, shared by the shell handler (main thread) and the control channel (wire thread).
import { readFileSync } from "node:fs";
import { PROTOCOL_VERSION } from "../src/jupyter/wire.js";

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

export function kernelInfo(): Record<string, unknown> {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "sluice",
    implementation_version: version,
    language_info: {
      name: "typescript",
      version: "5.9",
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: "typescript",
      pygments_lexer: "typescript",
      nbconvert_exporter: "script",
    },
    banner: `Sluice — TypeScript analytics kernel (Node ${process.version})`,
    help_links: [],
    debugger: false,
  };
}
