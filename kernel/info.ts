// kernel_info_reply content, shared by the shell handler (main thread) and the control channel (wire thread).
import { PROTOCOL_VERSION } from "./wire/message.js";

export function kernelInfo(): Record<string, unknown> {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "sluice",
    implementation_version: "0.1.0",
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
    help_links: [{ text: "Sluice README", url: "https://github.com/sluice/sluice#the-kernel" }],
    debugger: false,
  };
}
