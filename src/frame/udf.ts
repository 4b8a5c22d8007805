// udf((a: number, b: string) => ..., { returns: "double" }): a JS function usable in any expression.
// It is registered with DuckDB as a scalar function (see src/engine/udf.ts for why and how), so it runs
// inside the query, chunk by chunk, and composes with filters, groupBy, windows and joins.
import { InvalidArgumentError } from "../plan/errors.js";
import { defineUdf, UDF_RETURN_TYPES } from "../engine/udf.js";
import { Expression, normalizeType, toExpr, type ExprInput } from "./expr.js";

export interface UdfOptions {
  /** Result type: "double", "int64", "int32", "float32", "string", "bool" (or the DuckDB names). */
  returns: string;
  /** Shown in plans and error messages (default: the function's name). */
  name?: string;
  /** Set when the function is not pure (random, clock): DuckDB then calls it for every row. */
  volatile?: boolean;
}

/** A user function: call it with expressions (col("a"), lit(1), ...) to get an expression.
 *  Null inputs give null without calling the function; returning null or undefined gives null. */
export type UserFunction = ((...args: ExprInput[]) => Expression) & { readonly sqlName: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function udf<F extends (...args: any[]) => unknown>(fn: F, options: UdfOptions): UserFunction {
  if (typeof fn !== "function") throw new InvalidArgumentError("udf(fn, { returns }): fn must be a function");
  if (!options || typeof options.returns !== "string") throw new InvalidArgumentError(`udf(fn, { returns }): returns is required, one of double, int64, int32, float32, string, bool`);
  let returns: string;
  try {
    returns = normalizeType(options.returns);
  } catch {
    returns = "";
  }
  if (!UDF_RETURN_TYPES.includes(returns))
    throw new InvalidArgumentError(`udf: returns ${JSON.stringify(options.returns)} is not supported; use double, int64, int32, float32, string or bool`);
  const label = options.name ?? (fn.name || "anonymous");
  const sqlName = defineUdf(fn as (...args: never[]) => unknown, returns, JSON.stringify(label), options.volatile ?? false);
  const call = (...args: ExprInput[]) => {
    if (args.length === 0) throw new InvalidArgumentError(`udf ${label}: call it with at least one expression, e.g. f(col("a"))`);
    return new Expression({ kind: "call", fn: "udf", args: args.map(toExpr), options: { name: sqlName, returns, label } });
  };
  return Object.assign(call, { sqlName });
}
