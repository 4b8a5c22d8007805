// `sluice daemon FILE…` evaluates the schedules and sensors of pipelines and runs what is due;
// `sluice daemon status` shows their ticks, next runs and skips (see docs/pipelines.md).
import type { Command } from "commander";
import { fail } from "./errors.js";
import { positiveInt } from "./options.js";
import { handleStopSignals } from "./signals.js";

export function register(program: Command): void {
  const cmd = program
    .command("daemon")
    .summary("run pipelines on their schedules and sensors")
    .description(
      "Evaluate the schedules and sensors of the pipelines in FILE… and run what is due through the pipeline runner, " +
        "until stopped (Ctrl-C/SIGTERM). Ticks and cursors are kept in the store's catalog: a restarted daemon runs " +
        "every tick it missed once (see a schedule's catchUp) and never one twice. Exit codes: 0 stopped, 2 bad usage or an invalid pipeline.",
    )
    .argument("[files...]", "pipeline definition files")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .option("--interval <seconds>", "how often sensors are evaluated", positiveInt, 30)
    .option("--once", "evaluate once, run what is due, and exit (1 when a run failed)")
    .action(async (files: string[], flags: { store?: string; interval: number; once?: boolean }) => {
      process.exitCode = await daemonCommand(files, flags);
    });
  cmd
    .command("status")
    .description("Show each schedule's and sensor's recent ticks (runs, skips with their reasons), next run and last evaluation.")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .option("--limit <n>", "ticks shown per schedule or sensor", positiveInt, 5)
    .option("--json", "as JSON")
    .action(async (flags: { store?: string; limit: number; json?: boolean }) => {
      try {
        const { daemonStatus, formatDaemonStatus } = await import("../daemon/status.js");
        const { AssetStore } = await import("../store/index.js");
        const store = new AssetStore(flags.store, { readOnly: true });
        try {
          const status = daemonStatus(store, flags.limit);
          process.stdout.write(flags.json ? JSON.stringify(status, null, 1) + "\n" : formatDaemonStatus(status, Date.now()));
        } finally {
          store.close();
        }
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}

async function daemonCommand(files: string[], flags: { store?: string; interval: number; once?: boolean }): Promise<number> {
  const { PipelineUsageError } = await import("../pipeline/errors.js");
  if (files.length === 0) return fail(new PipelineUsageError("name the pipeline files whose schedules and sensors to run, e.g. `sluice daemon notebooks/clickstream/pipeline.ts`; `sluice daemon status` shows what it did."));
  const cancel = new AbortController();
  const stop = handleStopSignals((signal) => {
    process.stderr.write(`\nsluice daemon: ${signal}: stopping (running pipeline runs are cancelled; ${signal} again to quit at once)\n`);
    cancel.abort();
  }, { graceMs: 15_000 });
  let daemon: import("../daemon/daemon.js").Daemon | undefined;
  let store: import("../store/index.js").AssetStore | undefined;
  try {
    const { loadPipelineFile } = await import("../pipeline/load.js");
    const pipelines = [];
    for (const file of files) pipelines.push(await loadPipelineFile(file));
    const { AssetStore } = await import("../store/index.js");
    const { Daemon } = await import("../daemon/daemon.js");
    store = new AssetStore(flags.store);
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    daemon = new Daemon({ store, pipelines, log, runOptions: { signal: cancel.signal } });
    if (daemon.sourceIds.length === 0) throw new PipelineUsageError(`the pipelines in ${files.join(", ")} declare no schedules or sensors; add pipeline(name, ops, { schedules: [schedule({...})], sensors: [...] }).`);
    log(`sluice daemon: ${daemon.sourceIds.join(", ")} (store ${store.root})`);
    if (flags.once) {
      const outcomes = await daemon.evaluate();
      return stop.exitCode ?? (outcomes.some((o) => o.status === "failed") ? 1 : 0);
    }
    await daemon.runForever(cancel.signal, flags.interval * 1000);
    return stop.exitCode ?? 0;
  } catch (error) {
    return stop.exitCode ?? fail(error);
  } finally {
    stop.dispose();
    daemon?.close();
    store?.close();
  }
}
