// Executors for real: the subprocess executor runs every step as a `sluice step exec -` child (the
// built CLI), so only what the step spec says crosses over; the results must equal an in-process run.
// `sluice step exec` itself refuses a malformed spec and another code version with typed errors (exit 2).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import type { StepResult, StepSpec } from "../../src/pipeline/index.js";
import { installSluiceKernel } from "../run/helpers.js";
import { isRunning } from "../helpers/processes.js";

/** Pids of the running `sluice step exec` processes whose parent is `parent`. */
function stepChildren(parent: number): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pid) => {
      try {
        const ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);
        return ppid === parent && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("step\0exec") && isRunning(pid);
      } catch {
        return false;
      }
    });
}

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let dir: string;
let jupyterPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-executors-"));
  jupyterPath = installSluiceKernel();
  // Function ops of every shape: a dynamic op, a mapped op per item, a collect op, a retried op, in-memory none.
  writeFileSync(
    join(dir, "shapes.ts"),
    `import { fnOp, pipeline, col, type LazyFrame } from "sluice";
export default pipeline("shapes", [
  fnOp({ name: "numbers", outputs: ["shapes/numbers"], run: () => Array.from({ length: 10 }, (_, i) => ({ n: i, odd: i % 2 === 1 })) }),
  fnOp({ name: "groups", dynamic: true, run: () => ["odd", "even"] }),
  fnOp({ name: "pick", map: "groups", inputs: { numbers: "shapes/numbers" }, outputs: ["shapes/picked"],
         run: (ctx, inputs) => { ctx.log("picking", ctx.item); return (inputs.numbers as LazyFrame).filter(col("odd").eq(ctx.item === "odd")); } }),
  fnOp({ name: "total", collect: "groups", inputs: { picked: "shapes/picked" }, outputs: ["shapes/total"],
         run: async (_ctx, inputs) => { let sum = 0; for (const f of inputs.picked as LazyFrame[]) for (const r of (await f.collect()).toRecords()) sum += Number(r.n); return [{ sum, parts: (inputs.picked as unknown[]).length }]; } }),
  fnOp({ name: "flaky", retries: { max: 2, backoffMs: 10 }, outputs: ["shapes/flaky"],
         run: (ctx) => { if (ctx.attempt < 2) throw new Error("first attempt fails"); return [{ attempt: ctx.attempt, pid: process.pid }]; } }),
]);
`,
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The latest version of every asset in every partition (not executed notebooks): key → partition ("" for none) → sorted rows, store paths made relative. */
async function storeContents(root: string, drop: string[] = []): Promise<Record<string, Record<string, string[]>>> {
  const store = new AssetStore(root, { readOnly: true });
  try {
    const out: Record<string, Record<string, string[]>> = {};
    for (const asset of store.list()) {
      if (asset.latest.format === "ipynb") continue;
      out[asset.key] = {};
      const partitions = store.partitions(asset.key);
      for (const partition of partitions.length ? partitions : [""]) {
        const rows = (await store.readRows(asset.key, partition ? { partition } : {})).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k))));
        const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)).split(root).join("<store>");
        out[asset.key]![partition] = (JSON.parse(text) as unknown[]).map((r) => JSON.stringify(r)).sort();
      }
    }
    return out;
  } finally {
    store.close();
  }
}

function sluice(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, input, encoding: "utf8", env: { ...process.env, JUPYTER_PATH: jupyterPath } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
}

