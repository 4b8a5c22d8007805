// The Python venv with the reference Jupyter clients (jupyter_client, nbclient, nbconvert, ipykernel).
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function venvPython(): string {
  return process.env.SLUICE_PYTHON ?? join(repoRoot, ".venv", "bin", "python");
}

/** A console script of the venv (jupyter, pytest, ...), next to its python. */
export function venvBin(name: string): string {
  return join(dirname(venvPython()), name);
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after timeoutMs); never throws on a non-zero exit. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Runs a Python script that prints one JSON document on its last stdout line. */
export async function runPythonJson<T = any>(script: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<T> {
  const result = await run(venvPython(), [script, ...args], options);
  const last = result.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${script} exited with ${result.code} without JSON output.\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}
