import { Command } from "commander";
import { readFileSync } from "node:fs";
import { fail, installErrorBoundary } from "./errors.js";

// Every failure, even one that escapes a command as an unhandled rejection, goes through the error
// boundary: one paragraph and the exit code of its category, the stack only with --verbose.
installErrorBoundary();

// Each area adds its subcommands in its own module (`register(program)`); this file only wires them.
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("sluice")
  .description("Sluice: a TypeScript analytics kernel for Jupyter, notebook runs, pipelines and an asset store.")
  .version(pkg.version)
  .option("--verbose", "show the stack trace of an error (also SLUICE_DEBUG=1); every command takes it too")
  // Bad usage throws a CommanderError (exit 2 below) instead of exiting with commander's 1, which means
  // "the work failed" here. Set before the areas register, so every subcommand inherits it.
  .exitOverride()
  .showHelpAfterError("(add --help for usage)")
  // Program options only before the command: `sluice assets show KEY --version V` is the command's --version.
  .enablePositionalOptions();

// Only the area of the command being run is imported (the others pull in DuckDB, SQLite, the
// pipeline runner...), so `sluice run` does not pay for `sluice pipeline`. Help loads them all, --version none.
const areas: Record<string, () => Promise<{ register(program: Command): void }>> = {
  kernel: () => import("./kernel.js"),
  run: () => import("./run.js"),
  lab: () => import("./lab.js"),
  pipeline: () => import("./pipeline.js"),
  step: () => import("./step.js"),
  assets: () => import("./assets.js"),
  store: () => import("./store.js"),
  examples: () => import("./examples.js"),
  cluster: () => import("./cluster.js"),
  daemon: () => import("./daemon.js"),
  partitions: () => import("./partitions.js"),
};
const versionOnly = process.argv[2] === "--version" || process.argv[2] === "-V";
const command = process.argv.slice(2).find((arg) => !arg.startsWith("-")); // after program options such as --verbose
const known = command !== undefined && command in areas;
// An unknown command needs only the names, for commander's "unknown command" and its "did you mean".
const namesOnly = !versionOnly && !known && command !== undefined && command !== "help";
const wanted = versionOnly || namesOnly ? [] : known ? [areas[command]] : Object.values(areas);
if (namesOnly) for (const name of Object.keys(areas)) program.command(name);

/** --verbose on every command too (`sluice run NB --verbose`), where it does not have its own. */
function addVerbose(command: Command): void {
  for (const sub of command.commands) {
    if (!sub.options.some((o) => o.long === "--verbose")) sub.option("--verbose", "show the stack trace of an error (also SLUICE_DEBUG=1)");
    addVerbose(sub);
  }
}

/** --catalog on every command that takes --store: it sets SLUICE_CATALOG for the command and the kernels it starts (docs/catalog.md). */
function addCatalog(command: Command): void {
  for (const sub of command.commands) {
    if (sub.options.some((o) => o.long === "--store") && !sub.options.some((o) => o.long === "--catalog")) {
      sub.option("--catalog <url>", "asset catalog: postgres://USER@HOST:PORT/DB, or sqlite (default: $SLUICE_CATALOG, else the SQLite file in the store)");
    }
    addCatalog(sub);
  }
}
program.hook("preAction", (_program, action) => {
  const catalog = action.opts().catalog;
  if (typeof catalog === "string") process.env.SLUICE_CATALOG = catalog;
});

try {
  for (const load of wanted) (await load()).register(program);
  addVerbose(program);
  addCatalog(program);
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has already printed its own usage errors; `fail` prints everything else.
  const usage = (error as { code?: unknown }).code;
  if (typeof usage === "string" && usage.startsWith("commander.")) process.exitCode = (error as { exitCode: number }).exitCode === 0 ? 0 : 2;
  else process.exitCode = fail(error);
}
