// Completions that need no TypeScript: what a first Tab on a fresh kernel gets while the language
// service is still loading (JupyterLab drops a reply slower than about a second). The names in scope
// and the members of a runtime `a.b.` chain come from the running values (introspection.ts); this file
// adds the library's exports inside `import { … }`, read from its built entry with acorn.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { LIBRARY_ENTRY } from "../runner/imports.js";

const require = createRequire(import.meta.url);
let libraryNames: string[] | undefined;

/** The value names `import { … } from "sluice"` can take, following `export *` through the library's files. */
export function libraryExports(): string[] {
  if (libraryNames) return libraryNames;
  const { parse } = require("acorn") as typeof import("acorn");
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const program = parse(readFileSync(file, "utf8"), { ecmaVersion: "latest", sourceType: "module" });
    for (const node of program.body) {
      if (node.type === "ExportAllDeclaration") {
        if (node.exported) names.add(nameOf(node.exported));
        else visit(resolve(dirname(file), String(node.source.value)));
      } else if (node.type === "ExportNamedDeclaration") {
        for (const spec of node.specifiers) names.add(nameOf(spec.exported));
        const d = node.declaration;
        if (d?.type === "VariableDeclaration") for (const v of d.declarations) if (v.id.type === "Identifier") names.add(v.id.name);
        if ((d?.type === "FunctionDeclaration" || d?.type === "ClassDeclaration") && d.id) names.add(d.id.name);
      }
    }
  };
  try {
    visit(LIBRARY_ENTRY);
  } catch {
    // A library that cannot be read offers nothing here; the language service still answers later.
  }
  names.delete("default");
  libraryNames = [...names].sort();
  return libraryNames;
}

function nameOf(node: { type: string; name?: string; value?: unknown }): string {
  return node.type === "Identifier" ? node.name! : String(node.value);
}

/**
 * Inside the braces of an import from "sluice" (or of an import whose `from` is not typed yet), the
 * library's exports that start with the word at the cursor, ignoring case; otherwise undefined.
 */
export function importCompletions(code: string, cursor: number): { word: string; names: string[] } | undefined {
  const before = code.slice(0, cursor);
  const m = /\bimport\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^}]*)$/.exec(before);
  if (!m) return undefined;
  const from = /^[^}]*\}\s*from\s*["']([^"']+)["']/.exec(code.slice(cursor))?.[1];
  if (from !== undefined && from !== "sluice") return undefined;
  const word = /[\w$]*$/.exec(before)![0];
  // Like the language service: any case matches, names in the typed case first (`gro` → GroupBy).
  const lower = word.toLowerCase();
  const names = libraryExports().filter((n) => n.toLowerCase().startsWith(lower));
  names.sort((a, b) => Number(!a.startsWith(word)) - Number(!b.startsWith(word)) || a.localeCompare(b));
  return { word, names };
}
