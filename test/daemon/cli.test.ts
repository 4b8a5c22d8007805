// `sluice daemon`, `sluice daemon status`, `sluice partitions` and `sluice assets stale` as real processes on a real store.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let dir: string;
let storeDir: string;

function sluice(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, SLUICE_STORE: storeDir, SLUICE_CATALOG: "" }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-daemoncli-"));
  storeDir = join(dir, "store");
  mkdirSync(join(dir, "raw"));
  writeFileSync(
    join(dir, "hourly.ts"),
    `import { fnOp, hourlyPartitions, pipeline, fileSensor, schedule, freshness } from "sluice";
export default pipeline("hourly", [
  fnOp({ name: "stats", partitions: hourlyPartitions({ start: "2024-03-01T00" }), outputs: ["clicks/hourly"],
         run: (ctx) => [{ hour: ctx.partitionKey, clicks: 1 }] }),
], {
  sensors: [fileSensor({ name: "raw", path: "raw", pattern: /\\.csv$/, partition: (f) => f.name.slice(0, 13) })],
  schedules: [schedule({ name: "hourly", cron: "5 * * * *" })],
  freshness: [freshness("clicks/hourly", "1h"), freshness("clicks/never", "1h")],
});
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sluice partitions", () => {
  it("adds, lists and removes the keys of a dynamic set; bad keys and unknown keys are clear errors", () => {
    expect(sluice("partitions", "add", "customers", "acme", "globex").stdout).toBe("customers: added 2 key(s)\n");
    expect(sluice("partitions", "add", "customers", "acme", "initech").stdout).toBe("customers: added 1 key(s), 1 already there\n");
    expect(sluice("partitions", "ls", "customers").stdout).toBe("acme\nglobex\ninitech\n");
    expect(JSON.parse(sluice("partitions", "ls", "--json").stdout)).toMatchObject([{ set: "customers", keys: 3 }]);
    const bad = sluice("partitions", "add", "customers", "a|b");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/partition key "a\|b": use letters, digits/);
    const missing = sluice("partitions", "rm", "customers", "globex", "umbrella");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/set customers has no key umbrella; nothing removed/);
    expect(sluice("partitions", "rm", "customers", "globex").stdout).toBe("customers: removed 1 key(s)\n");
    expect(sluice("partitions", "ls", "customers").stdout).toBe("acme\ninitech\n");
  });
});

describe("dynamic partitions in runs", () => {
  it("keys added with sluice partitions add, and by an op (ctx.addPartitions), are picked up by the next run", () => {
    writeFileSync(
      join(dir, "dyn.ts"),
      `import { existsSync, readFileSync } from "node:fs";
import { fnOp, dynamicPartitions, pipeline } from "sluice";
export default pipeline("dyn", [
  // Adds zeta, or the key in next-shop.txt when there is one.
  fnOp({ name: "discover", outputs: ["dyn/found"], run: (ctx) => {
    const key = existsSync("next-shop.txt") ? readFileSync("next-shop.txt", "utf8").trim() : "zeta";
    ctx.addPartitions("shops", [key]);
    return [{ found: key }];
  } }),
  fnOp({ name: "per_shop", partitions: dynamicPartitions("shops"), outputs: ["dyn/per_shop"], run: (ctx) => [{ shop: ctx.partitionKey }] }),
]);
`,
    );
    expect(sluice("partitions", "add", "shops", "acme", "globex").code).toBe(0);
    const ran = (r: ReturnType<typeof sluice>) => {
      expect(r.code, r.stderr).toBe(0);
      const nodes = JSON.parse(r.stdout).nodes as Array<{ id: string; status: string }>;
      return nodes.filter((n) => n.status === "succeeded").map((n) => n.id).sort();
    };
    // The keys are bound when the run starts: zeta, added by discover during this run, is not among them.
    expect(ran(sluice("pipeline", "run", "dyn.ts", "--json"))).toEqual(["discover", "per_shop[acme]", "per_shop[globex]"]);
    expect(sluice("partitions", "ls", "shops").stdout).toBe("acme\nglobex\nzeta\n");
    expect(ran(sluice("pipeline", "run", "dyn.ts", "--json"))).toEqual(["per_shop[zeta]"]);
    expect(sluice("partitions", "add", "shops", "omega").code).toBe(0);
    expect(ran(sluice("pipeline", "run", "dyn.ts", "--json"))).toEqual(["per_shop[omega]"]);
    // The op in a step process (sluice step exec): its added keys travel back in the step's result.
    writeFileSync(join(dir, "next-shop.txt"), "sigma\n");
    expect(ran(sluice("pipeline", "run", "dyn.ts", "--only", "discover", "--force", "--executor", "subprocess", "--json"))).toEqual(["discover"]);
    expect(sluice("partitions", "ls", "shops").stdout).toBe("acme\nglobex\nzeta\nomega\nsigma\n");
  });
});

describe("sluice daemon", () => {
  it("--once runs what a sensor found; status shows the tick, the schedule's next tick and the sensor's note", () => {
    writeFileSync(join(dir, "raw", "2024-03-01T05.csv"), "x\n1\n");
    const first = sluice("daemon", "hourly.ts", "--once");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/sensor:hourly\/raw: tick file:2024-03-01T05.csv: succeeded/);
    const again = sluice("daemon", "hourly.ts", "--once");
    expect(again.stderr).not.toMatch(/tick file:/);
    const status = JSON.parse(sluice("daemon", "status", "--json").stdout);
    expect(status.daemon.note).toMatch(/2 schedule\(s\)\/sensor\(s\) of hourly/);
    const sensor = status.sources.find((s: { source: string }) => s.source === "sensor:hourly/raw");
    expect(sensor.ticks).toMatchObject([{ tick: "file:2024-03-01T05.csv", status: "succeeded", partition: "2024-03-01T05" }]);
    expect(sensor.note).toMatch(/no new files/);
    const sched = status.sources.find((s: { source: string }) => s.source === "schedule:hourly/hourly");
    expect(new Date(sched.nextAt).getUTCMinutes()).toBe(5);
    const text = sluice("daemon", "status").stdout;
    expect(text).toMatch(/sensor:hourly\/raw\n  last evaluated .*: no new files/);
    expect(text).toMatch(/file:2024-03-01T05.csv +succeeded partition 2024-03-01T05 run /);
  });

  it("without files or without schedules it says what to do (exit 2)", () => {
    const none = sluice("daemon");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name the pipeline files/);
    writeFileSync(join(dir, "plain.ts"), `import { fnOp, pipeline } from "sluice";\nexport default pipeline("plain", [fnOp({ name: "a", run: () => undefined })]);\n`);
    const plain = sluice("daemon", "plain.ts", "--once");
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/declare no schedules or sensors/);
  });
});

describe("asset checks from the CLI", () => {
  it("the run summary and pipeline run --json carry check results; assets show (and --json) lists them per partition", () => {
    writeFileSync(
      join(dir, "checked.ts"),
      `import { fnOp, dailyPartitions, pipeline, rowCountCheck, rangeCheck } from "sluice";
const days = dailyPartitions({ start: "2024-03-01" });
export default pipeline("checked", [
  fnOp({ name: "counts", partitions: days, outputs: ["shop/counts"],
         run: (ctx) => [{ day: ctx.partitionKey, n: ctx.partitionKey === "2024-03-02" ? -5 : 3 }] }),
  fnOp({ name: "report", partitions: days, inputs: { c: "shop/counts" }, outputs: ["shop/report"], run: (_ctx, i) => i.c }),
], { checks: [rowCountCheck("shop/counts", { name: "not_empty" }), rangeCheck("shop/counts", "n", { min: 0 }, { name: "no_negative", blocking: true })] });
`,
    );
    const text = sluice("pipeline", "run", "checked.ts", "--backfill", "2024-03-01..2024-03-02");
    expect(text.code).toBe(1);
    expect(text.stderr + text.stdout).toMatch(/checks: 3 passed, 1 failed\n  ✗ no_negative of shop\/counts \(2024-03-02\) \[blocking\]: 1 row\(s\) with n outside 0\.\.∞/);
    const json = sluice("pipeline", "run", "checked.ts", "--backfill", "2024-03-01..2024-03-02", "--json");
    const run = JSON.parse(json.stdout);
    expect(run.status).toBe("failed");
    // The good day is up to date (skipped, no checks ran); the bad day runs again and fails its blocking check again.
    expect(run.checks.map((c: { check: string; partition: string; passed: boolean }) => [c.check, c.partition, c.passed])).toEqual([
      ["not_empty", "2024-03-02", true],
      ["no_negative", "2024-03-02", false],
    ]);
    expect(run.checks[1].metadata).toMatchObject({ violations: 1, sample: [{ day: "2024-03-02", n: -5 }] });
    const statuses = Object.fromEntries(run.nodes.map((n: { id: string; status: string }) => [n.id, n.status]));
    expect(statuses).toMatchObject({ "counts[2024-03-01]": "skipped", "report[2024-03-01]": "skipped", "counts[2024-03-02]": "failed", "report[2024-03-02]": "upstream_failed" });
    const shown = JSON.parse(sluice("assets", "show", "shop/counts", "--partition", "2024-03-02", "--json").stdout);
    expect(shown.checks.map((c: { check: string; passed: boolean; blocking: boolean }) => [c.check, c.passed, c.blocking])).toEqual([
      ["no_negative", false, true],
      ["not_empty", true, false],
    ]);
    const good = sluice("assets", "show", "shop/counts", "--partition", "2024-03-01").stdout;
    expect(good).toMatch(/check      no_negative: passed \(blocking\) — no rows with n outside 0\.\.∞/);
  });
});

describe("sluice assets stale", () => {
  it("lists overdue assets with reasons and exits 1; --all shows the fresh ones too", () => {
    const r = sluice("assets", "stale", "hourly.ts");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/clicks\/never  OVERDUE  never materialized, target 1h\n  - never materialized/);
    expect(r.stdout).not.toMatch(/clicks\/hourly/); // made moments ago by the daemon
    const all = JSON.parse(sluice("assets", "stale", "hourly.ts", "--all", "--json").stdout);
    expect(all.map((s: { asset: string; overdue: boolean }) => [s.asset, s.overdue])).toEqual([["clicks/hourly", false], ["clicks/never", true]]);
  });
});
