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
  .option("--verbose", "show the stack trace of an error (also SLUICE_DEBUG=1); `examples` also prints the ops' log lines")
  // Bad usage throws a CommanderError (exit 2 below) instead of exiting with commander's 1, which means
  // "the work failed" here. Set before the areas register, so every subcommand inherits it.
  .exitOverride()
  .showHelpAfterError("(add --help for usage)");

// Only the area of the command being run is imported (the others pull in DuckDB, SQLite, the
// pipeline runner...), so `sluice run` does not pay for `sluice pipeline`. Help loads them all, --version none.
const areas: Record<string, () => Promise<{ register(program: Command): void }>> = {
  kernel: () => import("./kernel.js"),
  run: () => import("./run.js"),
  lab: () => import("./lab.js"),
  pipeline: () => import("./pipeline.js"),
  assets: () => import("./assets.js"),
  store: () => import("./store.js"),
  examples: () => import("./examples.js"),
};
const command = process.argv[2];
const versionOnly = command === "--version" || command === "-V";
const wanted = versionOnly ? [] : command !== undefined && command in areas ? [areas[command]] : Object.values(areas);

try {
  for (const load of wanted) (await load()).register(program);
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has already printed its own usage errors; `fail` prints everything else.
  const usage = (error as { code?: unknown }).code;
  if (typeof usage === "string" && usage.startsWith("commander.")) process.exitCode = (error as { exitCode: number }).exitCode === 0 ? 0 : 2;
  else process.exitCode = fail(error);
}
