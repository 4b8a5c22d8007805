// Errors as Jupyter shows them: ename, evalue and a traceback whose frames point at cell lines
// (`In [n]:line:column`). Frames inside Sluice (its dist/, src/, kernel/ and node_modules) and Node's
// internals are left out unless SLUICE_DEBUG=1 (in the kernel's environment or set by a cell).
import { realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { CellSyntaxError } from "./transform.js";

// Library calls are a few frames deep before they reach the cell; V8's default of 10 frames
// could leave the cell's own frame out.
if (Error.stackTraceLimit < 50) Error.stackTraceLimit = 50;

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const withRealPaths = (dirs: string[]) =>
  [...new Set(dirs.flatMap((d) => {
    const dir = join(packageRoot, d);
    try {
      return [dir, realpathSync(dir)];
    } catch {
      return [dir];
    }
  }))].map((d) => d + "/");
const kernelDirs = withRealPaths(["dist/kernel", "kernel"]);
const libraryDirs = withRealPaths(["dist", "src", "node_modules"]);

/** Where a frame's code lives: the kernel itself (never shown), the library (counted, then hidden), or elsewhere. */
function frameOwner(line: string): "kernel" | "library" | undefined {
  const path = /\((?:file:\/\/)?(\/[^)]+)\)$|at (?:async )?(?:file:\/\/)?(\/\S+)$/.exec(line);
  const file = path?.[1] ?? path?.[2];
  if (file === undefined) return undefined;
  if (kernelDirs.some((dir) => file.startsWith(dir))) return "kernel";
  return libraryDirs.some((dir) => file.startsWith(dir)) ? "library" : undefined;
}

function isNodeInternalFrame(line: string): boolean {
  return /node:internal|\(node:|at node:|<anonymous>\)?$/.test(line);
}

function debugging(): boolean {
  return /^(1|true|yes)$/i.test(process.env.SLUICE_DEBUG ?? "");
}

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

const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(cell-\d+\.ts):(\d+):(\d+)\)?$/;
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
  const debug = debugging();
  let hiddenLibraryFrames = 0;
  const frames = String(error.stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line))
    .map((line) => {
      const cellFrame = mapCellFrame(line);
      if (cellFrame !== undefined) return cellFrame || undefined;
      if (debug) return line;
      const owner = frameOwner(line);
      if (owner === "library") hiddenLibraryFrames += 1;
      return owner || isNodeInternalFrame(line) ? undefined : line;
    })
    .filter((line): line is string => line !== undefined)
    .filter((line, i, all) => line !== all[i - 1]);
  if (hiddenLibraryFrames) frames.push(`    (${hiddenLibraryFrames} frame${hiddenLibraryFrames === 1 ? "" : "s"} inside Sluice hidden; set SLUICE_DEBUG=1 to show them)`);
  return { ename, evalue: error.message, traceback: [`${RED}${ename}${RESET}: ${error.message}`, ...frames] };
}

/** A frame in a cell as `at fn (In [n]:line:col)`; "" for the cell wrapper's own frame; undefined if not a cell's. */
function mapCellFrame(line: string): string | undefined {
  const m = FRAME.exec(line);
  if (!m) return undefined;
  const [, fn, file, lineNo, colNo] = m;
  const cell = cells.get(file);
  if (!cell) return line;
  const l = Number(lineNo);
  if (l > cell.lines) return ""; // the wrapper's own closing call
  const c = l === 1 ? Math.max(1, Number(colNo) - cell.prefixLength) : Number(colNo);
  const where = `${cell.label}:${l}:${c}`;
  const name = fn && !/^(async )?<anonymous>$/.test(fn) && fn !== "async" ? fn.replace(/^async /, "") : undefined;
  return name ? `    at ${name} (${where})` : `    at ${where}`;
}
