// Fixes from the analytics audit, each checked against a real DuckDB: the frame's schema must equal the
// collected one, and names DuckDB would confuse (it ignores case in column names) never reach it.
import { describe, expect, it } from "vitest";
import { coalesce, col, fromRecords, levenshtein, sql, textSimilarity, when, InvalidArgumentError, type LazyFrame } from "../../src/index.js";

async function collectChecked(frame: LazyFrame) {
  const df = await frame.collect();
  expect(df.schema).toEqual(frame.schema);
  return df;
}

describe("column names that differ only in case", () => {
  it("pivot refuses columns 'tea' and 'Tea' instead of reading one for the other", () => {
    const s = fromRecords([{ shop: "x", product: "tea", qty: 1 }, { shop: "y", product: "Tea", qty: 5 }]);
    expect(() => s.pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea", "Tea"] })).toThrow(/'tea' and 'Tea' differ only in case/);
  });

  it("pivot refuses a value named like an index column", () => {
    const s = fromRecords([{ shop: "x", product: "shop", qty: 1 }]);
    expect(() => s.pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["shop"] })).toThrow(InvalidArgumentError);
    expect(() => s.pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["SHOP"] })).toThrow(/rename the index column/);
  });

  it("pivot on values that differ only in case works once they are mapped apart", async () => {
    const s = fromRecords([{ shop: "x", product: "tea", qty: 1 }, { shop: "y", product: "Tea", qty: 5 }]);
    const w = s.withColumns(col("product").lower()).pivot({ on: "product", index: "shop", values: "qty", agg: "sum", columns: ["tea"] });
    const df = await collectChecked(w.sort("shop"));
    expect(df.toRecords()).toEqual([{ shop: "x", tea: 1 }, { shop: "y", tea: 5 }]);
  });

  it("joinAsof suffixes a right column equal to a left one ignoring case", async () => {
    const left = fromRecords([{ Sym: "A", t: 5 }]);
    const right = fromRecords([{ sym: "B", t: 4, p: 100 }]);
    const j = left.joinAsof(right, { on: "t" });
    expect(j.columns).toEqual(["Sym", "t", "sym_right", "p"]);
    const df = await collectChecked(j);
    expect(df.toRecords()).toEqual([{ Sym: "A", t: 5, sym_right: "B", p: 100 }]);
    expect((await j.select("sym_right").collect()).toRecords()).toEqual([{ sym_right: "B" }]);
  });

  it("join suffixes a right column equal to a left one ignoring case", async () => {
    const left = fromRecords([{ id: 1, Name: "left" }]);
    const right = fromRecords([{ id: 1, name: "right" }]);
    const j = left.join(right, { on: "id" });
    expect(j.columns).toEqual(["id", "Name", "name_right"]);
    expect((await collectChecked(j)).toRecords()).toEqual([{ id: 1, Name: "left", name_right: "right" }]);
  });

  it("fuzzyJoin suffixes a right column equal to a left one ignoring case", async () => {
    const left = fromRecords([{ Name: "acme corp" }]);
    const right = fromRecords([{ name: "acme corp" }]);
    const j = left.fuzzyJoin(right, { left: "Name", right: "name", threshold: 0.5 });
    expect(j.columns.slice(0, 2)).toEqual(["Name", "name_right"]);
    const df = await collectChecked(j);
    expect(df.toRecords()[0]).toMatchObject({ Name: "acme corp", name_right: "acme corp" });
  });

  it("unnest refuses a field equal to a column ignoring case and names the prefix option", async () => {
    const f = await sql`SELECT {'name': 'inner', 'n': 1} AS s, 'outer' AS "Name"`;
    expect(() => f.unnest("s")).toThrow(/a field collides with a column \('name' and 'Name'.*prefix: "s_"/);
    const ok = f.unnest("s", { prefix: "s_" });
    expect((await collectChecked(ok)).toRecords()).toEqual([{ s_name: "inner", s_n: 1, Name: "outer" }]);
  });

  it("unpivot refuses a variableName equal to an index column ignoring case", () => {
    const w = fromRecords([{ id: 1, a: 1, b: 2 }]);
    expect(() => w.unpivot({ index: "id", variableName: "ID" })).toThrow(/variableName\/valueName/);
    expect(() => w.unpivot({ index: "id", valueName: "Id" })).toThrow(InvalidArgumentError);
  });

  it("every frame refuses two names equal ignoring case (select, withColumns)", () => {
    const f = fromRecords([{ a: 1 }]);
    expect(() => f.select(col("a"), col("a").as("A"))).toThrow(/'a' and 'A' differ only in case.*rename one/);
    expect(() => f.withColumns(col("a").add(1).as("A"))).toThrow(/differ only in case/);
  });

  it("records with keys equal ignoring case are refused with both names", () => {
    expect(() => fromRecords([{ a: 1, A: 2 }])).toThrow(/'a' and 'A' differ only in case.*record key/);
  });

  it("sql frames keep DuckDB's own renaming of a case duplicate", async () => {
    const f = await sql`SELECT 1 AS a, 2 AS A`;
    expect(f.columns).toEqual(["a", "A_1"]);
    expect((await collectChecked(f.select("A_1"))).toRecords()).toEqual([{ A_1: 2 }]);
  });
});

