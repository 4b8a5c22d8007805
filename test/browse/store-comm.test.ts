// Comm target `sluice.store` through the real Sluice kernel and the reference client (jupyter_client),
// on a real store (SQLite catalog, Parquet files written by DuckDB) filled by a real pipeline run:
// the runs with their nodes, the run's log file (context.log lines, retries, the failure), assets
// with partitions, lineage and history, an executed notebook's content; bad requests get an error
// that names the problem; a folder without a store is reported, not created.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnOp, fromColumns, pipeline, runPipeline, staticPartitions, type LazyFrame } from "../../src/index.js";
import { AssetStore } from "../../src/store/index.js";
import { readRunLog } from "../../src/pipeline/runlog.js";
import { snapshotSluice } from "../extension/lab.js";

const repo = resolve(import.meta.dirname, "..", "..");
const python = process.env.SLUICE_PYTHON ?? join(repo, ".venv", "bin", "python");
const driver = join(import.meta.dirname, "py", "store_session.py");
let home: string;
let prefix: string;
let storeRoot: string;
let good: string;
let bad: string;
let notebookVersion: string;

function ask(root: string, ...requests: object[]): any[] {
  const out = execFileSync(python, [driver, ...requests.map((r) => JSON.stringify(r))], {
    env: { ...process.env, JUPYTER_PATH: join(prefix, "share", "jupyter"), SLUICE_STORE: root },
    cwd: home,
    encoding: "utf8",
    timeout: 120_000,
  });
  return JSON.parse(out);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "sluice-store-comm-"));
  prefix = join(home, "prefix");
  storeRoot = join(home, "store");
  const sluice = await snapshotSluice(join(home, "sluice"));
  execFileSync(process.execPath, [sluice, "kernel", "install", "--prefix", prefix], { encoding: "utf8" });

  const store = new AssetStore(storeRoot);
  try {
    const days = staticPartitions(["d1", "d2"]);
    // d2's first attempt fails, whichever partition runs first (a shared counter made it order-dependent).
    let d2Attempts = 0;
    const p = pipeline("demo", [
      fnOp({
        name: "raw",
        partitions: days,
        outputs: ["demo/raw"],
        run: (ctx) => {
          ctx.log(`making ${ctx.partitionKey}`);
          return fromColumns({ day: [ctx.partitionKey!, ctx.partitionKey!], n: [1, 2] });
        },
      }),
      fnOp({
        name: "total",
        partitions: days,
        inputs: { raw: "demo/raw" },
        outputs: ["demo/total"],
        retries: { max: 1, backoffMs: 1 },
        run: (ctx, inputs) => {
          if (ctx.partitionKey === "d2" && ++d2Attempts === 1) throw new Error("flaky source");
          return (inputs.raw as LazyFrame).select("day", "n");
        },
      }),
    ]);
    good = (await runPipeline(p, { store, backfill: "d1..d2", reporter: false })).runId;
    const broken = pipeline("broken", [fnOp({ name: "boom", outputs: ["demo/never"], run: () => { throw new Error("the source is gone"); } })]);
    bad = (await runPipeline(broken, { store, reporter: false })).runId;
    // An executed notebook, kept the way notebook ops keep theirs (`<op>/notebook`, format ipynb).
    const nb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source: "# executed" }] };
    const file = await store.writeFile("report/notebook", { ipynb: JSON.stringify(nb) });
    notebookVersion = (await store.commit(file, { runId: good, op: "report", metadata: { status: "succeeded" } })).version;
  } finally {
    store.close();
  }
}, 180_000);

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("comm sluice.store through jupyter_client", () => {
  it("answers runs, a run with its nodes and log, assets, an asset with partitions and lineage, a notebook", () => {
    const [runs, run, failed, assets, asset, notebook] = ask(
      storeRoot,
      { id: 1, type: "runs" },
      { id: 2, type: "run", runId: good },
      { id: 3, type: "run", runId: bad },
      { id: 4, type: "assets" },
      { id: 5, type: "asset", key: "demo/total" },
      { id: 6, type: "notebook", version: notebookVersion },
    );
    expect(runs).toMatchObject({ id: 1, type: "runs", store: { root: storeRoot, exists: true } });
    expect(runs.runs.map((r: any) => [r.pipeline, r.status])).toEqual([
      ["broken", "failed"],
      ["demo", "succeeded"],
    ]);
    expect(runs.runs[1].counts.succeeded).toBe(4);

    expect(run.id).toBe(2);
    expect(run.ops.map((o: any) => o.nodeId).sort()).toEqual(["raw[d1]", "raw[d2]", "total[d1]", "total[d2]"]);
    expect(run.ops.every((o: any) => o.startedAt <= o.endedAt)).toBe(true);
    expect(run.ops.find((o: any) => o.nodeId === "total[d2]").attempts).toBe(2);
    // The run's log file: context.log lines and the retry, attributed to their node.
    expect(run.log.filter((e: any) => e.kind === "log").map((e: any) => [e.node, e.text]).sort()).toEqual([
      ["raw[d1]", "making d1"],
      ["raw[d2]", "making d2"],
    ]);
    expect(run.log.find((e: any) => e.kind === "retry")).toMatchObject({ node: "total[d2]", text: expect.stringContaining("flaky source") });
    expect(run.notebooks).toEqual([expect.objectContaining({ key: "report/notebook", op: "report", version: notebookVersion, status: "succeeded" })]);
    expect(failed.run).toMatchObject({ status: "failed", error: expect.stringContaining("the source is gone") });
    expect(failed.log).toEqual([expect.objectContaining({ node: "boom", kind: "error", text: "the source is gone" })]);

    expect(assets.assets.map((a: any) => [a.key, a.partitions])).toEqual([
      ["demo/raw", 2],
      ["demo/total", 2],
      ["report/notebook", 0],
    ]);
    const detail = asset.asset;
    expect(detail.partitions.map((m: any) => [m.partition, m.rowCount])).toEqual([
      ["d1", 2],
      ["d2", 2],
    ]);
    expect(detail.lineage.upstream).toEqual([{ key: "demo/raw", depth: 1 }]);
    expect(detail.lineage.edges).toEqual([{ from: "demo/raw", to: "demo/total" }]);
    expect(detail.history).toHaveLength(2);
    expect(existsSync(detail.latest.path)).toBe(true);
    expect(detail.latest.schema.map((c: any) => c.name)).toEqual(["day", "n"]);

    expect(notebook).toMatchObject({ type: "notebook", ref: { key: "report/notebook" }, content: { cells: [{ source: "# executed" }] } });
    expect(notebook.path.startsWith(join(storeRoot, "data", "report", "notebook"))).toBe(true);
  });

  it("answers bad requests with an error that names the problem, and keeps answering", () => {
    const [unknownRun, unknownAsset, notNotebook, unknownType, runs] = ask(
      storeRoot,
      { id: 1, type: "run", runId: "nope" },
      { id: 2, type: "asset", key: "demo/nope" },
      { id: 3, type: "notebook", version: "nope" },
      { id: 4, type: "delete" },
      { id: 5, type: "runs", limit: 1 },
    );
    expect(unknownRun).toEqual({ id: 1, type: "error", message: expect.stringMatching(/no run "nope" in .*; ask for \{type:"runs"\}/) });
    expect(unknownAsset).toEqual({ id: 2, type: "error", message: expect.stringMatching(/asset "demo\/nope" has no materialization/) });
    expect(notNotebook).toEqual({ id: 3, type: "error", message: expect.stringMatching(/no executed notebook with version "nope"/) });
    expect(unknownType).toEqual({ id: 4, type: "error", message: expect.stringMatching(/unknown request type "delete"; send runs, run, assets, asset or notebook/) });
    expect(runs.runs).toHaveLength(1);
  });

  it("reports a folder without a store as empty and does not create one there", () => {
    const none = join(home, "no-store-here");
    const [runs, assets, run] = ask(none, { id: 1, type: "runs" }, { id: 2, type: "assets" }, { id: 3, type: "run", runId: good });
    expect(runs).toEqual({ id: 1, type: "runs", store: { root: none, exists: false }, runs: [] });
    expect(assets).toEqual({ id: 2, type: "assets", store: { root: none, exists: false }, assets: [] });
    expect(run.message).toMatch(/there is no asset store at .*no-store-here; run a pipeline first/);
    expect(existsSync(none)).toBe(false);
  });

  it("keeps the log of every run in runs/<id>/log.ndjson", () => {
    expect(readRunLog(storeRoot, good, "raw[d1]")).toEqual([expect.objectContaining({ kind: "log", text: "making d1" })]);
    expect(readRunLog(storeRoot, "no-such-run")).toEqual([]);
  });
});
