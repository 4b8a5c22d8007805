// is_complete_request: a parse error at the very end of the code means "keep typing" (incomplete);
// anywhere else it means the code is wrong (invalid).
import type { Handler } from "../kernel.js";
import { stripTypes, rewrite, CellSyntaxError } from "../runner/transform.js";

export const isCompleteRequest: Handler = (request) => {
  const code = String(request.content.code ?? "");
  if (code.trim() === "") return { status: "complete" };
  try {
    rewrite(stripTypes(code));
    return { status: "complete" };
  } catch (error) {
    if (!(error instanceof CellSyntaxError)) return { status: "invalid" };
    if (!atEnd(code, error) && !/Unterminated (template|comment)/i.test(error.message)) return { status: "invalid" };
    const lastLine = code.split("\n").pop() ?? "";
    const indent = (/^\s*/.exec(lastLine)?.[0] ?? "") + (/[{([]\s*$/.test(lastLine) ? "  " : "");
    return { status: "incomplete", indent };
  }
};

function atEnd(code: string, error: CellSyntaxError): boolean {
  const lines = code.trimEnd().split("\n");
  return error.line > lines.length || (error.line === lines.length && error.column > lines[lines.length - 1].length);
}
