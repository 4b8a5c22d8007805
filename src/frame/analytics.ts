// Advanced analytics on the lazy dataframe (issue 7). Importing this module adds the methods
// (over, lag, cumSum, pivot, explode, joinAsof, fuzzyJoin, field, ...) to Expression and LazyFrame.
export { rowNumber, rank, denseRank, type WindowSpec } from "./window.js";
export { MAX_PIVOT_COLUMNS, type PivotOptions, type PivotValue, type UnpivotOptions } from "./reshape.js";
export type { AsofOptions } from "./asof.js";
export { textSimilarity, levenshtein, tokenize, jaccard, type FuzzyJoinOptions, type TextSimilarityOptions, type TokenMode } from "./fuzzy.js";
export { udf, type UdfOptions, type UserFunction } from "./udf.js";
export { sql, type SqlValue } from "./sql.js";
// Side-effect imports: these modules add methods to Expression and LazyFrame.
import "./nested.js";
import "./asof.js";
import "./reshape.js";
import "./window.js";
