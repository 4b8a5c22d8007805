// Loading pipeline files through the real CLI (`node bin/sluice.js pipeline show|run`): a file in a
// read-only folder loads (the bundle goes to a temp folder), packages still resolve from the file's own
// node_modules, import.meta names the file, and errors point at the user's file and line — never at a
// deleted temp bundle or Node's internal frames.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asRoot, unprivileged } from "../helpers/unprivileged.js";
import { loadPipelineFile, PipelineLoadError } from "../../src/index.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let dir: string;

// As root every folder is writable, so the read-only case runs the CLI as the unprivileged `nobody`.
const NOBODY = 65534;

function sluice(args: string[], options: { unprivileged?: boolean; env?: Record<string, string> } = {}) {
  const [command, argv] = options.unprivileged ? unprivileged(process.execPath, [bin, ...args]) : [process.execPath, [bin, ...args]];
  const r = spawnSync(command, argv, {
    cwd: dir,
    env: { ...process.env, SLUICE_STORE: join(dir, "store"), SLUICE_DEBUG: "", ...options.env },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the user sees of an error: no stack frames, nothing of Node's internals or the temp bundle. */
function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain("node:internal");
  expect(stderr).not.toMatch(/sluice-pipeline-|pipeline\.mjs/);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-load-"));
  chmodSync(dir, 0o755);
  const ro = join(dir, "readonly");
  const pkg = join(ro, "node_modules", "fakepkg");
  mkdirSync(pkg, { recursive: true });
  // Node's conditions pick index.js; esbuild's own "module" condition would pick wrong.js.
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "fakepkg", type: "module", exports: { ".": { module: "./wrong.js", import: "./index.js" } } }));
  writeFileSync(join(pkg, "index.js"), "export const answer = 41;\n");
  writeFileSync(join(pkg, "wrong.js"), "export const answer = -1;\n");
  writeFileSync(
    join(ro, "pipeline.ts"),
    `import { fnOp, pipeline } from "sluice";
import { answer } from "fakepkg";
import { fileURLToPath } from "node:url";
const here = fileURLToPath(new URL(".", import.meta.url));
if (here !== ${JSON.stringify(ro + "/")} || import.meta.dirname !== ${JSON.stringify(ro)}) throw new Error("import.meta names " + here);
export default pipeline("readonly", [fnOp({ name: "answer_" + (answer + 1), outputs: ["ro/a"], run: () => [{ x: answer + 1 }] })]);
`,
  );
  chmodSync(join(ro, "node_modules", "fakepkg"), 0o555);
  chmodSync(join(ro, "node_modules"), 0o555);
  chmodSync(ro, 0o555);
  mkdirSync(join(dir, "store"));
  if (asRoot) chownSync(join(dir, "store"), NOBODY, NOBODY);

  writeFileSync(
    join(dir, "throws.ts"),
    `import { fnOp, pipeline } from "sluice";

function readConfig(): string {
  throw new Error("config.yaml is missing");
}
const config: string = readConfig();
export default pipeline("t", [fnOp({ name: config, outputs: ["a"], run: () => [] })]);
`,
  );
  // Without imports: the library itself runs from src/ under vitest, where "sluice" cannot be bundled.
  writeFileSync(join(dir, "throws-alone.ts"), `function readConfig(): string {\n  throw new Error("config.yaml is missing");\n}\nexport const config = readConfig();\n`);
  writeFileSync(join(dir, "syntax.ts"), `import { pipeline } from "sluice";\nexport default pipeline("s", [\n  { name: "a",, }\n]);\n`);
  writeFileSync(join(dir, "nopkg.ts"), `import { pipeline } from "sluice";\nimport left from "left-pad-that-is-not-installed";\nexport default pipeline("n", []);\nconsole.log(left);\n`);
});
afterAll(() => {
  // The read-only folders must become writable again to be removed.
  for (const d of ["readonly/node_modules/fakepkg", "readonly/node_modules", "readonly"]) chmodSync(join(dir, d), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe("pipeline files", () => {
  it("load and run from a read-only folder, with packages from the file's own node_modules", () => {
    const show = sluice(["pipeline", "show", "readonly/pipeline.ts"], { unprivileged: true });
    expect(show.stderr).toBe("");
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("answer_42");
    const run = sluice(["pipeline", "run", "readonly/pipeline.ts", "--json"], { unprivileged: true });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).counts.succeeded).toBe(1);
    expect(readdirSync(join(dir, "readonly")).sort()).toEqual(["node_modules", "pipeline.ts"]);
  });

  it("a pipeline that throws while loading names the user's file and line, without a stack", () => {
    const r = sluice(["pipeline", "run", "throws.ts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sluice pipeline: error: pipeline file throws.ts failed while loading at throws.ts:4:9: Error: config.yaml is missing");
    expect(r.stderr).toContain("Fix the code at that line");
    expectNoStack(r.stderr);
    expect(readdirSync(dir).filter((f) => f.startsWith(".sluice-pipeline"))).toEqual([]);
  });

  it("--verbose adds the stack, mapped to the user's file, without Node's internal frames", () => {
    const r = sluice(["pipeline", "show", "throws.ts", "--verbose"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/caused by: Error: config.yaml is missing\n\s+at readConfig \(.*throws\.ts:4:9\)/);
    expect(r.stderr).toMatch(/throws\.ts:6:\d+/);
    expect(r.stderr).not.toContain("node:internal");
    expect(r.stderr).not.toMatch(/sluice-pipeline-|pipeline\.mjs/);
    const debug = sluice(["pipeline", "show", "throws.ts"], { env: { SLUICE_DEBUG: "1" } });
    expect(debug.stderr).toMatch(/at readConfig \(.*throws\.ts:4:9\)/);
  });

  it("a syntax error and a missing package are compile errors at file:line:column", () => {
    const syntax = sluice(["pipeline", "show", "syntax.ts"]);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain('cannot compile pipeline file syntax.ts:\n  syntax.ts:3:15: Expected identifier but found ","');
    expectNoStack(syntax.stderr);
    const pkg = sluice(["pipeline", "show", "nopkg.ts"]);
    expect(pkg.code).toBe(2);
    expect(pkg.stderr).toContain('nopkg.ts:2:18: Could not resolve "left-pad-that-is-not-installed"');
    expectNoStack(pkg.stderr);
  });

  it("the library's loadPipelineFile throws a PipelineLoadError with the location and the original error as cause", async () => {
    const error = await loadPipelineFile(join(dir, "throws-alone.ts")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineLoadError);
    expect((error as PipelineLoadError).message).toMatch(/failed while loading at .*throws-alone\.ts:2:9: Error: config.yaml is missing/);
    expect((error as PipelineLoadError).exitCode).toBe(2);
    expect(((error as PipelineLoadError).cause as Error).message).toBe("config.yaml is missing");
  });
});
