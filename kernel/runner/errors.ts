// Errors as Jupyter shows them: ename, evalue and a traceback whose frames point at cell lines.
import { SourceMap } from "node:module";
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

interface CellMap {
  map: SourceMap;
  prefixLength: number;
  label: string;
}
const maps = new Map<string, CellMap>();

export function registerCellMap(filename: string, map: string, prefixLength: number, label: string): void {
  maps.set(filename, { map: new SourceMap(JSON.parse(map)), prefixLength, label });
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
  const cell = maps.get(file);
  if (!cell) return line;
  let l = Number(lineNo) - 1;
  let c = Number(colNo) - 1;
  if (l === 0) c = Math.max(0, c - cell.prefixLength);
  const entry = cell.map.findEntry(l, c) as { originalLine?: number; originalColumn?: number };
  if (entry && typeof entry.originalLine === "number") {
    l = entry.originalLine;
    c = entry.originalColumn ?? 0;
  }
  const where = `${cell.label}:${l + 1}:${c + 1}`;
  const name = fn && !/^(async )?<anonymous>$/.test(fn) && fn !== "async" ? fn : undefined;
  return name ? `    at ${name} (${where})` : `    at ${where}`;
}
