// A pipeline mixing notebook ops (the real Sluice kernel, run through executeNotebook) and function ops.
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { LazyFrame } from "../../src/frame/index.js";
import { fnOp, notebookOp, pipeline, runPipeline, staticPartitions } from "../../src/pipeline/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { latestCheckResults } from "../../src/pipeline/checks.js";
import { installSluiceKernel, notebook, writeNotebook } from "../run/helpers.js";

const TS = { name: "sluice", language: "typescript" };
let root: string;
let store: AssetStore;
let enrich: string;
let broken: string;
let checked: string;

beforeAll(() => {
  process.env.JUPYTER_PATH = installSluiceKernel();
  root = mkdtempSync(join(tmpdir(), "sluice-nbpipe-"));
  store = new AssetStore(join(root, "store"));
  enrich = writeNotebook(
    root,
    "enrich.ipynb",
    notebook(
      [
        { source: "const factor = 2;\nconst minimum = 1;", tags: ["parameters"] },
        'import { context, col, meta } from "sluice";',
        'const raw = await context.input("e2e/raw");\ncontext.log(`run ${context.runId} partition ${context.partitionKey ?? "-"} factor ${context.params.factor}`);',
        'const enriched = raw.filter(col("n").gt(minimum)).withColumns(col("n").mul(factor).alias("scaled"));\n' +
          'await context.yieldAsset("e2e/enriched", enriched, { metadata: { factor, note: meta.markdown("**scaled** by factor"), source: meta.url("https://example.com/data") } });\n' +
          '"done"',
      ],
      TS,
    ),
  );
  // Two outputs, each checked by a cell: "bad" has a negative amount, which a blocking check catches.
  checked = writeNotebook(
    root,
    "checked.ipynb",
    notebook(
      [
        'import { context, fromColumns, col } from "sluice";',
        'const amounts = fromColumns({ amount: context.partitionKey === "bad" ? [5, -2, 7] : [5, 2, 7] });\n' +
          'await context.yieldAsset("nb/amounts", amounts);\n' +
          'const summary = amounts.filter(col("amount").gt(0));\n' +
          'await context.yieldAsset("nb/summary", summary);',
        'const negative = await amounts.filter(col("amount").lt(0)).count();\n' +
          'context.check("nb/amounts", "no_negative", { passed: negative === 0, description: `${negative} negative amount(s)`, metadata: { negative } }, { blocking: true })',
        'context.check("nb/summary", "not_empty", (await summary.count()) > 0)',
      ],
      TS,
    ),
  );
  broken = writeNotebook(root, "broken.ipynb", notebook([{ source: "const x = 1;", tags: ["parameters"] }, 'throw new Error("notebook broke on purpose")'], TS));
});
afterAll(() => {
  store?.close();
  rmSync(root, { recursive: true, force: true });
});

const build = (factor: number) =>
  pipeline("mixed", [
    fnOp({ name: "raw", outputs: ["e2e/raw"], run: () => [1, 2, 3, 4].map((n) => ({ n })) }),
    notebookOp({ name: "enrich", notebook: enrich, params: { factor }, inputs: { raw: "e2e/raw" }, outputs: ["e2e/enriched"] }),
    fnOp({
      name: "total",
      inputs: { e: "e2e/enriched" },
      outputs: ["e2e/total"],
      run: async (_ctx, inputs) => {
        const rows = (await (inputs.e as LazyFrame).collect()).toRecords();
        return [{ rows: rows.length, sum: rows.reduce((s, r) => s + Number(r.scaled), 0) }];
      },
    }),
  ]);