describe("dates with timestamps", () => {
  it("unpivot of a DATE and a TIMESTAMP keeps the time (TIMESTAMP values)", async () => {
    const f = await sql`SELECT 1 AS id, DATE '2024-01-01' AS d, TIMESTAMP '2024-01-01 05:30:00' AS t`;
    const u = f.unpivot({ index: "id" });
    expect(u.schema.find((x) => x.name === "value")!.type).toBe("TIMESTAMP");
    const df = await collectChecked(u);
    expect(df.toRecords().map((r) => (r.value as Date).toISOString())).toEqual(["2024-01-01T00:00:00.000Z", "2024-01-01T05:30:00.000Z"]);
  });

  it("coalesce and when/otherwise of DATE and TIMESTAMP report TIMESTAMP (zoned if either is)", async () => {
    const f = await sql`SELECT NULL::DATE AS d, TIMESTAMP '2024-01-01 05:30:00' AS ts, TIMESTAMPTZ '2024-01-01 05:30:00+00' AS tz`;
    const g = f.select(
      coalesce(col("d"), col("ts")).as("c"),
      when(col("d").isNull()).then(col("ts")).otherwise(col("d")).as("w"),
      coalesce(col("d"), col("tz")).as("z"),
    );
    expect(g.schema.map((x) => x.type)).toEqual(["TIMESTAMP", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"]);
    await collectChecked(g);
  });

  it("unpivot of a DATE with VARCHAR is refused when written (DuckDB cannot unpivot them)", async () => {
    const f = await sql`SELECT 1 AS id, DATE '2024-01-01' AS d, 'x' AS s`;
    expect(() => f.unpivot({ index: "id" })).toThrow(/'d' is DATE but 's' is VARCHAR.*cast/);
  });
});

/** Edit distance over code points, the plain way. */
function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length];
}

