// A PostgreSQL catalog shared by separate processes: two pipeline runners at once, a third process reading,
// live updates by LISTEN/NOTIFY, the server restarted (and stopped for good) mid-run, a writer killed with
// kill -9 mid-commit; the pipeline features' tables (dynamic partitions, check results, daemon ticks) there too.
// One private PostgreSQL 15 server for this file (test/helpers/postgres.ts).
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AssetStore, type CatalogEvent } from "../../src/store/index.js";
import { startPostgres, type PostgresServer } from "../helpers/postgres.js";
import { installSluiceKernel, notebook, writeNotebook } from "../run/helpers.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let server: PostgresServer;
let dir: string;
let storeDir: string;
let catalog: string;

beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), "sluice-pgcat-"));
  // A pipeline file outside the repo: "sluice" resolves to this library. Three ops per daily partition, each reading the previous.
  writeFileSync(
    join(dir, "shared.ts"),
    `import { fnOp, pipeline, dailyPartitions, col, type LazyFrame } from "sluice";
const days = dailyPartitions({ start: "2024-01-01" });
export default pipeline("shared", [
  fnOp({ name: "raw", partitions: days, outputs: ["shared/raw"], run: (ctx) => Array.from({ length: 20 }, (_, i) => ({ day: ctx.partitionKey, i })) }),
  fnOp({ name: "clean", partitions: days, inputs: { raw: "shared/raw" }, outputs: ["shared/clean"], run: (_ctx, inputs) => (inputs.raw as LazyFrame).filter(col("i").ge(5)) }),
  fnOp({ name: "report", partitions: days, inputs: { clean: "shared/clean" }, outputs: ["shared/report"], run: (_ctx, inputs) => (inputs.clean as LazyFrame).filter(col("i").ge(10)) }),
], { maxConcurrency: 2 });
`,
  );
});
afterAll(async () => {
  await server?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  storeDir = mkdtempSync(join(dir, "store-"));
  catalog = await server.createDatabase();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}
function sluice(args: string[], env: Record<string, string> = {}): { done: Promise<Result>; kill: () => void } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, SLUICE_STORE: storeDir, SLUICE_CATALOG: catalog, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Result>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { done, kill: () => child.kill("SIGKILL") };
}

function open(): AssetStore {
  return new AssetStore(storeDir, { catalog });
}

/** Committed versions of the pipeline so far, counted from the sidecars (no catalog call: the server may be down). */
function sidecars(): number {
  let n = 0;
  for (const key of ["raw", "clean", "report"]) {
    try {
      n += readdirSync(join(storeDir, "data", "shared", key)).filter((f) => f.endsWith(".meta.json")).length;
    } catch {
      // not created yet
    }
  }
  return n;
}

/** The catalog's invariants: every row's file is whole, the per-asset summary agrees with the rows, lineage points at recorded versions. */
function expectConsistent(store: AssetStore): void {
  const dump = store.exportCatalog();
  const versions = new Map(dump.materializations.map((m) => [m.version, m]));
  for (const m of store.versions()) store.verify(m);
  for (const a of dump.assets) {
    const rows = dump.materializations.filter((m) => m.asset_key === a.asset_key);
    expect(a.materializations).toBe(rows.length);
    expect(a.partitions).toBe(new Set(rows.map((m) => m.partition)).size);
    expect(a.latest_id).toBe(Math.max(...rows.map((m) => m.id)));
  }
  expect(new Set(dump.assets.map((a) => a.asset_key))).toEqual(new Set(dump.materializations.map((m) => m.asset_key)));
  for (const l of dump.lineage) {
    expect(versions.has(String(l.version))).toBe(true);
    expect(versions.has(String(l.input_version))).toBe(true);
  }
  for (const m of dump.materializations) expect(dump.lineage.filter((l) => l.version === m.version).length).toBe((JSON.parse(m.inputs) as unknown[]).length);
}

