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

/** Jaccard similarity of the two token sets; NULL when both are empty. */
export function jaccardSql(a: string, b: string, tokens: Tokens): string {
  const A = `list_distinct(${tokensSql(a, tokens)})`;
  const B = `list_distinct(${tokensSql(b, tokens)})`;
  return `(len(list_intersect(${A}, ${B})) / nullif(len(list_distinct(list_concat(${A}, ${B}))), 0))`;
}
