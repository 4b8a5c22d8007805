// `sluice store verify|rebuild|migrate`: check the catalog against the data files, recreate a lost or
// corrupt catalog from the files' sidecars (docs/pipelines.md, "The asset store"), and copy the catalog
// between SQLite and PostgreSQL (docs/catalog.md).
import { Command } from "commander";
import { AssetStore, migrateCatalog, rebuildCatalog, verifyStore } from "../store/index.js";
import { fail } from "./errors.js";

export function register(program: Command): void {
  const cmd = program.command("store").summary("check the asset store (catalog against data files) and rebuild a lost or corrupt catalog");
  const storeOption = (c: Command) => c.option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)");

  storeOption(
    cmd
      .command("verify")
      .description(
        "Check the catalog (SQLite quick_check) and every version's data file (present, size, Parquet magic), and list data files the catalog " +
          "does not know. Exit 0 when all is well, 1 when a problem was found. Reads only, unless --write-sidecars.",
      )
      .option("--write-sidecars", "first write the .meta.json sidecar of every version that has none (stores from before sidecars), so a rebuild can recover it whole")
      .option("--json", "as JSON"),
  ).action((flags: { store?: string; json?: boolean; writeSidecars?: boolean }) => {
    try {
      if (flags.writeSidecars) {
        const store = new AssetStore(flags.store);
        try {
          process.stderr.write(`wrote ${store.writeMissingSidecars()} sidecar(s)\n`);
        } finally {
          store.close();
        }
      }
      const r = verifyStore(flags.store);
      if (flags.json) process.stdout.write(JSON.stringify(r, null, 1) + "\n");
      else {
        const lines = [`store ${r.root}: ${r.versions} version(s) in the catalog, ${r.files} data file(s)`];
        for (const p of r.problems) lines.push(`  ${p.kind}  ${p.path}: ${p.detail}`);
        for (const note of r.notes) lines.push(`  note: ${note}`);
        lines.push(r.problems.length ? `${r.problems.length} problem(s).` : "ok");
        if (r.problems.some((p) => p.kind === "catalog")) lines.push(`Recreate the catalog from the data files with \`sluice store rebuild --store ${r.root}\`.`);
        process.stdout.write(lines.join("\n") + "\n");
      }
      process.exitCode = r.problems.length ? 1 : 0;
    } catch (error) {
      process.exitCode = fail(error);
    }
  });

  storeOption(
    cmd
      .command("rebuild")
      .description(
        "Recreate the catalog from the data files and their .meta.json sidecars (keys, partitions, versions, lineage, metadata). The old catalog " +
          "is moved aside as catalog.broken-<time>.sqlite, never deleted, and its run history is copied when it can still be read. " +
          "A healthy catalog is rebuilt only with --force.",
      )
      .option("--force", "rebuild even when the catalog is healthy")
      .option("--json", "as JSON"),
  ).action(async (flags: { store?: string; force?: boolean; json?: boolean }) => {
    try {
      const r = await rebuildCatalog(flags.store, { force: flags.force ?? false });
      if (flags.json) return void process.stdout.write(JSON.stringify(r, null, 1) + "\n");
      const lines = [`rebuilt ${r.catalogPath}: ${r.assets} asset(s), ${r.versions} version(s), ${r.runsCopied} run(s) copied from the old catalog`];
      for (const path of r.movedAside) lines.push(`  old catalog kept as ${path}`);
      if (r.withoutSidecar.length) lines.push(`  ${r.withoutSidecar.length} file(s) had no sidecar: recovered without lineage or metadata (${r.withoutSidecar.slice(0, 5).join(", ")}${r.withoutSidecar.length > 5 ? ", ..." : ""})`);
      for (const s of r.skipped) lines.push(`  skipped ${s.path}: ${s.reason}`);
      process.stdout.write(lines.join("\n") + "\n");
      process.exitCode = r.skipped.length ? 1 : 0;
    } catch (error) {
      process.exitCode = fail(error);
    }
  });

  storeOption(
    cmd
      .command("migrate")
      .description(
        "Copy the store's catalog to another backend: from the SQLite file in the store (or SLUICE_CATALOG / --from) to a PostgreSQL database, " +
          "or back to a SQLite file. One transaction; every row is compared with its source before the copy commits and again after. " +
          "The data files stay where they are. Stop runners first: what they commit during the copy is not in it.",
      )
      .requiredOption("--to <catalog>", "where to copy it: postgres://USER@HOST:PORT/DATABASE, `sqlite` (the store's catalog.sqlite) or a .sqlite file")
      .option("--from <catalog>", "the catalog to copy (default: $SLUICE_CATALOG, else the store's catalog.sqlite)")
      .option("--replace", "overwrite a destination that already holds a catalog (a SQLite file is moved aside as catalog.replaced-<time>.sqlite)")
      .option("--json", "as JSON"),
  ).action((flags: { store?: string; to: string; from?: string; replace?: boolean; json?: boolean }) => {
    try {
      const r = migrateCatalog(flags.store, { to: flags.to, from: flags.from, replace: flags.replace ?? false });
      if (flags.json) return void process.stdout.write(JSON.stringify(r, null, 1) + "\n");
      const counts = Object.entries(r.rows).map(([table, n]) => `${n} ${table}`).join(", ");
      const lines = [`copied the catalog of ${r.root}`, `  from ${r.from}`, `  to   ${r.to}`, `  ${counts}; verified: every row equals its source`];
      for (const path of r.movedAside) lines.push(`  the catalog it replaced is kept as ${path}`);
      const use = r.to.startsWith("postgres") ? `SLUICE_CATALOG=${r.to}` : r.to.endsWith("/catalog.sqlite") && r.to.startsWith(r.root) ? "SLUICE_CATALOG unset (or sqlite)" : undefined;
      if (use) lines.push(`Use it with ${use} on every machine that uses this store; the source catalog is left as it was.`);
      process.stdout.write(lines.join("\n") + "\n");
    } catch (error) {
      process.exitCode = fail(error);
    }
  });
}
