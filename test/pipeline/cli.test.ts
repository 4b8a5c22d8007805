// `sluice pipeline` and `sluice assets` as real processes on a real store.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installSluiceKernel, notebook, waitFor, writeNotebook } from "../run/helpers.js";
import { sluiceKernelPids } from "../helpers/processes.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let dir: string;
let storeDir: string;

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, SLUICE_STORE: storeDir }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-pipecli-"));
  storeDir = join(dir, "store");
  // A pipeline file outside the repo (no node_modules): "sluice" resolves to this library.
  writeFileSync(
    join(dir, "daily.ts"),
    `import { fnOp, pipeline, dailyPartitions, col, type LazyFrame } from "sluice";
const days = dailyPartitions({ start: "2024-01-01" });
export default pipeline("daily", [
  fnOp({ name: "events", partitions: days, outputs: ["events/raw"],
         run: (ctx) => Array.from({ length: 6 }, (_, i) => ({ day: ctx.partitionKey, i })) }),
  fnOp({ name: "late", partitions: days, inputs: { raw: "events/raw" }, outputs: ["events/late"],
         run: (_ctx, inputs) => (inputs.raw as LazyFrame).filter(col("i").ge(3)) }),
  fnOp({ name: "fails", partitions: days, inputs: { raw: "events/raw" }, outputs: ["events/never"],
         run: () => { throw new Error("always fails"); } }),
], { maxConcurrency: 2 });
`,
  );
  writeFileSync(
    join(dir, "cyclic.ts"),
    `import { fnOp, pipeline } from "sluice";
export default pipeline("cyclic", [
  fnOp({ name: "a", inputs: { b: "b" }, outputs: ["a"], run: () => [] }),
  fnOp({ name: "b", inputs: { a: "a" }, outputs: ["b"], run: () => [] }),
]);
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sluice pipeline / sluice assets", () => {
  it("shows, runs, reports and inspects", () => {
    const show = sluice("pipeline", "show", "daily.ts");
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("late  (function, partitions daily:2024-01-01:)");
    expect(JSON.parse(sluice("pipeline", "show", "daily.ts", "--vega").stdout).layer).toHaveLength(3);

    const invalid = sluice("pipeline", "run", "cyclic.ts");
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/cycle: a → b → a|cycle: b → a → b/);

    const noPartition = sluice("pipeline", "run", "daily.ts");
    expect(noPartition.code).toBe(2);
    expect(noPartition.stderr).toContain("pass --partition KEY or --backfill FROM..TO");

    const run = sluice("pipeline", "run", "daily.ts", "--backfill", "2024-01-01..2024-01-03", "--json");
    expect(run.code).toBe(1); // "fails" fails in every partition
    const summary = JSON.parse(run.stdout);
    expect(summary.counts).toMatchObject({ succeeded: 6, failed: 3 });
    expect(run.stderr).toContain("✗ fails[2024-01-01]: failed: always fails");
    expect(existsSync(summary.ganttPath)).toBe(true);

    const again = sluice("pipeline", "run", "daily.ts", "--partition", "2024-01-02", "--only", "events", "late");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/↷ late\[2024-01-02\]: skipped \(up to date \(data version [0-9a-f]+\)\)/);

    const ls = JSON.parse(sluice("assets", "ls", "--json").stdout);
    expect(ls.map((a: { key: string }) => a.key)).toEqual(["events/late", "events/raw"]);
    expect(ls[0]).toMatchObject({ materializations: 3, partitions: 3, latest: { rowCount: 3 } });

    const show2 = sluice("assets", "show", "events/late", "--partition", "2024-01-02");
    expect(show2.code).toBe(0);
    expect(show2.stdout).toMatch(/rows\s+3/);
    expect(show2.stdout).toContain("inputs     events/raw[2024-01-02]@");
    const lineage = sluice("assets", "lineage", "events/raw");
    expect(lineage.stdout).toContain("→ events/late");
    expect(sluice("assets", "history", "events/raw").stdout.trim().split("\n")).toHaveLength(4);

    const missing = sluice("assets", "show", "events/nope");
    expect(missing.code).toBe(2); // an unknown key is bad input, like a missing file
    expect(missing.stderr).toContain("asset events/nope has no materialization");
    const bad = sluice("assets", "show", "../etc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/escape the store/);

    expect(sluice("pipeline", "run", "daily.ts", "--partition", "2024-01-02", "--force", "--only", "events").code).toBe(0);
    const gc = sluice("assets", "gc", "--keep-last", "1");
    expect(gc.stdout).toContain("deleted 1 versions");
  }, 240_000); // a dozen CLI processes in a row: minutes on a loaded 2-core machine (60 s was cut in CI)

  it("two pipeline processes writing to one store at once lose nothing", async () => {
    writeFileSync(
      join(dir, "many.ts"),
      `import { fnOp, pipeline } from "sluice";
export default pipeline("many", Array.from({ length: 12 }, (_, i) =>
  fnOp({ name: "op" + i, outputs: ["many/a" + i], run: () => Array.from({ length: 500 }, (_, r) => ({ i, r })) })), { maxConcurrency: 3 });
`,
    );
    const start = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [bin, "pipeline", "run", "many.ts", "--force", "--store", join(dir, "shared")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("exit", (code) => resolve(code === 0 ? "ok" : `exit ${code}:\n${out}`));
      });
    expect(await Promise.all([start(), start()])).toEqual(["ok", "ok"]);
    const { AssetStore } = await import("../../src/store/index.js");
    const store = new AssetStore(join(dir, "shared"));
    try {
      expect(store.runs().map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
      const assets = store.list();
      expect(assets).toHaveLength(12);
      for (const a of assets) {
        expect(a.materializations).toBe(2);
        for (const m of store.history(a.key)) {
          store.verify(m);
          expect(m.rowCount).toBe(500);
        }
      }
    } finally {
      store.close();
    }
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s interrupts a running notebook op, stops its kernel, records the run as cancelled and exits %d", async (signal, exitCode) => {
    const store = join(dir, `store-${signal}`);
    const napping = join(dir, `napping-${signal}`);
    const napCell = `import { writeFileSync } from "node:fs";\nconsole.log("napping");\nwriteFileSync(${JSON.stringify(napping)}, "");\nawait new Promise((r) => setTimeout(r, 120_000));`;
    const nap = writeNotebook(dir, "nap.ipynb", notebook([napCell], { name: "sluice", language: "typescript" }));
    writeFileSync(
      join(dir, "nap.ts"),
      `import { notebookOp, fnOp, pipeline } from "sluice";
export default pipeline("nap", [
  notebookOp({ name: "nap", notebook: ${JSON.stringify(nap)}, outputs: ["nap/out"] }),
  fnOp({ name: "after", inputs: { n: "nap/out" }, outputs: ["nap/after"], run: () => [{ x: 1 }] }),
]);
`,
    );
    const child = spawn(process.execPath, [bin, "pipeline", "run", "nap.ts", "--store", store], {
      cwd: dir,
      env: { ...process.env, JUPYTER_PATH: installSluiceKernel() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    // The op's kernel: the Sluice kernel whose SLUICE_CONTEXT names this run's store.
    const kernels = () => sluiceKernelPids(store);
    const pids = await waitFor(() => kernels().length > 0 && kernels(), 60_000, "the notebook op's kernel");
    await waitFor(() => existsSync(napping), 60_000, "the nap cell running");
    child.kill(signal);
    expect(await exited).toBe(exitCode);
    expect(stderr).toContain(`sluice pipeline: ${signal}: cancelling the run`);
    const alive = (pid: string) => {
      try {
        process.kill(Number(pid), 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(pids.filter(alive)).toEqual([]);
    expect(kernels()).toEqual([]);
    const { AssetStore } = await import("../../src/store/index.js");
    const s = new AssetStore(store);
    try {
      const [run] = s.runs();
      expect(run!.status).toBe("cancelled");
      const ops = Object.fromEntries(s.opRuns(run!.runId).map((o) => [o.op, o.status]));
      expect(ops).toEqual({ nap: "failed", after: "upstream_failed" });
      // The interrupted notebook is kept, showing where it stopped.
      const kept = s.latest("nap/notebook")!;
      expect(readFileSync(s.absolutePath(kept), "utf8")).toContain("napping");
    } finally {
      s.close();
    }
  }, 120_000);
});
