// `sluice store migrate`: SQLite → PostgreSQL → SQLite gives the identical catalog; the copy is used by every
// command; a destination that already holds a catalog is refused unless --replace. One private PostgreSQL server.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { SqliteCatalog } from "../../src/store/catalog.js";
import { AssetStore } from "../../src/store/index.js";
import { PipelineState } from "../../src/pipeline/state.js";
import { startPostgres, type PostgresServer } from "../helpers/postgres.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let server: PostgresServer;
let root: string;

beforeAll(async () => {
  server = await startPostgres();
  root = mkdtempSync(join(tmpdir(), "sluice-migrate-"));
});
afterAll(async () => {
  await server?.destroy();
  if (root) rmSync(root, { recursive: true, force: true });
});

function sluice(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, SLUICE_STORE: root, SLUICE_CATALOG: undefined, ...env }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A SQLite store with partitions, lineage, metadata, a gc'd history, runs and op runs. */
async function fill(store: AssetStore): Promise<void> {
  const raw = [];
  for (const day of ["2024-01-01", "2024-01-02"]) raw.push(await store.materialize("raw/events", [{ day, n: 1 }], { partition: day, runId: "r1", op: "load", metadata: { rows: 1, note: "ünïcode ✓" } }));
  for (let i = 0; i < 3; i++) await store.materialize("raw/users", [{ u: i }], { runId: "r1", params: { big: 2n ** 60n } });
  const users = store.latest("raw/users")!;
  await store.materialize("mart/joined", [{ x: 1 }], {
    runId: "r2",
    op: "join",
    inputs: [
      { key: "raw/events", partition: "2024-01-02", version: raw[1]!.version },
      { key: "raw/users", version: users.version },
    ],
  });
  store.gc({ keepLast: 2 });
  store.startRun({ runId: "r1", pipeline: "daily", args: { backfill: "2024-01-01..2024-01-02" } });
  store.recordOpRuns([
    { runId: "r1", nodeId: "load[2024-01-01]", op: "load", partition: "2024-01-01", item: undefined, status: "succeeded", reason: undefined, attempts: 1, startedAt: 1, endedAt: 2, error: undefined, dataVersion: "dv1", items: [1, "a"] },
    { runId: "r1", nodeId: "load[2024-01-02]", op: "load", partition: "2024-01-02", item: undefined, status: "failed", reason: "boom", attempts: 2, startedAt: 3, endedAt: 4, error: "Error: boom", dataVersion: undefined, items: undefined },
  ]);
  store.endRun("r1", "failed", { error: "1 op failed", summary: { counts: { succeeded: 1, failed: 1 } } });
  // The pipeline features' tables: a dynamic partition set, check results, a daemon tick and cursors.
  const state = new PipelineState(store);
  state.run("addPartitions", "customers", ["acme", "globex"], 1_700_000_000_000, "cli");
  state.run("recordCheckResults", [
    { run_id: "r2", asset_key: "mart/joined", partition: "", check_name: "not_empty", version: "v1", passed: 1, blocking: 1, description: "1 rows", metadata: '{"rows":1}', created_at: 5 },
    { run_id: "r2", asset_key: "mart/joined", partition: "", check_name: "no_nulls", version: "v1", passed: 0, blocking: 0, description: null, metadata: "{}", created_at: 5 },
  ]);
  state.run("claimTick", { source: "schedule:daily/nightly", tick_key: "2024-01-02T00:00:00.000Z", tick_time: 1_704_153_600_000, status: "requested", run_id: "r1", partition: "2024-01-01", reason: null }, '{"after":1704153600000}', 6);
  state.run("endTick", "schedule:daily/nightly", "2024-01-02T00:00:00.000Z", "failed", "r1", "1 op failed", 7);
  state.run("noteEvaluation", "daemon", 8, 9, "1 schedule(s)/sensor(s) of daily");
}