describe("textSimilarity and levenshtein", () => {
  it("are null when either text is null, whichever side", async () => {
    const f = fromRecords([{ a: "the matrix", b: null }, { a: null, b: "the matrix" }, { a: null, b: null }]);
    const g = f.select(
      textSimilarity("a", "b").as("w_ab"), textSimilarity("b", "a").as("w_ba"),
      textSimilarity("a", "b", { tokens: { ngram: 3 } }).as("g_ab"), textSimilarity("b", "a", { tokens: { ngram: 3 } }).as("g_ba"),
      textSimilarity("a", "b", { method: "levenshtein" }).as("lev"), levenshtein("a", "b").as("ld"),
    );
    const rows = (await collectChecked(g)).toRecords();
    for (const r of rows) expect(Object.values(r)).toEqual([null, null, null, null, null, null]);
  });

  it("levenshtein counts characters, not UTF-8 bytes, and its similarity stays in [0, 1]", async () => {
    const pairs: [string, string][] = [["東京", "京都"], ["née", "nee"], ["Amélie", ""], ["kitten", "sitting"], ["", ""], ["", "ab"], ["ça va", "ca va?"], ["日本語テキスト", "日本テキスト語"]];
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = ["a", "b", "é", "東", "京", "x", "ü", "🙂"];
    for (let i = 0; i < 40; i++) {
      const word = () => Array.from({ length: Math.floor(rnd() * 7) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join("");
      pairs.push([word(), word()]);
    }
    const f = fromRecords(pairs.map(([a, b], i) => ({ i, a, b })));
    const rows = (await collectChecked(f.select("i", levenshtein("a", "b").as("d"), textSimilarity("a", "b", { method: "levenshtein" }).as("s")).sort("i"))).toRecords();
    rows.forEach((r, i) => {
      const [a, b] = pairs[i];
      const d = editDistance(a, b);
      expect(Number(r.d), `${a} vs ${b}`).toBe(d);
      const longer = Math.max([...a].length, [...b].length);
      if (longer === 0) expect(r.s).toBeNull();
      else expect(r.s as number).toBeCloseTo(1 - d / longer, 12);
    });
  });
});

describe("median, quantile and window sums: schema and values agree", () => {
  const decimals = async () => sql`SELECT * FROM (VALUES ('a', 0.25::DECIMAL(4,2), 1.5::FLOAT, DATE '2024-01-01', 1), ('a', 0.50::DECIMAL(4,2), 2.25::FLOAT, DATE '2024-01-02', 2)) AS t(g, d, f, day, i)`;

  it("median/quantile of DECIMAL and FLOAT are computed on DOUBLE in groupBy (0.375, not 0.37)", async () => {
    const f = await decimals();
    const g = f.groupBy("g").agg(col("d").median().as("md"), col("d").quantile(0.5).as("qd"), col("f").median().as("mf"), col("day").median().as("mday"));
    const df = await collectChecked(g);
    const r = df.toRecords()[0];
    expect(r.md).toBe(0.375);
    expect(r.qd).toBe(0.375);
    expect(r.mf).toBe(1.875);
    expect(g.schema.find((x) => x.name === "mday")!.type).toBe("TIMESTAMP");
    expect((r.mday as Date).toISOString()).toBe("2024-01-01T12:00:00.000Z");
  });

  it("median over a window and in a pivot of DECIMAL is exact too", async () => {
    const f = await decimals();
    const w = f.select("i", col("d").median().over({ partitionBy: "g" }).as("m")).sort("i");
    expect((await collectChecked(w)).toRecords().map((r) => r.m)).toEqual([0.375, 0.375]);
    const p = f.pivot({ on: "g", values: "d", agg: "median", columns: ["a"] });
    expect((await collectChecked(p)).toRecords()).toEqual([{ a: 0.375 }]);
    const pd = f.pivot({ on: "g", values: "day", agg: "median", columns: ["a"] });
    expect(pd.schema).toEqual([{ name: "a", type: "TIMESTAMP" }]);
    await collectChecked(pd);
  });

  it("window sum and cumSum of a DECIMAL say DECIMAL(38, s), as DuckDB returns", async () => {
    const f = await decimals();
    const w = f.select("i", col("d").sum().over({ partitionBy: "g" }).as("s"), col("d").cumSum().over({ orderBy: "i" }).as("c")).sort("i");
    expect(w.schema.map((x) => x.type)).toEqual(["INTEGER", "DECIMAL(38,2)", "DECIMAL(38,2)"]);
    const df = await collectChecked(w);
    expect(df.toRecords().map((r) => [Number(r.s), Number(r.c)])).toEqual([[0.75, 0.25], [0.75, 0.75]]);
  });
});

describe("lag/lead defaults and offsets", () => {
  const f = () => fromRecords([{ i: 1, x: 10 }, { i: 2, x: 20 }, { i: 3, x: 30 }]);

  it("a fractional default on an integer column widens to DOUBLE (not cast to 0 or 2)", async () => {
    const g = f().select("i", col("x").lag(1, 0.5).over({ orderBy: "i" }).as("a"), col("x").lead(1, 1.7).over({ orderBy: "i" }).as("b"), col("x").lag(1, 7).over({ orderBy: "i" }).as("c")).sort("i");
    expect(g.schema.map((x) => x.type)).toEqual(["BIGINT", "DOUBLE", "DOUBLE", "BIGINT"]);
    const rows = (await collectChecked(g)).toRecords();
    expect(rows.map((r) => [r.a, r.b, r.c])).toEqual([[0.5, 20, 7], [10, 30, 10], [20, 1.7, 20]]);
  });

  it("an integer default beyond the column's range widens to BIGINT", async () => {
    const small = await sql`SELECT * FROM (VALUES (1, 10::INTEGER), (2, 20::INTEGER)) AS t(i, x)`;
    const g = small.select("i", col("x").lag(1, 3_000_000_000).over({ orderBy: "i" }).as("a"), col("x").lag(1, -1).over({ orderBy: "i" }).as("b")).sort("i");
    expect(g.schema.map((x) => x.type)).toEqual(["INTEGER", "BIGINT", "INTEGER"]);
    expect((await collectChecked(g)).toRecords().map((r) => [Number(r.a), r.b])).toEqual([[3_000_000_000, -1], [10, 10]]);
  });

  it("a default of another kind is refused when the frame is written", () => {
    expect(() => f().select(col("x").lead(1, true).over({ orderBy: "i" }).as("a"))).toThrow(/default true does not fit the column's type BIGINT/);
    expect(() => f().select(col("x").lag(1, "zero").over({ orderBy: "i" }).as("a"))).toThrow(/does not fit.*BIGINT; pass a finite number/);
    const s = fromRecords([{ i: 1, s: "a" }]);
    expect(() => s.select(col("s").lag(1, 3).over({ orderBy: "i" }).as("a"))).toThrow(/pass a string/);
  });

  it("a large offset is not wrapped to 32 bits, and an unsafe one is refused", async () => {
    const g = f().select("i", col("x").lag(2 ** 32).over({ orderBy: "i" }).as("a")).sort("i");
    expect((await collectChecked(g)).toRecords().map((r) => r.a)).toEqual([null, null, null]);
    expect(() => col("x").lag(2 ** 53)).toThrow(/positive integer/);
    expect(() => col("x").lead(1.5)).toThrow(InvalidArgumentError);
  });
});

describe("pivot and explode arguments", () => {
  it("pivot on BIGINT values above 2^53 keeps them exact (discovered or given as bigint)", async () => {
    const f = await sql`SELECT * FROM (VALUES ('x', 9007199254740993::BIGINT, 1), ('x', 9007199254740994::BIGINT, 2)) AS t(k, id, v)`;
    const found = await f.pivot({ on: "id", index: "k", values: "v", agg: "sum" });
    expect(found.columns).toEqual(["k", "9007199254740993", "9007199254740994"]);
    expect((await collectChecked(found)).toRecords()).toEqual([{ k: "x", "9007199254740993": 1, "9007199254740994": 2 }]);
    const given = f.pivot({ on: "id", index: "k", values: "v", agg: "sum", columns: [9007199254740994n, 5n] });
    expect((await collectChecked(given)).toRecords()).toEqual([{ k: "x", "9007199254740994": 2, "5": null }]);
  });

  it("pivot refuses columns given as a string instead of an array", () => {
    const s = fromRecords([{ shop: "x", product: "tea", qty: 1 }]);
    expect(() => s.pivot({ on: "product", index: "shop", values: "qty", columns: "tea" as never })).toThrow(/columns must be an array.*\["tea"\]/);
  });

  it("explode takes exactly one column name", () => {
    const f = fromRecords([{ a: [1, 2], b: [3] }]);
    expect(() => (f.explode as (...a: unknown[]) => unknown)("a", "b")).toThrow(/takes one column name/);
    expect(() => (f.explode as (...a: unknown[]) => unknown)(["a", "b"])).toThrow(InvalidArgumentError);
  });
});

describe("similarity over columns named like SQL lambda parameters", () => {
  it("columns named i, g, w, k, prev are read as columns, not as lambda parameters", async () => {
    const f = fromRecords([{ i: "abcdef", g: "abcdxy", w: "the cat", k: "東京都", prev: "京都" }]);
    const g = f.select(
      textSimilarity("i", "g", { tokens: { ngram: 2 } }).as("s"), textSimilarity("g", "i", { tokens: { ngram: 2 } }).as("s2"),
      textSimilarity("w", "i").as("s3"), levenshtein("k", "prev").as("l"),
    );
    const [r] = (await collectChecked(g)).toRecords();
    // bigrams: ab bc cd de ef vs ab bc cd dx xy → 3 shared of 7
    expect(r.s).toBeCloseTo(3 / 7, 12);
    expect(r.s2).toBeCloseTo(3 / 7, 12);
    expect(r.s3).toBe(0);
    expect(Number(r.l)).toBe(editDistance("東京都", "京都"));
  });
});

describe("fuzzyJoin similarity column name", () => {
  it("is refused when a column has it ignoring case, naming the option", () => {
    const left = fromRecords([{ name: "acme", Similarity: 1 }]);
    const right = fromRecords([{ name2: "acme" }]);
    expect(() => left.fuzzyJoin(right, { left: "name", right: "name2", threshold: 0.5 })).toThrow(/already named 'Similarity'.*similarity: "another_name"/);
  });
});

describe("a window inside filter next to a column named like its hidden column", () => {
  it("the hidden column's name avoids the user's column ignoring case", async () => {
    const f = fromRecords([{ __WINDOW_0: 2, x: 1 }, { __WINDOW_0: 6, x: 2 }]);
    // sum(x) = 3 on every row: only the row whose own value is at least 3 stays.
    const g = f.filter(col("x").sum().over({}).gt(col("__WINDOW_0")).not());
    const df = await collectChecked(g.sort("x"));
    expect(df.toRecords()).toEqual([{ __WINDOW_0: 6, x: 2 }]);
  });
});