/** Each clean/report version was computed from the raw/clean version of its own partition, and lineage says so both ways. */
function expectLineage(store: AssetStore, partitions: string[]): void {
  for (const [asset, input] of [["shared/clean", "shared/raw"], ["shared/report", "shared/clean"]] as const) {
    for (const p of partitions) {
      const m = store.latest(asset, { partition: p })!;
      expect(m.inputs).toHaveLength(1);
      expect(m.inputs[0]).toMatchObject({ key: input, partition: p });
      const from = store.version(m.inputs[0]!.version)!;
      expect(from).toMatchObject({ key: input, partition: p });
      expect(store.usedBy(from.version).map((u) => u.version)).toContain(m.version);
    }
  }
  const l = store.lineage("shared/clean");
  expect(l.upstream).toEqual([{ key: "shared/raw", depth: 1 }]);
  expect(l.downstream).toEqual([{ key: "shared/report", depth: 1 }]);
}

const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `2024-01-${String(from + i).padStart(2, "0")}`);

describe("one PostgreSQL catalog, several processes", () => {
  it("two runners at once lose nothing and keep lineage; a third process lists their assets; a watcher is told of every commit", async () => {
    // Creates the schema before the runners start, and listens for their commits (NOTIFY, no polling).
    const store = open();
    const events: CatalogEvent[] = [];
    const watch = await store.watch((e) => events.push(e));
    try {
      const a = sluice(["pipeline", "run", "shared.ts", "--backfill", "2024-01-01..2024-01-06"]);
      const b = sluice(["pipeline", "run", "shared.ts", "--backfill", "2024-01-07..2024-01-12"]);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(rb.code, rb.stderr).toBe(0);

      // The third process: `sluice assets ls` from another working folder, with only SLUICE_STORE and SLUICE_CATALOG.
      const ls = await sluice(["assets", "ls", "--json"]).done;
      expect(ls.code, ls.stderr).toBe(0);
      const listed = JSON.parse(ls.stdout) as Array<{ key: string; materializations: number; partitions: number }>;
      expect(listed.map((x) => [x.key, x.materializations, x.partitions])).toEqual([
        ["shared/clean", 12, 12],
        ["shared/raw", 12, 12],
        ["shared/report", 12, 12],
      ]);

      expect(store.versions()).toHaveLength(36);
      expectConsistent(store);
      expectLineage(store, days(1, 12));
      const runs = store.runs();
      expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
      for (const r of runs) expect(store.opRuns(r.runId).filter((o) => o.status === "succeeded")).toHaveLength(18);

      for (let i = 0; i < 100 && events.filter((e) => e.type === "materialization").length < 36; i++) await new Promise((r) => setTimeout(r, 50));
      const seen = events.flatMap((e) => (e.type === "materialization" ? [e.version] : []));
      expect(new Set(seen)).toEqual(new Set(store.versions().map((m) => m.version)));
      expect(events.filter((e) => e.type === "run" && e.status === "succeeded")).toHaveLength(2);
    } finally {
      await watch.close();
      store.close();
    }
  }, 240_000);

  it("the server restarted mid-run: the runner reconnects, says so, and finishes; no record is half-written", async () => {
    // A long lease: no heartbeat (which is not retried) is the call that meets the outage.
    const run = sluice(["pipeline", "run", "shared.ts", "--backfill", "2024-01-01..2024-01-20"], { SLUICE_RUN_LEASE_MS: "600000" });
    while (sidecars() < 6) await new Promise((r) => setTimeout(r, 20));
    await server.stop();
    const downAt = sidecars();
    // While the server is down, its port answers by dropping the connection: the first one proves the runner met
    // the outage. A runner that exits instead (it gave up) ends the wait too, and is caught below.
    let probe: Server | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          probe = createServer((socket) => {
            socket.destroy();
            probe!.close(() => resolve());
          });
          probe.once("error", reject);
          probe.listen(server.port, "127.0.0.1");
        }),
        run.done,
      ]);
    } finally {
      if (probe?.listening) await new Promise((r) => probe!.close(r));
      server.start();
    }
    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toMatch(/sluice: catalog postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+: connection lost \(.+\); reconnected and retried after \d+\.\d s/);
    expect(downAt).toBeLessThan(60); // the restart happened while the run was committing
    const store = open();
    try {
      expect(store.versions()).toHaveLength(60);
      expectConsistent(store);
      expectLineage(store, days(1, 20));
      expect(store.runs().map((r) => r.status)).toEqual(["succeeded"]);
    } finally {
      store.close();
    }
  }, 240_000);

  it("the server down for longer than the retry window: the writer stops with a clear error, and the catalog is whole when the server is back", async () => {
    // A writer committing back to back, so the server goes down in the middle of its commits (some while COMMIT is in flight).
    const child = join(import.meta.dirname, "writer-child.mjs");
    const w = spawn(process.execPath, [child, storeDir, "down/t", "w", "100000", "3"], {
      env: { ...process.env, SLUICE_CATALOG: catalog, SLUICE_CATALOG_RETRY_MS: "1500" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let committed = 0;
    let stderr = "";
    w.stdout.on("data", (c: Buffer) => (committed += (c.toString().match(/committed/g) ?? []).length));
    w.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => w.on("close", (code) => r(code)));
    while (committed < 5) await new Promise((r) => setTimeout(r, 5));
    await server.stop();
    let code: number | null;
    try {
      code = await exited;
    } finally {
      server.start();
    }
    expect(code, stderr).not.toBe(0);
    expect(stderr).toMatch(/catalog postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+ is unavailable \(.+\) after retrying for \d+\.\d s; /);
    const store = open();
    try {
      // Every version the writer saw committed is there (maybe one more, whose COMMIT's answer was lost), each whole.
      const history = store.history("down/t");
      const seen = `${history.length} versions stored, ${committed} seen committed; the writer said: ${stderr}`;
      expect(history.length, seen).toBeGreaterThanOrEqual(committed);
      expect(history.length, seen).toBeLessThanOrEqual(committed + 1);
      expectConsistent(store);
    } finally {
      store.close();
    }
  }, 240_000);

  it("writers killed with kill -9 mid-commit leave the catalog consistent", async () => {
    const child = join(import.meta.dirname, "writer-child.mjs");
    for (let round = 0; round < 4; round++) {
      const w = spawn(process.execPath, [child, storeDir, "kill/t", `k${round}`, "200", "3"], { env: { ...process.env, SLUICE_CATALOG: catalog }, stdio: ["ignore", "pipe", "pipe"] });
      let committed = 0;
      w.stdout.on("data", (c: Buffer) => (committed += (c.toString().match(/committed/g) ?? []).length));
      const exited = new Promise((r) => w.on("exit", r));
      // Commits are back to back (small data): a kill after a few lands in or between transactions.
      while (committed < 3 + round) await new Promise((r) => setTimeout(r, 2));
      w.kill("SIGKILL");
      await exited;
    }
    const store = open();
    try {
      expect(store.history("kill/t").length).toBeGreaterThanOrEqual(3 + 4 + 5 + 6);
      expectConsistent(store);
      expect(store.list()[0]!.materializations).toBe(store.history("kill/t").length);
    } finally {
      store.close();
    }
  }, 180_000);

  it("--catalog selects the catalog for one command; a bad URL, a missing database and another store's catalog are refused clearly", async () => {
    const store = open();
    await store.materialize("cli/t", [{ a: 1 }]);
    store.close();
    const viaFlag = await sluice(["assets", "ls", "--json", "--catalog", catalog], { SLUICE_CATALOG: "" }).done;
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    expect((JSON.parse(viaFlag.stdout) as Array<{ key: string }>).map((a) => a.key)).toEqual(["cli/t"]);
    // Without it, the default is the store's SQLite file, which does not exist: refused, as its data/ holds a file.
    const withoutFlag = await sluice(["assets", "ls", "--json"], { SLUICE_CATALOG: "" }).done;
    expect(withoutFlag.code).toBe(1);
    expect(withoutFlag.stderr).toContain("catalog.sqlite is missing but data/ holds 1 asset file(s)");

    const bad = await sluice(["assets", "ls", "--catalog", "mysql://u:secret@h/db"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('catalog "mysql://u:***@h/db" is not one Sluice can use: give postgres://USER@HOST:PORT/DATABASE');
    expect(bad.stderr).not.toContain("secret");

    const missing = await sluice(["assets", "ls"], { SLUICE_CATALOG: server.url("no_such_db") }).done;
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/database "no_such_db" does not exist; the database does not exist: create it \(createdb DATABASE\)/);

    const elsewhere = mkdtempSync(join(dir, "other-"));
    const mismatch = await sluice(["assets", "ls"], { SLUICE_STORE: elsewhere }).done;
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`belongs to the store ${storeDir}, not ${elsewhere}`);
    expect(mismatch.stderr).toContain(`Set SLUICE_STORE=${storeDir}`);

    // A store whose data/ holds files is not given an empty PostgreSQL catalog: migrate first.
    const fresh = await server.createDatabase();
    const refused = await sluice(["assets", "ls"], { SLUICE_CATALOG: fresh }).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`holds no catalog yet but data/ holds 1 asset file(s); refusing to start an empty catalog over them`);
    expect(refused.stderr).toContain(`sluice store migrate --store ${storeDir} --to ${fresh}`);
  }, 120_000);

  it("a notebook in the Sluice kernel reads and writes the PostgreSQL catalog through context and store", async () => {
    const seed = open();
    await seed.materialize("nb/in", [{ a: 1 }, { a: 2 }]);
    seed.close();
    const nb = writeNotebook(
      dir,
      "catalog.ipynb",
      notebook(
        [
          'import { context, store, col } from "sluice";',
          'const y = await context.yieldAsset("nb/out", (await context.input("nb/in")).filter(col("a").ge(2)));',
          'console.log(`backend=${store.backend} rows=${y.rowCount} out=${store.latest("nb/out")!.version === y.version}`);',
        ],
        { name: "sluice", language: "typescript" },
      ),
    );
    const r = await sluice(["run", nb, join(dir, "catalog.out.ipynb")], { JUPYTER_PATH: installSluiceKernel() }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(readFileSync(join(dir, "catalog.out.ipynb"), "utf8")).cells[2].outputs)).toContain("backend=postgres rows=1 out=true");
    const store = open();
    try {
      expect(store.latest("nb/out")).toMatchObject({ rowCount: 1, op: "notebook" });
      expect(existsSync(join(storeDir, "catalog.sqlite"))).toBe(false); // nothing went to a SQLite catalog
    } finally {
      store.close();
    }
  }, 180_000);
});

