// Tokenizing text in SQL, shared by fuzzyJoin and textSimilarity so both see the same token sets.
// The same rule in JS is tokenize() in src/frame/fuzzy.ts (the tests compare the two).
import { quoteLiteral, quoteString } from "./quote.js";

export type Tokens = "words" | { ngram: number };

// Lambda parameters shadow columns of the same name (ignoring case) inside the lambda, and the texts are
// column expressions used inside them: a column named "i" would be read as the lambda's i. Hence a prefix.
const L = "__sluice_";

/** Words: maximal runs of letters/digits of the lower-cased text. N-grams: every n characters of it
 *  (a text shorter than n is one token). Null text → no tokens. */
export function tokensSql(x: string, tokens: Tokens): string {
  const s = `lower(${x})`;
  if (tokens === "words") return `list_filter(regexp_split_to_array(${s}, ${quoteString("[^\\p{L}\\p{N}]+")}), ${L}w -> ${L}w <> '')`;
  const n = quoteLiteral(tokens.ngram);
  return `list_filter(list_transform(range(1, greatest(length(${s}) - ${n} + 1, 1) + 1), ${L}i -> substring(${s}, ${L}i, ${n})), ${L}g -> ${L}g <> '')`;
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
 * otherwise the classic table runs row by row (list_reduce) over the code points of a, against those of
 * b. In a row, t[k] = min(deletion, substitution), and the insertions make new[j] = j + min(t[k] - k, k <= j):
 * a prefix minimum, taken with the native list_min over a slice rather than a lambda per pair.
 * `list_transform([v], x -> ...)[1]` binds v once (SQL has no let).
 */
export function levenshteinSql(a: string, b: string): string {
  const [bc, i, j, k, r, prev, d] = ["bc", "i", "j", "k", "r", "prev", "d"].map((n) => L + n);
  const codes = `list_transform(range(1, length(${b}) + 1), ${j} -> unicode(substring(${b}, ${j}, 1)))`;
  // The reduced list: row 0, then [i, code point of a's i-th character] per character of a.
  const rows = `list_concat([range(0, len(${bc}) + 1)], list_transform(range(1, length(${a}) + 1), ${i} -> [${i}, unicode(substring(${a}, ${i}, 1))]))`;
  const t = `list_transform(range(0, len(${bc}) + 1), ${k} -> CASE WHEN ${k} = 0 THEN ${r}[1] ELSE least(${prev}[${k} + 1] + 1, ${prev}[${k}] + CASE WHEN ${r}[2] = ${bc}[${k}] THEN 0 ELSE 1 END) END - ${k})`;
  const row = `list_transform([${t}], ${d} -> list_transform(range(0, len(${bc}) + 1), ${j} -> ${j} + list_min(list_slice(${d}, 1, ${j} + 1))))[1]`;
  const table = `list_transform([${codes}], ${bc} -> list_reduce(${rows}, (${prev}, ${r}) -> ${row})[-1])[1]`;
  return `(CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL WHEN strlen(${a}) = length(${a}) AND strlen(${b}) = length(${b}) THEN levenshtein(${a}, ${b}) ELSE ${table} END)`;
}
