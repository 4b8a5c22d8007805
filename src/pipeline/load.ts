// Loads a pipeline definition file (TypeScript or JavaScript). esbuild bundles the file and its
// relative imports into a temp folder (the file's own folder may be read-only); `import ... from
// "sluice"` is pointed at this very library, so the file works wherever it lives, with or without a
// node_modules folder. Errors point at the user's file and line, never at the temp bundle.
import { build, type Message, type Plugin } from "esbuild";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PipelineLoadError } from "./errors.js";
import { pipeline, type Pipeline } from "./graph.js";
import { sha256 } from "./ops.js";

/** Where a loaded pipeline came from: its file and a hash of its bundle (the code a node must have too). */
export interface PipelineSource {
  file: string;
  bundleHash: string;
}
const sources = new WeakMap<Pipeline, PipelineSource>();
/** The file and bundle hash of a pipeline returned by loadPipelineFile (undefined for one built in code). */
export function pipelineSource(p: Pipeline): PipelineSource | undefined {
  return sources.get(p);
}

const LIBRARY_ENTRY = pathToFileURL(fileURLToPath(new URL("../index.js", import.meta.url))).href;
const LIBRARY_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;

function isPipeline(value: unknown): value is Pipeline {
  return typeof value === "object" && value !== null && "name" in value && "ops" in value && Array.isArray((value as Pipeline).ops);
}

/** A path as the user would write it: relative to the working directory when below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

const RESOLVING = Symbol("sluice-resolving");

/**
 * "sluice" is this library. Other packages stay imports (not bundled: they may be native or read
 * their own files), but of the file the pipeline's folder resolves them to, since the bundle runs
 * from a temp folder where a node_modules lookup would find nothing.
 */
const resolvePackages: Plugin = {
  name: "sluice-packages",
  setup(b) {
    b.onResolve({ filter: /^sluice$/ }, () => ({ path: LIBRARY_ENTRY, external: true }));
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === RESOLVING || isAbsolute(args.path)) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
      if (found.errors.length) return { errors: found.errors };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};

/** import.meta.url/dirname/filename of the user's files keep naming those files, not the temp bundle. */
const keepImportMeta: Plugin = {
  name: "sluice-import-meta",
  setup(b) {
    b.onLoad({ filter: SOURCE }, (args) => {
      if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.")) return undefined;
      const ext = extname(args.path).replace(/^\.[cm]?/, "");
      const loader = ext === "tsx" ? "tsx" : ext === "jsx" ? "jsx" : ext === "ts" ? "ts" : "js";
      const contents = text
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)))
        .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
      return { contents, loader, resolveDir: dirname(args.path) };
    });
  },
};

function compileError(file: string, error: unknown): PipelineLoadError {
  const errors = (error as { errors?: Message[] }).errors;
  // esbuild counts columns from 0; editors and stack traces from 1.
  const detail = errors?.length
    ? errors.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ` : ""}${e.text}`).join("\n")
    : `  ${(error as Error).message}`;
  return new PipelineLoadError(`cannot compile pipeline file ${file}:\n${detail}`, { hint: "Fix the code at that line and run the command again.", cause: error });
}

/** The first frame of a stack in the user's code (not Node's, not a package's, not Sluice's). */
function userFrame(stack: string, bundle: string): string | undefined {
  for (const line of stack.split("\n")) {
    const m = /^\s+at (?:.*?\()?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const path = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
    if (!isAbsolute(path) || path === bundle || path.includes(`${sep}node_modules${sep}`) || path.startsWith(LIBRARY_ROOT)) continue;
    return `${shown(path)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

function loadError(file: string, bundle: string, error: unknown): PipelineLoadError {
  const bundleUrl = pathToFileURL(bundle).href;
  const clean = (text: string) => text.split(bundleUrl).join(file).split(bundle).join(file).split(LIBRARY_ENTRY).join("sluice");
  const what = error instanceof Error ? clean(`${error.name}: ${error.message}`) : String(error);
  const where = error instanceof Error && error.stack ? userFrame(error.stack, bundle) : undefined;
  return new PipelineLoadError(`pipeline file ${file} failed while loading${where ? ` at ${where}` : ""}: ${what}`, {
    hint: where ? "Fix the code at that line and run the command again." : "Rerun with --verbose for the stack trace.",
    cause: error,
  });
}

export async function loadPipelineFile(file: string): Promise<Pipeline> {
  const path = resolve(file);
  if (!existsSync(path)) throw new PipelineLoadError(`pipeline file ${file} does not exist; check the path (relative paths start at ${process.cwd()}).`);
  if (statSync(path).isDirectory()) throw new PipelineLoadError(`pipeline file ${file} is a folder; name the .ts or .js file that exports the pipeline.`);
  if (!SOURCE.test(path))
    throw new PipelineLoadError(`pipeline file ${file} is not TypeScript or JavaScript; a pipeline is a .ts or .js file with \`export default pipeline(...)\` (a notebook joins one as notebookOp(...), or runs alone with \`sluice run\`).`);
  const dir = mkdtempSync(join(tmpdir(), "sluice-pipeline-"));
  const bundle = join(dir, "pipeline.mjs");
  try {
    let code: string;
    try {
      const result = await build({
        entryPoints: [path],
        outfile: bundle, // not written: it places the source map's paths
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        write: false,
        // Node's own conditions for packages ("module" is esbuild's, which Node ignores).
        conditions: [],
        mainFields: ["main"],
        sourcemap: "inline",
        sourcesContent: false,
        logLevel: "silent",
        plugins: [resolvePackages, keepImportMeta],
      });
      code = result.outputFiles.find((f) => f.path === bundle)?.text ?? result.outputFiles[0]!.text;
    } catch (error) {
      throw compileError(file, error);
    }
    writeFileSync(bundle, code);
    // Stack traces name the user's file and line (the bundle's inline source map), as --enable-source-maps would.
    process.setSourceMapsEnabled(true);
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
    } catch (error) {
      throw loadError(file, bundle, error);
    }
    const candidates = [module.default, ...Object.values(module)].filter(isPipeline);
    const found = candidates[0];
    if (!found) throw new PipelineLoadError(`pipeline file ${file} exports no pipeline; add \`export default pipeline("name", [ops...])\`.`);
    // Notebook paths in a pipeline file are relative to the file.
    const ops = found.ops.map((op) => (op.kind === "notebook" && !isAbsolute(op.notebook) ? { ...op, notebook: resolve(dirname(path), op.notebook) } : op));
    const loaded = pipeline(found.name, ops, found.options);
    // The hash leaves out where this library lives (sources or dist/ of the same version: the Sluice
    // version counts separately), the inline source map (paths relative to a temp folder) and esbuild's
    // "// path/of/module.ts" comments (relative to the working directory, which differs between processes).
    const hashed = code.split(LIBRARY_ENTRY).join("sluice").replace(/^\/\/[#@ ].*$/gm, "");
    sources.set(loaded, { file: path, bundleHash: sha256(hashed) });
    return loaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