describe("the pipeline features' tables in the PostgreSQL catalog", () => {
  it("dynamic partitions from the CLI drive a run; its check results show in assets show; nothing goes to a SQLite file", async () => {
    writeFileSync(
      join(dir, "customers.ts"),
      `import { fnOp, pipeline, dynamicPartitions, rangeCheck } from "sluice";
export default pipeline("customers", [
  fnOp({ name: "orders", partitions: dynamicPartitions("customers"), outputs: ["cust/orders"], run: (ctx) => [{ customer: ctx.partitionKey, n: ctx.partitionKey === "globex" ? 0 : 1 }] }),
], { checks: [rangeCheck("cust/orders", "n", { min: 1 }, { name: "has_orders" })] });
`,
    );
    const run = async (...args: string[]) => {
      const r = await sluice(args).done;
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(await run("partitions", "add", "customers", "acme", "globex")).toBe("customers: added 2 key(s)\n");
    expect(await run("partitions", "add", "customers", "acme", "initech")).toBe("customers: added 1 key(s), 1 already there\n");
    expect(await run("partitions", "ls", "customers")).toBe("acme\nglobex\ninitech\n");
    expect(JSON.parse(await run("partitions", "ls", "--json"))).toMatchObject([{ set: "customers", keys: 3 }]);

    // A dynamic set without flags runs all its keys, read from the PostgreSQL catalog.
    await run("pipeline", "run", "customers.ts");
    const shown = (partition: string) => run("assets", "show", "cust/orders", "--partition", partition, "--json").then((out) => JSON.parse(out) as { partition: string; version: string; checks: Array<Record<string, unknown>> });
    const acme = await shown("acme");
    expect(acme.checks).toEqual([expect.objectContaining({ check: "has_orders", asset: "cust/orders", partition: "acme", version: acme.version, passed: true, blocking: false })]);
    const globex = await shown("globex");
    expect(globex.checks).toEqual([expect.objectContaining({ check: "has_orders", partition: "globex", version: globex.version, passed: false })]);
    expect(existsSync(join(storeDir, "catalog.sqlite"))).toBe(false);
  }, 120_000);

  it("two processes claiming the same daemon ticks at once: each tick is claimed exactly once; daemon status reads them", async () => {
    // Each claimer opens the catalog, waits for the other at a barrier, then claims ticks t000..t099 in the same order.
    writeFileSync(
      join(dir, "claim.mjs"),
      `import { existsSync, writeFileSync } from "node:fs";
import { AssetStore } from ${JSON.stringify(join(repo, "dist", "src", "store", "index.js"))};
import { PipelineState } from ${JSON.stringify(join(repo, "dist", "src", "pipeline", "state.js"))};
const [root, who, other] = process.argv.slice(2);
const store = new AssetStore(root);
const state = new PipelineState(store);
state.run("cursors");
writeFileSync(root + "/ready-" + who, "");
while (!existsSync(root + "/ready-" + other)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
const claimed = [];
for (let i = 0; i < 100; i++) {
  const key = "t" + String(i).padStart(3, "0");
  const tick = { source: "schedule:race/every", tick_key: key, tick_time: i, status: "requested", run_id: who + "-" + key, partition: null, reason: null };
  if (state.run("claimTick", tick, JSON.stringify({ after: i }), Date.now())) claimed.push(key);
}
store.close();
process.stdout.write(JSON.stringify(claimed));
`,
    );
    open().close(); // the schema, before both claimers start
    const claimer = (who: string, other: string) => {
      const child = spawn(process.execPath, [join(dir, "claim.mjs"), storeDir, who, other], { env: { ...process.env, SLUICE_CATALOG: catalog }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      return new Promise<string[]>((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve(JSON.parse(stdout) as string[]) : reject(new Error(`claimer ${who} exited ${code}: ${stderr}`)))));
    };
    const [a, b] = await Promise.all([claimer("a", "b"), claimer("b", "a")]);
    expect([...a, ...b].sort()).toEqual(Array.from({ length: 100 }, (_, i) => "t" + String(i).padStart(3, "0")));

    const store = open();
    try {
      const ticks = store.exportCatalog().daemon_ticks;
      expect(ticks).toHaveLength(100);
      // The run id in each row is its claimer's: what each process was told it claimed is what the catalog holds.
      for (const t of ticks) expect(t.run_id).toBe(`${a.includes(t.tick_key) ? "a" : "b"}-${t.tick_key}`);
    } finally {
      store.close();
    }
    const status = await sluice(["daemon", "status", "--json", "--limit", "2"]).done;
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).sources).toMatchObject([{ source: "schedule:race/every", ticks: [{ tick: "t099", status: "requested" }, { tick: "t098" }] }]);
  }, 120_000);
});
