// Completion and inspection from the TypeScript language service. The service sees one virtual
// file: every cell that ran successfully, then the cell being edited, so it knows earlier
// declarations' types, signatures and JSDoc. It runs on its own thread (worker.ts), started on the
// kernel's first kernel_info reply (warm()), so neither kernel start nor running cells wait for
// TypeScript. check() reports the type errors of a cell as warnings.
import ts from "typescript";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const PRELUDE = `
type MimeBundle = Record<string, unknown>;
interface DisplayOptions { raw?: boolean; displayId?: string; update?: boolean; metadata?: Record<string, unknown> }
interface DisplayFunction {
  /** Shows a value in the notebook (display_data); with { raw: true } the value is a MIME bundle; with { displayId, update: true } it replaces an earlier output. */
  (value: unknown, options?: DisplayOptions): void;
  html(html: string, options?: DisplayOptions): void;
  markdown(markdown: string, options?: DisplayOptions): void;
  svg(svg: string, options?: DisplayOptions): void;
  png(png: Uint8Array | string, options?: DisplayOptions): void;
  json(value: unknown, options?: DisplayOptions): void;
  text(text: string, options?: DisplayOptions): void;
}
declare global {
  /** Shows a value in the notebook. */
  var display: DisplayFunction;
  /** Asks the user for a line of text through the frontend (stdin channel). */
  function input(prompt?: string, options?: { password?: boolean }): Promise<string>;
}
export {};
`;

// A later cell may declare a name again (REPL semantics). The service must see only the latest
// declaration, or it would report the first one's type; earlier statements whose every name is
// declared again later are blanked out.
const declaredCache = new Map<string, Array<{ start: number; end: number; names: string[] }>>();

function topLevelDeclarations(cell: string): Array<{ start: number; end: number; names: string[] }> {
  const cached = declaredCache.get(cell);
  if (cached) return cached;
  const file = ts.createSourceFile("cell.ts", cell, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: Array<{ start: number; end: number; names: string[] }> = [];
  const bindingNames = (name: ts.BindingName): string[] =>
    ts.isIdentifier(name) ? [name.text] : name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
  for (const stmt of file.statements) {
    let names: string[] = [];
    if (ts.isVariableStatement(stmt)) names = stmt.declarationList.declarations.flatMap((d) => bindingNames(d.name));
    else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && stmt.name) names = [stmt.name.text];
    if (names.length) out.push({ start: stmt.getStart(file), end: stmt.end, names });
  }
  declaredCache.set(cell, out);
  return out;
}

function withoutRedeclared(previousCells: string[], current: string): string[] {
  const later = new Set(topLevelDeclarations(current).flatMap((d) => d.names));
  const result: string[] = [];
  for (let i = previousCells.length - 1; i >= 0; i--) {
    let cell = previousCells[i];
    const declarations = topLevelDeclarations(cell);
    for (const d of [...declarations].reverse()) {
      if (d.names.every((n) => later.has(n))) cell = cell.slice(0, d.start) + " ".repeat(d.end - d.start) + cell.slice(d.end);
    }
    for (const d of declarations) for (const n of d.names) later.add(n);
    result.unshift(cell);
  }
  return result;
}

export interface Completion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  types: Array<{ start: number; end: number; text: string; type: string }>;
}

/** A type error in the cell being run: 1-based line and column in the cell. */
export interface TypeProblem {
  line: number;
  column: number;
  code: number;
  message: string;
}

/**
 * Diagnostics that are not the user's type errors: top-level await and redeclaration across cells
 * are how a notebook works, and a module the service cannot resolve fails at run time with its own error.
 */
const NOT_TYPE_ERRORS = new Set([1375, 1378, 2300, 2307, 2393, 2451, 2792, 2875]);

export class LanguageService {
  private readonly files = new Map<string, { text: string; version: number }>();
  private readonly service: ts.LanguageService;
  private readonly cellsFile: string;
  private readonly preludeFile: string;

