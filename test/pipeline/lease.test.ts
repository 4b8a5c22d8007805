// Run leases: a `sluice pipeline run` killed with kill -9 (no chance to record its end) reads as failed
// (abandoned) once its lease expires, and `--from-failure` resumes it. SLUICE_RUN_LEASE_MS shortens the lease.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { waitFor } from "../run/helpers.js";
import { AssetStore, runLeaseMs, type RunRecord } from "../../src/store/index.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let dir: string;
let root: string;
const LEASE_MS = "3000";

function sluice(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, SLUICE_STORE: root, SLUICE_RUN_LEASE_MS: LEASE_MS, ...env }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const runs = (): RunRecord[] => JSON.parse(sluice(["pipeline", "runs", "--json"]).stdout) as RunRecord[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-lease-"));
  root = join(dir, "store");
  // "slow" hangs (after leaving a marker file) while HANG is set; without it, it finishes at once.
  writeFileSync(
    join(dir, "lease.ts"),
    `import { fnOp, pipeline } from "sluice";
import { writeFileSync } from "node:fs";
export default pipeline("lease", [
  fnOp({ name: "first", outputs: ["lease/first"], run: () => [{ a: 1 }] }),
  fnOp({ name: "slow", inputs: { f: "lease/first" }, outputs: ["lease/slow"], run: async () => {
    if (process.env.HANG) {
      writeFileSync(process.env.HANG, "");
      await new Promise((r) => setTimeout(r, 600_000));
    }
    return [{ b: 2 }];
  } }),
]);
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("run leases", () => {
  it("a runner killed with kill -9 leaves a run that reads as failed (abandoned) and --from-failure resumes it", async () => {
    const marker = join(dir, "hanging");
    const child = spawn(process.execPath, [bin, "pipeline", "run", "lease.ts"], {
      cwd: dir,
      env: { ...process.env, SLUICE_STORE: root, SLUICE_RUN_LEASE_MS: LEASE_MS, HANG: marker },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise((res) => child.on("close", res));
    try {
      await waitFor(() => existsSync(marker), 60_000, "the slow op to start");
      // Wait until "first" is recorded as succeeded (op records are written in batches), so the resume can reuse it.
      const runId = await waitFor(() => {
        const store = new AssetStore(root, { readOnly: true });
        try {
          const [run] = store.runs();
          return run && store.opRuns(run.runId).some((o) => o.op === "first" && o.status === "succeeded") && run.runId;
        } finally {
          store.close();
        }
      }, 30_000, "the first op's record");
      // While the runner lives it renews its lease: the run is running, and cannot be resumed twice at once.
      expect(runs()[0]).toMatchObject({ runId, status: "running", abandoned: false });
      const early = sluice(["pipeline", "run", "lease.ts", "--from-failure", runId]);
      expect(early.code).toBe(2);
      expect(early.stderr).toContain(`--from-failure ${runId}: that run is still running`);

      child.kill("SIGKILL");
      await exited;
      const abandoned = await waitFor(() => runs().find((r) => r.runId === runId && r.status !== "running"), 60_000, "the lease to expire");
      expect(abandoned).toMatchObject({ status: "failed", abandoned: true });
      expect(abandoned.error).toContain(`abandoned: the runner stopped renewing its lease`);
      expect(abandoned.error).toContain(`--from-failure ${runId}`);
      expect(sluice(["pipeline", "runs"]).stdout).toContain(`${runId}  lease  failed (abandoned)`);
      // The library reads it the same way.
      const store = new AssetStore(root, { readOnly: true });
      try {
        expect(store.run(runId)).toMatchObject({ status: "failed", abandoned: true });
      } finally {
        store.close();
      }

      const resumed = sluice(["pipeline", "run", "lease.ts", "--from-failure", runId, "--json"]);
      expect(resumed.code).toBe(0);
      const result = JSON.parse(resumed.stdout) as { runId: string; status: string; nodes: Array<{ id: string; status: string }> };
      expect(result.status).toBe("succeeded");
      expect(Object.fromEntries(result.nodes.map((n) => [n.id, n.status]))).toEqual({ first: "reused", slow: "succeeded" });
      expect(runs().find((r) => r.runId === result.runId)).toMatchObject({ status: "succeeded", abandoned: false });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }, 180_000);

  it("SLUICE_RUN_LEASE_MS must be a whole number of milliseconds", () => {
    expect(runLeaseMs(undefined)).toBe(30_000);
    expect(runLeaseMs("1500")).toBe(1500);
    expect(() => runLeaseMs("soon")).toThrow(/SLUICE_RUN_LEASE_MS="soon" is not a lease: give a whole number of milliseconds ≥ 300/);
    expect(() => runLeaseMs("10")).toThrow(/≥ 300/);
  });
});

describe("catalogs from before leases", () => {
  it("a running run without a heartbeat column reads as abandoned once older than the default lease; a writable open adds the columns", () => {
    const old = join(dir, "old-store");
    const store = new AssetStore(old);
    store.close();
    const db = new Database(join(old, "catalog.sqlite"));
    db.exec(`ALTER TABLE runs DROP COLUMN heartbeat_at; ALTER TABLE runs DROP COLUMN lease_ms`);
    db.prepare(`INSERT INTO runs (run_id, pipeline, status, started_at, args) VALUES (?, 'p', 'running', ?, '{}')`).run("old-run", Date.now() - 10 * 60_000);
    db.close();
    const reader = new AssetStore(old, { readOnly: true });
    try {
      expect(reader.run("old-run")).toMatchObject({ status: "failed", abandoned: true, heartbeatAt: undefined });
    } finally {
      reader.close();
    }
    const writer = new AssetStore(old);
    try {
      const columns = (writer.database.prepare(`SELECT name FROM pragma_table_info('runs')`).all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(["heartbeat_at", "lease_ms"]));
      expect(writer.runs()).toEqual([expect.objectContaining({ runId: "old-run", status: "failed", abandoned: true })]);
    } finally {
      writer.close();
    }
  });
});
