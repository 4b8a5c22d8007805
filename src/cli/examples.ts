// `sluice examples [--size small|full] [NAME...]` — what `npm start` runs: the example pipelines in
// notebooks/ on embedded DuckDB into the asset store (./.sluice), with live progress and a summary.
// The Sluice kernelspec is written into a private Jupyter data dir inside the store and put first on
// JUPYTER_PATH, so a fresh checkout needs no `sluice kernel install` step.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { install } from "../../kernel/kernelspec.js";
import { PipelineError } from "../pipeline/errors.js";
import type { PipelineEvent, RunOptions, RunResult, Pipeline } from "../pipeline/index.js";
import type { AssetStore } from "../store/index.js";
import { SluiceError } from "../errors.js";
import { fail } from "./errors.js";
import { handleStopSignals } from "./signals.js";

export type ExampleSize = "small" | "full";

export interface Example {
  name: string;
  title: string;
  /** Print the run's Gantt chart as text in the summary (when the schedule is the point of the example). */
  textGantt?: boolean;
  /** Something worth seeing in the summary, read from the store after the run. */
  note?(store: AssetStore): string | undefined;
  /** Run options for a size (partitions to backfill, …). */
  runOptions(size: ExampleSize): Pick<RunOptions, "backfill" | "partition">;
}

