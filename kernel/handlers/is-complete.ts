// is_complete_request: esbuild's parse errors tell an unfinished cell ("end of file") from a wrong one.
import { transform } from "esbuild";
import type { Handler } from "../kernel.js";

export const isCompleteRequest: Handler = async (request) => {
  const code = String(request.content.code ?? "");
  if (code.trim() === "") return { status: "complete" };
  try {
    await transform(code, { loader: "ts", logLevel: "silent" });
    return { status: "complete" };
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { line: number } | null }> }).errors ?? [];
    const unfinished = errors.some((e) => /end of file|Unterminated (template|regular expression)/i.test(e.text));
    if (!unfinished) return { status: "invalid" };
    const lastLine = code.split("\n").pop() ?? "";
    const indent = (/^\s*/.exec(lastLine)?.[0] ?? "") + (/[{([]\s*$/.test(lastLine) ? "  " : "");
    return { status: "incomplete", indent };
  }
};
