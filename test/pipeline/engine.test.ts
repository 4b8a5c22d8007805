import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AssetStore } from "../../src/store/index.js";
import { LazyFrame, col } from "../../src/frame/index.js";
import {
  dailyPartitions,
  fnOp,
  hourlyPartitions,
  notebookOp,
  pipeline,
  PipelineUsageError,
  PipelineValidationError,
  runPipeline,
  staticPartitions,
  validatePipeline,
  type PipelineEvent,
  type RunOptions,
} from "../../src/pipeline/index.js";

let root: string;
let store: AssetStore;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-pipe-"));
  store = new AssetStore(join(root, "store"));
});
afterEach(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

/** Rows of an op input (a lazy frame of a stored table), with integers as numbers. */
async function rowsOf<T = Record<string, number>>(input: unknown): Promise<T[]> {
  expect(input).toBeInstanceOf(LazyFrame);
  const records = (await (input as LazyFrame).collect()).toRecords();
  return records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]))) as T[];
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = (extra: RunOptions = {}): RunOptions => ({ store, reporter: false, ...extra });
const statusOf = (result: { nodes: Array<{ id: string; status: string }> }) => Object.fromEntries(result.nodes.map((n) => [n.id, n.status]));

describe("display", () => {
  it("a pipeline shows its DAG as vega-lite and text in a notebook", () => {
    const p = pipeline("shown", [
      fnOp({ name: "a", outputs: ["x/a"], run: () => [] }),
      fnOp({ name: "b", inputs: { a: "x/a" }, outputs: ["x/b"], run: () => [] }),
    ]);
    const bundle = (p as unknown as Record<symbol, () => Record<string, any>>)[Symbol.for("Jupyter.display")]!();
    expect(bundle["text/plain"]).toContain("  b  (function)\n    after   a\n    in      a = x/a\n    out     x/b");
    const spec = bundle["application/vnd.vegalite.v5+json"];
    expect(spec.layer[0].data.values).toEqual([{ x: 0, y: 0, x2: 1, y2: 0 }]);
    expect(spec.layer[1].data.values.map((n: { op: string; x: number }) => [n.op, n.x])).toEqual([["a", 0], ["b", 1]]);
  });
});

describe("validation before anything runs", () => {
  it("names cycles, missing inputs, two producers, bad keys and bad map targets, all at once", () => {
    let ran = false;
    const run = () => ((ran = true), [{ x: 1 }]);
    const p = pipeline("broken", [
      fnOp({ name: "a", inputs: { c: "c/out" }, outputs: ["a/out"], run }),
      fnOp({ name: "b", inputs: { a: "a/out" }, outputs: ["b/out"], run }),
      fnOp({ name: "c", inputs: { b: "b/out" }, outputs: ["c/out"], run }),
      fnOp({ name: "d", inputs: { raw: "raw/missing" }, outputs: ["d/out"], run }),
      fnOp({ name: "e", outputs: ["d/out"], run }),
      fnOp({ name: "f", outputs: ["../escape"], run }),
      fnOp({ name: "g", map: "a", outputs: ["g/out"], run }),
      fnOp({ name: "h", map: "nobody", run }),
    ]);
    let error: PipelineValidationError | undefined;
    try {
      validatePipeline(p, { store });
    } catch (e) {
      error = e as PipelineValidationError;
    }
    expect(error).toBeInstanceOf(PipelineValidationError);
    const text = error!.message;
    expect(text).toMatch(/cycle: a → c → b → a|cycle: .*a.*b.*c/);
    expect(text).toContain("op d input raw = raw/missing: no op produces it and the store has no materialization of it");
    expect(text).toContain("asset d/out has two producers: ops d and e");
    expect(text).toMatch(/op f, output: asset key "\.\.\/escape".*escape the store/);
    expect(text).toContain('op g has map: "a", but op a is not dynamic');
    expect(text).toContain('op h has map: "nobody", but there is no op named nobody');
    expect(ran).toBe(false);
  });

  it("accepts an input that is already in the store", async () => {
    await store.materialize("raw/events", [{ x: 1 }]);
    const p = pipeline("ok", [fnOp({ name: "a", inputs: { raw: "raw/events" }, outputs: ["a/out"], run: (_c, i) => i.raw })]);
    expect(() => validatePipeline(p, { store })).not.toThrow();
  });

  it("names unknown notebooks and unknown notebook parameters", async () => {
    const nb = join(root, "nb.ipynb");
    writeFileSync(
      nb,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "sluice", language: "typescript", display_name: "TypeScript (Sluice)" } },
        cells: [{ cell_type: "code", id: "p1", metadata: { tags: ["parameters"] }, source: "const region = \"eu\";\nconst limit = 10;", outputs: [], execution_count: null }],
      }),
    );
    const p = pipeline("nb", [
      notebookOp({ name: "n1", notebook: join(root, "missing.ipynb"), outputs: ["n1/out"] }),
      notebookOp({ name: "n2", notebook: nb, params: { region: "us", limt: 5 }, outputs: ["n2/out"] }),
    ]);
    await expect(runPipeline(p, quiet())).rejects.toThrow(PipelineValidationError);
    await expect(runPipeline(p, quiet())).rejects.toThrow(/notebook op n1: notebook .*missing\.ipynb does not exist/);
    await expect(runPipeline(p, quiet())).rejects.toThrow(/notebook op n2: parameter limt is not declared in the parameters cell of .*nb\.ipynb \(it declares region, limit\)/);
    expect(store.runs()).toEqual([]);
  });
});

