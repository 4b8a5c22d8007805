// Errors as Jupyter shows them: ename, evalue and a traceback whose frames point at cell lines.
import { inspect } from "node:util";
import { CellSyntaxError } from "./transform.js";

export class KeyboardInterrupt extends Error {
  constructor() {
    super("execution interrupted; every variable defined before the interrupt is kept");
    this.name = "KeyboardInterrupt";
  }
}

export class StdinNotAllowedError extends Error {
  constructor() {
    super("input() needs a frontend that accepts input requests; this request was sent with allow_stdin=false (e.g. nbconvert/papermill runs). Pass values as parameters instead.");
    this.name = "StdinNotAllowedError";
  }
}

interface CellFile {
  prefixLength: number;
  lines: number;
  label: string;
}
const cells = new Map<string, CellFile>();

/** Compiled cells keep the cell's lines; only line 1 is shifted right by the wrapper's prefix. */
export function registerCell(filename: string, prefixLength: number, lines: number, label: string): void {
  cells.set(filename, { prefixLength, lines, label });
}

export interface JupyterError {
  ename: string;
  evalue: string;
  traceback: string[];
}

const FRAME = /^\s*at (?:(.*?) \()?(cell-\d+\.ts):(\d+):(\d+)\)?$/;
const RED = "\u001b[0;31m";
const RESET = "\u001b[0m";

export function formatError(error: unknown, label: string): JupyterError {
  if (error instanceof CellSyntaxError) {
    const pointer = error.lineText ? [`    ${error.lineText}`, `    ${" ".repeat(Math.max(0, error.column - 1))}^`] : [];
    return {
      ename: "SyntaxError",
      evalue: error.message,
      traceback: [`${RED}SyntaxError${RESET}: ${error.message}`, `    at ${label}:${error.line}:${error.column}`, ...pointer],
    };
  }
  if (!(error instanceof Error)) {
    return { ename: "Thrown", evalue: inspect(error), traceback: [`${RED}Uncaught${RESET} ${inspect(error)}`] };
  }
  const ename = error.name || error.constructor?.name || "Error";
  const frames = String(error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .map(mapFrame)
    .filter((line): line is string => line !== undefined)
    .filter((line, i, all) => line !== all[i - 1]);
  return { ename, evalue: error.message, traceback: [`${RED}${ename}${RESET}: ${error.message}`, ...frames] };
}

function mapFrame(line: string): string | undefined {
  const m = FRAME.exec(line);
  if (!m) {
    // Kernel internals and Node internals are noise to a notebook user.
    if (/node:internal|\/dist\/kernel\/|\(node:|<anonymous>/.test(line)) return undefined;
    return line;
  }
  const [, fn, file, lineNo, colNo] = m;
  const cell = cells.get(file);
  if (!cell) return line;
  const l = Number(lineNo);
  if (l > cell.lines) return undefined; // the wrapper's own closing call
  const c = l === 1 ? Math.max(1, Number(colNo) - cell.prefixLength) : Number(colNo);
  const where = `${cell.label}:${l}:${c}`;
  const name = fn && !/^(async )?<anonymous>$/.test(fn) && fn !== "async" ? fn : undefined;
  return name ? `    at ${name} (${where})` : `    at ${where}`;
}
