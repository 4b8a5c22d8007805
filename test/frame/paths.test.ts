// Paths with glob characters in their names (`data [2024]`, `a?b`, `x*y`, `{a,b}`) against real files and
// a real DuckDB: a path that exists is read as written, by every scan; a pattern is a pattern only when
// no such file or folder exists or when { glob: true } asks for it. A look-alike neighbour (axb beside
// a?b) would be read too if DuckDB expanded the literal path.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SourceError, fromRecords, scan } from "../../src/index.js";
import { literalPath } from "../../src/engine/paths.js";

let dir = "";
const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => Number(r.v)).sort((a, b) => a - b);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-paths-"));
  // Folders whose names hold every glob character, each with a look-alike the pattern would also match.
  const folders: Array<[string, number]> = [["data [2024]", 1], ["data 2", 2], ["a?b", 3], ["axb", 4], ["x*y", 5], ["xzzy", 6], ["{a,b}", 7], ["a", 8]];
  for (const [name, v] of folders) {
    mkdirSync(join(dir, name), { recursive: true });
    await fromRecords([{ v }]).write.parquet(join(dir, name, "part.parquet"));
    writeFileSync(join(dir, name, "part.csv"), `v\n${v}\n`);
    writeFileSync(join(dir, name, "part.ndjson"), `{"v":${v}}\n`);
  }
  // Hive partitions below a folder with brackets in its name.
  for (const day of [1, 2]) {
    mkdirSync(join(dir, "hive [x]", `day=${day}`), { recursive: true });
    await fromRecords([{ v: 10 + day }]).write.parquet(join(dir, "hive [x]", `day=${day}`, "part.parquet"));
  }
});

describe("a path that exists is a path", () => {
  it("scan.parquet reads a folder named with [ ] ? * { } as that folder only", async () => {
    for (const [name, v] of [["data [2024]", 1], ["a?b", 3], ["x*y", 5], ["{a,b}", 7]] as const) {
      const f = await scan.parquet(join(dir, name));
      expect(sorted((await f.collect()).toRecords()), name).toEqual([v]);
      const file = await scan.parquet(join(dir, name, "part.parquet"));
      expect(sorted((await file.collect()).toRecords()), `${name}/part.parquet`).toEqual([v]);
    }
  });

  it("scan.csv and scan.ndjson do the same", async () => {
    for (const [name, v] of [["data [2024]", 1], ["a?b", 3], ["x*y", 5]] as const) {
      expect(sorted((await (await scan.csv(join(dir, name, "part.csv"))).collect()).toRecords()), `csv ${name}`).toEqual([v]);
      expect(sorted((await (await scan.csv(join(dir, name))).collect()).toRecords()), `csv folder ${name}`).toEqual([v]);
      expect(sorted((await (await scan.ndjson(join(dir, name, "part.ndjson"))).collect()).toRecords()), `ndjson ${name}`).toEqual([v]);
    }
  });

  it("hive partitions below a folder with brackets in its name", async () => {
    const f = await scan.parquet(join(dir, "hive [x]"));
    expect(f.schema.map((c) => c.name)).toEqual(["v", "day"]);
    expect((await f.collect()).toRecords().sort((a, b) => Number(a.day) - Number(b.day))).toEqual([{ v: 11, day: 1 }, { v: 12, day: 2 }]);
  });

  it("a pattern below such a folder keeps the folder literal: data [2024]/*.parquet", async () => {
    expect(sorted((await (await scan.parquet(join(dir, "data [2024]", "*.parquet"))).collect()).toRecords())).toEqual([1]);
    const hive = await scan.parquet(join(dir, "hive [x]", "day=*", "*.parquet"));
    expect(hive.schema.map((c) => c.name)).toEqual(["v", "day"]);
  });
});

describe("patterns", () => {
  it("a pattern that names no existing path is a glob, as before", async () => {
    expect(sorted((await (await scan.parquet(join(dir, "data*", "*.parquet"))).collect()).toRecords())).toEqual([1, 2]);
    expect(sorted((await (await scan.csv(join(dir, "x?z*", "part.csv"))).collect()).toRecords())).toEqual([6]);
  });

  it("{ glob: true } makes an existing path a pattern; { glob: false } never", async () => {
    // a?b matches a?b and axb.
    expect(sorted((await (await scan.parquet(join(dir, "a?b", "part.parquet"), { glob: true })).collect()).toRecords())).toEqual([3, 4]);
    expect(sorted((await (await scan.ndjson(join(dir, "a?b", "part.ndjson"), { glob: true })).collect()).toRecords())).toEqual([3, 4]);
    await expect(scan.parquet(join(dir, "a?c"), { glob: false })).rejects.toThrow(/file not found: .*a\?c .*read as written because of \{ glob: false \}/);
    await expect(scan.parquet(join(dir, "a?b"), { glob: "yes" as unknown as boolean })).rejects.toThrow(/glob must be true or false/);
  });

  it("a pattern that matches nothing says so", async () => {
    const error = await scan.parquet(join(dir, "nothing-*", "*.parquet")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/no files match .*nothing-\*/);
  });

  it("literalPath escapes DuckDB's wildcards one character at a time and leaves URLs alone", () => {
    expect(literalPath("/d/data [2024]/a?b/x*y{1}.parquet")).toBe("/d/data [[]2024]/a[?]b/x[*]y{1}.parquet");
    expect(literalPath("s3://bucket/a?b.parquet")).toBe("s3://bucket/a?b.parquet");
  });
});
