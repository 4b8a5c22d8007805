// frame.toDanfo() followed by danfo work in the same process. apache-arrow, loaded by Sluice, used to set
// Symbol.isConcatSpreadable, which in V8 turns off Array.prototype.concat's fast path for the whole process
// (danfo's groupby concatenates once per group). src/engine/apache_arrow.ts prevents that; these tests check
// the results and, through V8's --trace-protector-invalidation, that loading and using Sluice leaves the
// protector intact. Speed itself is measured in bench/danfo.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { col, fromColumns } from "../../src/index.js";

const repo = join(import.meta.dirname, "..", "..");
const INVALIDATED = "Invalidating protector cell IsConcatSpreadableLookupChain";

interface DanfoFrame {
  columns: string[];
  shape: number[];
  column(name: string): { values: unknown[] };
  groupby(keys: string[]): { agg(spec: Record<string, string>): DanfoFrame; col(cols: string[]): { count(): DanfoFrame } };
}

/** Deterministic rows with a few hundred (a, b) groups. */
function sample(n: number) {
  const a: string[] = [];
  const b: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    a.push(`k${(i * 7) % 23}`);
    b.push((i * 13) % 17);
    v.push(i % 10);
  }
  return { a, b, v };
}

/** Runs `node --trace-protector-invalidation` on an ES module snippet; returns stdout+stderr and the exit code. */
function traced(code: string): { output: string; status: number | null } {
  const r = spawnSync(process.execPath, ["--trace-protector-invalidation", "--input-type=module", "-e", code], { cwd: repo, encoding: "utf8", timeout: 60_000 });
  return { output: `${r.stdout}${r.stderr}`, status: r.status };
}

describe("danfojs-node after toDanfo()", () => {
  it("danfo's groupby on a Sluice frame gives the same sums and counts as plain JS and as Sluice", async () => {
    const { a, b, v } = sample(5_000);
    const expected = new Map<string, { sum: number; count: number }>();
    for (let i = 0; i < a.length; i++) {
      const key = `${a[i]}|${b[i]}`;
      const e = expected.get(key) ?? { sum: 0, count: 0 };
      e.sum += v[i];
      e.count += 1;
      expected.set(key, e);
    }

    const frame = await fromColumns({ a, b, v }).collect();
    const ddf = frame.toDanfo() as DanfoFrame;
    expect(ddf.shape).toEqual([5_000, 3]);

    const sums = ddf.groupby(["a", "b"]).agg({ v: "sum" });
    const counts = ddf.groupby(["a", "b"]).col(["v"]).count();
    const gotSums = new Map<string, number>();
    const [sa, sb, sv] = ["a", "b", "v_sum"].map((c) => sums.column(c).values);
    for (let i = 0; i < sa.length; i++) gotSums.set(`${sa[i]}|${sb[i]}`, Number(sv[i]));
    const gotCounts = new Map<string, number>();
    const [ca, cb, cv] = ["a", "b", "v_count"].map((c) => counts.column(c).values);
    for (let i = 0; i < ca.length; i++) gotCounts.set(`${ca[i]}|${cb[i]}`, Number(cv[i]));

    expect(gotSums.size).toBe(expected.size);
    expect(gotCounts.size).toBe(expected.size);
    for (const [key, e] of expected) {
      expect(gotSums.get(key), key).toBe(e.sum);
      expect(gotCounts.get(key), key).toBe(e.count);
    }

    const bySluice = await fromColumns({ a, b, v }).groupBy("a", "b").agg(col("v").sum().as("s")).collect();
    for (const r of bySluice.toRecords() as { a: string; b: number; s: number }[]) expect(gotSums.get(`${r.a}|${r.b}`)).toBe(Number(r.s));
  });

  it("loading and using Sluice leaves V8's concat fast path on (apache-arrow alone turns it off)", () => {
    const index = join(repo, "dist", "src", "index.js");
    if (!existsSync(index)) throw new Error("dist/src/index.js missing: run `npm run build` first");
    // The control: the detection works, apache-arrow loaded directly does invalidate the protector.
    const arrowPath = createRequire(join(repo, "package.json")).resolve("apache-arrow");
    const control = traced(`await import(${JSON.stringify(arrowPath)}); console.log("loaded");`);
    expect(control.status).toBe(0);
    expect(control.output).toContain(INVALIDATED);

    const sluice = traced(`
      const s = await import(${JSON.stringify(index)});
      const f = await s.fromColumns({ a: ["x", "y", "x"], v: [1, 2, 3] }).collect();
      const t = f.toArrow();
      const g = f.toDanfo().groupby(["a"]).agg({ v: "sum" });
      console.log(JSON.stringify({
        rows: t.numRows,
        sums: g.column("v_sum").values,
        // the real Symbol is back once apache-arrow has loaded
        symbolRestored: Reflect.ownKeys(Symbol).includes("iterator") && Symbol.isConcatSpreadable.description === "Symbol.isConcatSpreadable",
      }));
    `);
    expect(sluice.status, sluice.output).toBe(0);
    expect(sluice.output).not.toContain(INVALIDATED);
    const result = JSON.parse(sluice.output.trim().split("\n").at(-1)!);
    expect(result).toEqual({ rows: 3, sums: [4, 2], symbolRestored: true });
  });
});
