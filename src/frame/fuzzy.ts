// Fuzzy matching: fuzzyJoin (all pairs with token-set Jaccard >= threshold, found by prefix filtering —
// never a cross join) and textSimilarity/levenshtein expressions for withColumns.
import { InvalidArgumentError, TypeMismatchError, checkOptionNames } from "../plan/errors.js";
import { colRef } from "../plan/expr.js";
import { sideBySide, type FuzzyParams } from "../plan/extensions.js";
import { typeOf } from "../plan/infer.js";
import { isString, nameKey } from "../plan/types.js";
import { Expression, toColumnExpr } from "./expr.js";
import { LazyFrame } from "./lazy.js";
import { extension } from "./reshape.js";

export type TokenMode = "words" | { ngram: number };

export interface FuzzyJoinOptions {
  /** Text column on this frame. */
  left: string;
  /** Text column on the other frame. */
  right: string;
  method?: "jaccard";
  /** "words" (runs of letters and digits, lower-cased) or { ngram: n } (every n characters, lower-cased). */
  tokens?: TokenMode;
  /** Smallest Jaccard similarity kept, in (0, 1]. */
  threshold: number;
  /** "all": every pair at or above the threshold; "best": per left row, the pair(s) with the highest similarity (ties all kept). */
  keep?: "best" | "all";
  suffix?: string;
  /** Name of the similarity column (default "similarity"). */
  similarity?: string;
}

declare module "./lazy.js" {
  interface LazyFrame {
    /** Rows of this frame and `other` whose texts have Jaccard similarity >= threshold, with the similarity. */
    fuzzyJoin(other: LazyFrame, options: FuzzyJoinOptions): LazyFrame;
  }
}

function checkTokens(tokens: TokenMode): void {
  if (tokens === "words") return;
  if (!tokens || typeof tokens !== "object" || !Number.isInteger(tokens.ngram) || tokens.ngram < 1 || tokens.ngram > 16)
    throw new InvalidArgumentError(`tokens must be "words" or { ngram: n } with n an integer from 1 to 16, got ${JSON.stringify(tokens)}`);
}

LazyFrame.prototype.fuzzyJoin = function (this: LazyFrame, other: LazyFrame, o: FuzzyJoinOptions): LazyFrame {
  if (!(other instanceof LazyFrame)) throw new InvalidArgumentError("fuzzyJoin(other, ...): other must be a LazyFrame");
  if (!o || typeof o !== "object") throw new InvalidArgumentError("fuzzyJoin(other, { left, right, threshold }) needs options");
  checkOptionNames("fuzzyJoin", o, {
    left: true, right: true, method: true, tokens: true, threshold: true, keep: true, suffix: true, similarity: true,
  } satisfies Record<keyof FuzzyJoinOptions, true>);
  const method = o.method ?? "jaccard";
  if (method !== "jaccard") throw new InvalidArgumentError(`fuzzyJoin: method must be "jaccard" (got ${JSON.stringify(method)}); use textSimilarity(..., { method: "levenshtein" }) in withColumns for edit distance`);
  const tokens = o.tokens ?? "words";
  checkTokens(tokens);
  if (!(typeof o.threshold === "number" && o.threshold > 0 && o.threshold <= 1))
    throw new InvalidArgumentError(`fuzzyJoin: threshold must be a number in (0, 1], got ${JSON.stringify(o.threshold)} (0 would match every pair: that is a cross join)`);
  const keep = o.keep ?? "all";
  if (keep !== "all" && keep !== "best") throw new InvalidArgumentError(`fuzzyJoin: keep must be "best" or "all", got ${JSON.stringify(keep)}`);
  const lt = typeOf(colRef(o.left), this.schema);
  const rt = typeOf(colRef(o.right), other.schema);
  if (!isString(lt) || !isString(rt)) throw new TypeMismatchError(`fuzzyJoin: '${o.left}' is ${lt} and '${o.right}' is ${rt}; both must be text (VARCHAR)`);
  const params: FuzzyParams = { left: o.left, right: o.right, threshold: o.threshold, tokens, keep, suffix: o.suffix ?? "_right", similarity: o.similarity ?? "similarity" };
  // Checked before the frame is made, ignoring case (DuckDB reads "Similarity" and "similarity" as one column).
  const paired = sideBySide(this.schema, other.schema, [], params.suffix).map((c) => c.name);
  const taken = paired.find((c) => nameKey(c) === nameKey(params.similarity));
  if (taken !== undefined)
    throw new InvalidArgumentError(`fuzzyJoin: a column is already named '${taken}'${taken === params.similarity ? "" : ` (DuckDB ignores case, so it clashes with '${params.similarity}')`}; pass { similarity: "another_name" }`);
  return extension(this, "fuzzyJoin", [this.plan, other.plan], params);
};

export interface TextSimilarityOptions {
  /** "jaccard" on token sets (default) or "levenshtein": 1 - edit distance / longer length. */
  method?: "jaccard" | "levenshtein";
  tokens?: TokenMode;
}

/** Similarity of two texts in [0, 1] (null when either is null, or both have no tokens / are empty). */
export function textSimilarity(a: Expression | string, b: Expression | string, options: TextSimilarityOptions = {}): Expression {
  const method = options.method ?? "jaccard";
  const args = [toColumnExpr(a), toColumnExpr(b)];
  if (method === "levenshtein") return new Expression({ kind: "call", fn: "levenshteinSimilarity", args });
  if (method !== "jaccard") throw new InvalidArgumentError(`textSimilarity: method must be "jaccard" or "levenshtein", got ${JSON.stringify(method)}`);
  const tokens = options.tokens ?? "words";
  checkTokens(tokens);
  return new Expression({ kind: "call", fn: "textJaccard", args, options: tokens === "words" ? {} : { ngram: tokens.ngram } });
}

/** Edit distance (insertions, deletions, substitutions) between two texts. */
export function levenshtein(a: Expression | string, b: Expression | string): Expression {
  return new Expression({ kind: "call", fn: "levenshtein", args: [toColumnExpr(a), toColumnExpr(b)] });
}

/** The token set fuzzyJoin and textSimilarity use, computed in JS (same rule as the SQL). */
export function tokenize(text: string | null, tokens: TokenMode = "words"): Set<string> {
  if (text === null) return new Set();
  const s = text.toLowerCase();
  if (tokens === "words") return new Set(s.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== ""));
  const chars = [...s];
  const n = tokens.ngram;
  const out = new Set<string>();
  for (let i = 0; i < Math.max(chars.length - n + 1, 1); i++) {
    const g = chars.slice(i, i + n).join("");
    if (g !== "") out.add(g);
  }
  return out;
}

/** Jaccard similarity of two token sets (NaN when both are empty). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let k = 0;
  for (const t of a) if (b.has(t)) k++;
  return k / (a.size + b.size - k);
}
