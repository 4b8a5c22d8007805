// Loads a pipeline definition file (TypeScript or JavaScript). esbuild bundles the file and its
// relative imports; `import ... from "sluice"` is pointed at this very library, so the file works
// wherever it lives, with or without a node_modules folder.
import { build } from "esbuild";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PipelineLoadError } from "./errors.js";
import { pipeline, type Pipeline } from "./graph.js";

const LIBRARY_ENTRY = pathToFileURL(fileURLToPath(new URL("../index.js", import.meta.url))).href;

function isPipeline(value: unknown): value is Pipeline {
  return typeof value === "object" && value !== null && "name" in value && "ops" in value && Array.isArray((value as Pipeline).ops);
}

export async function loadPipelineFile(file: string): Promise<Pipeline> {
  const path = resolve(file);
  if (!existsSync(path)) throw new PipelineLoadError(`pipeline file ${file} does not exist.`);
  let code: string;
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      packages: "external",
      sourcemap: "inline",
      logLevel: "silent",
      plugins: [
        {
          name: "sluice-self",
          setup(b) {
            b.onResolve({ filter: /^sluice$/ }, () => ({ path: LIBRARY_ENTRY, external: true }));
          },
        },
      ],
    });
    code = result.outputFiles[0]!.text;
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }).errors;
    const detail = errors?.map((e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ""}${e.text}`).join("\n") ?? (error as Error).message;
    throw new PipelineLoadError(`cannot compile pipeline file ${file}:\n${detail}`);
  }
  // Written beside the file so that its bare imports resolve from its own node_modules.
  const temp = resolve(dirname(path), `.sluice-pipeline-${process.pid}-${randomBytes(3).toString("hex")}.mjs`);
  writeFileSync(temp, code);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PipelineLoadError(`pipeline file ${file} failed while loading: ${(error as Error).stack ?? error}`);
  } finally {
    rmSync(temp, { force: true });
  }
  const candidates = [module.default, ...Object.values(module)].filter(isPipeline);
  const found = candidates[0];
  if (!found) throw new PipelineLoadError(`pipeline file ${file} exports no pipeline; add \`export default pipeline("name", [ops...])\`.`);
  // Notebook paths in a pipeline file are relative to the file.
  const ops = found.ops.map((op) => (op.kind === "notebook" && !isAbsolute(op.notebook) ? { ...op, notebook: resolve(dirname(path), op.notebook) } : op));
  return pipeline(found.name, ops, found.options);
}
