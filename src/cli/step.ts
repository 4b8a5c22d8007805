// `sluice step exec SPEC.json|-` (docs/cli.md): runs one pipeline step from a runner's step spec and prints
// its result as one JSON line on stdout (logs go to stderr). Exit 0 the step succeeded, 1 it failed,
// 2 the spec was refused (malformed, other code version, store not mounted), 130/143 stopped.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fail } from "./errors.js";
import { StepSpecError } from "../pipeline/errors.js";
import type { StepServeWarmUp } from "../pipeline/executors/types.js";
import { handleStopSignals } from "./signals.js";

export function register(program: Command): void {
  const cmd = program.command("step").summary("run one pipeline step from a step spec (what remote executors call)");
  cmd
    .command("exec")
    .description(
      "Run one step of a pipeline from its JSON step spec (a file, or - for stdin), as the runner's subprocess and Ray " +
        "executors do on a node with the same code at the same path. Writes the step's data files under the store (not " +
        "recorded in the catalog: the runner does that) and prints one JSON result line on stdout. Exit codes: 0 the step " +
        "succeeded, 1 it failed, 2 the spec was refused (malformed, a different code version, the store not mounted), " +
        "130/143 stopped by Ctrl-C/SIGTERM.",
    )
    .argument("<spec>", "step spec JSON file, or - to read it from stdin")
    .action(async (specPath: string) => {
      const { execStep, parseStepSpec } = await import("../pipeline/executors/exec.js");
      const { stepResult, resultJson } = await import("../pipeline/executors/result.js");
      const stop = new AbortController();
      // The notebook of a notebook op is interrupted and its kernel stopped; the result is still printed.
      const signals = handleStopSignals(() => stop.abort(), { graceMs: 5_000 });
      let stepId = "";
      let attempt = 0;
      try {
        const text = readSpec(specPath);
        const spec = parseStepSpec(text, specPath === "-" ? "the spec on stdin" : `spec ${specPath}`);
        ({ stepId, attempt } = spec);
        const result = await execStep(spec, { signal: stop.signal, log: (line) => process.stderr.write(`${line}\n`) });
        process.stdout.write(resultJson(result) + "\n");
        process.exitCode = signals.exitCode ?? (result.ok ? 0 : 1);
      } catch (error) {
        // A refused step still answers in JSON, so that a remote caller reads the typed reason.
        process.stdout.write(resultJson(stepResult({ stepId, attempt }, { files: [], error })) + "\n");
        process.exitCode = fail(error);
      } finally {
        signals.dispose();
      }
    });
  cmd
    .command("serve")
    .description(
      "A warm step process (what the Ray executor keeps on each Ray worker): reads one JSON step spec per line on stdin, " +
        "runs the steps one after another like `sluice step exec`, and answers one JSON result line per spec on the file " +
        "descriptor --result-fd (stdout and stderr stay the steps' own). The pipeline is loaded once per code version; after 32 loads " +
        "the process exits once its step is answered (loaded modules stay in memory), and its Ray worker starts a fresh one. " +
        "Exits when stdin closes, on SIGTERM/SIGINT (the running step is stopped), or within a second of its parent's death.",
    )
    .option("--result-fd <fd>", "file descriptor the result lines are written to (inherited from the parent)", "1")
    .action(async (opts: { resultFd: string }) => {
      const fd = Number(opts.resultFd);
      if (!Number.isInteger(fd) || fd < 1) throw new StepSpecError(`--result-fd must be a file descriptor number ≥ 1, got ${opts.resultFd}.`);
      await serveSteps(fd);
    });
}

/** `sluice step serve`: the loop of a warm step process (docs/scaling.md "Cost per step"). */
async function serveSteps(fd: number): Promise<void> {
  const { writeSync } = await import("node:fs");
  const { createInterface } = await import("node:readline");
  const { PipelineCache, execStep, loadPipeline, parseStepSpec } = await import("../pipeline/executors/exec.js");
  const { stepResult, resultJson } = await import("../pipeline/executors/result.js");
  // Every pipeline version loaded stays in memory (Node cannot unload modules), and through the cluster's agent this
  // process lives as long as the cluster: after this many loads it exits once its step is answered, and the next
  // step on its Ray worker starts a fresh one.
  const MAX_LOADS = 32;
  const pipelines = new PipelineCache();
  let stop = new AbortController();
  let stopping = false;
  const onStop = (code: number) => () => {
    if (stopping) process.exit(code);
    stopping = true;
    stop.abort();
    setTimeout(() => process.exit(code), 5_000).unref();
  };
  process.on("SIGINT", onStop(130));
  process.on("SIGTERM", onStop(143));
  // A warm process must not outlive the one that started it (a Ray worker killed, a node lost): its
  // steps would keep running with nobody to answer. Linux reparents orphans, which changes ppid.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(143), 250).unref();
  const write = (line: string) => {
    const buf = Buffer.from(line + "\n");
    for (let off = 0; off < buf.length; ) {
      try {
        off += writeSync(fd, buf, off);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      }
    }
  };
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!text.trim()) continue;
    let stepId = "";
    let attempt = 0;
    const warmUp = asWarmUp(text);
    if (warmUp) {
      // Sent by the Ray executor when it connects, before the run has steps: load what a step needs now.
      await (await import("../store/parquet.js")).withDuckDB(async (c) => void (await c.run("SELECT 1")));
      // A pipeline that does not load is reported by the first step that names it.
      if (warmUp.pipelineFile && isAbsolute(warmUp.pipelineFile)) await loadPipeline(warmUp.pipelineFile, pipelines).catch(() => {});
      write(JSON.stringify({ warm: true }));
      continue;
    }
    try {
      const spec = parseStepSpec(text, "the spec on stdin");
      ({ stepId, attempt } = spec);
      // The log lines travel in the result's events (stderr is the node's, not the runner's).
      write(resultJson(await execStep(spec, { signal: stop.signal, pipelines })));
    } catch (error) {
      write(resultJson(stepResult({ stepId, attempt }, { files: [], error })));
    }
    if (stopping || pipelines.loads >= MAX_LOADS) break;
    stop = new AbortController();
  }
  process.exit(stopping ? 143 : 0);
}

/** A warm-up line (`StepServeWarmUp`), or undefined for anything else (a step spec). */
function asWarmUp(text: string): StepServeWarmUp | undefined {
  if (!text.includes('"warmUp"')) return undefined;
  try {
    const x = JSON.parse(text) as Partial<StepServeWarmUp> | null;
    return x?.warmUp === true ? { warmUp: true, ...(typeof x.pipelineFile === "string" ? { pipelineFile: x.pipelineFile } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

function readSpec(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new StepSpecError(`cannot read step spec ${path === "-" ? "from stdin" : path}: ${e.code === "ENOENT" ? "no such file" : e.message}.`);
  }
}