describe("sluice store migrate", () => {
  it("round trip SQLite → PostgreSQL → SQLite gives an identical catalog, and commands use the copy", async () => {
    const store = new AssetStore(root, { catalog: "sqlite" });
    await fill(store);
    const original = store.exportCatalog();
    const lsBefore = sluice(["assets", "ls", "--json"]);
    store.close();
    expect(original.materializations.length).toBe(5); // 6 written, 1 gc'd
    expect(original.runs.length).toBe(1);
    expect([original.dynamic_partitions.length, original.check_results.length, original.daemon_ticks.length, original.daemon_cursors.length]).toEqual([2, 2, 1, 2]);
    const stateBefore = ["partitions ls --json", "daemon status --json", "assets show mart/joined --json"].map((c) => sluice(c.split(" ")).stdout);

    const url = await server.createDatabase();
    const toPg = sluice(["store", "migrate", "--to", url]);
    expect(toPg.code, toPg.stderr).toBe(0);
    expect(toPg.stdout).toContain(
      "5 materializations, 3 assets, 2 asset_deps, 2 lineage, 1 runs, 2 op_runs, 2 dynamic_partitions, 2 check_results, 1 daemon_ticks, 2 daemon_cursors; verified: every row equals its source",
    );
    expect(toPg.stdout).toContain(`Use it with SLUICE_CATALOG=${url}`);

    // Every command on the PostgreSQL copy answers as on the SQLite original.
    const lsAfter = sluice(["assets", "ls", "--json"], { SLUICE_CATALOG: url });
    expect(lsAfter.code, lsAfter.stderr).toBe(0);
    expect(lsAfter.stdout).toBe(lsBefore.stdout);
    expect(sluice(["assets", "lineage", "mart/joined", "--json"], { SLUICE_CATALOG: url }).stdout).toBe(sluice(["assets", "lineage", "mart/joined", "--json"]).stdout);
    // So do the commands that read the pipeline features' tables (assets show lists the check results).
    expect(["partitions ls --json", "daemon status --json", "assets show mart/joined --json"].map((c) => sluice(c.split(" "), { SLUICE_CATALOG: url }).stdout)).toEqual(stateBefore);
    expect(JSON.parse(stateBefore[2]!).checks).toHaveLength(2);
    const pg = new AssetStore(root, { catalog: url, readOnly: true });
    try {
      expect(pg.backend).toBe("postgres");
      expect(pg.exportCatalog()).toEqual(original);
      expect(pg.run("r1")).toMatchObject({ status: "failed", error: "1 op failed", summary: { counts: { succeeded: 1, failed: 1 } } });
      expect(pg.latest("raw/users")!.params).toEqual({ big: "1152921504606846976" }); // exact, as the SQLite catalog kept it
    } finally {
      pg.close();
    }
    // The round trip: PostgreSQL → a SQLite file holds exactly the original catalog.
    const file = join(root, "roundtrip.sqlite");
    const home = sluice(["store", "migrate", "--from", url, "--to", file]);
    expect(home.code, home.stderr).toBe(0);
    const db = new Database(file, { readonly: true });
    try {
      expect(new SqliteCatalog(db, file).run("dump")).toEqual(original);
    } finally {
      db.close();
    }

    // Writes go on in PostgreSQL: new ids follow the copied ones.
    const writer = new AssetStore(root, { catalog: url });
    const next = await writer.materialize("raw/users", [{ u: 9 }]);
    expect(next.id).toBe(Math.max(...original.materializations.map((m) => m.id)) + 1);
    const withNext = writer.exportCatalog();
    writer.close();

    // Into a catalog that holds one: refused, unless --replace.
    const again = sluice(["store", "migrate", "--to", url, "--from", "sqlite"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already holds a catalog (6 materializations");
    expect(again.stderr).toContain("pass --replace");

    // Back to SQLite: the store's own file is replaced (moved aside, not deleted); the result equals the PostgreSQL catalog.
    const back = sluice(["store", "migrate", "--from", url, "--to", "sqlite", "--replace"]);
    expect(back.code, back.stderr).toBe(0);
    expect(readdirSync(root).filter((f) => f.startsWith("catalog.replaced-") && f.endsWith(".sqlite"))).toHaveLength(1);
    const sqlite = new AssetStore(root, { catalog: "sqlite", readOnly: true });
    try {
      expect(sqlite.exportCatalog()).toEqual(withNext);
    } finally {
      sqlite.close();
    }

  }, 180_000);
});