describe("subprocess executor", () => {
  it("runs dynamic, mapped, collect and retried function ops through step specs, with the same results as in-process", async () => {
    const local = join(dir, "shapes-local");
    const sub = join(dir, "shapes-sub");
    const a = sluice(["pipeline", "run", "shapes.ts", "--store", local, "--json"]);
    expect(a.code, a.stderr.slice(-2000)).toBe(0);
    const b = sluice(["pipeline", "run", "shapes.ts", "--store", sub, "--executor", "subprocess", "--json"]);
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    const nodes = (JSON.parse(b.stdout) as { nodes: Array<{ id: string; status: string; attempts: number; host?: string }> }).nodes;
    expect(nodes.map((n) => [n.id, n.status]).sort()).toEqual([
      ["flaky", "succeeded"],
      ["groups", "succeeded"],
      ["numbers", "succeeded"],
      ["pick[even]", "succeeded"],
      ["pick[odd]", "succeeded"],
      ["total", "succeeded"],
    ]);
    expect(nodes.find((n) => n.id === "flaky")!.attempts).toBe(2);
    expect(nodes.every((n) => typeof n.host === "string" && n.host.length > 0)).toBe(true);
    // Log lines of a step travel back from the child into the run's live view.
    expect(b.stderr).toContain("pick[odd]: picking odd");
    const store = new AssetStore(sub, { readOnly: true });
    const inProcess = new AssetStore(local, { readOnly: true });
    try {
      // Lineage recorded by the runner: the total's inputs are both picked versions.
      expect(store.latest("shapes/total")!.inputs.map((i) => i.partition).sort()).toEqual(["even", "odd"]);
      expect(store.latest("shapes/flaky")!.runId).toBe((JSON.parse(b.stdout) as { runId: string }).runId);
      // The step ran in a child process, not in the runner (in-process, it ran in the runner).
      const pidIn = async (s: AssetStore) => Number(((await s.readRows("shapes/flaky")) as Array<{ pid: unknown }>)[0]!.pid);
      expect(await pidIn(inProcess)).toBe(a.pid);
      expect(await pidIn(store)).not.toBe(b.pid);
    } finally {
      store.close();
      inProcess.close();
    }
    const [x, y] = [await storeContents(local, ["pid"]), await storeContents(sub, ["pid"])];
    expect(y).toEqual(x);
    expect(y["shapes/total"]![""]).toEqual([JSON.stringify({ sum: 45, parts: 2 })]);
    // A second run skips every step with outputs as up to date.
    const c = sluice(["pipeline", "run", "shapes.ts", "--store", sub, "--executor", "subprocess", "--json"]);
    expect(c.code, c.stderr.slice(-2000)).toBe(0);
    const again = (JSON.parse(c.stdout) as { nodes: Array<{ id: string; status: string }> }).nodes;
    expect(again.filter((n) => n.id !== "groups").every((n) => n.status === "skipped")).toBe(true);
  }, 600_000);

  it("SIGTERM to the runner stops its running step processes, records the run cancelled and exits 143", async () => {
    writeFileSync(join(dir, "slow.ts"), `import { fnOp, pipeline } from "sluice";\nexport default pipeline("slow", [fnOp({ name: "wait", outputs: ["slow/x"], run: async () => { await new Promise((r) => setTimeout(r, 600_000)); return [{ x: 1 }]; } })]);\n`);
    const store = join(dir, "slow-store");
    const runner = spawn(process.execPath, [bin, "pipeline", "run", "slow.ts", "--store", store, "--executor", "subprocess", "--json"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    runner.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => runner.on("close", (code) => resolve(code)));
    let children: number[] = [];
    for (let i = 0; i < 1200 && children.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      children = stepChildren(runner.pid!);
    }
    expect(children).toHaveLength(1);
    runner.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(children.filter(isRunning)).toEqual([]);
    expect((JSON.parse(stdout) as { status: string }).status).toBe("cancelled");
  }, 300_000);

  it("the clickstream example (function and notebook ops, one hour) records the same assets and values as in-process", () => {
    const file = join(repo, "notebooks/clickstream/pipeline.ts");
    const local = join(dir, "click-local");
    const sub = join(dir, "click-sub");
    const a = sluice(["pipeline", "run", file, "--partition", "2024-03-01T05", "--store", local, "--json"]);
    expect(a.code, a.stderr.slice(-2000)).toBe(0);
    const b = sluice(["pipeline", "run", file, "--partition", "2024-03-01T05", "--store", sub, "--executor", "subprocess", "--json"]);
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    const nodes = (JSON.parse(b.stdout) as { nodes: Array<{ id: string; status: string }> }).nodes;
    expect(nodes.map((n) => [n.id, n.status])).toEqual([
      ["page_views[2024-03-01T05]", "succeeded"],
      ["hourly_stats[2024-03-01T05]", "succeeded"],
      ["ndjson_export[2024-03-01T05]", "succeeded"],
    ]);
    return Promise.all([storeContents(local), storeContents(sub)]).then(([x, y]) => {
      expect(Object.keys(y).sort()).toEqual(["clickstream/ndjson_files", "clickstream/page_stats", "clickstream/raw_files"]);
      expect(y["clickstream/page_stats"]!["2024-03-01T05"]!.length).toBeGreaterThan(10);
      expect(y).toEqual(x);
      // The executed notebook is kept, as in-process.
      const store = new AssetStore(sub, { readOnly: true });
      try {
        expect(store.latest("hourly_stats/notebook")?.metadata.status?.value).toBe("succeeded");
      } finally {
        store.close();
      }
    });
  }, 600_000);
});

describe("sluice step exec", () => {
  /** The code version as the built library computes it (what a runner of this checkout would send). */
  function codeVersionOf(file: string): string {
    const script = `const m = await import(${JSON.stringify(join(repo, "dist/src/pipeline/index.js"))}); process.stdout.write(await m.pipelineCodeVersion(await m.loadPipelineFile(${JSON.stringify(file)})));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout;
  }

  async function validSpec(): Promise<StepSpec> {
    new AssetStore(join(dir, "exec-store")).close();
    return {
      specVersion: 1,
      runId: "r-exec",
      stepId: "numbers",
      pipelineFile: join(dir, "shapes.ts"),
      pipeline: "shapes",
      op: "numbers",
      storeRoot: join(dir, "exec-store"),
      codeVersion: codeVersionOf(join(dir, "shapes.ts")),
      dataVersion: "d1",
      attempt: 1,
      inputs: [],
    };
  }

  it("runs one step from a spec file: data file written under the store, not recorded in the catalog", async () => {
    const spec = await validSpec();
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    const r = sluice(["step", "exec", "spec.json"]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as StepResult;
    expect(result).toMatchObject({ ok: true, stepId: "numbers", attempt: 1 });
    expect(result.files).toHaveLength(1);
    expect(result.files[0]).toMatchObject({ key: "shapes/numbers", format: "parquet" });
    expect(result.files[0]!.path).toMatch(/^data\/shapes\/numbers\/.+\.parquet$/);
    const store = new AssetStore(spec.storeRoot, { readOnly: true });
    try {
      expect(store.list()).toEqual([]); // only the runner records
    } finally {
      store.close();
    }
  }, 120_000);

  it("refuses another code version and a malformed spec with typed errors, exit 2, and a JSON result", async () => {
    const spec = await validSpec();
    const other = sluice(["step", "exec", "-"], JSON.stringify({ ...spec, codeVersion: "0123456789abcdef" }));
    expect(other.code).toBe(2);
    const result = JSON.parse(other.stdout.trim()) as StepResult;
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ type: "CodeVersionMismatchError", retryable: false });
    expect(result.error!.message).toContain("0123456789abcdef");
    expect(other.stderr).toMatch(/code version mismatch.*same pipeline file, notebooks and Sluice version at the same path/s);
    expect(result.files).toEqual([]);

    const notJson = sluice(["step", "exec", "-"], "{ not json");
    expect(notJson.code).toBe(2);
    expect((JSON.parse(notJson.stdout) as StepResult).error).toMatchObject({ type: "StepSpecError" });
    expect(notJson.stderr).toMatch(/is not JSON/);

    const { attempt: _a, inputs: _i, ...missing } = spec;
    const bad = sluice(["step", "exec", "-"], JSON.stringify({ ...missing, storeRoot: "relative/store" }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/attempt must be a whole number/);
    expect(bad.stderr).toMatch(/inputs must be an array/);
    expect(bad.stderr).toMatch(/storeRoot must be an absolute path/);

    const unmounted = sluice(["step", "exec", "-"], JSON.stringify({ ...spec, storeRoot: join(dir, "no-such-store") }));
    expect(unmounted.code).toBe(2);
    expect(unmounted.stderr).toMatch(/is not on this node/);

    const noFile = sluice(["step", "exec", join(dir, "missing.json")]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/cannot read step spec .*missing\.json: no such file/);
  }, 120_000);

  it("a failing op: exit 1 and the error in the result", async () => {
    const spec = await validSpec();
    const r = sluice(["step", "exec", "-"], JSON.stringify({ ...spec, stepId: "flaky", op: "flaky" }));
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout.trim()) as StepResult;
    expect(result).toMatchObject({ ok: false, error: { type: "Error", message: "first attempt fails", retryable: true } });
  }, 120_000);
});

describe("sluice step serve", () => {
  it("answers one result line per spec on its result fd, and exits by itself after 32 pipeline loads (modules are never unloaded)", async () => {
    new AssetStore(join(dir, "serve-store")).close();
    const script = `const m = await import(${JSON.stringify(join(repo, "dist/src/pipeline/index.js"))}); process.stdout.write(await m.pipelineCodeVersion(await m.loadPipelineFile(${JSON.stringify(join(dir, "shapes.ts"))})));`;
    const codeVersion = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).stdout;
    const spec: StepSpec = {
      specVersion: 1, runId: "r-serve", stepId: "numbers", pipelineFile: join(dir, "shapes.ts"), pipeline: "shapes", op: "numbers",
      storeRoot: join(dir, "serve-store"), codeVersion, dataVersion: "d1", attempt: 1, inputs: [],
    };
    const child = spawn(process.execPath, [bin, "step", "serve", "--result-fd", "3"], { cwd: dir, stdio: ["pipe", "ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let buffered = "";
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      for (let i = buffered.indexOf("\n"); i >= 0; i = buffered.indexOf("\n")) (lines.push(buffered.slice(0, i)), (buffered = buffered.slice(i + 1)));
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // One step with the runner's code version (one load), then specs of other versions: each loads the file again
    // (and is refused). 40 are sent; the 32nd load's answer is the last.
    child.stdin!.write(JSON.stringify(spec) + "\n");
    for (let i = 0; i < 39; i++) child.stdin!.write(JSON.stringify({ ...spec, stepId: `other-${i}`, codeVersion: `${String(i).padStart(4, "0")}aaaaaaaaaaaa` }) + "\n");
    expect(await exited).toBe(0);
    const results = lines.map((l) => JSON.parse(l) as StepResult);
    expect(results).toHaveLength(32);
    expect(results[0]).toMatchObject({ ok: true, stepId: "numbers" });
    expect(results.slice(1).every((r) => r.ok === false && r.error?.type === "CodeVersionMismatchError")).toBe(true);
  }, 180_000);
});