describe("scheduling", () => {
  it("never runs more ops at once than maxConcurrency", async () => {
    let now = 0;
    let peak = 0;
    const ops = Array.from({ length: 8 }, (_, i) =>
      fnOp({
        name: `op${i}`,
        run: async () => {
          now += 1;
          peak = Math.max(peak, now);
          await sleep(40);
          now -= 1;
        },
      }),
    );
    const result = await runPipeline(pipeline("par", ops, { maxConcurrency: 3 }), quiet());
    expect(result.status).toBe("succeeded");
    expect(peak).toBe(3);
    peak = 0;
    await runPipeline(pipeline("par", ops), quiet({ maxConcurrency: 1 }));
    expect(peak).toBe(1);
  });

  it("runs ready ops by priority", async () => {
    const done: string[] = [];
    const op = (name: string, priority: number) => fnOp({ name, priority, run: async () => void (await sleep(5), done.push(name)) });
    await runPipeline(pipeline("prio", [op("low", 1), op("high", 10), op("mid", 5), op("none", 0)], { maxConcurrency: 1 }), quiet());
    expect(done).toEqual(["high", "mid", "low", "none"]);
  });

  it("a failed op stops its downstream, not independent branches; retries use backoff", async () => {
    let flaky = 0;
    const times: number[] = [];
    const p = pipeline(
      "fail",
      [
        fnOp({ name: "bad", outputs: ["bad/out"], run: () => { throw new Error("boom"); } }),
        fnOp({ name: "after_bad", inputs: { b: "bad/out" }, outputs: ["after/out"], run: () => [{ x: 1 }] }),
        fnOp({ name: "after_after", inputs: { b: "after/out" }, outputs: ["after2/out"], run: () => [{ x: 1 }] }),
        fnOp({
          name: "flaky",
          retries: { max: 2, backoffMs: 30 },
          outputs: ["flaky/out"],
          run: () => {
            times.push(Date.now());
            flaky += 1;
            if (flaky < 3) throw new Error(`flake ${flaky}`);
            return [{ ok: true }];
          },
        }),
        fnOp({ name: "independent", inputs: { f: "flaky/out" }, outputs: ["ind/out"], run: () => [{ y: 2 }] }),
      ],
      { maxConcurrency: 2 },
    );
    const events: PipelineEvent[] = [];
    const result = await runPipeline(p, quiet({ reporter: (e) => events.push(e) }));
    expect(result.status).toBe("failed");
    expect(statusOf(result)).toEqual({ bad: "failed", after_bad: "upstream_failed", after_after: "upstream_failed", flaky: "succeeded", independent: "succeeded" });
    const flakyNode = result.nodes.find((n) => n.id === "flaky")!;
    expect(flakyNode.attempts).toBe(3);
    expect(flakyNode.error).toBeUndefined();
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(55); // doubled
    expect(events.filter((e) => e.type === "node.retry").length).toBe(2);
    expect(result.nodes.find((n) => n.id === "after_bad")!.reason).toBe("upstream bad failed");
    expect(store.run(result.runId)!.status).toBe("failed");
    expect(store.latest("ind/out")).toBeDefined();
    // The Gantt chart is saved beside the run.
    const gantt = JSON.parse(readFileSync(result.ganttPath, "utf8"));
    expect(gantt.mark.type).toBe("bar");
    expect(gantt.data.values.map((v: { node: string }) => v.node).sort()).toEqual(["bad", "flaky", "independent"]);
    expect(existsSync(join(result.runDir, "summary.json"))).toBe(true);
  });
});

