// fuzzyJoin (prefix filtering) against a brute-force all-pairs Jaccard check in JS, and the
// textSimilarity / levenshtein expressions against JS implementations.
import { describe, expect, it } from "vitest";
import { col, fromColumns, fromRecords, jaccard, levenshtein, textSimilarity, tokenize, type TokenMode } from "../../src/index.js";
import { generateTitles } from "../../bench/fuzzy/titles.js";

const { left: LEFT, right: RIGHT } = generateTitles(1200, 3);
// n-gram sets are ~5x larger, so their all-pairs check in JS uses the first 500 titles of each side.
const left = (n = LEFT.length) => fromColumns({ lid: LEFT.slice(0, n).map((_, i) => i), title: LEFT.slice(0, n) });
const right = (n = RIGHT.length) => fromColumns({ rid: RIGHT.slice(0, n).map((_, i) => i), title: RIGHT.slice(0, n) });
const sampleSize = (tokens: TokenMode) => (tokens === "words" ? LEFT.length : 500);

/** Every pair with Jaccard >= t, by comparing all pairs. */
function bruteForce(t: number, tokens: TokenMode, keep: "all" | "best"): string[] {
  const L = LEFT.slice(0, sampleSize(tokens)).map((s) => tokenize(s, tokens));
  const R = RIGHT.slice(0, sampleSize(tokens)).map((s) => tokenize(s, tokens));
  const out: string[] = [];
  L.forEach((a, i) => {
    if (a.size === 0) return;
    const hits: [number, number][] = [];
    R.forEach((b, j) => {
      if (b.size === 0) return;
      const sim = jaccard(a, b);
      if (sim >= t) hits.push([j, sim]);
    });
    const max = Math.max(...hits.map((h) => h[1]));
    for (const [j, sim] of hits) if (keep === "all" || sim === max) out.push(`${i}|${j}|${sim.toFixed(12)}`);
  });
  return out.sort();
}

async function fuzzy(t: number, tokens: TokenMode, keep: "all" | "best"): Promise<string[]> {
  const rows = (await left(sampleSize(tokens)).fuzzyJoin(right(sampleSize(tokens)), { left: "title", right: "title", threshold: t, tokens, keep }).collect()).toRecords();
  for (const r of rows) {
    expect(r.title).toBe(LEFT[r.lid as number]); // both rows come back whole
    expect(r.title_right).toBe(RIGHT[r.rid as number]);
  }
  return rows.map((r) => `${r.lid}|${r.rid}|${(r.similarity as number).toFixed(12)}`).sort();
}

describe("fuzzyJoin", () => {
  for (const [t, tokens, keep] of [
    [0.5, "words", "all"],
    [0.8, "words", "all"],
    [0.6, "words", "best"],
    [0.7, { ngram: 3 }, "all"],
    [0.5, { ngram: 2 }, "best"],
  ] as [number, TokenMode, "all" | "best"][]) {
    it(`equals the all-pairs check: jaccard >= ${t}, ${JSON.stringify(tokens)}, keep ${keep}`, async () => {
      const expected = bruteForce(t, tokens, keep);
      expect(expected.length).toBeGreaterThan(50); // the sample has real matches to find
      expect(await fuzzy(t, tokens, keep)).toEqual(expected);
    });
  }

  it("is planned as a fuzzy join (prefix filtering), not a cross join", async () => {
    const f = left().fuzzyJoin(right(), { left: "title", right: "title", threshold: 0.8 });
    const explain = await f.explain();
    expect(explain.optimized).toMatch(/FUZZY JOIN jaccard\(title, title\) >= 0.8 on words, keep all \(prefix filtering\)/);
    expect(explain.physical).not.toMatch(/CROSS_PRODUCT|NESTED_LOOP|BLOCKWISE_NL/);
    expect(f.columns).toEqual(["lid", "title", "rid", "title_right", "similarity"]);
  });

  it("nulls and texts without tokens never match; bad options say what to fix", async () => {
    const a = fromRecords([{ s: "The Matrix" }, { s: null }, { s: "!!!" }]);
    const b = fromRecords([{ s: "matrix, the" }, { s: "..." }]);
    expect((await a.fuzzyJoin(b, { left: "s", right: "s", threshold: 0.1 }).collect()).toRecords()).toEqual([{ s: "The Matrix", s_right: "matrix, the", similarity: 1 }]);
    expect(() => a.fuzzyJoin(b, { left: "s", right: "s", threshold: 0 })).toThrow(/threshold must be a number in \(0, 1\]/);
    expect(() => a.fuzzyJoin(b, { left: "s", right: "x", threshold: 0.5 })).toThrow(/column 'x' not found/);
    expect(() => a.fuzzyJoin(b, { left: "s", right: "s", threshold: 0.5, tokens: { ngram: 0 } })).toThrow(/ngram/);
    expect(() => a.fuzzyJoin(b, { left: "s", right: "s", threshold: 0.5, method: "cosine" as "jaccard" })).toThrow(/method must be "jaccard"/);
  });
});

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

describe("textSimilarity and levenshtein expressions", () => {
  it("match JS on generated title pairs", async () => {
    const n = 300;
    const pairs = fromColumns({ a: LEFT.slice(0, n), b: RIGHT.slice(0, n) });
    const rows = (
      await pairs
        .withColumns(
          textSimilarity("a", "b").as("jw"),
          textSimilarity(col("a"), col("b"), { tokens: { ngram: 3 } }).as("j3"),
          levenshtein("a", "b").as("lev"),
          textSimilarity("a", "b", { method: "levenshtein" }).as("ls"),
        )
        .collect()
    ).toRecords();
    rows.forEach((r, i) => {
      const [a, b] = [LEFT[i], RIGHT[i]];
      expect(r.jw).toBeCloseTo(jaccard(tokenize(a), tokenize(b)), 12);
      expect(r.j3).toBeCloseTo(jaccard(tokenize(a, { ngram: 3 }), tokenize(b, { ngram: 3 })), 12);
      expect(r.lev).toBe(editDistance(a, b));
      expect(r.ls).toBeCloseTo(1 - editDistance(a, b) / Math.max(a.length, b.length), 12);
    });
  });
});
