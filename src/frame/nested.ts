// Struct, list and map values in expressions: col("s").field("x"), col("l").listGet(0), col("l").listLen(),
// col("m").mapKeys(), col("m").mapValues(), col("m").mapGet("k") — including the map valueCounts() makes.
import { InvalidArgumentError } from "../plan/errors.js";
import { Expression, toExpr, type ExprInput } from "./expr.js";
import type { ScalarFn } from "../plan/names.js";

declare module "./expr.js" {
  interface Expression {
    /** A field of a struct value. */
    field(name: string): Expression;
    /** The element at a 0-based position of a list (null when out of range). */
    listGet(index: number): Expression;
    /** Number of elements of a list (or entries of a map). */
    listLen(): Expression;
    mapKeys(): Expression;
    mapValues(): Expression;
    /** The value stored under `key` in a map (null when absent). */
    mapGet(key: ExprInput): Expression;
  }
}

const call = (self: Expression, fn: ScalarFn, args: ExprInput[] = [], options?: Record<string, string | number>) =>
  new Expression({ kind: "call", fn, args: [self.node, ...args.map(toExpr)], options });

Expression.prototype.field = function (this: Expression, name: string) {
  if (typeof name !== "string" || name === "") throw new InvalidArgumentError("field(name): name must be a non-empty string");
  return call(this, "structField", [], { name });
};
Expression.prototype.listGet = function (this: Expression, index: number) {
  if (!Number.isInteger(index) || index < 0) throw new InvalidArgumentError(`listGet(index): index must be a non-negative integer, got ${JSON.stringify(index)}`);
  return call(this, "listGet", [], { index });
};
Expression.prototype.listLen = function (this: Expression) { return call(this, "listLen"); };
Expression.prototype.mapKeys = function (this: Expression) { return call(this, "mapKeys"); };
Expression.prototype.mapValues = function (this: Expression) { return call(this, "mapValues"); };
Expression.prototype.mapGet = function (this: Expression, key: ExprInput) { return call(this, "mapGet", [key]); };
