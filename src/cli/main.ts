import { Command } from "commander";
import { readFileSync } from "node:fs";

// Each area adds its subcommands in its own module (`register(program)`); this file only wires them.
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("sluice")
  .description("Sluice: a TypeScript analytics kernel for Jupyter, notebook runs, pipelines and an asset store.")
  .version(pkg.version);

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
for (const load of wanted) (await load()).register(program);

await program.parseAsync(process.argv);
