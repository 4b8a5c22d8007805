// Scan probing (src/engine/probe.ts): a scan created again over unchanged files reuses what the first one
// read, and any change to the files (added, removed, rewritten) is seen by the next scan.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scan } from "../../src/frame/index.js";
import { connect } from "../../src/engine/instance.js";
import type { Plan } from "../../src/plan/nodes.js";

let root = "";
let data = "";

async function sql(text: string): Promise<void> {
  const conn = await connect();
  try {
    await conn.run(text);
  } finally {
    conn.closeSync();
  }
}

const parquetSource = (p: Plan) => {
  if (p.kind !== "scan" || p.source.kind !== "parquet") throw new Error("expected a Parquet scan");
  return p.source;
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "sluice-probe-"));
  data = join(root, "events");
  await sql(`COPY (SELECT i AS n, 'c' || (i % 3) AS customer, i % 2 AS hour FROM range(60) AS r(i)) TO '${data}' (FORMAT parquet, PARTITION_BY (customer, hour))`);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("scan probing", () => {
  it("a scan over unchanged files reuses the first probe", async () => {
    const a = parquetSource((await scan.parquet(data)).plan);
    const b = parquetSource((await scan.parquet(data)).plan);
    expect(b).toBe(a);
    expect(a.files).toHaveLength(6);
    expect(a.partitionColumns).toEqual([{ name: "customer", type: "VARCHAR" }, { name: "hour", type: "BIGINT" }]);
    // Other options are another probe.
    expect(parquetSource((await scan.parquet(data, { hive: false })).plan)).not.toBe(a);
  });

  it("sees a file added in a new partition folder, and its partition values", async () => {
    const before = parquetSource((await scan.parquet(data)).plan);
    mkdirSync(join(data, "customer=c9", "hour=7"), { recursive: true });
    await sql(`COPY (SELECT 100 AS n) TO '${join(data, "customer=c9", "hour=7", "x.parquet")}' (FORMAT parquet)`);
    const after = parquetSource((await scan.parquet(data)).plan);
    expect(after.files).toHaveLength(before.files.length + 1);
    const rows = (await (await scan.parquet(data)).collect()).toRecords();
    expect(rows.find((r) => Number(r.n) === 100)).toMatchObject({ customer: "c9", hour: 7 });
  });

  it("sees a file rewritten in place with other columns, and a file removed", async () => {
    const file = join(data, "customer=c9", "hour=7", "x.parquet");
    await sql(`COPY (SELECT 100 AS n, 'extra' AS note) TO '${file}' (FORMAT parquet)`);
    // The rewrite changes the file's size and time, which the probe's stamp includes.
    const unioned = await scan.parquet(data, { unionByName: true });
    expect(unioned.columns).toContain("note");
    rmSync(join(data, "customer=c9"), { recursive: true });
    const after = parquetSource((await scan.parquet(data)).plan);
    expect(after.files).toHaveLength(6);
    expect(after.files.some((f) => f.path.includes("c9"))).toBe(false);
  });
});
