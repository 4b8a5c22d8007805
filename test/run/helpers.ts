// Shared helpers for the `sluice run` suites: notebooks built in temp folders, the CLI run as a real
// process, and the Sluice kernel installed into a temp prefix.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const repo = resolve(import.meta.dirname, "..", "..");
export const python = process.env.SLUICE_PYTHON ?? join(repo, ".venv", "bin", "python");
export const bin = join(repo, "bin", "sluice.js");

export function tempDir(prefix = "sluice-run-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

type CellInit = string | { source: string; tags?: string[]; type?: "code" | "markdown" };

export function notebook(cells: CellInit[], kernel: { name: string; language: string } = { name: "python3", language: "python" }) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel.name, display_name: kernel.name, language: kernel.language } },
    cells: cells.map((c, i) => {
      const cell = typeof c === "string" ? { source: c } : c;
      const type = cell.type ?? "code";
      return type === "code"
        ? { id: `cell-${i}`, cell_type: "code", source: cell.source, metadata: cell.tags ? { tags: cell.tags } : {}, outputs: [], execution_count: null }
        : { id: `cell-${i}`, cell_type: type, source: cell.source, metadata: {} };
    }),
  };
}

export function writeNotebook(dir: string, name: string, nb: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(nb, null, 1));
  return path;
}

export function readJson(path: string): any {
  return JSON.parse(readFileSync(path, "utf8"));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): { child: ChildProcess; done: Promise<CliResult>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [bin, "run", ...args], {
    cwd: options.cwd ?? repo,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  child.stdin!.end(options.input ?? "");
  const done = new Promise<CliResult>((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done, stderrSoFar: () => stderr };
}

/** Starts any `sluice` command (args begin with the subcommand); output() is stdout and stderr as they came. */
export function startSluice(args: string[], options: { cwd: string; env?: Record<string, string> }): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  return { child, output: () => output, exited: new Promise((r) => child.on("close", (code) => r(code))) };
}

export function runCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Poll until fn returns a truthy value (reading a file that is being rewritten may fail meanwhile). */
export async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 30_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Installs the Sluice kernel (built dist/kernel) into a temp prefix; returns its Jupyter data dir. */
export function installSluiceKernel(): string {
  if (!existsSync(join(repo, "dist", "kernel", "main.js"))) throw new Error("dist/kernel/main.js missing: run `npm run build` first");
  const prefix = tempDir("sluice-kernel-prefix-");
  execFileSync(process.execPath, [bin, "kernel", "install", "--prefix", prefix], { cwd: repo });
  return join(prefix, "share", "jupyter");
}

export function outputsText(cell: any): string {
  return (cell.outputs ?? [])
    .map((o: any) => (o.output_type === "stream" ? o.text : o.output_type === "error" ? `${o.ename}: ${o.evalue}` : o.data?.["text/plain"] ?? ""))
    .join("");
}

/** Validates a notebook file with nbformat (the reference implementation, from the venv); throws if invalid. */
export function validateWithNbformat(path: string): void {
  execFileSync(python, ["-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path], { stdio: ["ignore", "ignore", "pipe"] });
}
