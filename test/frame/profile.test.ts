// profile() text shows DuckDB's operators as a tree, so both sides of a join can be told apart.
import { describe, expect, it } from "vitest";
import { col, count, fromColumns } from "../../src/index.js";

describe("profile() text", () => {
  it("puts each operator under the one it feeds, with rows and a header", async () => {
    const a = fromColumns({ k: [1, 2, 3, 4], v: [10, 20, 30, 40] });
    const b = fromColumns({ k: [1, 2, 5], w: ["x", "y", "z"] });
    const p = await a.join(b, { on: "k" }).filter(col("v").gt(0)).groupBy("w").agg(count().as("n")).profile();
    const text = p.toString().split("== operators")[1].split("\n");
    expect(text[1]).toMatch(/^operator\s+rows\s+time ms$/);
    const join = text.findIndex((l) => l.trimStart().startsWith("HASH_JOIN"));
    const depth = (line: string) => line.length - line.trimStart().length;
    const below = text.slice(join + 1).filter((l) => depth(l) === depth(text[join]) + 2);
    // The join's two inputs, one level deeper (row counts are DuckDB's: it may skip rows the join cannot match).
    expect(below.map((l) => l.trim().split(/\s+/)[0])).toEqual(["SEQ_SCAN", "SEQ_SCAN"]);
    expect(below.every((l) => /\s\d+\s+\d+\.\d\d$/.test(l))).toBe(true);
    expect(depth(text[join])).toBeGreaterThan(0);
  });
});

describe("job descriptions", () => {
  it("a long plan's job description keeps its first and last steps", async () => {
    const { onProgress } = await import("../../src/index.js");
    const starts: string[] = [];
    const off = onProgress((e) => void (e.type === "job.start" && starts.push(e.description)));
    try {
      let f = fromColumns({ a: [1, 2, 3] });
      for (let i = 0; i < 12; i++) f = f.withColumns(col("a").add(i).as(`c${i}`)).filter(col("a").gt(-i));
      await f.sort("a").collect();
      await fromColumns({ a: [1] }).sort("a").collect();
    } finally {
      off();
    }
    const [long, short] = starts.slice(-2);
    expect(long).toMatch(/^collect: SCAN → \w+ → \w+ → … \d+ more … → \w+ → \w+ → SORT$/);
    expect(short).toBe("collect: SCAN → SORT");
  });
});