/** In the order `npm start` runs them: the quick ones first, so a newcomer sees results early. */
export const EXAMPLES: readonly Example[] = [
  {
    name: "lazy-handoff",
    title: "Lazy hand-off: function ops pass lazy frames; the filters meet in one plan",
    // The point of the example: both filters of the chain in one scan of the optimized plan.
    note: (store) => {
      const plan = store.latest("lazy_handoff/over_60")?.metadata.optimized_plan?.value;
      return typeof plan === "string" ? `optimized plan of lazy_handoff/over_60:\n${plan.replace(/```\n?/g, "").trimEnd()}` : undefined;
    },
    runOptions: () => ({}),
  },
  {
    name: "batch-etl",
    title: "Batch ETL: a CSV split into batches by dynamic mapping, extract → transform → load by priority",
    textGantt: true,
    runOptions: () => ({}),
  },
  {
    name: "clickstream",
    title: "Clickstream: hive-partitioned page views aggregated per customer, url and hour; NDJSON export",
    // One day, hour by hour: 24 partitions, run in parallel up to the pipeline's concurrency.
    runOptions: () => ({ backfill: "2024-03-01T00..2024-03-01T23" }),
  },
  { name: "catalog", title: "Catalog matching: two movie catalogs joined by Jaccard similarity; ratings compared", runOptions: () => ({}) },
];

/** The repository's notebooks/ folder (dist/src/cli → ../../../notebooks); SLUICE_EXAMPLES_DIR points elsewhere (tests). */
export function examplesDir(): string {
  return process.env.SLUICE_EXAMPLES_DIR ? resolve(process.env.SLUICE_EXAMPLES_DIR) : fileURLToPath(new URL("../../../notebooks/", import.meta.url));
}

export function exampleFile(name: string): string {
  return join(examplesDir(), name, "pipeline.ts");
}

/** An unknown example name or --size (exit 2). */
export class ExampleUsageError extends SluiceError {}

/** Writes the Sluice kernelspec into <store>/jupyter and puts it first on JUPYTER_PATH (this process and its kernels). */
export function useStoreKernel(storeRoot: string): string {
  const prefix = join(storeRoot, "jupyter");
  install({ prefix });
  const dataDir = join(prefix, "share", "jupyter");
  const rest = (process.env.JUPYTER_PATH ?? "").split(delimiter).filter((d) => d && d !== dataDir);
  process.env.JUPYTER_PATH = [dataDir, ...rest].join(delimiter);
  return dataDir;
}

interface ExampleFlags {
  size: string;
  store?: string;
  force?: boolean;
  verbose?: boolean;
  list?: boolean;
}

export type ExampleOutcome =
  | { example: Example; pipeline: Pipeline; result: RunResult; error?: undefined }
  /** The pipeline could not be loaded or started (the other examples still run). */
  | { example: Example; pipeline?: undefined; result?: undefined; error: string };

const isTty = () => Boolean(process.stdout.isTTY);

/** Compact live view: a line per single node as it ends, one line per partitioned or mapped op at the end
 * of the run, failures at once; on a terminal, a status line in between. */
function compactReporter(name: string, verbose: boolean, write: (t: string) => void): (event: PipelineEvent) => void {
  let status = "";
  let lastPlain = 0;
  const clear = () => {
    if (status) write("\r\x1b[2K");
    status = "";
  };
  const progress = (text: string) => {
    if (isTty()) {
      status = text.slice(0, (process.stdout.columns ?? 100) - 1);
      write(`\r\x1b[2K${status}`);
    } else if (Date.now() - lastPlain > 5000) {
      lastPlain = Date.now();
      write(`${text}\n`);
    }
  };
  const line = (n: { id: string; status: string; startedAt?: number; endedAt?: number; reason?: string }) => {
    const ms = n.startedAt !== undefined && n.endedAt !== undefined ? ` (${((n.endedAt - n.startedAt) / 1000).toFixed(1)} s)` : "";
    const mark = n.status === "succeeded" ? "✓" : n.status === "skipped" || n.status === "reused" ? "↷" : "✗";
    return `  ${mark} ${n.id}: ${n.status === "skipped" ? "up to date" : n.status.replace("_", " ")}${n.status === "succeeded" ? ms : ""}\n`;
  };
  return (event) => {
    switch (event.type) {
      case "node.log":
        if (verbose) (clear(), write(`    ${event.node.id}: ${event.text.replace(/\n/g, "\n      ")}\n`));
        return;
      case "node.retry":
        return void (clear(), write(`  ↻ ${event.node.id}: attempt ${event.attempt} failed (${event.error}); retrying\n`));
      case "node.start":
      case "node.end": {
        const c = event.counts;
        const total = Object.values(c).reduce((a, b) => a + b, 0);
        const n = event.node;
        if (event.type === "node.end" && n.status === "failed") (clear(), write(`  ✗ ${n.id} failed: ${n.error}\n`));
        else if (event.type === "node.end" && n.partition === undefined && n.mappingKey === undefined) (clear(), write(line(n)));
        progress(`  [${name}] ${total - c.pending - c.running}/${total} nodes done · ${c.running} running · ${n.id} ${n.status.replace("_", " ")}`);
        return;
      }
      case "run.end": {
        clear();
        const groups = new Map<string, RunResult["summaries"]>();
        for (const s of event.result.summaries) if (s.partition !== undefined || s.item !== undefined) groups.set(s.op, [...(groups.get(s.op) ?? []), s]);
        for (const [op, nodes] of groups) {
          const ran = nodes.filter((n) => n.status === "succeeded").length;
          const upToDate = nodes.filter((n) => n.status === "skipped" || n.status === "reused").length;
          const failed = nodes.length - ran - upToDate;
          const starts = nodes.map((n) => n.startedAt).filter((t): t is number => t !== undefined);
          const ends = nodes.map((n) => n.endedAt).filter((t): t is number => t !== undefined);
          const span = starts.length && ends.length ? ` in ${((Math.max(...ends) - Math.min(...starts)) / 1000).toFixed(1)} s` : "";
          const what = [ran ? `${ran} ran` : "", upToDate ? `${upToDate} up to date` : "", failed ? `${failed} failed or not run` : ""].filter(Boolean).join(", ");
          write(`  ${failed ? "✗" : ran ? "✓" : "↷"} ${op} ×${nodes.length}: ${what}${span}\n`);
        }
        return;
      }
    }
  };
}

function pick(names: string[]): Example[] {
  if (names.length === 0) return [...EXAMPLES];
  return names.map((name) => {
    const found = EXAMPLES.find((e) => e.name === name);
    if (!found) throw new ExampleUsageError(`no example named ${JSON.stringify(name)}; examples are ${EXAMPLES.map((e) => e.name).join(", ")}.`);
    return found;
  });
}

/** Rows of the latest materialization of each partition, summed; and how many partitions. */
function assetRows(store: AssetStore, key: string): { rows: number | undefined; partitions: number } {
  const partitions = store.partitions(key);
  const latest = partitions.length ? partitions.map((p) => store.latest(key, { partition: p })) : [store.latest(key)];
  const known = latest.filter((m) => m !== undefined);
  if (known.length === 0) return { rows: undefined, partitions: 0 };
  const rows = known.every((m) => m.rowCount !== undefined) ? known.reduce((s, m) => s + (m.rowCount ?? 0), 0) : undefined;
  return { rows, partitions: partitions.length };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => "    " + r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

/** The nodes that ran as bars on a shared time axis: a terminal version of runs/<id>/gantt.vl.json. */
export function textGantt(result: RunResult, width = 48): string {
  const ran = result.summaries.filter((n) => n.status === "succeeded" && n.startedAt !== undefined && n.endedAt !== undefined);
  if (ran.length === 0) return "    (nothing ran: every op was up to date)";
  const t0 = Math.min(...ran.map((n) => n.startedAt!));
  const span = Math.max(1, Math.max(...ran.map((n) => n.endedAt!)) - t0);
  const label = Math.min(28, Math.max(...ran.map((n) => n.id.length)));
  const rows = [...ran].sort((a, b) => a.startedAt! - b.startedAt!).map((n) => {
    const from = Math.floor(((n.startedAt! - t0) / span) * width);
    const to = Math.max(from + 1, Math.round(((n.endedAt! - t0) / span) * width));
    return `    ${n.id.slice(0, label).padEnd(label)} │${" ".repeat(from)}${"█".repeat(to - from)}${" ".repeat(Math.max(0, width - to))}│`;
  });
  return [`    ${"".padEnd(label)} 0 s${" ".repeat(width - 6)}${(span / 1000).toFixed(1)} s`, ...rows].join("\n");
}

export function summaryText(store: AssetStore, outcomes: ExampleOutcome[], storeIsDefault = true): string {
  const cwd = process.cwd();
  const rel = (p: string) => (p.startsWith(cwd) ? relative(cwd, p) || "." : p);
  // Commands to explore the store need --store only when it is not the one they open by default.
  const flag = storeIsDefault ? "" : ` --store ${rel(store.root)}`;
  const lines: string[] = ["", "Summary"];
  for (const { example, pipeline, result, error } of outcomes) {
    if (error !== undefined) {
      lines.push(`  ✗ ${example.name} — did not run: ${error}`);
      continue;
    }
    const c = result.counts;
    lines.push(
      `  ${result.status === "succeeded" ? "✓" : "✗"} ${example.name} — run ${result.runId} ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s ` +
        `(${c.succeeded} ran, ${c.skipped + c.reused} up to date${c.failed + c.upstream_failed ? `, ${c.failed} failed, ${c.upstream_failed} not run` : ""})`,
    );
    const rows = [["asset", "partitions", "rows"]];
    for (const op of pipeline.ops) {
      for (const out of op.outputs) {
        if (!out.materialize) continue;
        const { rows: n, partitions } = assetRows(store, out.key);
        rows.push([out.key, partitions ? String(partitions) : "-", n === undefined ? "(none)" : n.toLocaleString("en-US")]);
      }
    }
    lines.push(table(rows).trimEnd());
    const notebooks = pipeline.ops.filter((op) => op.kind === "notebook");
    for (const op of notebooks) {
      const m = store.latest(`${op.name}/notebook`);
      if (!m) continue;
      const count = store.partitions(`${op.name}/notebook`).length;
      const where = count > 1 ? `${rel(join(store.root, "data", op.name, "notebook"))}/ (${count} partitions; latest ${m.version}.ipynb)` : rel(store.absolutePath(m));
      lines.push(`    executed notebook ${op.name}: ${where}`);
    }
    lines.push(`    Gantt chart: ${rel(result.ganttPath)} (vega-lite)`);
    if (example.textGantt) lines.push(textGantt(result));
    const note = example.note?.(store);
    if (note) lines.push(note.replace(/^/gm, "    "));
  }
  lines.push(
    "",
    `Store: ${rel(store.root)} — explore it with \`npx sluice assets ls${flag}\`, \`npx sluice assets show KEY${flag}\`, \`npx sluice pipeline runs${flag}\`;`,
    // The kernel starts in the notebook's folder, so the store is named explicitly for interactive use.
    `Open the notebooks in JupyterLab on this store: \`SLUICE_STORE=${store.root} npx sluice lab notebooks/\` (jupyter must be on PATH).`,
  );
  return lines.join("\n") + "\n";
}

