// Transpiles every TypeScript source to dist/ with esbuild (one file in, one file out, no bundling).
// Type checking is a separate step (`npm run typecheck`) so a type error in one area never stops
// the kernel or the CLI from starting; esbuild strips types in well under a second.
import { build } from "esbuild";
import { readdirSync, statSync, rmSync, existsSync } from "node:fs";
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

rmSync(join(root, "dist"), { recursive: true, force: true });
const entryPoints = roots.filter((r) => existsSync(join(root, r))).flatMap((r) => sources(join(root, r)));
await build({
  entryPoints,
  outdir: join(root, "dist"),
  outbase: root,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
});