describe("run records", () => {
  it("a failure outside any op still ends the run as failed in the catalog", async () => {
    const p = pipeline("reporter", [fnOp({ name: "a", outputs: ["r/a"], run: () => [{ x: 1 }] })]);
    let runId = "";
    const reporter = (e: PipelineEvent) => {
      if (e.type === "run.start") runId = e.runId;
      if (e.type === "node.end") throw new Error("reporter broke");
    };
    await expect(runPipeline(p, quiet({ reporter }))).rejects.toThrow("reporter broke");
    expect(store.run(runId)).toMatchObject({ status: "failed", error: "reporter broke" });
    expect(store.opRuns(runId)).toEqual([expect.objectContaining({ nodeId: "a", status: "succeeded" })]);
  });
});

describe("op definitions", () => {
  it("a mistyped or missing option fails where the op is defined, naming the fix", async () => {
    expect(() => fnOp({ name: "a", output: ["x/a"], run: () => [] } as never)).toThrow('fnOp a: unknown option "output"; did you mean "outputs"?');
    expect(() => fnOp({ name: "a", outputs: ["x/a"] } as never)).toThrow("fnOp a: run must be a function (ctx, inputs) => data");
    expect(() => notebookOp({ name: "n", notebook: "x.ipynb", param: { a: 1 } } as never)).toThrow('notebookOp n: unknown option "param"; did you mean "params"?');
    expect(() => notebookOp({ name: "n" } as never)).toThrow("notebookOp n: notebook must be the path of an .ipynb file");
    expect(() => fnOp({ run: () => [] } as never)).toThrow("fnOp: name must be a non-empty string");
    const p = pipeline("typo", [fnOp({ name: "a", outputs: ["x/a"], run: () => [] })]);
    return expect(runPipeline(p, quiet({ partiton: "2024-01-01" } as never))).rejects.toThrow(
      'runPipeline typo: unknown option "partiton"; did you mean "partition"?',
    );
  });
});

describe("op context", () => {
  it("ctx.storeRoot is the runner's store, not $SLUICE_STORE, so side files follow --store", async () => {
    const before = process.env.SLUICE_STORE;
    process.env.SLUICE_STORE = join(root, "elsewhere");
    try {
      let seen = "";
      const p = pipeline("side", [fnOp({ name: "a", outputs: ["s/a"], run: (ctx) => ((seen = ctx.storeRoot), [{ x: 1 }]) })]);
      await runPipeline(p, quiet());
      expect(seen).toBe(store.root);
      expect(seen).toBe(join(root, "store"));
    } finally {
      if (before === undefined) delete process.env.SLUICE_STORE;
      else process.env.SLUICE_STORE = before;
    }
  });
});

describe("dynamic mapping", () => {
  it("maps over items, runs each item end to end before later items, and collects", async () => {
    const log: string[] = [];
    const step = (name: string, input: string | undefined, output: string) =>
      fnOp({
        name,
        map: "files",
        inputs: input ? { data: input } : {},
        outputs: [output],
        run: async (ctx, inputs) => {
          log.push(`start ${name} ${ctx.mappingKey}`);
          await sleep(10);
          log.push(`end ${name} ${ctx.mappingKey}`);
          const rows = input ? await rowsOf<{ n: number }>(inputs.data) : [{ n: ctx.item as number }];
          return rows.map((r) => ({ n: r.n * 10 }));
        },
      });
    const p = pipeline(
      "fanout",
      [
        fnOp({ name: "files", dynamic: true, run: () => [1, 2, 3, 4, 5, 6] }),
        step("load", undefined, "items/loaded"),
        step("clean", "items/loaded", "items/clean"),
        step("score", "items/clean", "items/scored"),
        fnOp({
          name: "total",
          collect: "files",
          inputs: { scored: "items/scored" },
          outputs: ["items/total"],
          run: async (_ctx, inputs) => {
            const parts = await Promise.all((inputs.scored as unknown[]).map((f) => rowsOf<{ n: number }>(f)));
            return [{ items: parts.length, sum: parts.flat().reduce((s, r) => s + r.n, 0) }];
          },
        }),
      ],
      { maxConcurrency: 2 },
    );
    const result = await runPipeline(p, quiet());
    expect(result.status).toBe("succeeded");
    expect(result.nodes.length).toBe(1 + 6 * 3 + 1);
    expect(await store.readRows("items/total")).toEqual([{ items: 6, sum: (1 + 2 + 3 + 4 + 5 + 6) * 1000 }]);
    expect(store.partitions("items/scored").sort()).toEqual(["1", "2", "3", "4", "5", "6"]);
    expect(await store.readRows("items/scored", { partition: "4" })).toEqual([{ n: 4000 }]);
    // Items run end to end, in order: a free slot goes to an earlier item's next op before a later item's
    // first, so with two slots no more than two items are ever between their first start and last end.
    // (Which of two running items ends first depends on timing, so the log order is not asserted further.)
    const inFlight = new Set<string>();
    let most = 0;
    for (const line of log) {
      const [what, op, item] = line.split(" ");
      if (what === "start" && op === "load") inFlight.add(item);
      if (what === "end" && op === "score") inFlight.delete(item);
      most = Math.max(most, inFlight.size);
    }
    expect(most).toBe(2);
    expect(log.filter((l) => l.startsWith("start load"))).toEqual([1, 2, 3, 4, 5, 6].map((i) => `start load ${i}`));
    // Lineage runs per item.
    const scored4 = store.latest("items/scored", { partition: "4" })!;
    expect(scored4.inputs).toEqual([expect.objectContaining({ key: "items/clean", partition: "4" })]);
  });
});

