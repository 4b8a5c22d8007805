// `sluice step exec SPEC.json|-` (docs/cli.md): runs one pipeline step from a runner's step spec and prints
// its result as one JSON line on stdout (logs go to stderr). Exit 0 the step succeeded, 1 it failed,
// 2 the spec was refused (malformed, other code version, store not mounted), 130/143 stopped.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { fail } from "./errors.js";
import { StepSpecError } from "../pipeline/errors.js";
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
}

function readSpec(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new StepSpecError(`cannot read step spec ${path === "-" ? "from stdin" : path}: ${e.code === "ENOENT" ? "no such file" : e.message}.`);
  }
}
