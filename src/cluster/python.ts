// Where Sluice finds Python with Ray: $SLUICE_RAY_PYTHON, else the package's own .venv-ray (the project setup
// creates it), else python3 on PATH. Ray has a venv of its own because every Ray worker imports it: beside
// Jupyter's packages the import takes 1.6 s instead of 0.5 s (jsonschema's format extras build a grammar). The Ray helper script ships in the package beside this module's source.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { RayMissingError } from "./errors.js";

/** The package root (the folder of Sluice's package.json), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, "utf8")) as { name?: string }).name === "sluice") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find Sluice's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The Python helper that talks to Ray (src/cluster/python/sluice_ray.py). */
export function helperScript(): string {
  return join(packageRoot(), "src", "cluster", "python", "sluice_ray.py");
}

export function pythonPath(): string {
  if (process.env.SLUICE_RAY_PYTHON) return process.env.SLUICE_RAY_PYTHON;
  const venv = join(packageRoot(), ".venv-ray", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

export const HOW_TO_GET_RAY =
  "Install Ray into the project's Ray venv: `python3 -m venv .venv-ray && PIP_RETRIES=0 .venv-ray/bin/pip install ray==2.58.0` " +
  "in the Sluice folder (`node scripts/test-setup.mjs` does it too), or point SLUICE_RAY_PYTHON at a Python that has Ray. " +
  "Without Ray, pipelines run with the local executor (the default).";

let checked: { python: string; ray: string } | undefined;

/** The Python and Ray version to use, or a RayMissingError that says how to get Ray. */
export function requireRay(): { python: string; ray: string } {
  const python = pythonPath();
  if (checked?.python === python) return checked;
  const r = spawnSync(python, [helperScript(), "check"], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new RayMissingError(`cannot start Python (${python}): ${r.error.message}.`, { hint: HOW_TO_GET_RAY });
  if (r.status !== 0) {
    const detail = lastJson(r.stdout)?.message ?? (r.stderr.trim().split("\n").pop() || `exit ${r.status}`);
    throw new RayMissingError(`Ray is not installed for ${python} (${String(detail)}).`, { hint: HOW_TO_GET_RAY });
  }
  checked = { python, ray: String(lastJson(r.stdout)?.ray) };
  return checked;
}

export function lastJson(text: string): Record<string, unknown> | undefined {
  const line = text.trim().split("\n").pop();
  try {
    return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