describe("partitions and backfills", () => {
  const make = (runs: string[]) => {
    const days = dailyPartitions({ start: "2024-01-01" });
    return pipeline("daily", [
      fnOp({ name: "config", outputs: ["ref/config"], run: () => [{ factor: 2 }] }),
      fnOp({
        name: "events",
        partitions: days,
        outputs: ["events/daily"],
        run: (ctx) => (runs.push(ctx.partitionKey!), [{ day: ctx.partitionKey, n: Number(ctx.partitionKey!.slice(-2)) }]),
      }),
      fnOp({
        name: "scaled",
        partitions: days,
        inputs: { e: "events/daily", c: "ref/config" },
        outputs: ["events/scaled"],
        run: async (_ctx, i) => {
          const e = (await rowsOf<{ day: string; n: number }>(i.e))[0]!;
          return [{ day: e.day, n: e.n * (await rowsOf<{ factor: number }>(i.c))[0]!.factor }];
        },
      }),
    ]);
  };

  it("runs one partition, backfills a range, and rejects bad keys", async () => {
    const runs: string[] = [];
    const p = make(runs);
    await expect(runPipeline(p, quiet())).rejects.toThrow(/has partitioned ops \(events, scaled\); pass --partition KEY or --backfill FROM\.\.TO/);
    await expect(runPipeline(p, quiet({ partition: "2024-13-01" }))).rejects.toThrow(PipelineUsageError);
    await expect(runPipeline(p, quiet({ partition: "2023-12-31" }))).rejects.toThrow(/before the first partition 2024-01-01/);
    await expect(runPipeline(p, quiet({ backfill: "2024-01-05..2024-01-02" }))).rejects.toThrow(/runs backwards/);

    const one = await runPipeline(p, quiet({ partition: "2024-01-03" }));
    expect(one.status).toBe("succeeded");
    expect(await store.readRows("events/scaled", { partition: "2024-01-03" })).toEqual([{ day: "2024-01-03", n: 6 }]);

    const back = await runPipeline(p, quiet({ backfill: "2024-01-01..2024-01-05" }));
    expect(back.status).toBe("succeeded");
    expect(store.partitions("events/scaled")).toEqual(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]);
    // 2024-01-03 was already up to date; the unpartitioned config ran once and was skipped.
    expect(statusOf(back)["events[2024-01-03]"]).toBe("skipped");
    expect(statusOf(back)["config"]).toBe("skipped");
    expect(runs).toEqual(["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"]);
  });

  it("supports static and hourly partitions", async () => {
    const regions = staticPartitions(["eu", "us", "apac"]);
    const p = pipeline("regions", [fnOp({ name: "r", partitions: regions, outputs: ["r/out"], run: (ctx) => [{ region: ctx.partitionKey }] })]);
    const result = await runPipeline(p, quiet({ backfill: "eu..us" }));
    expect(result.nodes.map((n) => n.id)).toEqual(["r[eu]", "r[us]"]);
    await expect(runPipeline(p, quiet({ partition: "mars" }))).rejects.toThrow(/"mars" is not one of eu, us, apac/);

    const hours = hourlyPartitions({ start: "2024-01-01T00" });
    const h = pipeline("hours", [fnOp({ name: "h", partitions: hours, outputs: ["h/out"], run: (ctx) => [{ hour: ctx.partitionKey }] })]);
    const hourly = await runPipeline(h, quiet({ backfill: "2024-01-01T22..2024-01-02T01" }));
    expect(hourly.nodes.map((n) => n.id)).toEqual(["h[2024-01-01T22]", "h[2024-01-01T23]", "h[2024-01-02T00]", "h[2024-01-02T01]"]);
    expect(await store.readRows("h/out", { partition: "2024-01-02T00" })).toEqual([{ hour: "2024-01-02T00" }]);
    await expect(runPipeline(h, quiet({ partition: "2024-01-01 05" }))).rejects.toThrow(/not a hourly partition key; write it like 2024-01-31T05/);
  });
});

