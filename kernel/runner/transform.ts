// Turns a TypeScript cell into a script with REPL semantics:
//   1. sucrase strips the types in-process (about a millisecond) and keeps every line where it was,
//      so stack traces point at the cell's own lines without a source map. (esbuild runs as a child
//      process, which a SIGINT to the kernel's process group kills.)
//   2. acorn parses the JavaScript and top-level declarations become assignments on the global
//      scope, so `const x` can be declared again in a later cell and every cell sees it;
//   3. static and dynamic imports go through the kernel's resolver (notebook folder, "sluice");
//   4. everything is wrapped in an async function (top-level await) whose return value is the
//      cell's last expression.
// Edits never add or remove line breaks, so line N of the result is line N of the cell.
import { createRequire } from "node:module";
import type { Node } from "acorn";
import { warm as warmLanguageService } from "../language/client.js";

// sucrase and acorn take ~200 ms to load: loaded on first use (or by warmUp() once the kernel has
// answered its first requests), so the kernel's start is not held up by them.
const require = createRequire(import.meta.url);
/** Set by `sluice run` for the kernels it starts: nobody presses Tab there. */
const BATCH_RUN_ENV = "SLUICE_RUN_ID";
let parsers: { transform: typeof import("sucrase").transform; parse: typeof import("acorn").parse } | undefined;
function load() {
  parsers ??= { transform: require("sucrase").transform, parse: require("acorn").parse };
  return parsers;
}
/**
 * Called once the kernel has answered kernel_info: loads the cell compiler, and (in an interactive
 * kernel) starts the language service loading on its own thread, so the first Tab is answered fast.
 */
export function warmUp(): void {
  load();
  if (!process.env[BATCH_RUN_ENV]) warmLanguageService();
}

export const IMPORT_FN = "__sluice_import";
/** Named import with CommonJS interop: Node only sees the names its lexer finds in module.exports. */
export const PICK_FN = "__sluice_pick";

export class CellSyntaxError extends Error {
  constructor(message: string, readonly line: number, readonly column: number, readonly lineText: string) {
    super(message);
    this.name = "SyntaxError";
  }
}

export interface CompiledCell {
  code: string;
  /** Characters added in front of line 1 by the wrapper (columns there are shifted). */
  prefixLength: number;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

type AnyNode = Node & Record<string, any>;

export function stripTypes(source: string): string {
  try {
    // keepUnusedImports: a notebook imports in one cell and uses the name in a later one.
    return load().transform(source, { transforms: ["typescript"], keepUnusedImports: true, disableESTransforms: true }).code;
  } catch (error) {
    const e = error as Error & { loc?: { line: number; column: number } };
    const line = e.loc?.line ?? 1;
    throw new CellSyntaxError(e.message.replace(/ \(\d+:\d+\)$/, ""), line, (e.loc?.column ?? 0) + 1, source.split("\n")[line - 1] ?? "");
  }
}

export function compileCell(source: string): CompiledCell {
  return rewrite(stripTypes(source));
}

export function rewrite(js: string): CompiledCell {
  let program: AnyNode;
  try {
    program = load().parse(js, { ecmaVersion: "latest", sourceType: "module", allowAwaitOutsideFunction: true }) as AnyNode;
  } catch (error) {
    const e = error as SyntaxError & { loc?: { line: number; column: number } };
    const line = e.loc?.line ?? 1;
    throw new CellSyntaxError(e.message.replace(/ \(\d+:\d+\)$/, ""), line, (e.loc?.column ?? 0) + 1, js.split("\n")[line - 1] ?? "");
  }
  const edits: Edit[] = [];
  const hoisted: string[] = [];
  const replace = (start: number, end: number, text: string) => {
    // Keep the line breaks of what is removed so the source map stays line-exact.
    const breaks = js.slice(start, end).split("\n").length - 1;
    edits.push({ start, end, text: text + "\n".repeat(breaks) });
  };
  const insert = (at: number, text: string) => edits.push({ start: at, end: at, text });

  const body = program.body as AnyNode[];
  body.forEach((node, index) => {
    let stmt = node;
    if (stmt.type === "ExportNamedDeclaration") {
      if (!stmt.declaration) return replace(stmt.start, stmt.end, ";");
      replace(stmt.start, stmt.declaration.start, "");
      stmt = stmt.declaration;
    } else if (stmt.type === "ExportDefaultDeclaration") {
      replace(stmt.start, stmt.declaration.start, "");
      stmt = stmt.declaration;
      if (stmt.type !== "FunctionDeclaration" && stmt.type !== "ClassDeclaration") return;
    } else if (stmt.type === "ExportAllDeclaration") {
      return replace(stmt.start, stmt.end, ";");
    }
    switch (stmt.type) {
      case "ImportDeclaration":
        return replace(stmt.start, stmt.end, importAssignment(stmt));
      case "VariableDeclaration": {
        const decls = stmt.declarations as AnyNode[];
        replace(stmt.start, decls[0].start, ";(");
        for (const d of decls) if (!d.init) insert(d.id.end, " = undefined");
        const last = decls[decls.length - 1];
        // The statement's own `;` (if any) stays after our closing parenthesis.
        insert(last.end, ")");
        return;
      }
      case "FunctionDeclaration":
        if (stmt.id) hoisted.push(`globalThis[${JSON.stringify(stmt.id.name)}] = ${stmt.id.name};`);
        return;
      case "ClassDeclaration":
        if (stmt.id) {
          insert(stmt.start, `;${stmt.id.name} = `);
          insert(stmt.end, ";");
        }
        return;
      case "ExpressionStatement":
        if (index === body.length - 1) {
          // The statement, not its expression: acorn's expression range leaves out enclosing
          // parentheses, so `({ a, b })` would become `(return ({ a, b }))`.
          const end = js[stmt.end - 1] === ";" ? stmt.end - 1 : stmt.end;
          insert(stmt.start, "return (");
          insert(end, ");");
        }
        return;
    }
  });

  walk(program, (node) => {
    if (node.type === "ImportExpression") replace(node.start, node.start + "import".length, IMPORT_FN);
  });

  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  let out = "";
  let at = 0;
  for (const edit of edits) {
    if (edit.start < at) continue; // nested edit already covered by an enclosing replacement
    out += js.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  out += js.slice(at);
  const prefix = `(async () => {${hoisted.join(" ")} `;
  return { code: `${prefix}${out}\n})()`, prefixLength: prefix.length };
}

function importAssignment(node: AnyNode): string {
  const call = `await ${IMPORT_FN}(${JSON.stringify(node.source.value)})`;
  const specifiers = node.specifiers as AnyNode[];
  if (specifiers.length === 0) return `${call};`;
  const assignments = specifiers.map((s) => {
    if (s.type === "ImportNamespaceSpecifier") return `${s.local.name} = __ns;`;
    if (s.type === "ImportDefaultSpecifier") return `${s.local.name} = __ns.default;`;
    const imported = s.imported.type === "Literal" ? JSON.stringify(s.imported.value) : JSON.stringify(s.imported.name);
    return `${s.local.name} = ${PICK_FN}(__ns, ${imported});`;
  });
  return `{ const __ns = ${call}; ${assignments.join(" ")} }`;
}

function walk(node: AnyNode, visit: (node: AnyNode) => void): void {
  visit(node);
  for (const key of Object.keys(node)) {
    const value = (node as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child === "object" && typeof (child as AnyNode).type === "string") walk(child as AnyNode, visit);
    } else if (value && typeof value === "object" && typeof (value as AnyNode).type === "string") {
      walk(value as AnyNode, visit);
    }
  }
}
