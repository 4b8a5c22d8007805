// Type inference for expressions against a schema. Runs when the user builds a frame, so a typo or a
// type mistake fails at the line that made it, with the near names or both types in the message.
import { ColumnNotFoundError, TypeMismatchError } from "./errors.js";
import { exprToString, type Expr } from "./expr.js";
import { AGGREGATE_FUNCTIONS, SCALAR_FUNCTIONS, argKindMatches, type FunctionSpec } from "./functions.js";
import { commonType, comparable, isBoolean, type DataType, type Schema } from "./types.js";
import { windowType } from "./window.js";

export function typeOf(e: Expr, schema: Schema): DataType {
  switch (e.kind) {
    case "col": {
      const field = schema.find((f) => f.name === e.name);
      if (!field) throw new ColumnNotFoundError(e.name, schema.map((f) => f.name));
      return field.type;
    }
    case "lit":
      return e.type;
    case "alias":
      return typeOf(e.expr, schema);
    case "cast":
      typeOf(e.expr, schema);
      return e.to;
    case "window":
      return windowType(e, schema, typeOf);
    case "struct":
      return `STRUCT(${e.fields.map((f) => `"${f.name.replaceAll('"', '""')}" ${typeOf(f.expr, schema)}`).join(", ")})`;
    case "case": {
      let result: DataType = "NULL";
      for (const b of e.branches) {
        const w = typeOf(b.when, schema);
        if (!isBoolean(w) && w !== "NULL")
          throw new TypeMismatchError(`when(${exprToString(b.when)}) needs a BOOLEAN condition, got ${w}`);
        result = unify(result, typeOf(b.then, schema), b.then, e);
      }
      return unify(result, typeOf(e.otherwise, schema), e.otherwise, e);
    }
    case "call":
    case "agg": {
      // Own properties only: a plan read back from JSON (a fragment's) could name "constructor".
      const spec: FunctionSpec | undefined =
        e.kind === "call" ? (Object.hasOwn(SCALAR_FUNCTIONS, e.fn) ? SCALAR_FUNCTIONS[e.fn] : undefined)
        : Object.hasOwn(AGGREGATE_FUNCTIONS, e.fn) ? AGGREGATE_FUNCTIONS[e.fn] : undefined;
      if (!spec) throw new TypeMismatchError(`unknown function '${e.fn}' in ${exprToString(e)}`);
      const types = e.args.map((a) => typeOf(a, schema));
      checkArgs(e, spec, types);
      return spec.result(types, e.options);
    }
  }
}

function unify(acc: DataType, next: DataType, branch: Expr, whole: Expr): DataType {
  if (!comparable(acc, next))
    throw new TypeMismatchError(`${exprToString(whole)}: branch ${exprToString(branch)} is ${next} but earlier branches are ${acc}`);
  return commonType(acc, next);
}

const KIND_WORD = { any: "any value", numeric: "a number", string: "a string (VARCHAR)", temporal: "a DATE or TIMESTAMP", boolean: "a BOOLEAN" };

function checkArgs(e: Expr & { args: readonly Expr[]; fn: string }, spec: FunctionSpec, types: readonly DataType[]): void {
  e.args.forEach((arg, i) => {
    const kind = spec.args[Math.min(i, spec.args.length - 1)];
    if (kind && !argKindMatches(kind, types[i])) {
      const both = e.args.length > 1 ? ` (${e.args.map((a, j) => `${exprToString(a)} is ${types[j]}`).join(", ")})` : "";
      throw new TypeMismatchError(
        `${exprToString(e)}: '${e.fn}' needs ${KIND_WORD[kind]} but ${exprToString(arg)} is ${types[i]}${both}`,
      );
    }
  });
  const reason = spec.check?.(types);
  if (reason)
    throw new TypeMismatchError(
      `${exprToString(e)}: ${reason}: ${e.args.map((a, j) => `${exprToString(a)} is ${types[j]}`).join(", ")}`,
    );
}