describe("skip if up to date", () => {
  it("skips by data version and re-runs on code, parameter and input changes (and --force)", async () => {
    await store.materialize("raw/numbers", [{ n: 1 }, { n: 2 }]);
    let calls = 0;
    type Run = (ctx: { params: Record<string, unknown> }, inputs: Record<string, unknown>) => unknown;
    const make = (params: Record<string, unknown>, run: Run) =>
      pipeline("skip", [
        fnOp({ name: "scale", params, inputs: { raw: "raw/numbers" }, outputs: ["num/scaled"], run }),
        fnOp({ name: "sum", inputs: { s: "num/scaled" }, outputs: ["num/sum"], run: async (_c, i) => [{ sum: (await rowsOf<{ n: number }>(i.s)).reduce((a, r) => a + r.n, 0) }] }),
      ]);
    // The code version is the op function's source: these two differ by "+ 1".
    const times: Run = async (ctx, i) => (calls++, (await rowsOf<{ n: number }>(i.raw)).map((r) => ({ n: r.n * (ctx.params.k as number) })));
    const timesPlusOne: Run = async (ctx, i) => (calls++, (await rowsOf<{ n: number }>(i.raw)).map((r) => ({ n: r.n * (ctx.params.k as number) + 1 })));
    const first = await runPipeline(make({ k: 2 }, times), quiet());
    expect(statusOf(first)).toEqual({ scale: "succeeded", sum: "succeeded" });
    expect(first.nodes[0]!.reason).toBe("no materialization of num/scaled yet");

    const again = await runPipeline(make({ k: 2 }, times), quiet());
    expect(statusOf(again)).toEqual({ scale: "skipped", sum: "skipped" });
    expect(again.nodes[0]!.reason).toMatch(/^up to date \(data version [0-9a-f]{16}\)$/);
    expect(calls).toBe(1);

    const params = await runPipeline(make({ k: 3 }, times), quiet());
    expect(statusOf(params)).toEqual({ scale: "succeeded", sum: "succeeded" });
    expect(params.nodes[0]!.reason).toBe("parameters changed (k: 2 → 3)");
    expect(params.nodes[1]!.reason).toBe("input num/scaled changed");
    expect(await store.readRows("num/sum")).toEqual([{ sum: 9 }]);

    const code = await runPipeline(make({ k: 3 }, timesPlusOne), quiet());
    expect(code.nodes[0]!.reason).toBe("code of scale changed");
    expect(await store.readRows("num/sum")).toEqual([{ sum: 11 }]);

    await store.materialize("raw/numbers", [{ n: 10 }]);
    const input = await runPipeline(make({ k: 3 }, timesPlusOne), quiet());
    expect(input.nodes[0]!.reason).toBe("input raw/numbers changed");
    expect(await store.readRows("num/sum")).toEqual([{ sum: 31 }]);

    const forced = await runPipeline(make({ k: 3 }, timesPlusOne), quiet({ force: true }));
    expect(statusOf(forced)).toEqual({ scale: "succeeded", sum: "succeeded" });
    expect(forced.nodes[0]!.reason).toBe("--force");
  });

  it("re-runs when the data file of an up-to-date version is gone", async () => {
    const p = pipeline("gone", [fnOp({ name: "a", outputs: ["a/out"], run: () => [{ x: 1 }] })]);
    await runPipeline(p, quiet());
    rmSync(join(store.root, store.latest("a/out")!.path));
    const again = await runPipeline(p, quiet());
    expect(again.nodes[0]!.status).toBe("succeeded");
    expect(again.nodes[0]!.reason).toMatch(/a\/out version .* is missing/);
  });
});