export async function runExamples(names: string[], flags: ExampleFlags, write: (t: string) => void = (t) => process.stdout.write(t)): Promise<{ outcomes: ExampleOutcome[]; ok: boolean }> {
  if (flags.size !== "small" && flags.size !== "full") throw new ExampleUsageError(`--size ${JSON.stringify(flags.size)}: use small (the default, a minute or two) or full.`);
  const size = flags.size as ExampleSize;
  const chosen = pick(names);
  // The pipeline files read their size from here when they are loaded.
  process.env.SLUICE_EXAMPLE_SIZE = size;
  // Loaded on use: `--list` and a usage error do not pay for DuckDB and the runner.
  const { AssetStore } = await import("../store/index.js");
  const { loadPipelineFile } = await import("../pipeline/load.js");
  const { runPipeline } = await import("../pipeline/run.js");
  const store = new AssetStore(flags.store);
  const storeIsDefault = store.root === resolve(process.env.SLUICE_STORE ?? "./.sluice");
  process.env.SLUICE_STORE = store.root; // so kernels and notebooks opened on this store see it too
  const outcomes: ExampleOutcome[] = [];
  try {
    useStoreKernel(store.root);
    write(`Sluice examples (${size}) into ${store.root}\n`);
    for (const example of chosen) {
      const file = exampleFile(example.name);
      if (!existsSync(file)) throw new ExampleUsageError(`example ${example.name}: ${file} is missing.`);
      write(`\n▶ ${example.name}: ${example.title}\n`);
      try {
        const p = await loadPipelineFile(file);
        const reporter = compactReporter(example.name, flags.verbose ?? false, write);
        const result = await runPipeline(p, { store, force: flags.force, ...example.runOptions(size), reporter });
        outcomes.push({ example, pipeline: p, result });
      } catch (error) {
        // A broken example is reported and the next one runs; the exit code says something failed.
        if (!(error instanceof PipelineError)) throw error;
        write(`  ✗ ${error.message.replace(/\n/g, "\n    ")}\n`);
        outcomes.push({ example, error: error.message.replace(/\s*\n\s*/g, " ") });
      }
    }
    write(summaryText(store, outcomes, storeIsDefault));
  } finally {
    store.close();
  }
  return { outcomes, ok: outcomes.every((o) => o.result?.status === "succeeded") };
}

