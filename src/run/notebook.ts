// The notebook model (nbformat 4): reading, writing (atomically), and the small edits a run makes.
import { readFileSync, writeFileSync, renameSync, mkdirSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { randomBytes } from "node:crypto";
import { UsageError } from "./errors.js";

export type MultilineString = string | string[];

export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error" | string;
  [key: string]: unknown;
}

export interface Cell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: Record<string, unknown> & { tags?: string[] };
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: unknown;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown> & {
    kernelspec?: { name?: string; display_name?: string; language?: string };
    language_info?: { name?: string; [key: string]: unknown };
  };
  cells: Cell[];
}

export function sourceText(source: MultilineString): string {
  return Array.isArray(source) ? source.join("") : source;
}

export function parseNotebook(text: string, where: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(text) as Notebook;
  } catch (e) {
    throw new UsageError(`${where} is not a notebook: invalid JSON (${(e as Error).message})`);
  }
  if (typeof nb !== "object" || nb === null || !Array.isArray(nb.cells) || typeof nb.nbformat !== "number") {
    throw new UsageError(`${where} is not a notebook: expected nbformat 4 JSON with a "cells" list`);
  }
  if (nb.nbformat < 4) throw new UsageError(`${where} is nbformat ${nb.nbformat}; convert it to nbformat 4 (jupyter nbconvert --to notebook)`);
  nb.metadata ??= {};
  for (const cell of nb.cells) {
    cell.metadata ??= {};
    cell.source = sourceText(cell.source ?? "");
    if (cell.cell_type === "code") cell.outputs ??= [];
  }
  return nb;
}

export function readNotebook(path: string): Notebook {
  let text: string;
  try {
    text = path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read notebook ${path}: ${readFailure(e as NodeJS.ErrnoException)}`);
  }
  return parseNotebook(text, path === "-" ? "stdin" : path);
}

/** Why a notebook could not be read, in words, with what to do about it. */
function readFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT":
      return `no such file (relative paths start at ${process.cwd()})`;
    case "EISDIR":
      return "it is a folder; give the .ipynb file inside it";
    case "EACCES":
    case "EPERM":
      return "no permission to read it";
    default:
      return error.code ?? error.message;
  }
}

/** Serialize like Jupyter does (1-space indent, trailing newline, source kept as one string). */
export function serializeNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

/** Write to a temporary file beside the target and rename: a reader never sees half a notebook. */
export function writeNotebookAtomic(path: string, nb: Notebook): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(tmp, serializeNotebook(nb));
  renameSync(tmp, path);
}

export function newCellId(): string {
  return randomBytes(4).toString("hex");
}

export function hasTag(cell: Cell, tag: string): boolean {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) && tags.includes(tag);
}

/** The notebook's language: kernelspec language, else language_info, else undefined. */
export function notebookLanguage(nb: Notebook): string | undefined {
  return nb.metadata.kernelspec?.language ?? nb.metadata.language_info?.name;
}
