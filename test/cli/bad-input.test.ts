// The bad-input table: every `sluice` command given bad files, flags, notebooks, pipelines and stores,
// as a real child process (`node bin/sluice.js ...`). Each case must exit with its documented code
// (docs/cli.md: 2 bad usage or input, 1 the work failed or a damaged store), say what is wrong in a
// message without a stack trace, and leave every store exactly as it was.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unprivileged } from "../helpers/unprivileged.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");

let dir = "";
const path = (...parts: string[]) => join(dir, ...parts);

interface Case {
  name: string;
  args: string[];
  /** Documented exit code. */
  code: number;
  /** What the message must say (the problem and, where it fits, the fix). */
  says: string | RegExp;
  env?: Record<string, string>;
  stdin?: string;
  /** Run as an unprivileged user (for permission cases; root may write anywhere). */
  unprivileged?: boolean;
  /** The message may be longer than a short paragraph (commander's help). */
  long?: boolean;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const nb = (cells: Array<{ source: string; tags?: string[] }>, kernel = { name: "python3", language: "python" }) => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: kernel.name, display_name: kernel.name, language: kernel.language } },
  cells: cells.map((c, i) => ({ id: `c${i}`, cell_type: "code", source: c.source, metadata: c.tags ? { tags: c.tags } : {}, outputs: [], execution_count: null })),
});

function writeFixtures(): void {
  const params = { source: "threshold = 0.5  # a number\nname = 'x'", tags: ["parameters"] };
  writeFileSync(path("ok.ipynb"), JSON.stringify(nb([params, { source: "print(threshold)" }])));
  writeFileSync(path("r.ipynb"), JSON.stringify(nb([{ source: "x <- 1", tags: ["parameters"] }], { name: "ir", language: "R" })));
  writeFileSync(path("bad.ipynb"), "{ this is not json");
  writeFileSync(path("notnb.ipynb"), JSON.stringify({ cells: "none" }));
  writeFileSync(path("old.ipynb"), JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, cells: [] }));
  writeFileSync(path("empty.ipynb"), "");
  writeFileSync(path("bad.yaml"), "threshold: [1\n");
  writeFileSync(path("list.yaml"), "- 1\n- 2\n");
  writeFileSync(path("afile"), "a plain file\n");
  mkdirSync(path("outdir"));
  mkdirSync(path("readonly"));
  chmodSync(path("readonly"), 0o555);

  writeFileSync(path("good.ts"), `import { fnOp, pipeline } from "sluice";\nexport default pipeline("good", [fnOp({ name: "a", outputs: ["a"], run: () => [{ x: 1 }] })]);\n`);
  writeFileSync(
    path("daily.ts"),
    `import { dailyPartitions, fnOp, pipeline } from "sluice";
const days = dailyPartitions({ start: "2024-01-01" });
export default pipeline("daily", [fnOp({ name: "ev", partitions: days, outputs: ["ev"], run: (ctx) => [{ day: ctx.partitionKey }] })]);
`,
  );
  writeFileSync(path("throws.ts"), `import { pipeline } from "sluice";\n\nconst port = Number(process.env.NOPE_PORT ?? "x");\nif (Number.isNaN(port)) throw new Error("NOPE_PORT is not set");\nexport default pipeline("t", []);\n`);
  writeFileSync(path("syntax.ts"), `import { pipeline } from "sluice";\nexport default pipeline("s", [\n`);
  writeFileSync(path("noexport.ts"), `export const answer = 42;\n`);
  writeFileSync(path("nopkg.ts"), `import { pipeline } from "sluice";\nimport pad from "no-such-package-anywhere";\nexport default pipeline(pad, []);\n`);
  writeFileSync(
    path("cyclic.ts"),
    `import { fnOp, pipeline } from "sluice";
export default pipeline("cyclic", [
  fnOp({ name: "a", inputs: { b: "b" }, outputs: ["a"], run: () => [] }),
  fnOp({ name: "b", inputs: { a: "a" }, outputs: ["b"], run: () => [] }),
]);
`,
  );
  writeFileSync(path("dupe.ts"), `import { fnOp, pipeline } from "sluice";\nexport default pipeline("dupe", [fnOp({ name: "a", outputs: ["x"], run: () => [] }), fnOp({ name: "b", outputs: ["x"], run: () => [] })]);\n`);
}

