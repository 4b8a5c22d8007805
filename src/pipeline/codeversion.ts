// The code version of a pipeline: what a node must run to execute one of its steps. A hash of the
// pipeline file's bundle (its own code and the relative imports esbuild bundles in), the Sluice
// version, and every op's code version (notebook ops' code cells live outside the bundle).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { codeVersionOf } from "./notebook.js";
import { sha256 } from "./ops.js";
import type { Pipeline } from "./graph.js";
import { pipelineSource } from "./load.js";
import { PipelineUsageError } from "./errors.js";

let version: string | undefined;
/** This Sluice's package version (package.json above this module, in src/ or dist/src/). */
export function sluiceVersion(): string {
  if (version !== undefined) return version;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "sluice") return (version = pkg.version ?? "0.0.0");
    }
    if (dirname(dir) === dir) return (version = "unknown");
  }
}

/** 16 hex characters; equal on two nodes when both load the same pipeline file with the same code. */
export async function pipelineCodeVersion(p: Pipeline): Promise<string> {
  const source = pipelineSource(p);
  if (!source) {
    throw new PipelineUsageError(`pipeline ${p.name} was not loaded from a file, so its steps cannot run in another process; load it with loadPipelineFile(FILE) (or run \`sluice pipeline run FILE\`), or use the in-process executor.`);
  }
  const ops = await Promise.all(p.ops.map(async (op) => `${op.name}=${await codeVersionOf(op)}`));
  return sha256([source.bundleHash, `sluice ${sluiceVersion()}`, ...ops.sort()].join("\n")).slice(0, 16);
}
