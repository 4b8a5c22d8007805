import { Command } from "commander";
import { readFileSync } from "node:fs";

// Each area adds its subcommands in its own module (`register(program)`); this file only wires them.
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("sluice")
  .description("Sluice: a TypeScript analytics kernel for Jupyter, notebook runs, pipelines and an asset store.")
  .version(pkg.version);

const areas: Array<() => Promise<{ register(program: Command): void }>> = [
  // one line per area, e.g. () => import("./kernel.js"),
  () => import("./kernel.js"),
  () => import("./run.js"),
  () => import("./lab.js"),
  () => import("./pipeline.js"),
  () => import("./assets.js"),
  () => import("./examples.js"),
];
for (const load of areas) (await load()).register(program);

await program.parseAsync(process.argv);
