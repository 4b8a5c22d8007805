// Completions that need no TypeScript: what a first Tab on a fresh kernel gets while the language
// service is still loading (JupyterLab drops a reply slower than about a second). The names in scope
// and the members of a runtime `a.b.` chain come from the running values (introspection.ts); this file
// adds the library's exports inside `import { … }`, read from the export statements of its built files
// (a scan of lines, not a parse: parsing them all took a second on a busy machine).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LIBRARY_ENTRY } from "../runner/imports.js";

let libraryNames: string[] | undefined;

const EXPORT_ALL = /^export \*(?: as ([\w$]+))? from ["']([^"']+)["']/gm;
const EXPORT_LIST = /^export \{([^}]*)\}/gm;
const EXPORT_DECLARATION = /^export (?:async )?(?:function\*?|class|const|let|var) ([\w$]+)/gm;

/** The value names `import { … } from "sluice"` can take, following `export *` through the library's files. */
export function libraryExports(): string[] {
  if (libraryNames) return libraryNames;
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const [, alias, from] of text.matchAll(EXPORT_ALL)) {
      if (alias) names.add(alias);
      else visit(resolve(dirname(file), from));
    }
    for (const [, list] of text.matchAll(EXPORT_LIST))
      for (const item of list.split(",")) {
        const name = item.trim().split(/\s+as\s+/).pop()!.trim();
        if (/^[\w$]+$/.test(name)) names.add(name);
      }
    for (const [, name] of text.matchAll(EXPORT_DECLARATION)) names.add(name);
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
