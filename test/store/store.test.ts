import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync, readdirSync, existsSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays } from "apache-arrow";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AssetDataCorruptError,
  AssetDataMissingError,
  AssetNotFoundError,
  AssetStore,
  InvalidAssetKeyError,
  InvalidMetadataError,
  meta,
  normalizeAssetKey,
} from "../../src/store/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { startPostgres, type PostgresServer } from "../helpers/postgres.js";

// The whole suite runs on each catalog backend: the SQLite file in the store, and a PostgreSQL database
// (one private server for this file, a fresh database per test; SLUICE_CATALOG reaches the writer processes).
describe.each(["sqlite", "postgres"] as const)("%s catalog", (backend) => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    if (backend === "postgres") server = await startPostgres();
  });
  afterAll(async () => {
    delete process.env.SLUICE_CATALOG;
    await server?.destroy();
  });

  let root: string;
  let store: AssetStore;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), "sluice-store-"));
    if (server) process.env.SLUICE_CATALOG = await server.createDatabase();
    store = new AssetStore(root);
  });
  afterEach(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("opens the selected backend's catalog", () => {
    expect(store.backend).toBe(backend);
    expect(store.catalogPath).toBe(backend === "sqlite" ? join(root, "catalog.sqlite") : process.env.SLUICE_CATALOG);
  });

  describe("asset keys", () => {
    it("accepts path segments and rejects keys that escape the store", () => {
      expect(normalizeAssetKey(["clickstream", "hourly"])).toBe("clickstream/hourly");
      expect(normalizeAssetKey("a.b/c-d/e_f")).toBe("a.b/c-d/e_f");
      for (const bad of ["../etc", "a/../../b", "a/./b", "/abs", "a//b", "a b", "a\\b", "", "a/", "..", ["a", "b/c"], ["."]]) {
        expect(() => normalizeAssetKey(bad as string)).toThrow(InvalidAssetKeyError);
      }
    });

    it("refuses to write a bad key and writes nothing", async () => {
      await expect(store.materialize("../outside", [{ a: 1 }])).rejects.toThrow(/escape the store/);
      await expect(store.materialize("x/../../y", [{ a: 1 }])).rejects.toBeInstanceOf(InvalidAssetKeyError);
      expect(store.list()).toEqual([]);
      expect(readdirSync(join(root, "data"))).toEqual([]);
    });
  });

  describe("materializations", () => {
    it("refuses an option it does not know, before writing anything", async () => {
      await expect(store.materialize("sales/typo", [{ a: 1 }], { partiton: "2024-01-01" } as never)).rejects.toThrow('materialize: unknown option "partiton"; did you mean "partition"?');
      expect(store.list().map((a) => a.key)).not.toContain("sales/typo");
    });

    it("records data, schema, preview, byte size and typed metadata", async () => {
      const table = tableFromArrays({ id: Int32Array.from([1, 2, 3]), price: Float64Array.from([1.5, 2.5, 3.5]), name: ["a", "b", "c"] });
      const m = await store.materialize("sales/daily", table, {
        partition: "2024-01-02",
        runId: "run-1",
        op: "load",
        params: { region: "eu" },
        codeVersion: "code-1",
        metadata: {
          note: "plain text",
          report: meta.markdown("# Sales"),
          link: meta.url("https://example.com/r"),
          file: meta.path("/tmp/x"),
          count: 3,
          ratio: 0.5,
          ok: true,
          at: new Date("2024-01-02T00:00:00Z"),
          cfg: { a: [1, 2] },
          top: meta.table([{ name: "a", n: 1 }]),
        },
      });
      expect(m.key).toBe("sales/daily");
      expect(m.partition).toBe("2024-01-02");
      expect(m.rowCount).toBe(3);
      expect(m.byteSize).toBeGreaterThan(0);
      expect(m.schema).toEqual([
        { name: "id", type: "BIGINT" },
        { name: "price", type: "DOUBLE" },
        { name: "name", type: "VARCHAR" },
      ]);
      expect(m.preview).toEqual([
        { id: 1, price: 1.5, name: "a" },
        { id: 2, price: 2.5, name: "b" },
        { id: 3, price: 3.5, name: "c" },
      ]);
      expect(m.path).toBe(`data/sales/daily/${m.version}.parquet`);
      expect(m.params).toEqual({ region: "eu" });
      expect(m.metadata).toEqual({
        note: { type: "text", value: "plain text" },
        report: { type: "markdown", value: "# Sales" },
        link: { type: "url", value: "https://example.com/r" },
        file: { type: "path", value: "/tmp/x" },
        count: { type: "int", value: 3 },
        ratio: { type: "float", value: 0.5 },
        ok: { type: "bool", value: true },
        at: { type: "timestamp", value: "2024-01-02T00:00:00.000Z" },
        cfg: { type: "json", value: { a: [1, 2] } },
        top: { type: "table", value: [{ name: "a", n: 1 }] },
      });
      expect(await store.readRows("sales/daily", { partition: "2024-01-02" })).toEqual(m.preview);
    });

    it("rejects bad metadata before writing anything", async () => {
      await expect(store.materialize("a", [{ x: 1 }], { metadata: { link: meta.url("not a url") } })).rejects.toBeInstanceOf(InvalidMetadataError);
      await expect(store.materialize("a", [{ x: 1 }], { metadata: { n: meta.int(1.5) } })).rejects.toThrow(/"n".*integer/);
      await expect(store.materialize("a", [{ x: 1 }], { metadata: { z: { type: "colour", value: 1 } } })).rejects.toThrow(/unknown metadata type "colour"/);
      expect(store.list()).toEqual([]);
      expect(existsSync(join(root, "data", "a")) ? readdirSync(join(root, "data", "a")) : []).toEqual([]);
    });

    it("keeps history, latest per partition and the asset list", async () => {
      const a1 = await store.materialize("t", [{ v: 1 }], { partition: "p1" });
      const a2 = await store.materialize("t", [{ v: 2 }], { partition: "p2" });
      const a3 = await store.materialize("t", [{ v: 3 }], { partition: "p1" });
      expect(store.latest("t")!.version).toBe(a3.version);
      expect(store.latest("t", { partition: "p2" })!.version).toBe(a2.version);
      expect(store.latest("t", { partition: "p1" })!.version).toBe(a3.version);
      expect(store.history("t").map((m) => m.version)).toEqual([a3.version, a2.version, a1.version]);
      expect(store.history("t", { partition: "p1" }).map((m) => m.version)).toEqual([a3.version, a1.version]);
      expect(store.partitions("t")).toEqual(["p1", "p2"]);
      expect(store.list()).toEqual([expect.objectContaining({ key: "t", materializations: 3, partitions: 2 })]);
      expect(store.latest("nope")).toBeUndefined();
      await expect(store.readRows("nope")).rejects.toBeInstanceOf(AssetNotFoundError);
    });

    it("records the summary a step reported without reading its file again, and reads the file when that summary is malformed", async () => {
      // A step on another node reads its file back there (src/pipeline/executors/exec.ts); the runner trusts
      // a well-formed summary, so what it records is what the step reported.
      const reported = { rowCount: 2, schema: [{ name: "a", type: "BIGINT" }], preview: [{ a: "as the step read it" }] };
      const first = await store.commit({ ...(await store.writeFile("steps/out", [{ a: 1 }, { a: 2 }])), summary: reported });
      expect(first).toMatchObject({ rowCount: 2, preview: reported.preview });
      const malformed = { rowCount: -1, schema: "a", preview: [] } as unknown as typeof reported;
      const second = await store.commit({ ...(await store.writeFile("steps/out", [{ a: 1 }, { a: 2 }])), summary: malformed });
      expect(second.rowCount).toBe(2);
      expect(second.preview).toEqual([{ a: 1 }, { a: 2 }]);
      expect(second.schema?.map((c) => c.name)).toEqual(["a"]);
    });
  });

  describe("lineage", () => {
    it("answers upstream and downstream, asset- and version-level", async () => {
      const raw = await store.materialize("raw/events", [{ x: 1 }]);
      const users = await store.materialize("raw/users", [{ u: 1 }]);
      const clean = await store.materialize("clean/events", [{ x: 1 }], { inputs: [{ key: "raw/events", version: raw.version }] });
      const joined = await store.materialize("mart/joined", [{ x: 1 }], {
        inputs: [
          { key: "clean/events", version: clean.version },
          { key: "raw/users", version: users.version },
        ],
      });
      await store.materialize("mart/report", [{ x: 1 }], { inputs: [{ key: "mart/joined", version: joined.version }] });
      const l = store.lineage("clean/events");
      expect(l.upstream).toEqual([{ key: "raw/events", depth: 1 }]);
      expect(l.downstream).toEqual([
        { key: "mart/joined", depth: 1 },
        { key: "mart/report", depth: 2 },
      ]);
      expect(l.inputs).toEqual([{ key: "raw/events", version: raw.version }]);
      const top = store.lineage("mart/report");
      expect(top.upstream.map((n) => n.key).sort()).toEqual(["clean/events", "mart/joined", "raw/events", "raw/users"]);
      expect(top.edges).toContainEqual({ from: "raw/users", to: "mart/joined" });
      expect(store.usedBy(raw.version).map((m) => m.key)).toEqual(["clean/events"]);
    });
  });

  describe("damaged data files", () => {
    it("reports a missing or corrupt file by key and version", async () => {
      const m = await store.materialize("x/y", [{ a: 1 }, { a: 2 }]);
      truncateSync(join(root, m.path), 10);
      expect(() => store.resolve("x/y")).toThrow(AssetDataCorruptError);
      expect(() => store.resolve("x/y")).toThrow(new RegExp(`x/y version ${m.version}.*corrupt`));
      writeFileSync(join(root, m.path), Buffer.alloc(m.byteSize, 7));
      await expect(store.readRows("x/y")).rejects.toThrow(/no Parquet magic/);
      rmSync(join(root, m.path));
      expect(() => store.resolve("x/y")).toThrow(AssetDataMissingError);
      expect(() => store.resolve("x/y")).toThrow(new RegExp(`x/y version ${m.version}: data file .* is missing`));
    });
  });

  describe("gc", () => {
    it("keeps the last N versions per asset and partition", async () => {
      const versions = [];
      for (let i = 0; i < 5; i++) versions.push(await store.materialize("g", [{ i }]));
      await store.materialize("g", [{ i: 9 }], { partition: "other" });
      const result = store.gc({ keepLast: 2 });
      expect(result.deletedVersions).toBe(3);
      expect(result.deletedFiles).toBe(6); // each version's data file and its .meta.json sidecar
      expect(store.history("g").length).toBe(3);
      for (const old of versions.slice(0, 3)) {
        expect(existsSync(join(root, old.path))).toBe(false);
        expect(existsSync(join(root, old.path.replace(/\.parquet$/, ".meta.json")))).toBe(false);
      }
      expect(await store.readRows("g", { partition: "" })).toEqual([{ i: 4 }]);
      expect(store.list()[0]!.materializations).toBe(3);
    });

    it("removes old temp files of crashed writers, never a live writer's; uncatalogued data files only when asked", async () => {
      const m = await store.materialize("h", [{ i: 1 }]);
      const dir = join(root, "data", "h");
      writeFileSync(join(dir, ".tmp-old.parquet"), "half");
      writeFileSync(join(dir, "uncommitted-old.parquet"), "renamed, never committed");
      writeFileSync(join(dir, ".tmp-fresh.parquet"), "a writer is still here");
      const old = new Date(Date.now() - 60 * 60_000);
      utimesSync(join(dir, ".tmp-old.parquet"), old, old);
      utimesSync(join(dir, "uncommitted-old.parquet"), old, old);
      const result = store.gc({ keepLast: 1 });
      expect(result).toMatchObject({ deletedFiles: 1, keptOrphans: 1 });
      expect(readdirSync(dir).sort()).toEqual([".tmp-fresh.parquet", `${m.version}.meta.json`, `${m.version}.parquet`, "uncommitted-old.parquet"]);
      expect(store.gc({ keepLast: 1, includeOrphans: true })).toMatchObject({ deletedFiles: 1, keptOrphans: 0 });
      expect(readdirSync(dir).sort()).toEqual([".tmp-fresh.parquet", `${m.version}.meta.json`, `${m.version}.parquet`]);
    });
  });

  const childScript = join(import.meta.dirname, "writer-child.mjs");
  function startWriter(key: string, writer: string, count: number, rows: number) {
    const child = spawn(process.execPath, [childScript, root, key, writer, String(count), String(rows)], { stdio: ["ignore", "pipe", "pipe"] });
    let committed = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (committed += (chunk.toString().match(/committed/g) ?? []).length));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    return { child, done, committed: () => committed, stderr: () => stderr };
  }

  describe("the pipeline features' tables (src/pipeline/state.ts)", () => {
    it("keep dynamic partitions, check results, ticks and cursors in this catalog; a tick is claimed once; a read-only store refuses changes", () => {
      const state = new PipelineState(store);
      expect(state.run("addPartitions", "customers", ["b", "a"], 1, "test")).toBe(2);
      expect(state.run("addPartitions", "customers", ["a", "c"], 2, null)).toBe(1);
      expect(state.run("partitionKeys", "customers")).toEqual(["a", "b", "c"]);
      expect(state.run("removePartitions", "customers", ["b"])).toBe(1);
      expect(state.run("partitionSets")).toEqual([{ set_name: "customers", keys: 2, last_added_at: 2 }]);

      const result = (runId: string, passed: number, at: number) => ({ run_id: runId, asset_key: "a/t", partition: "p1", check_name: "rows", version: runId, passed, blocking: 1, description: null, metadata: "{}", created_at: at });
      state.run("recordCheckResults", [result("r1", 0, 10), result("r2", 1, 20)]);
      expect(state.run("latestCheckResults", "a/t", null).map((r) => [r.run_id, r.passed])).toEqual([["r2", 1]]);
      expect(state.run("latestCheckResults", "a/t", "p2")).toEqual([]);
      expect(state.run("runCheckResults", "r1")).toEqual([result("r1", 0, 10)]);

      const tick = { source: "schedule:p/s", tick_key: "t1", tick_time: 100, status: "requested" as const, run_id: "run-1", partition: null, reason: null };
      expect(state.run("claimTick", tick, '{"after":100}', 101)).toBe(true);
      expect(state.run("claimTick", { ...tick, run_id: "run-2" }, '{"after":100}', 102)).toBe(false); // another daemon's claim of the same tick
      expect(state.run("openTicks", "schedule:p/s").map((t) => t.run_id)).toEqual(["run-1"]);
      state.run("endTick", "schedule:p/s", "t1", "succeeded", null, null, 103);
      expect(state.run("ticks", null, 10)).toEqual([{ ...tick, status: "succeeded", created_at: 101, updated_at: 103 }]);
      state.run("noteEvaluation", "schedule:p/s", 104, 200, "no tick due");
      expect(state.run("cursor", "schedule:p/s")).toEqual({ source: "schedule:p/s", cursor: '{"after":100}', next_at: 200, evaluated_at: 104, note: "no tick due", updated_at: 101 });

      const reader = new AssetStore(root, { readOnly: true });
      try {
        const view = new PipelineState(reader);
        expect(view.run("partitionKeys", "customers")).toEqual(["a", "c"]);
        expect(() => view.run("addPartitions", "customers", ["d"], 3, null)).toThrow(/cannot change .*: the store is opened read-only/);
      } finally {
        reader.close();
      }
    });
  });

  describe("crash safety and concurrency (separate processes)", () => {
    it("a writer killed with kill -9 mid-write leaves the previous version readable and no half record", async () => {
      // Kill each writer while its temporary Parquet file is on disk, i.e. in the middle of writing data.
      const dir = join(root, "data", "crash", "big");
      let killedMidWrite = 0;
      for (let round = 0; round < 3; round++) {
        const w = startWriter("crash/big", `r${round}`, 50, 300_000);
        while (w.committed() < 1) await new Promise((r) => setTimeout(r, 5));
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !readdirSync(dir).some((f) => f.startsWith(".tmp-"))) await new Promise((r) => setImmediate(r));
        w.child.kill("SIGKILL");
        await w.done;
        if (readdirSync(dir).some((f) => f.startsWith(".tmp-"))) killedMidWrite += 1;
        const check = new AssetStore(root);
        try {
          const history = check.history("crash/big");
          expect(history.length).toBeGreaterThanOrEqual(round + 1);
          for (const m of history) {
            check.verify(m);
            expect(m.rowCount).toBe(300_000);
          }
          expect((await check.readRows("crash/big", { limit: 1 })).length).toBe(1);
        } finally {
          check.close();
        }
      }
      expect(killedMidWrite).toBeGreaterThan(0);
      // The half-written temp files never reach the catalog.
      const known = new Set(store.history("crash/big").map((m) => m.path.split("/").at(-1)));
      for (const f of readdirSync(dir).filter((f) => f.startsWith(".tmp-"))) expect(known.has(f)).toBe(false);
    }, 180_000); // three 300,000-row writers: slow on a loaded machine

    it("two writer processes at once lose nothing", async () => {
      const a = startWriter("shared/t", "A", 25, 100);
      const b = startWriter("shared/t", "B", 25, 100);
      expect(await a.done).toBe(0);
      expect(await b.done).toBe(0);
      const history = store.history("shared/t");
      expect(history.length).toBe(50);
      expect(new Set(history.map((m) => m.version)).size).toBe(50);
      expect(history.filter((m) => m.runId === "writer-A").length).toBe(25);
      expect(store.list()).toEqual([expect.objectContaining({ key: "shared/t", materializations: 50 })]);
      for (const m of history) store.verify(m);
      const last = store.latest("shared/t")!;
      expect(last.id).toBe(Math.max(...history.map((m) => m.id)));
    });
  });
});
