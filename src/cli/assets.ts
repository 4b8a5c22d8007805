// `sluice assets ls|show|history|lineage|gc` (see docs/pipelines.md).
import { Command } from "commander";
import { AssetStore, type Materialization } from "../store/index.js";
import { fail } from "./errors.js";
import { positiveInt } from "./options.js";

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n") + "\n";
}

/** Opens the store (read-only for the commands that only read: they work on a store that cannot be written). */
function withStore(flags: { store?: string }, fn: (store: AssetStore) => void | Promise<void>, options: { write?: boolean } = {}): () => Promise<void> {
  return async () => {
    let store: AssetStore | undefined;
    try {
      store = new AssetStore(flags.store, { readOnly: !options.write });
      await fn(store);
    } catch (error) {
      process.exitCode = fail(store ? store.explain(error) : error);
    } finally {
      store?.close();
    }
  };
}

function showText(m: Materialization, path: string, status: string): string {
  const lines = [
    `asset      ${m.key}`,
    `version    ${m.version}${m.partition ? `  partition ${m.partition}` : ""}`,
    `created    ${when(m.createdAt)}${m.runId ? `  run ${m.runId}` : ""}${m.op ? `  op ${m.op}` : ""}`,
    `data       ${path} (${m.format}, ${bytes(m.byteSize)}, ${status})`,
    m.rowCount !== undefined ? `rows       ${m.rowCount}` : "",
    m.dataVersion ? `data ver.  ${m.dataVersion}${m.codeVersion ? `  code ${m.codeVersion}` : ""}` : "",
    m.params && Object.keys(m.params).length ? `params     ${JSON.stringify(m.params)}` : "",
    m.inputs.length ? `inputs     ${m.inputs.map((i) => `${i.key}${i.partition ? `[${i.partition}]` : ""}@${i.version}`).join(", ")}` : "",
    m.schema ? `schema     ${m.schema.map((c) => `${c.name}: ${c.type}`).join(", ")}` : "",
  ].filter(Boolean);
  for (const [name, entry] of Object.entries(m.metadata)) lines.push(`meta       ${name} (${entry.type}): ${typeof entry.value === "string" ? entry.value : JSON.stringify(entry.value)}`);
  if (m.preview?.length) {
    const cols = Object.keys(m.preview[0]!);
    lines.push("preview");
    lines.push(table([cols, ...m.preview.map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? "" : typeof r[c] === "object" ? JSON.stringify(r[c]) : String(r[c]))))]).trimEnd().replace(/^/gm, "  "));
  }
  return lines.join("\n") + "\n";
}

/** The latest result of each check of the materialization's asset and partition (none when no check ran). */
async function checksOf(store: AssetStore, m: Materialization) {
  const { PipelineState } = await import("../pipeline/state.js");
  const { latestCheckResults } = await import("../pipeline/checks.js");
  const state = new PipelineState(store);
  try {
    return latestCheckResults(state, m.key, m.partition ?? "");
  } finally {
    state.close();
  }
}

