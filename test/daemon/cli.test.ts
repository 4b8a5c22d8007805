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
