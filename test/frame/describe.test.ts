// describe() against Polars' describe() on the same data (the venv's polars, run here), plus the cases
// where Sluice chooses its own behaviour (the label column when a data column is called "statistic").
import { describe, expect, it } from "vitest";
import { fromColumns, fromRecords, onProgress, sql } from "../../src/index.js";
import { run, venvPython } from "../helpers/python.js";

type Cell = string | number | null;

/** Non-finite floats as text, so both sides travel through JSON the same way. */
const cell = (v: unknown): Cell => (typeof v === "number" && !Number.isFinite(v) ? String(v).replace("Infinity", "inf") : (v as Cell));

/** Polars' describe() of a frame given as Python source, as { statistic: { column: value } }. */
async function polarsDescribe(frameSource: string): Promise<Record<string, Record<string, Cell>>> {
  const script = [
    "import json, math, datetime as dt, polars as pl",
    `df = ${frameSource}`,
    "out = {}",
    "for row in df.describe().to_dicts():",
    "    stat = row.pop('statistic')",
    "    out[stat] = {k: (str(v).replace('nan', 'NaN') if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}",
    "print(json.dumps(out))",
  ].join("\n");
  const result = await run(venvPython(), ["-c", script]);
  if (result.code !== 0) throw new Error(`polars failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

/** Sluice's describe() in the same shape. */
function byStatistic(rows: Record<string, unknown>[], label = "statistic"): Record<string, Record<string, Cell>> {
  return Object.fromEntries(rows.map((r) => [r[label] as string, Object.fromEntries(Object.entries(r).filter(([k]) => k !== label).map(([k, v]) => [k, cell(v)]))]));
}

/** Equal cell by cell; std may differ in the last digits (DuckDB and Polars sum in different orders). */
function expectSameAsPolars(ours: Record<string, Record<string, Cell>>, polars: Record<string, Record<string, Cell>>) {
  expect(Object.keys(ours)).toEqual(Object.keys(polars));
  for (const [stat, row] of Object.entries(polars)) {
    for (const [column, expected] of Object.entries(row)) {
      const actual = ours[stat][column];
      if (typeof expected === "number" && typeof actual === "number" && (stat === "std" || stat === "mean")) {
        expect(actual, `${stat} of ${column}`).toBeCloseTo(expected, 9);
      } else {
        expect(actual, `${stat} of ${column}`).toEqual(expected);
      }
    }
  }
}

describe("describe()", () => {
  it("gives Polars' rows: count, null_count, mean, std, min, 25%, 50%, 75%, max with nearest percentiles", async () => {
    const rows = (await fromColumns({ a: [1, 2, 3, 4] }).describe()).toRecords();
    expect(rows.map((r) => r.statistic)).toEqual(["count", "null_count", "mean", "std", "min", "25%", "50%", "75%", "max"]);
    expect(rows.map((r) => r.a)).toEqual([4, 0, 2.5, expect.closeTo(1.2909944487358056, 12), 1, 2, 3, 3, 4]);
    expectSameAsPolars(byStatistic(rows), await polarsDescribe("pl.DataFrame({'a': [1, 2, 3, 4]})"));
  });

  it("never fails on NaN, ±inf or huge floats: mean/std NaN or inf as Polars gives them, min/max/percentiles still there", async () => {
    const cases: [string, (number | null)[], string][] = [
      ["nan", [1, NaN, 3], "[1.0, float('nan'), 3.0]"],
      ["inf", [1, Infinity, 3], "[1.0, float('inf'), 3.0]"],
      ["huge", [1e308, 1.5e308, 3], "[1e308, 1.5e308, 3.0]"],
      ["neginf", [1, -Infinity, 3], "[1.0, float('-inf'), 3.0]"],
      ["bothinf", [Infinity, -Infinity], "[float('inf'), float('-inf')]"],
      ["allnan", [NaN, NaN], "[float('nan'), float('nan')]"],
      ["mixed", [1, NaN, 3, 4, null], "[1.0, float('nan'), 3.0, 4.0, None]"],
      ["tiny", [1e-300, 3e-300], "[1e-300, 3e-300]"],
      ["plain", [1.5, 2.5, 7], "[1.5, 2.5, 7.0]"],
    ];
    for (const [name, values, python] of cases) {
      const ours = byStatistic((await fromColumns({ x: values }).describe()).toRecords());
      expectSameAsPolars(ours, await polarsDescribe(`pl.DataFrame({'x': ${python}})`));
      expect(ours.count.x, name).toBe(values.filter((v) => v !== null).length);
    }
  });

  it("gives a finite std for huge finite values whose mean is finite (computed on power-of-two scaled values)", async () => {
    const ours = byStatistic((await fromColumns({ x: [-1e308, 1e308], y: [1e200, -1e200], z: [1e130, 3e130] }).describe()).toRecords());
    const relative = (a: Cell, b: number) => Math.abs((a as number) / b - 1);
    expect(ours.mean.x).toBe(0);
    expect(relative(ours.std.x, Math.SQRT2 * 1e308)).toBeLessThan(1e-12);
    expect(relative(ours.std.y, Math.SQRT2 * 1e200)).toBeLessThan(1e-12);
    expect(relative(ours.mean.z, 2e130)).toBeLessThan(1e-12);
    expect(relative(ours.std.z, Math.SQRT2 * 1e130)).toBeLessThan(1e-12);
  });

  it("summarises integers, floats, text, dates, booleans, timestamps and all-null columns as Polars does", async () => {
    const frame = await sql`select * from (values
        (1, 1.5, 'b', DATE '2024-01-03', true, NULL::INTEGER, TIMESTAMP '2024-01-01 10:00:00'),
        (2, NULL, 'a', DATE '2024-01-01', false, NULL, NULL),
        (10, 3.5, NULL, NULL, true, NULL, TIMESTAMP '2024-01-02 00:00:00'),
        (NULL, -2.0, 'c', DATE '2024-01-02', NULL, NULL, NULL)) t(i, f, s, d, b, allnull, ts)`;
    const described = await frame.describe();
    expect(described.schema.map((f) => f.type)).toEqual(["Utf8", "Float64", "Float64", "Utf8", "Utf8", "Float64", "Float64", "Utf8"]);
    const polars = await polarsDescribe(
      "pl.DataFrame({'i': [1, 2, 10, None], 'f': [1.5, None, 3.5, -2.0], 's': ['b', 'a', None, 'c'], " +
        "'d': [dt.date(2024, 1, 3), dt.date(2024, 1, 1), None, dt.date(2024, 1, 2)], 'b': [True, False, True, None], " +
        "'allnull': pl.Series([None] * 4, dtype=pl.Int32), 'ts': [dt.datetime(2024, 1, 1, 10), None, dt.datetime(2024, 1, 2), None]})",
    );
    // Polars prints counts of text columns as text too.
    expectSameAsPolars(byStatistic(described.toRecords()), polars);
  });

  it("keeps a data column named statistic: the labels move to statistic_ and neither overwrites the other", async () => {
    const rows = (await fromRecords([{ statistic: 5, other: "x" }, { statistic: 7, other: "y" }]).describe()).toRecords();
    expect(Object.keys(rows[0])).toEqual(["statistic_", "statistic", "other"]);
    expect(rows.map((r) => r.statistic_)).toEqual(["count", "null_count", "mean", "std", "min", "25%", "50%", "75%", "max"]);
    expect(rows.map((r) => r.statistic)).toEqual([2, 0, 6, expect.closeTo(Math.SQRT2, 12), 5, 5, 7, 7, 7]);
    expect(rows.map((r) => r.other)).toEqual(["2", "0", null, null, "x", null, null, null, "y"]);
  });

  it("runs as one job named describe", async () => {
    const starts: string[] = [];
    const off = onProgress((e) => {
      if (e.type === "job.start") starts.push(e.description);
    });
    try {
      await fromColumns({ a: [1, 2] }).describe();
    } finally {
      off();
    }
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatch(/^describe: SCAN/);
  });
});