describe("partial re-runs", () => {
  it("--from-failure re-runs only what failed or never ran; --only runs named ops with inputs from the store", async () => {
    let broken = true;
    const calls: string[] = [];
    const p = pipeline("partial", [
      fnOp({ name: "a", outputs: ["p/a"], run: () => (calls.push("a"), [{ v: 1 }]) }),
      fnOp({ name: "b", inputs: { a: "p/a" }, outputs: ["p/b"], run: () => { calls.push("b"); if (broken) throw new Error("b is broken"); return [{ v: 2 }]; } }),
      fnOp({ name: "c", inputs: { b: "p/b" }, outputs: ["p/c"], run: () => (calls.push("c"), [{ v: 3 }]) }),
    ]);
    const failed = await runPipeline(p, quiet());
    expect(statusOf(failed)).toEqual({ a: "succeeded", b: "failed", c: "upstream_failed" });
    broken = false;
    calls.length = 0;
    const resumed = await runPipeline(p, quiet({ fromFailure: failed.runId, force: true }));
    expect(statusOf(resumed)).toEqual({ a: "reused", b: "succeeded", c: "succeeded" });
    expect(calls).toEqual(["b", "c"]);
    calls.length = 0;
    const only = await runPipeline(p, quiet({ only: ["c"], force: true }));
    expect(statusOf(only)).toEqual({ a: "reused", b: "reused", c: "succeeded" });
    expect(calls).toEqual(["c"]);
    await expect(runPipeline(p, quiet({ only: ["zzz"] }))).rejects.toThrow(/--only zzz: no op of that name; ops are a, b, c/);
    await expect(runPipeline(p, quiet({ fromFailure: "nope" }))).rejects.toThrow(/--from-failure nope: no such run/);
  });
});

describe("in-process hand-over", () => {
  it("passes in-memory outputs to function ops as the same object and materializes only declared assets", async () => {
    const handle = { lazy: true, rows: [{ x: 1 }, { x: 2 }] };
    let received: unknown;
    const p = pipeline("memory", [
      fnOp({ name: "build", outputs: [{ key: "tmp/plan", materialize: false }], run: () => handle }),
      fnOp({
        name: "use",
        inputs: { plan: "tmp/plan" },
        outputs: ["final/out"],
        run: async (ctx, inputs) => {
          received = inputs.plan;
          expect(await ctx.input("tmp/plan")).toBe(handle);
          return (inputs.plan as typeof handle).rows;
        },
      }),
    ]);
    const result = await runPipeline(p, quiet());
    expect(result.status).toBe("succeeded");
    expect(received).toBe(handle);
    expect(store.latest("tmp/plan")).toBeUndefined();
    expect(await store.readRows("final/out")).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it("hands a lazy frame to the next function op unchanged, and materializes it by running the plan", async () => {
    await store.materialize("raw/n", Array.from({ length: 10 }, (_, i) => ({ n: i })));
    let produced: unknown;
    let received: unknown;
    const p = pipeline("lazy", [
      fnOp({ name: "big", inputs: { raw: "raw/n" }, outputs: ["lazy/big"], run: (_c, i) => (produced = (i.raw as LazyFrame).filter(col("n").gt(4))) }),
      fnOp({ name: "count", inputs: { big: "lazy/big" }, outputs: ["lazy/count"], run: async (_c, i) => ((received = i.big), [{ rows: (await rowsOf(i.big)).length }]) }),
    ]);
    const result = await runPipeline(p, quiet());
    expect(result.status).toBe("succeeded");
    expect(received).toBe(produced);
    expect(store.latest("lazy/big")!.rowCount).toBe(5);
    expect(await store.readRows("lazy/count")).toEqual([{ rows: 5 }]);
  });

  it("reports outputs an op forgot or yields it may not", async () => {
    const p = pipeline("outputs", [
      fnOp({ name: "forgets", outputs: ["o/a", "o/b"], run: async (ctx) => void (await ctx.yieldAsset("o/a", [{ a: 1 }], { metadata: { note: "first" } })) }),
      fnOp({ name: "extra", outputs: ["o/c"], run: async (ctx) => void (await ctx.yieldAsset("o/zzz", [{ a: 1 }])) }),
    ]);
    const result = await runPipeline(p, quiet());
    const byId = Object.fromEntries(result.nodes.map((n) => [n.id, n]));
    expect(byId.forgets!.error).toMatch(/op forgets finished without producing o\/b/);
    expect(byId.extra!.error).toMatch(/op extra yielded o\/zzz, which is not among its outputs \(o\/c\)/);
    expect(store.latest("o/a")!.metadata).toEqual({ note: { type: "text", value: "first" } });
  });
});
