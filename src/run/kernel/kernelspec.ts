// Kernelspecs: found in the data directories `jupyter kernelspec list` looks at (src/jupyter/paths.ts),
// which include the project's venv (so `python3` from .venv works without a global install).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { currentJupyterEnv, jupyterPath, type JupyterEnv } from "../../jupyter/paths.js";
import { KernelNotFoundError } from "../errors.js";

export interface KernelSpec {
  name: string;
  /** Directory holding kernel.json. */
  resourceDir: string;
  argv: string[];
  display_name: string;
  language: string;
  env?: Record<string, string>;
  interrupt_mode?: "signal" | "message";
  metadata?: Record<string, unknown>;
}

/** The folders searched for kernelspecs: `extra` first, then Jupyter's own search path. */
export function jupyterDataDirs(extra: string[] = [], ctx: JupyterEnv = currentJupyterEnv()): string[] {
  return [...new Set([...extra.map((d) => resolve(d)), ...jupyterPath(ctx)])];
}

/** All installed kernelspecs by name; the first data directory that has a name wins (like jupyter_client). */
export function listKernelSpecs(extraDirs: string[] = [], ctx?: JupyterEnv): Map<string, KernelSpec> {
  const specs = new Map<string, KernelSpec>();
  for (const dataDir of jupyterDataDirs(extraDirs, ctx)) {
    const kernelsDir = join(dataDir, "kernels");
    let names: string[];
    try {
      names = readdirSync(kernelsDir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const key = name.toLowerCase();
      if (specs.has(key)) continue;
      const file = join(kernelsDir, name, "kernel.json");
      try {
        const raw = JSON.parse(readFileSync(file, "utf8")) as Omit<KernelSpec, "name" | "resourceDir">;
        if (!Array.isArray(raw.argv) || raw.argv.length === 0) continue;
        specs.set(key, { ...raw, name: key, resourceDir: join(kernelsDir, name), language: raw.language ?? "" });
      } catch {
        // not a kernelspec directory
      }
    }
  }
  return specs;
}

export function findKernelSpec(name: string, extraDirs: string[] = [], ctx?: JupyterEnv): KernelSpec {
  const specs = listKernelSpecs(extraDirs, ctx);
  const spec = specs.get(name.toLowerCase());
  if (!spec) throw new KernelNotFoundError(name, [...specs.keys()]);
  return spec;
}

/**
 * The command line for a kernelspec: `{connection_file}` and `{resource_dir}` filled in, and a bare
 * `python`/`python3` resolved to the interpreter of the environment the spec was installed in.
 */
export function kernelArgv(spec: KernelSpec, connectionFile: string): string[] {
  const argv = spec.argv.map((a) => a.replaceAll("{connection_file}", connectionFile).replaceAll("{resource_dir}", spec.resourceDir));
  if (/^python[0-9.]*$/.test(argv[0])) {
    // <prefix>/share/jupyter/kernels/<name> → <prefix>/bin/python
    const prefix = resolve(spec.resourceDir, "..", "..", "..", "..");
    const candidates = [join(prefix, "bin", argv[0]), join(prefix, "bin", "python"), process.env.SLUICE_PYTHON, join(process.cwd(), ".venv", "bin", "python")];
    const found = candidates.find((c): c is string => !!c && existsSync(c));
    if (found) argv[0] = found;
  }
  return argv;
}