/** Every file of a store (path, size, content); SQLite's shared-memory index and an empty WAL are not content. */
function storeHash(root: string): string {
  const hash = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (!name.endsWith("-shm") && !(name.endsWith("-wal") && s.size === 0)) hash.update(`${relative(root, p)}\0${s.size}\0`).update(readFileSync(p));
    }
  };
  walk(root);
  return hash.digest("hex");
}

function sluice(c: Case): Promise<Result> {
  return new Promise((done) => {
    const [command, args] = c.unprivileged ? unprivileged(process.execPath, [bin, ...c.args]) : [process.execPath, [bin, ...c.args]];
    const child = spawn(command, args, {
      cwd: dir,
      env: { ...process.env, SLUICE_STORE: path("store"), SLUICE_DEBUG: "", NO_COLOR: "1", ...c.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.stdin.end(c.stdin ?? "");
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

const USAGE = 2;
const FAILED = 1;
const file = { SLUICE_STORE: "afile" };

const cases: Case[] = [
  // The program and its commands.
  { name: "no command", args: [], code: USAGE, says: "Usage: sluice", long: true },
  { name: "unknown command", args: ["frobnicate"], code: USAGE, says: "unknown command 'frobnicate'" },
  { name: "unknown program option", args: ["--frobnicate"], code: USAGE, says: "unknown option '--frobnicate'" },
  { name: "unknown pipeline subcommand", args: ["pipeline", "frobnicate"], code: USAGE, says: "unknown command 'frobnicate'" },
  { name: "unknown assets subcommand", args: ["assets", "frobnicate"], code: USAGE, says: "unknown command 'frobnicate'" },

  // sluice run: files.
  { name: "run without INPUT", args: ["run"], code: USAGE, says: "missing INPUT notebook" },
  { name: "run a missing notebook", args: ["run", "missing.ipynb"], code: USAGE, says: "cannot read notebook missing.ipynb: no such file" },
  { name: "run a notebook that is not JSON", args: ["run", "bad.ipynb"], code: USAGE, says: "bad.ipynb is not a notebook: invalid JSON" },
  { name: "run an empty file", args: ["run", "empty.ipynb", "--prepare-only"], code: USAGE, says: "empty.ipynb is not a notebook" },
  { name: "run JSON that is not a notebook", args: ["run", "notnb.ipynb", "--prepare-only"], code: USAGE, says: 'expected nbformat 4 JSON with a "cells" list' },
  { name: "run an nbformat 3 notebook", args: ["run", "old.ipynb", "--prepare-only"], code: USAGE, says: "convert it to nbformat 4" },
  { name: "run a malformed notebook from stdin", args: ["run", "-", "--prepare-only"], stdin: "[1, 2", code: USAGE, says: "stdin is not a notebook" },
  { name: "run a folder", args: ["run", "outdir"], code: USAGE, says: "cannot read notebook outdir: it is a folder" },
  { name: "--help-notebook of a missing notebook", args: ["run", "--help-notebook", "missing.ipynb"], code: USAGE, says: "cannot read notebook missing.ipynb" },
  { name: "--help-notebook of a malformed notebook", args: ["run", "--help-notebook", "bad.ipynb"], code: USAGE, says: "bad.ipynb is not a notebook" },
  { name: "OUTPUT below a file", args: ["run", "ok.ipynb", "afile/out.ipynb", "--prepare-only"], code: USAGE, says: /cannot create OUTPUT afile\/out\.ipynb: .*afile is a file, not a folder/ },
  { name: "OUTPUT is a folder", args: ["run", "ok.ipynb", "outdir", "--prepare-only"], code: USAGE, says: "OUTPUT outdir is a folder; name the notebook file to write, e.g. outdir/ok.ipynb" },
  { name: "OUTPUT in a read-only folder", args: ["run", "ok.ipynb", "readonly/out.ipynb", "--prepare-only"], unprivileged: true, code: USAGE, says: /cannot write OUTPUT readonly\/out\.ipynb: no permission to write in .*readonly/ },
  { name: "--cwd that does not exist", args: ["run", "ok.ipynb", "out.ipynb", "--cwd", "nowhere"], code: USAGE, says: "--cwd nowhere is not a folder" },

  // sluice run: parameters.
  { name: "-p value of the wrong type", args: ["run", "ok.ipynb", "out.ipynb", "-p", "threshold", "abc", "--prepare-only"], code: USAGE, says: 'parameter "threshold" expects number, got "abc"' },
  { name: "-p without a value", args: ["run", "ok.ipynb", "out.ipynb", "--prepare-only", "-p", "threshold"], code: USAGE, says: "-p needs a name and a value: -p NAME VALUE" },
  { name: "-y that is not YAML", args: ["run", "ok.ipynb", "out.ipynb", "-y", "threshold: [1", "--prepare-only"], code: USAGE, says: "-y: invalid YAML" },
  { name: "-y that is not a mapping", args: ["run", "ok.ipynb", "out.ipynb", "-y", "[1, 2]", "--prepare-only"], code: USAGE, says: "-y: expected a mapping of parameter names to values" },
  { name: "-y value of the wrong type", args: ["run", "ok.ipynb", "out.ipynb", "-y", "threshold: [1, 2]", "--prepare-only"], code: USAGE, says: 'parameter "threshold" expects number' },
  { name: "-f file missing", args: ["run", "ok.ipynb", "out.ipynb", "-f", "missing.yaml", "--prepare-only"], code: USAGE, says: "cannot read parameters file missing.yaml (no such file); check the path after -f" },
  { name: "-f file that is not YAML", args: ["run", "ok.ipynb", "out.ipynb", "-f", "bad.yaml", "--prepare-only"], code: USAGE, says: "bad.yaml: invalid YAML" },
  { name: "-f file that is not a mapping", args: ["run", "ok.ipynb", "out.ipynb", "-f", "list.yaml", "--prepare-only"], code: USAGE, says: "list.yaml: expected a mapping" },
  { name: "unknown parameter with --strict", args: ["run", "ok.ipynb", "out.ipynb", "-p", "treshold", "1", "--strict", "--prepare-only"], code: USAGE, says: /unknown parameter "treshold".*did you mean threshold/ },
  { name: "parameters for a language without translator", args: ["run", "r.ipynb", "out.ipynb", "-p", "x", "2"], code: USAGE, says: "no translator for R" },

  // sluice run: flags.
  { name: "--cell-timeout not a number", args: ["run", "ok.ipynb", "--cell-timeout", "abc"], code: USAGE, says: "option '--cell-timeout <S>' argument 'abc' is invalid. expected a positive number of seconds" },
  { name: "--cell-timeout 0", args: ["run", "ok.ipynb", "--cell-timeout", "0"], code: USAGE, says: "option '--cell-timeout <S>' argument '0' is invalid" },
  { name: "--start-timeout negative", args: ["run", "ok.ipynb", "--start-timeout", "-5"], code: USAGE, says: "option '--start-timeout <S>' argument '-5' is invalid" },
  { name: "--token without --server", args: ["run", "ok.ipynb", "out.ipynb", "--token", "t"], code: USAGE, says: "--token needs --server URL" },
  { name: "--server that is not a URL", args: ["run", "ok.ipynb", "out.ipynb", "--server", "notaurl"], code: USAGE, says: "--server notaurl is not a URL" },
  { name: "--kernel that is not installed", args: ["run", "ok.ipynb", "out.ipynb", "--kernel", "no-such-kernel"], code: USAGE, says: 'no kernel named "no-such-kernel"' },
  { name: "run: unknown flag", args: ["run", "ok.ipynb", "--paramters", "x"], code: USAGE, says: "unknown option '--paramters'" },
  { name: "run: too many arguments", args: ["run", "ok.ipynb", "out.ipynb", "extra"], code: USAGE, says: "too many arguments for 'run'" },

  // sluice pipeline: files.
  { name: "pipeline run without FILE", args: ["pipeline", "run"], code: USAGE, says: "missing required argument 'file'" },
  { name: "pipeline file missing", args: ["pipeline", "run", "missing.ts"], code: USAGE, says: "pipeline file missing.ts does not exist" },
  { name: "pipeline file is a folder", args: ["pipeline", "run", "outdir"], code: USAGE, says: "pipeline file outdir is a folder" },
  { name: "pipeline file is a notebook", args: ["pipeline", "run", "ok.ipynb"], code: USAGE, says: "pipeline file ok.ipynb is not TypeScript or JavaScript" },
  { name: "pipeline file does not compile", args: ["pipeline", "run", "syntax.ts"], code: USAGE, says: /cannot compile pipeline file syntax\.ts:\n\s+syntax\.ts:3:1: / },
  { name: "pipeline file throws while loading", args: ["pipeline", "run", "throws.ts"], code: USAGE, says: "failed while loading at throws.ts:4:31: Error: NOPE_PORT is not set" },
  { name: "pipeline file imports a missing package", args: ["pipeline", "run", "nopkg.ts"], code: USAGE, says: 'nopkg.ts:2:17: Could not resolve "no-such-package-anywhere"' },
  { name: "pipeline file exports no pipeline", args: ["pipeline", "run", "noexport.ts"], code: USAGE, says: "exports no pipeline" },
  { name: "pipeline with a cycle", args: ["pipeline", "run", "cyclic.ts"], code: USAGE, says: /cycle: a → b → a|cycle: b → a → b/ },
  { name: "pipeline with two writers of one asset", args: ["pipeline", "run", "dupe.ts"], code: USAGE, says: /pipeline dupe is not valid/ },
  { name: "pipeline show of a broken file", args: ["pipeline", "show", "throws.ts"], code: USAGE, says: "throws.ts:4:31" },
  { name: "pipeline show of a missing file", args: ["pipeline", "show", "missing.ts"], code: USAGE, says: "does not exist" },

  // sluice pipeline: flags.
  { name: "--max-concurrency 0", args: ["pipeline", "run", "good.ts", "--max-concurrency", "0"], code: USAGE, says: "option '--max-concurrency <n>' argument '0' is invalid. expected a whole number ≥ 1" },
  { name: "--max-concurrency abc", args: ["pipeline", "run", "good.ts", "--max-concurrency", "abc"], code: USAGE, says: "option '--max-concurrency <n>' argument 'abc' is invalid" },
  { name: "--max-concurrency 1.5", args: ["pipeline", "run", "good.ts", "--max-concurrency", "1.5"], code: USAGE, says: "option '--max-concurrency <n>' argument '1.5' is invalid" },
  { name: "partitioned pipeline without --partition", args: ["pipeline", "run", "daily.ts"], code: USAGE, says: "pass --partition KEY or --backfill FROM..TO" },
  { name: "--partition that is not a key", args: ["pipeline", "run", "daily.ts", "--partition", "yesterday"], code: USAGE, says: 'partition "yesterday" is not a daily partition key' },
  { name: "--backfill without a range", args: ["pipeline", "run", "daily.ts", "--backfill", "2024-01-01"], code: USAGE, says: "write it as FROM..TO" },
  { name: "--only an unknown op", args: ["pipeline", "run", "good.ts", "--only", "nope"], code: USAGE, says: "--only nope: no op of that name; ops are a" },
  { name: "--from-failure an unknown run", args: ["pipeline", "run", "good.ts", "--from-failure", "nope"], code: USAGE, says: "--from-failure nope: no such run" },
  { name: "pipeline runs --limit abc", args: ["pipeline", "runs", "--limit", "abc"], code: USAGE, says: "option '--limit <n>' argument 'abc' is invalid" },
  { name: "pipeline runs --limit 0", args: ["pipeline", "runs", "--limit", "0"], code: USAGE, says: "option '--limit <n>' argument '0' is invalid" },

  // Stores.
  { name: "pipeline run --store at a file", args: ["pipeline", "run", "good.ts", "--store", "afile"], code: USAGE, says: /store .*afile: .*is a file, not a folder/ },
  { name: "SLUICE_STORE at a file (pipeline run)", args: ["pipeline", "run", "good.ts"], env: file, code: USAGE, says: /is a file, not a folder\. Point SLUICE_STORE or --store at a folder/ },
  { name: "SLUICE_STORE at a file (assets ls)", args: ["assets", "ls"], env: file, code: USAGE, says: /is a file, not a folder/ },
  { name: "SLUICE_STORE at a file (pipeline runs)", args: ["pipeline", "runs"], env: file, code: USAGE, says: /is a file, not a folder/ },
  { name: "--store at a file (store verify)", args: ["store", "verify", "--store", "afile"], code: USAGE, says: /is a file, not a folder/ },
  { name: "corrupt catalog (assets ls)", args: ["assets", "ls"], env: { SLUICE_STORE: "corrupt" }, code: FAILED, says: /catalog .* is corrupt .*sluice store rebuild/ },
  { name: "corrupt catalog (pipeline run)", args: ["pipeline", "run", "good.ts"], env: { SLUICE_STORE: "corrupt" }, code: FAILED, says: /catalog .* is corrupt/ },
  { name: "corrupt catalog (assets history)", args: ["assets", "history", "a"], env: { SLUICE_STORE: "corrupt" }, code: FAILED, says: /catalog .* is corrupt/ },
  { name: "catalog missing beside data files", args: ["assets", "ls"], env: { SLUICE_STORE: "orphaned" }, code: FAILED, says: /catalog .* is missing but data\/ holds 1 asset file/ },
  { name: "assets show of an unknown key", args: ["assets", "show", "nope"], code: USAGE, says: "asset nope has no materialization" },
  { name: "assets show of a key escaping the store", args: ["assets", "show", "../x"], code: USAGE, says: 'asset key "../x": segment ".." would escape the store' },
  { name: "assets show of an unknown version", args: ["assets", "show", "a", "--version", "v-nope"], code: USAGE, says: "asset a version v-nope has no materialization" },
  { name: "assets lineage of an unknown key", args: ["assets", "lineage", "nope"], code: USAGE, says: "asset nope has no materialization" },
  { name: "assets history --limit abc", args: ["assets", "history", "a", "--limit", "abc"], code: USAGE, says: "option '--limit <n>' argument 'abc' is invalid" },
  { name: "assets history --limit -1", args: ["assets", "history", "a", "--limit", "-1"], code: USAGE, says: "option '--limit <n>' argument '-1' is invalid" },
  { name: "assets gc --keep-last 0", args: ["assets", "gc", "--keep-last", "0"], code: USAGE, says: "option '--keep-last <n>' argument '0' is invalid" },
  { name: "assets gc --keep-last abc", args: ["assets", "gc", "--keep-last", "abc"], code: USAGE, says: "option '--keep-last <n>' argument 'abc' is invalid" },

  // Examples, kernels, JupyterLab (these two report their own checks as failures, exit 1).
  { name: "examples: unknown name", args: ["examples", "clikstream"], code: USAGE, says: 'no example named "clikstream"' },
  { name: "examples: bad --size", args: ["examples", "--size", "huge"], code: USAGE, says: '--size "huge": use small' },
  { name: "kernel uninstall of an unknown kernel", args: ["kernel", "uninstall", "no-such-kernel"], code: FAILED, says: 'no Sluice kernel named "no-such-kernel" is installed' },
  { name: "kernel install with two locations", args: ["kernel", "install", "--user", "--prefix", "outdir"], code: FAILED, says: "choose one of --user, --sys-prefix and --prefix DIR" },
];

const results = new Map<string, Result>();
const hashes: Record<string, string> = {};
const STORES = ["store", "corrupt", "orphaned"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-bad-input-"));
  chmodSync(dir, 0o755); // the unprivileged case reads the notebook here
  writeFixtures();
  // A real store with one asset and one run; two copies of it, one with a garbage catalog, one without.
  const seed = spawnSync(process.execPath, [bin, "pipeline", "run", "good.ts"], { cwd: dir, env: { ...process.env, SLUICE_STORE: path("store") }, encoding: "utf8" });
  expect(seed.status, seed.stderr).toBe(0);
  cpSync(path("store"), path("corrupt"), { recursive: true });
  writeFileSync(path("corrupt", "catalog.sqlite"), "this is not a SQLite database ".repeat(200));
  for (const f of ["catalog.sqlite-wal", "catalog.sqlite-shm"]) rmSync(path("corrupt", f), { force: true });
  cpSync(path("store"), path("orphaned"), { recursive: true });
  for (const f of ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"]) rmSync(path("orphaned", f), { force: true });
  for (const s of STORES) hashes[s] = storeHash(path(s));

  // Four at a time: the cases are independent (none writes anything it is allowed to keep).
  const queue = [...cases];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) results.set(c.name, await sluice(c));
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}, 600_000);

afterAll(() => {
  chmodSync(path("readonly"), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe("bad input: documented exit code, a message that names the problem, no stack trace", () => {
  it("covers at least 50 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const r = results.get(c.name)!;
    const shown = `sluice ${c.args.join(" ")}\nexit ${r.code}\n${r.stderr}`;
    expect(r.code, shown).toBe(c.code);
    if (typeof c.says === "string") expect(r.stderr, shown).toContain(c.says);
    else expect(r.stderr, shown).toMatch(c.says);
    expect(r.stderr, shown).not.toMatch(/^\s+at /m);
    expect(r.stderr, shown).not.toContain("node:internal");
    expect(r.stderr, shown).not.toMatch(/internal error|This is a bug/);
    if (!c.long) expect(r.stderr.trimEnd().split("\n").length, shown).toBeLessThanOrEqual(8);
  });

  it("leaves every store exactly as it was", () => {
    for (const s of STORES) expect(storeHash(path(s)), s).toBe(hashes[s]);
    expect(readdirSync(path("store", "runs"))).toHaveLength(1); // only the seeding run: no refused run was recorded
  });

  it("writes no output notebook for a refused run", () => {
    expect(readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort()).toEqual(["bad.ipynb", "empty.ipynb", "notnb.ipynb", "ok.ipynb", "old.ipynb", "r.ipynb"]);
  });
});

describe("--verbose, SLUICE_DEBUG and bugs", () => {
  it("--verbose and SLUICE_DEBUG=1 add the stack; the message stays first", async () => {
    for (const c of [
      { name: "verbose", args: ["run", "missing.ipynb", "--verbose"], code: USAGE, says: "" },
      { name: "verbose first", args: ["--verbose", "run", "missing.ipynb"], code: USAGE, says: "" },
      { name: "debug", args: ["run", "missing.ipynb"], env: { SLUICE_DEBUG: "1" }, code: USAGE, says: "" },
    ]) {
      const r = await sluice(c);
      expect(r.code, c.name).toBe(2);
      expect(r.stderr.split("\n")[0], c.name).toMatch(/^sluice run: error: cannot read notebook missing\.ipynb: no such file \(relative paths start at /);
      expect(r.stderr, c.name).toMatch(/^UsageError: cannot read notebook/m);
      expect(r.stderr, c.name).toMatch(/^\s+at .*readNotebook/m);
    }
  });

  it("an unexpected error (a bug) prints one line, says it is a bug, exits 70; an unhandled rejection goes through the boundary too", () => {
    const boundary = join(repo, "dist", "src", "cli", "errors.js");
    const script = (body: string) =>
      spawnSync(process.execPath, ["--input-type=module", "-e", `import { installErrorBoundary, fail } from ${JSON.stringify(boundary)};\n${body}`], {
        encoding: "utf8",
        env: { ...process.env, SLUICE_DEBUG: "" },
      });
    const thrown = script(`process.exitCode = fail(new TypeError("cannot read properties of undefined (reading 'x')"));`);
    expect(thrown.status).toBe(70);
    expect(thrown.stderr).toBe("sluice: internal error: TypeError: cannot read properties of undefined (reading 'x')\nThis is a bug in Sluice; rerun with --verbose (or SLUICE_DEBUG=1) for the stack trace and report it.\n");
    const rejected = script(`installErrorBoundary();\nPromise.reject(new RangeError("lost"));\nsetTimeout(() => {}, 5000);`);
    expect(rejected.status).toBe(70);
    expect(rejected.stderr).toContain("internal error: RangeError: lost\nThis is a bug in Sluice");
    expect(rejected.stderr).not.toMatch(/^\s+at /m);
    const typed = script(`import { PipelineUsageError } from ${JSON.stringify(join(repo, "dist", "src", "pipeline", "errors.js"))};\ninstallErrorBoundary();\nPromise.reject(new PipelineUsageError("--only x: no op of that name", { hint: "List the ops with sluice pipeline show FILE." }));`);
    expect(typed.status).toBe(2);
    expect(typed.stderr).toBe("sluice: error: --only x: no op of that name\nList the ops with sluice pipeline show FILE.\n");
  });
});
