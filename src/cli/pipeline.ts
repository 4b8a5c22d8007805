// `sluice pipeline run|show|runs` (see docs/pipelines.md).
import { Command } from "commander";
import type { AssetStore } from "../store/index.js";
import type { RunOptions } from "../pipeline/index.js";
import type { Executor } from "../pipeline/executors/index.js";
import { fail } from "./errors.js";
import { positiveInt } from "./options.js";
import { handleStopSignals } from "./signals.js";

/** The run options as flags, except that the store is a folder. */
type RunFlags = Pick<RunOptions, "partition" | "backfill" | "maxConcurrency" | "force" | "fromFailure" | "only"> & { store?: string; json?: boolean; executor?: string; address?: string };

export function register(program: Command): void {
  const cmd = program.command("pipeline").summary("run and inspect pipelines of notebook and function ops");
  cmd
    .command("run")
    .description(
      "Run the pipeline exported by FILE (a .ts/.js file with `export default pipeline(...)`). Up-to-date ops are skipped " +
        "(data version = hash of code, parameters and input versions). Exit codes: 0 all ops succeeded or were up to date, " +
        "1 an op failed, 2 bad usage or an invalid pipeline, 130/143 stopped by Ctrl-C/SIGTERM (running notebook ops are " +
        "interrupted, their kernels stopped, the run recorded as cancelled).",
    )
    .argument("<file>", "pipeline definition file")
    .option("--partition <key>", "run the partitioned ops for this partition key")
    .option("--backfill <from..to>", "run every partition from FROM to TO (inclusive)")
    .option("--max-concurrency <n>", "ops running at once (default: the pipeline's maxConcurrency)", positiveInt)
    .option("--force", "run ops even when their outputs are up to date")
    .option("--from-failure <runId>", "re-run only the ops of that run that failed or never ran")
    .option("--only <ops...>", "run only these ops, with inputs from the store")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .option("--json", "print the run summary as JSON at the end (the live view goes to stderr)")
    .option("--executor <name>", "where steps run: in-process (default), subprocess (a `sluice step exec` child per step), ray")
    .option("--address <host:port>", "--executor ray: the Ray head (default $SLUICE_RAY_ADDRESS)")
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await runCommand(file, flags);
    });
  cmd
    .command("show")
    .description("Print the pipeline's DAG as text (or --vega: a vega-lite spec of it).")
    .argument("<file>", "pipeline definition file")
    .option("--vega", "print a vega-lite JSON spec instead of text")
    .action(async (file: string, flags: { vega?: boolean }) => {
      try {
        // Loaded on use, the file first: a usage error, a file that does not compile or `pipeline runs`
        // does not pay for DuckDB and the runner (a pipeline file loads them when it imports "sluice").
        const { loadPipelineFile } = await import("../pipeline/load.js");
        const p = await loadPipelineFile(file);
        const { describePipeline, pipelineSpec } = await import("../pipeline/describe.js");
        process.stdout.write(flags.vega ? JSON.stringify(pipelineSpec(p), null, 1) + "\n" : describePipeline(p));
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
  cmd
    .command("runs")
    .description("List recent pipeline runs in the store.")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .option("--limit <n>", "how many", positiveInt, 20)
    .option("--json", "as JSON")
    .action(async (flags: { store?: string; limit: number; json?: boolean }) => {
      const { AssetStore } = await import("../store/index.js");
      const store = new AssetStore(flags.store, { readOnly: true });
      try {
        const runs = store.runs({ limit: flags.limit });
        if (flags.json) return void process.stdout.write(JSON.stringify(runs.map(({ summary: _s, ...r }) => r), null, 1) + "\n");
        for (const r of runs) process.stdout.write(`${r.runId}  ${r.pipeline}  ${r.status}${r.abandoned ? " (abandoned)" : ""}  ${new Date(r.startedAt).toISOString()}${r.endedAt ? `  ${r.endedAt - r.startedAt} ms` : ""}\n`);
      } finally {
        store.close();
      }
    });
}

async function runCommand(file: string, flags: RunFlags): Promise<number> {
  let store: AssetStore | undefined;
  const cancel = new AbortController();
  // Give interrupted notebooks time to save and their kernels time to stop; then exit regardless.
  const stop = handleStopSignals((signal) => {
    process.stderr.write(`\nsluice pipeline: ${signal}: cancelling the run (running notebook ops are interrupted; ${signal} again to quit at once)\n`);
    cancel.abort();
  }, { graceMs: 15_000 });
  let executor: Executor | undefined;
  try {
    // Chosen first: a bad choice is refused before anything loads, and a cluster is connected to while the pipeline loads.
    executor = flags.executor || flags.address ? await (await import("../pipeline/executors/index.js")).createExecutor(flags.executor ?? "ray", { address: flags.address }) : undefined;
    executor?.prepare?.({ pipelineFile: file });
    const { loadPipelineFile } = await import("../pipeline/load.js");
    const p = await loadPipelineFile(file);
    const { runPipeline } = await import("../pipeline/run.js");
    const { AssetStore } = await import("../store/index.js");
    store = new AssetStore(flags.store);
    const { consoleReporter } = await import("../pipeline/report.js");
    const reporter = consoleReporter(flags.json ? (t) => process.stderr.write(t) : undefined);
    const result = await runPipeline(p, {
      store,
      partition: flags.partition,
      backfill: flags.backfill,
      maxConcurrency: flags.maxConcurrency,
      force: flags.force,
      fromFailure: flags.fromFailure,
      only: flags.only,
      reporter,
      signal: cancel.signal,
      executor,
    });
    if (flags.json) {
      process.stdout.write(JSON.stringify({ runId: result.runId, status: result.status, counts: result.counts, durationMs: result.durationMs, ganttPath: result.ganttPath, nodes: result.summaries, checks: result.checks }, null, 1) + "\n");
    }
    return stop.exitCode ?? (result.status === "succeeded" ? 0 : 1);
  } catch (error) {
    return stop.exitCode ?? fail(error);
  } finally {
    stop.dispose();
    store?.close();
    await executor?.close?.().catch(() => {}); // the run closed it already, unless it never started
  }
}
