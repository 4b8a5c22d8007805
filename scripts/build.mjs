// Transpiles every TypeScript source to dist/ with esbuild (one file in, one file out, no bundling).
// Type checking is a separate step (`npm run typecheck`) so a type error in one area never stops
// the kernel or the CLI from starting; esbuild strips types in well under a second.
import { build } from "esbuild";
import { readdirSync, statSync, rmSync, existsSync, mkdirSync, writeFileSync, renameSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const roots = ["src", "kernel", "bench"];

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const entryPoints = roots.filter((r) => existsSync(join(root, r))).flatMap((r) => sources(join(root, r)));
// Each file is written to a temporary name and renamed, and stale outputs are removed afterwards,
// so a kernel or CLI started while a build runs never sees a missing or half-written module.
const result = await build({
  entryPoints,
  write: false,
  outdir: join(root, "dist"),
  outbase: root,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
});

const written = new Set();
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
  written.add(file.path);
}
function removeStale(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) removeStale(path);
    else if (!written.has(path) && !name.endsWith(".tmp")) rmSync(path, { force: true });
  }
}
removeStale(join(root, "dist"));