  constructor(cwd: string) {
    this.cellsFile = join(cwd, "__sluice_cells__.ts");
    this.preludeFile = join(cwd, "__sluice_prelude__.d.ts");
    this.setFile(this.preludeFile, PRELUDE);
    this.setFile(this.cellsFile, "");
    const sluiceTypes = join(repoRoot, "src", "index.ts");
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ["lib.es2023.d.ts"],
      types: ["node"],
      typeRoots: [join(repoRoot, "node_modules", "@types")],
      allowJs: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      paths: existsSync(sluiceTypes) ? { sluice: [sluiceTypes] } : undefined,
    };
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => options,
      getScriptFileNames: () => [this.preludeFile, this.cellsFile],
      getScriptVersion: (file) => String(this.files.get(file)?.version ?? 0),
      getScriptSnapshot: (file) => {
        const mem = this.files.get(file);
        if (mem) return ts.ScriptSnapshot.fromString(mem.text);
        const text = ts.sys.readFile(file);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => cwd,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (file) => this.files.has(file) || ts.sys.fileExists(file),
      readFile: (file) => this.files.get(file)?.text ?? ts.sys.readFile(file),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  private setFile(file: string, text: string): void {
    const old = this.files.get(file);
    if (old?.text === text) return;
    this.files.set(file, { text, version: (old?.version ?? 0) + 1 });
  }

  /** Puts the earlier cells and the current code in the virtual file; returns the code's offset. */
  private load(previousCells: string[], code: string, after = ""): number {
    const before = withoutRedeclared(previousCells, code)
      .map((c) => `${c}\n;\n`)
      .join("");
    this.setFile(this.cellsFile, before + code + after);
    return before.length;
  }

  /** Loads the library's types and builds the checker, as the first completion would. */
  warm(): string {
    const code = 'import { sql } from "sluice";\ndeclare const frame: Awaited<ReturnType<typeof sql>>;\nframe.';
    this.complete([], code, code.length);
    this.complete([], 'import {  } from "sluice";', 9);
    this.check([], code.slice(0, -"\nframe.".length));
    this.load([], "");
    return "warm";
  }

  /** Type errors of `code` (not of the earlier cells); the cell is checked as a module. */
  check(previousCells: string[], code: string): TypeProblem[] {
    const offset = this.load(previousCells, code, "\n;export {};\n");
    const problems: TypeProblem[] = [];
    for (const d of this.service.getSemanticDiagnostics(this.cellsFile)) {
      if (d.category !== ts.DiagnosticCategory.Error || d.start === undefined || d.start < offset || d.start > offset + code.length) continue;
      if (NOT_TYPE_ERRORS.has(d.code)) continue;
      const before = code.slice(0, d.start - offset).split("\n");
      problems.push({ line: before.length, column: before[before.length - 1].length + 1, code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") });
    }
    return problems;
  }

  complete(previousCells: string[], code: string, cursor: number): Completion {
    const offset = this.load(previousCells, code);
    const word = /[\w$]*$/.exec(code.slice(0, cursor))?.[0] ?? "";
    const info = this.service.getCompletionsAtPosition(this.cellsFile, offset + cursor, { includeCompletionsForModuleExports: false });
    const entries = (info?.entries ?? []).filter((e) => e.name.toLowerCase().startsWith(word.toLowerCase()) && !e.name.startsWith("__sluice"));
    entries.sort((a, b) => Number(!a.name.startsWith(word)) - Number(!b.name.startsWith(word)) || a.sortText.localeCompare(b.sortText) || a.name.localeCompare(b.name));
    const start = cursor - word.length;
    return {
      matches: entries.map((e) => e.name),
      cursorStart: start,
      cursorEnd: cursor,
      types: entries.map((e) => ({ start, end: cursor, text: e.name, type: e.kind })),
    };
  }

  /** Signature, type and JSDoc of the name at the cursor, or undefined. */
  inspect(previousCells: string[], code: string, cursor: number): { signature: string; documentation: string } | undefined {
    const offset = this.load(previousCells, code);
    let info: ts.QuickInfo | undefined;
    for (const at of [cursor, cursor - 1]) {
      if (at < 0) continue;
      info = this.service.getQuickInfoAtPosition(this.cellsFile, offset + at);
      if (info) break;
    }
    if (!info) return undefined;
    const signature = ts.displayPartsToString(info.displayParts);
    const docs = ts.displayPartsToString(info.documentation);
    const tags = (info.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`.trim());
    return { signature, documentation: [docs, ...tags].filter(Boolean).join("\n") };
  }
}
