// joinAsof against a brute-force nearest-key search in JS: by group, both directions, with and without tolerance.
import { describe, expect, it } from "vitest";
import { col, fromRecords } from "../../src/index.js";
import { rng } from "../../bench/fuzzy/titles.js";

interface Trade { id: number; sym: string; t: number; qty: number }
interface Quote { sym: string; t: number; px: number }

const next = rng(11);
const SYMS = ["AAA", "BBB", "CCC"];
const TRADES: Trade[] = Array.from({ length: 60 }, (_, i) => ({ id: i, sym: SYMS[Math.floor(next() * 3)], t: Math.floor(next() * 200), qty: 1 + Math.floor(next() * 9) }));
// Quote times are distinct per symbol, so "the nearest" is a single row.
const QUOTES: Quote[] = SYMS.slice(0, 2).flatMap((sym, s) =>
  [...new Set(Array.from({ length: 25 }, () => Math.floor(next() * 200)))].map((t) => ({ sym, t, px: s * 1000 + t + 0.5 })),
);

function nearest(tr: Trade, strategy: "backward" | "forward", tolerance?: number): Quote | undefined {
  const same = QUOTES.filter((q) => q.sym === tr.sym && (strategy === "backward" ? q.t <= tr.t : q.t >= tr.t));
  const best = same.sort((a, b) => (strategy === "backward" ? b.t - a.t : a.t - b.t))[0];
  if (!best || (tolerance !== undefined && Math.abs(best.t - tr.t) > tolerance)) return undefined;
  return best;
}

describe("joinAsof", () => {
  for (const strategy of ["backward", "forward"] as const)
    for (const tolerance of [undefined, 0, 7]) {
      it(`${strategy}, by symbol, tolerance ${tolerance ?? "none"}`, async () => {
        const joined = fromRecords(TRADES).joinAsof(fromRecords(QUOTES).rename({ t: "qt" }), { leftOn: "t", rightOn: "qt", by: "sym", strategy, tolerance });
        expect(joined.columns).toEqual(["id", "sym", "t", "qty", "qt", "px"]);
        const rows = (await joined.sort("id").collect()).toRecords();
        expect(rows).toHaveLength(TRADES.length); // a left join: every trade stays
        expect(rows).toEqual(
          TRADES.map((tr) => {
            const q = nearest(tr, strategy, tolerance);
            return { ...tr, qt: q?.t ?? null, px: q?.px ?? null };
          }),
        );
        // The symbol without quotes never matches.
        expect(rows.filter((r) => r.sym === "CCC").every((r) => r.px === null)).toBe(true);
      });
    }

  it("same-named keys are merged, colliding names get the suffix, times take duration tolerances", async () => {
    const left = fromRecords([{ k: "a", at: new Date("2024-01-01T10:00:00Z"), v: 1 }, { k: "a", at: new Date("2024-01-01T12:00:00Z"), v: 2 }]);
    const right = fromRecords([{ k: "a", at: new Date("2024-01-01T09:58:00Z"), v: 10 }]);
    const joined = left.joinAsof(right, { on: "at", by: "k", tolerance: "5m" });
    expect(joined.columns).toEqual(["k", "at", "v", "v_right"]);
    expect((await joined.sort("v").collect()).column("v_right")).toEqual([10, null]);
    expect(() => left.joinAsof(right, { on: "at", tolerance: 5 })).toThrow(/duration such as "5m"/);
    expect(() => left.joinAsof(right, { on: "k" })).toThrow(/numbers or times/);
    expect(() => left.joinAsof(right, { on: "at", strategy: "nearest" as "forward" })).toThrow(/strategy must be/);
    expect(() => left.joinAsof(right, { on: "at", tolerance: "5 parsecs" })).toThrow('joinAsof tolerance: expected a duration like "1h"');
  });

  it("DATE keys take a duration tolerance, both directions", async () => {
    const day = (d: string) => new Date(`${d}T00:00:00Z`);
    const left = fromRecords([{ d: day("2024-01-10"), v: 1 }, { d: day("2024-01-20"), v: 2 }]).withColumns(col("d").cast("date"));
    const right = fromRecords([{ d: day("2024-01-08"), p: 100 }, { d: day("2024-01-21"), p: 200 }]).withColumns(col("d").cast("date"));
    const back = await left.joinAsof(right, { on: "d", tolerance: "3d" }).sort("v").collect();
    expect(back.column("p")).toEqual([100, null]); // 2 days back: kept; the 20th's nearest (8th) is 12 days back
    const fwd = await left.joinAsof(right, { on: "d", tolerance: "1d", strategy: "forward" }).sort("v").collect();
    expect(fwd.column("p")).toEqual([null, 200]);
  });
});