export function register(program: Command): void {
  program
    .command("examples")
    .description(
      "Run the example pipelines (notebooks/<name>/pipeline.ts) into the asset store, with progress and a summary; what `npm start` runs. " +
        "Up-to-date ops are skipped on a second run. Exit codes: 0 every example succeeded, 1 one failed, 2 bad usage.",
    )
    .argument("[names...]", `examples to run (default: all — ${EXAMPLES.map((e) => e.name).join(", ")})`)
    .option("--size <size>", "small (default; about a minute on 2 cores) or full (larger generated data)", "small")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .option("--force", "run every op even when its outputs are up to date")
    .option("--verbose", "print the ops' log lines (context.log) as they come, and the stack trace of an error")
    .option("--list", "list the examples and exit")
    .action(async (names: string[], own: ExampleFlags, command: Command) => {
      // `sluice --verbose examples` (the program's flag) counts too.
      const flags: ExampleFlags = { ...own, verbose: command.optsWithGlobals().verbose === true };
      if (flags.list) {
        for (const e of EXAMPLES) process.stdout.write(`${e.name.padEnd(14)} ${e.title}\n    ${relative(process.cwd(), exampleFile(e.name))}\n`);
        return;
      }
      // Exits at once (130/143); the kernels' exit hooks stop them, so none outlives the run.
      handleStopSignals((signal) => process.stderr.write(`\nsluice examples: ${signal}: stopping; what finished is stored, the next run goes on from there\n`), { graceMs: 0 });
      try {
        const { ok } = await runExamples(names, flags);
        process.exitCode = ok ? 0 : 1;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}
