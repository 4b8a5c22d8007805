// The example notebooks carry the kernel's own language_info: JupyterLab copies kernel_info's
// language_info into a notebook's metadata when its kernel connects, so any difference marked every
// example modified as soon as it opened.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/python.js";

// From dist/: kernel/info.ts reads package.json relative to its built place.
const built = join(repoRoot, "dist", "kernel", "info.js");
const { kernelInfo } = (await import(built)) as typeof import("../../kernel/info.js");

function notebooks(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? notebooks(join(dir, e.name)) : e.name.endsWith(".ipynb") ? [join(dir, e.name)] : [],
  );
}

describe("example notebooks' metadata", () => {
  const files = notebooks(join(repoRoot, "notebooks"));
  it("finds the examples", () => {
    expect(files.length).toBeGreaterThan(5);
  });
  it.each(files.map((f) => [f.slice(repoRoot.length + 1), f]))("%s has the kernel's language_info and kernelspec", (_, file) => {
    const nb = JSON.parse(readFileSync(file, "utf8"));
    expect(nb.metadata.language_info).toEqual(kernelInfo().language_info);
    expect(nb.metadata.kernelspec).toEqual({ name: "sluice", display_name: "TypeScript (Sluice)", language: "typescript" });
  });
});
