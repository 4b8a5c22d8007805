// `npm run bench [NAME...]`: runs every benchmark folder's main (bench/<name>/main.ts, built to
// dist/bench/<name>/main.js) one after another, so they do not compete for the machine's cores.
// Each prints its own table of ratios against a baseline measured in the same run.
import { readdirSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wanted = process.argv.slice(2);
const names = readdirSync(join(root, "bench"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, "dist", "bench", d.name, "main.js")))
  .map((d) => d.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name));
if (names.length === 0) {
  console.error(`no benchmark matched ${wanted.join(", ") || "(none built)"}`);
  process.exit(2);
}
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, ["--expose-gc", join(root, "dist", "bench", name, "main.js")], { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