export function register(program: Command): void {
  const cmd = program.command("assets").summary("list and inspect assets in the store (metadata, history, lineage), gc old versions");
  const storeOption = (c: Command) => c.option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)");

  storeOption(cmd.command("ls").description("Every asset with its latest materialization.").option("--json", "as JSON")).action((flags: { store?: string; json?: boolean }) =>
    withStore(flags, (store) => {
      const assets = store.list();
      if (flags.json) {
        const out = assets.map((a) => ({ key: a.key, materializations: a.materializations, partitions: a.partitions, latest: { version: a.latest.version, partition: a.latest.partition, createdAt: a.latest.createdAt, rowCount: a.latest.rowCount, byteSize: a.latest.byteSize, runId: a.latest.runId, op: a.latest.op } }));
        return void process.stdout.write(JSON.stringify(out, null, 1) + "\n");
      }
      if (assets.length === 0) return void process.stdout.write(`no assets in ${store.root}\n`);
      process.stdout.write(
        table([
          ["asset", "versions", "partitions", "latest", "rows", "size", "op"],
          ...assets.map((a) => [a.key, String(a.materializations), String(a.partitions), when(a.latest.createdAt), a.latest.rowCount === undefined ? "" : String(a.latest.rowCount), bytes(a.latest.byteSize), a.latest.op ?? ""]),
        ]),
      );
    })(),
  );

  storeOption(
    cmd.command("show").description("The latest (or a given) materialization of KEY: metadata, schema, preview, lineage.").argument("<key>").option("--partition <p>").option("--version <v>").option("--json", "as JSON"),
  ).action((key: string, flags: { store?: string; partition?: string; version?: string; json?: boolean }) =>
    withStore(flags, async (store) => {
      const m = flags.version ? store.version(flags.version) : store.latest(key, { partition: flags.partition });
      let status = "ok";
      if (!m || m.key !== key.replace(/^\/+|\/+$/g, "")) {
        store.resolve(key, { partition: flags.partition, version: flags.version }); // throws the "not found" error with suggestions
        return;
      }
      try {
        store.verify(m);
      } catch (error) {
        status = (error as Error).message;
        process.exitCode = 1;
      }
      const checks = await checksOf(store, m);
      if (flags.json) return void process.stdout.write(JSON.stringify({ ...m, absolutePath: store.absolutePath(m), status, checks }, null, 1) + "\n");
      process.stdout.write(showText(m, store.absolutePath(m), status === "ok" ? "ok" : "DAMAGED"));
      for (const c of checks) {
        process.stdout.write(`check      ${c.check}: ${c.passed ? "passed" : "FAILED"}${c.blocking ? " (blocking)" : ""}${c.description ? ` — ${c.description}` : ""}${c.version !== m.version ? ` [of version ${c.version}]` : ""}\n`);
      }
      if (status !== "ok") process.stderr.write(`error: ${status}\n`);
    })(),
  );

  storeOption(
    cmd
      .command("stale")
      .description(
        "The assets with a freshness target (pipeline(…, { freshness: [freshness(KEY, \"26h\")] }) in FILE…) whose latest materialization is " +
          "older than it, and why: never materialized, a failing check, a failed run of its op, no new upstream data. Exit code 1 when one is overdue.",
      )
      .argument("<files...>", "pipeline definition files that declare freshness targets")
      .option("--all", "also list the assets that are fresh")
      .option("--json", "as JSON"),
  ).action((files: string[], flags: { store?: string; all?: boolean; json?: boolean }) =>
    withStore(flags, async (store) => {
      const { loadPipelineFile } = await import("../pipeline/load.js");
      const { PipelineState } = await import("../pipeline/state.js");
      const { freshnessStatus, formatAge } = await import("../pipeline/freshness.js");
      const policies = [];
      for (const file of files) policies.push(...(await loadPipelineFile(file)).options.freshness);
      const state = new PipelineState(store);
      let statuses;
      try {
        statuses = freshnessStatus(store, state, policies);
      } finally {
        state.close();
      }
      if (statuses.some((s) => s.overdue)) process.exitCode = 1;
      const shown = flags.all ? statuses : statuses.filter((s) => s.overdue);
      if (flags.json) return void process.stdout.write(JSON.stringify(shown, null, 1) + "\n");
      if (policies.length === 0) return void process.stdout.write(`the pipelines in ${files.join(", ")} declare no freshness targets; add { freshness: [freshness("KEY", "26h")] } to pipeline(…).\n`);
      if (shown.length === 0) return void process.stdout.write(`all ${statuses.length} asset(s) with a freshness target are fresh\n`);
      for (const s of shown) {
        process.stdout.write(`${s.asset}  ${s.overdue ? "OVERDUE" : "fresh"}  ${s.ageMs === undefined ? "never materialized" : `last ${when(s.lastMaterializedAt!)} (${formatAge(s.ageMs)} ago)`}, target ${formatAge(s.maxAgeMs)}\n`);
        for (const r of s.reasons) process.stdout.write(`  - ${r}\n`);
      }
    })(),
  );

  storeOption(cmd.command("history").description("Materializations of KEY, newest first.").argument("<key>").option("--partition <p>").option("--limit <n>", "how many", positiveInt, 50).option("--json", "as JSON")).action(
    (key: string, flags: { store?: string; partition?: string; limit: number; json?: boolean }) =>
      withStore(flags, (store) => {
        const history = store.history(key, { partition: flags.partition, limit: flags.limit });
        if (flags.json) return void process.stdout.write(JSON.stringify(history.map(({ preview: _p, ...m }) => m), null, 1) + "\n");
        if (history.length === 0) store.resolve(key);
        process.stdout.write(
          table([
            ["version", "partition", "created", "rows", "size", "run", "op", "data version"],
            ...history.map((m) => [m.version, m.partition ?? "", when(m.createdAt), m.rowCount === undefined ? "" : String(m.rowCount), bytes(m.byteSize), m.runId ?? "", m.op ?? "", m.dataVersion ?? ""]),
          ]),
        );
      })(),
  );

  storeOption(cmd.command("lineage").description("What KEY was computed from (upstream) and what uses it (downstream).").argument("<key>").option("--json", "as JSON")).action(
    (key: string, flags: { store?: string; json?: boolean }) =>
      withStore(flags, (store) => {
        const l = store.lineage(key);
        if (flags.json) return void process.stdout.write(JSON.stringify(l, null, 1) + "\n");
        if (!store.latest(key)) store.resolve(key);
        const lines = [`lineage of ${l.key}`, "upstream:"];
        for (const n of l.upstream) lines.push(`  ${"  ".repeat(n.depth - 1)}← ${n.key}`);
        if (!l.upstream.length) lines.push("  (none: a source asset)");
        lines.push("downstream:");
        for (const n of l.downstream) lines.push(`  ${"  ".repeat(n.depth - 1)}→ ${n.key}`);
        if (!l.downstream.length) lines.push("  (none)");
        if (l.inputs.length) lines.push("latest version computed from:", ...l.inputs.map((i) => `  ${i.key}${i.partition ? `[${i.partition}]` : ""} @ ${i.version}`));
        process.stdout.write(lines.join("\n") + "\n");
      })(),
  );

  storeOption(
    cmd
      .command("gc")
      .description(
        "Delete all but the newest versions of every asset and partition (their data files and sidecars), and temporary files of crashed writers. " +
          "Data files the catalog does not know are kept unless --include-orphans (they may be data whose catalog rows were lost: see `sluice store verify`).",
      )
      .option("--keep-last <n>", "versions to keep per asset and partition, at least 1", positiveInt, 5)
      .option("--include-orphans", "also delete data files the catalog does not account for (older than 10 minutes)"),
  ).action((flags: { store?: string; keepLast: number; includeOrphans?: boolean }) =>
    withStore(
      flags,
      (store) => {
        const r = store.gc({ keepLast: flags.keepLast, includeOrphans: flags.includeOrphans ?? false });
        process.stdout.write(`deleted ${r.deletedVersions} versions, ${r.deletedFiles} files, freed ${bytes(r.freedBytes)}\n`);
        if (r.keptOrphans) {
          process.stdout.write(`kept ${r.keptOrphans} data file(s) the catalog does not know (list them with \`sluice store verify\`; recover them with \`sluice store rebuild --force\` or delete them with --include-orphans)\n`);
        }
      },
      { write: true },
    )(),
  );
}
