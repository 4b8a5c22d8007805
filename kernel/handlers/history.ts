// history_request: tail, range and search over this kernel session's inputs (and outputs).
import type { Handler } from "../kernel.js";

interface Entry {
  line: number;
  input: string;
  output?: string;
}

const SESSION = 1;

export class History {
  readonly entries: Entry[] = [];
  /** Source of every cell that ran without error, in order (what the language service sees). */
  readonly succeeded: string[] = [];

  add(line: number, input: string): void {
    this.entries.push({ line, input });
  }

  setOutput(line: number, output: string): void {
    const entry = this.entries.find((e) => e.line === line);
    if (entry) entry.output = output;
  }
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

export const historyRequest: Handler = (request, kernel) => {
  const c = request.content;
  let entries = kernel.history.entries;
  switch (c.hist_access_type) {
    case "tail":
      entries = entries.slice(-Math.max(0, Number(c.n ?? 10)));
      break;
    case "range": {
      const start = Number(c.start ?? 0);
      const stop = c.stop === null || c.stop === undefined ? Infinity : Number(c.stop);
      entries = entries.filter((e) => e.line >= start && e.line < stop);
      break;
    }
    case "search": {
      const re = globToRegExp(String(c.pattern ?? "*"));
      entries = entries.filter((e) => re.test(e.input));
      if (c.unique) {
        const seen = new Set<string>();
        entries = entries.filter((e) => !seen.has(e.input) && (seen.add(e.input), true));
      }
      if (c.n) entries = entries.slice(-Number(c.n));
      break;
    }
    default:
      return { status: "error", ename: "ValueError", evalue: `unknown hist_access_type "${c.hist_access_type}"; use tail, range or search`, traceback: [], history: [] };
  }
  const history = entries.map((e) => (c.output ? [SESSION, e.line, [e.input, e.output ?? null]] : [SESSION, e.line, e.input]));
  return { status: "ok", history };
};
