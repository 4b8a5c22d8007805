// Runs a fragment as a `node` child process of the driver (the local mode, and what a Ray task runs too).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkerResult, WorkerSpec } from "./protocol.js";

/** The worker's built file: next to this module in dist/, or dist/'s copy when running from the sources (tests). */
export function workerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "worker.js");
  if (existsSync(beside)) return beside;
  const root = join(here, "..", "..", "..");
  return join(root, "dist", "src", "engine", "fragments", "worker.js");
}

/** Why a fragment's process ended without a result: a lost worker (retry) or its own error (no retry). */
export class FragmentLost extends Error {}

/** Runs the worker with `spec`; rejects with FragmentLost when the process died without answering. */
export function runWorkerProcess(spec: WorkerSpec, signal: AbortSignal): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new FragmentLost("cancelled before it started"));
    const child = spawn(process.execPath, [workerPath()], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    const abort = () => child.kill("SIGTERM");
    signal.addEventListener("abort", abort, { once: true });
    child.on("error", (err) => reject(err));
    child.on("close", (code, sig) => {
      signal.removeEventListener("abort", abort);
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        if (line.startsWith("{")) return resolve(JSON.parse(line) as WorkerResult);
      } catch {
        // not a result line: the process died part-way
      }
      reject(new FragmentLost(`fragment process ${child.pid} ended (${sig ?? `exit ${code}`}) without a result${stderr ? `: ${stderr.trim()}` : ""}`));
    });
    child.stdin.end(JSON.stringify(spec));
  });
}
