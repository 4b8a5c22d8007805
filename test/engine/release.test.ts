// In-memory sources are freed from the engine once no frame can reach them (a notebook re-running a cell
// that builds a frame must not grow memory without bound), and never while a derived frame still can.
// Runs in a child process with --expose-gc so that collection can be forced.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const repo = join(import.meta.dirname, "..", "..");

function runWithGc(body: string): Record<string, unknown> {
  const dist = join(repo, "dist", "src");
  if (!existsSync(join(dist, "index.js"))) throw new Error("dist/src/index.js missing: run `npm run build` first");
  const code = `
    const sluice = await import(${JSON.stringify(pathToFileURL(join(dist, "index.js")).href)});
    const { connect } = await import(${JSON.stringify(pathToFileURL(join(dist, "engine", "instance.js")).href)});
    const engineTables = async () => {
      const c = await connect();
      try { return Number((await c.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'sluice_mem'")).getRows()[0][0]); }
      finally { c.closeSync(); }
    };
    const collectGarbage = async () => { for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } };
    ${body}`;
  const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", code], { cwd: repo, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

describe("releasing in-memory sources", () => {
  it("frames nothing refers to any more leave the engine; a frame derived from a live source keeps it", () => {
    const r = runWithGc(`
      for (let i = 0; i < 5; i++) {
        let frame = sluice.fromColumns({ x: Array.from({ length: 100000 }, (_, j) => j + i) });
        await frame.count();
        frame = undefined;
      }
      const derived = sluice.fromColumns({ y: [1, 2, 3] }).filter(sluice.col("y").gt(1));
      await derived.count();
      await collectGarbage();
      console.log(JSON.stringify({ tables: await engineTables(), derived: await derived.count() }));
    `);
    expect(r).toEqual({ tables: 1, derived: 2 });
  });

  it("cache() tables are dropped once no frame reads them; a cached frame still in use keeps its table", () => {
    const r = runWithGc(`
      const source = sluice.fromColumns({ x: Array.from({ length: 50000 }, (_, j) => j) });
      for (let i = 0; i < 4; i++) {
        let cached = await source.filter(sluice.col("x").gt(i)).cache();
        await cached.count();
        cached = undefined;
      }
      const kept = await source.filter(sluice.col("x").lt(10)).cache();
      await collectGarbage();
      console.log(JSON.stringify({ tables: await engineTables(), kept: await kept.count() }));
    `);
    // The source's own table and the one cache still in use.
    expect(r).toEqual({ tables: 2, kept: 10 });
  });
});
