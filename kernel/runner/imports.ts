// Module resolution for cells. Cells are not files, so Node cannot resolve their imports itself:
// bare names resolve from the notebook's folder (the kernel's cwd) — ESM "import" conditions first,
// then CommonJS resolution — and "sluice" is always this kernel's own library.
import { createRequire, builtinModules } from "node:module";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve, isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const kernelDir = dirname(fileURLToPath(import.meta.url)); // dist/kernel/runner
export const LIBRARY_ENTRY = resolve(kernelDir, "../../src/index.js");
const CONDITIONS = ["import", "node", "default"];

export class ModuleNotFoundError extends Error {
  constructor(specifier: string, from: string, detail: string) {
    super(`cannot find module "${specifier}" from ${from} (${detail}). Install it in the notebook's folder: npm install ${packageName(specifier)}`);
    this.name = "ModuleNotFoundError";
  }
}

export function importFromNotebook(specifier: string): Promise<unknown> {
  return import(resolveFromNotebook(specifier, process.cwd()));
}

export function pickExport(namespace: Record<string, unknown>, name: string): unknown {
  if (name in namespace) return namespace[name];
  const fallback = namespace.default as Record<string, unknown> | null | undefined;
  return fallback !== null && (typeof fallback === "object" || typeof fallback === "function") ? fallback[name] : undefined;
}

export function resolveFromNotebook(specifier: string, cwd: string): string {
  if (specifier === "sluice") return pathToFileURL(LIBRARY_ENTRY).href;
  if (specifier.startsWith("node:") || builtinModules.includes(specifier)) return specifier;
  if (specifier.startsWith("file:")) return specifier;
  if (specifier.startsWith(".") || isAbsolute(specifier)) {
    const path = resolve(cwd, specifier);
    return pathToFileURL(withExtension(path) ?? path).href;
  }
  const esm = resolveEsm(specifier, cwd);
  if (esm) return pathToFileURL(esm).href;
  try {
    return pathToFileURL(createRequire(join(cwd, "__notebook__.js")).resolve(specifier)).href;
  } catch (error) {
    throw new ModuleNotFoundError(specifier, cwd, (error as Error).message.split("\n")[0]);
  }
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Node's ESM resolution for packages (node_modules walk + "exports" with import conditions). */
function resolveEsm(specifier: string, cwd: string): string | undefined {
  const name = packageName(specifier);
  const subpath = "." + specifier.slice(name.length);
  for (let dir = cwd; ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", name);
    const pkgJson = join(pkgDir, "package.json");
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, "utf8"));
      if (pkg.exports !== undefined) {
        const target = matchExports(pkg.exports, subpath);
        return target ? join(pkgDir, target) : undefined;
      }
      if (subpath !== ".") return withExtension(join(pkgDir, subpath));
      return withExtension(join(pkgDir, pkg.main ?? "index.js"));
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function matchExports(exports: unknown, subpath: string): string | undefined {
  const isSubpathMap = exports && typeof exports === "object" && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith("."));
  if (!isSubpathMap) return subpath === "." ? pickCondition(exports) : undefined;
  const map = exports as Record<string, unknown>;
  if (subpath in map) return pickCondition(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf("*");
    if (star < 0) continue;
    const [before, after] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) {
      const hit = subpath.slice(before.length, subpath.length - after.length);
      return pickCondition(value)?.replaceAll("*", hit);
    }
  }
  return undefined;
}

function pickCondition(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const hit = pickCondition(t);
      if (hit) return hit;
    }
    return undefined;
  }
  if (target && typeof target === "object") {
    for (const [condition, value] of Object.entries(target)) {
      if (CONDITIONS.includes(condition)) {
        const hit = pickCondition(value);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

function withExtension(path: string): string | undefined {
  for (const candidate of [path, `${path}.js`, `${path}.mjs`, `${path}.cjs`, join(path, "index.js")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}
