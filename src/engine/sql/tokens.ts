// Tokenizing text in SQL, shared by fuzzyJoin and textSimilarity so both see the same token sets.
// The same rule in JS is tokenize() in src/frame/fuzzy.ts (the tests compare the two).
import { quoteLiteral, quoteString } from "./quote.js";

export type Tokens = "words" | { ngram: number };

/** Words: maximal runs of letters/digits of the lower-cased text. N-grams: every n characters of it
 *  (a text shorter than n is one token). Null text → no tokens. */
export function tokensSql(x: string, tokens: Tokens): string {
  const s = `lower(${x})`;
  if (tokens === "words") return `list_filter(regexp_split_to_array(${s}, ${quoteString("[^\\p{L}\\p{N}]+")}), w -> w <> '')`;
  const n = quoteLiteral(tokens.ngram);
  return `list_filter(list_transform(range(1, greatest(length(${s}) - ${n} + 1, 1) + 1), i -> substring(${s}, i, ${n})), g -> g <> '')`;
}

/** Jaccard similarity of the two token sets; NULL when either text is NULL or both have no tokens. */
export function jaccardSql(a: string, b: string, tokens: Tokens): string {
  const A = `list_distinct(${tokensSql(a, tokens)})`;
  const B = `list_distinct(${tokensSql(b, tokens)})`;
  // Said outright: list functions treat a NULL list as empty in some places and as NULL in others.
  return `(CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL ELSE len(list_intersect(${A}, ${B})) / nullif(len(list_distinct(list_concat(${A}, ${B}))), 0) END)`;
}

/**
 * Edit distance counted in characters (code points). DuckDB's levenshtein() counts UTF-8 bytes
 * ('東京' vs '京都' is 6 to it, 'née' vs 'nee' 2), so it is used only when both texts are ASCII;
 * otherwise the classic row-by-row table runs over string_split(x, '') characters. The insertion
 * step, new[j] = min(t[k] + j - k for k <= j), keeps each row a plain list_transform.
 */
export function levenshteinSql(a: string, b: string): string {
  const A = `string_split(${a}, '')`;
  const B = `string_split(${b}, '')`;
  const m = `length(${b})`;
  const step = `CASE WHEN k = 0 THEN r[1] ELSE least(prev[k + 1] + 1, prev[k] + CASE WHEN ${A}[r[1]] = ${B}[k] THEN 0 ELSE 1 END) END + (j - k)`;
  const row = `list_transform(range(0, ${m} + 1), j -> CASE WHEN j = 0 THEN r[1] ELSE list_min(list_transform(range(0, j + 1), k -> ${step})) END)`;
  const table = `list_reduce(list_concat([range(0, ${m} + 1)], list_transform(range(1, length(${a}) + 1), i -> [i])), (prev, r) -> ${row})[-1]`;
  return `(CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL WHEN strlen(${a}) = length(${a}) AND strlen(${b}) = length(${b}) THEN levenshtein(${a}, ${b}) ELSE ${table} END)`;
}