describe("notebook ops", () => {
  it("runs notebook and function ops end to end, with lineage, metadata and the executed notebook kept", async () => {
    const logs: string[] = [];
    const result = await runPipeline(build(3), { store, reporter: (e) => void (e.type === "node.log" && logs.push(e.text)) });
    expect(result.nodes.map((n) => [n.id, n.status, n.error])).toEqual([
      ["raw", "succeeded", undefined],
      ["enrich", "succeeded", undefined],
      ["total", "succeeded", undefined],
    ]);
    expect(await store.readRows("e2e/total")).toEqual([{ rows: 3, sum: (2 + 3 + 4) * 3 }]);
    const enriched = store.latest("e2e/enriched")!;
    expect(enriched.runId).toBe(result.runId);
    expect(enriched.op).toBe("enrich");
    expect(enriched.params).toEqual({ factor: 3 });
    expect(enriched.rowCount).toBe(3);
    expect(enriched.inputs).toEqual([expect.objectContaining({ key: "e2e/raw", version: store.latest("e2e/raw")!.version })]);
    expect(enriched.metadata).toEqual({
      factor: { type: "int", value: 3 },
      note: { type: "markdown", value: "**scaled** by factor" },
      source: { type: "url", value: "https://example.com/data" },
    });
    expect(store.lineage("e2e/enriched")).toMatchObject({ upstream: [{ key: "e2e/raw", depth: 1 }], downstream: [{ key: "e2e/total", depth: 1 }] });
    expect(logs.some((l) => l.includes(`run ${result.runId}`) && l.includes("factor 3"))).toBe(true);
    // The executed notebook is an asset; the event displays stay out of its visible outputs.
    const nb = store.latest("enrich/notebook")!;
    expect(nb.format).toBe("ipynb");
    const saved = readFileSync(store.absolutePath(nb), "utf8");
    expect(saved).not.toContain("application/vnd.sluice.event+json");
    expect(JSON.parse(saved).metadata.sluice.status).toBe("succeeded");

    const again = await runPipeline(build(3), { store, reporter: false });
    expect(again.nodes.map((n) => n.status)).toEqual(["skipped", "skipped", "skipped"]);
    const changed = await runPipeline(build(4), { store, reporter: false });
    expect(changed.nodes.map((n) => [n.id, n.status, n.reason])).toEqual([
      ["raw", "skipped", expect.stringMatching(/^up to date/)],
      ["enrich", "succeeded", "parameters changed (factor: 3 → 4)"],
      ["total", "succeeded", "input e2e/enriched changed"],
    ]);
    expect(await store.readRows("e2e/total")).toEqual([{ rows: 3, sum: (2 + 3 + 4) * 4 }]);
  });

  it("notebook cells check the assets they yield: results recorded with metadata; a failing blocking check stops only that partition's downstream", async () => {
    const parts = staticPartitions(["good", "bad"]);
    const p = pipeline("nbchecks", [
      notebookOp({ name: "amounts", notebook: checked, partitions: parts, outputs: ["nb/amounts", "nb/summary"] }),
      fnOp({ name: "use", partitions: parts, inputs: { a: "nb/amounts" }, outputs: ["nb/used"], run: (_ctx, i) => i.a }),
    ]);
    const result = await runPipeline(p, { store, backfill: "good..bad", reporter: false });
    const status = Object.fromEntries(result.nodes.map((n) => [n.id, n.status]));
    expect(status).toEqual({ "amounts[good]": "succeeded", "amounts[bad]": "failed", "use[good]": "succeeded", "use[bad]": "upstream_failed" });
    expect(result.nodes.find((n) => n.id === "amounts[bad]")!.error).toBe("blocking check no_negative of nb/amounts (bad) failed: 1 negative amount(s)");
    expect(result.checks.map((c) => [c.check, c.asset, c.partition, c.passed, c.blocking]).sort()).toEqual([
      ["no_negative", "nb/amounts", "bad", false, true],
      ["no_negative", "nb/amounts", "good", true, true],
      ["not_empty", "nb/summary", "bad", true, false],
      ["not_empty", "nb/summary", "good", true, false],
    ]);
    const state = new PipelineState(store);
    const recorded = latestCheckResults(state, "nb/amounts", "bad")[0]!;
    expect(recorded).toMatchObject({ check: "no_negative", passed: false, blocking: true, description: "1 negative amount(s)", metadata: { negative: 1 } });
    // Recorded against the very version the notebook yielded for that partition.
    expect(recorded.version).toBe(store.latest("nb/amounts", { partition: "bad" })!.version);
    // Run again: the good partition is up to date; the bad one's stored version failed a blocking check, so it runs (and fails) again.
    const again = await runPipeline(p, { store, backfill: "good..bad", reporter: false });
    expect(Object.fromEntries(again.nodes.map((n) => [n.id, n.status]))).toMatchObject({ "amounts[good]": "skipped", "amounts[bad]": "failed", "use[bad]": "upstream_failed" });
  });

  it("keeps the executed notebook of a failed op and stops only its downstream", async () => {
    const p = pipeline("failing", [
      notebookOp({ name: "broken", notebook: broken, outputs: ["e2e/broken"] }),
      fnOp({ name: "after", inputs: { b: "e2e/broken" }, outputs: ["e2e/after"], run: () => [{ x: 1 }] }),
      fnOp({ name: "other", outputs: ["e2e/other"], run: () => [{ x: 1 }] }),
    ]);
    const result = await runPipeline(p, { store, reporter: false });
    const byId = Object.fromEntries(result.nodes.map((n) => [n.id, n]));
    expect(byId.broken!.status).toBe("failed");
    expect(byId.broken!.error).toMatch(/notebook broke on purpose/);
    expect(byId.after!.status).toBe("upstream_failed");
    expect(byId.other!.status).toBe("succeeded");
    const kept = store.latest("broken/notebook")!;
    expect(kept.metadata.status).toEqual({ type: "text", value: "failed" });
    expect(readFileSync(store.absolutePath(kept), "utf8")).toContain("notebook broke on purpose");
  });
});
