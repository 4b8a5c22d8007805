// sql`select ... from ${frame} where x > ${value}`: SQL text composed with lazy frames. Each frame becomes
// a subquery (its own plan, optimized with the rest), each other value a bound parameter ($n) — data,
// never SQL text. The result is a lazy frame; its schema is asked of DuckDB once (a LIMIT 0 query).
import type { DuckDBValue } from "@duckdb/node-api";
import { compile } from "../engine/sql/compiler.js";
import { metadataQuery } from "../engine/execute.js";
import { EngineError } from "../engine/errors.js";
import { InvalidArgumentError } from "../plan/errors.js";
import type { SqlParams } from "../plan/extensions.js";
import type { ExtensionParams, Plan } from "../plan/nodes.js";
import { optimize } from "../plan/optimizer.js";
import { LazyFrame } from "./lazy.js";

export type SqlValue = LazyFrame | string | number | bigint | boolean | Date | null;

export async function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Promise<LazyFrame> {
  if (!Array.isArray(strings?.raw)) throw new InvalidArgumentError("sql is a tagged template: write sql`select * from ${frame}`");
  const frames: Plan[] = [];
  const bound: unknown[] = [];
  const slots: SqlParams["slots"] = values.map((v, i) => {
    if (v instanceof LazyFrame) return { frame: frames.push(v.plan) - 1 };
    if (v === undefined) throw new InvalidArgumentError(`sql\`...\`: value #${i + 1} is undefined`);
    if (v !== null && typeof v === "object" && !(v instanceof Date))
      throw new InvalidArgumentError(`sql\`...\`: value #${i + 1} is ${Object.prototype.toString.call(v)}; interpolate frames, numbers, strings, booleans, bigints, Dates or null`);
    return { value: bound.push(v) - 1 };
  });
  // The text becomes a subquery: a final ";" would end it early, a final "-- comment" would swallow its
  // closing parenthesis. The semicolon is dropped and the text ends on a new line.
  const text = [...strings];
  text[text.length - 1] = `${text[text.length - 1].replace(/;\s*(--[^\n]*)?\s*$/, " $1").trimEnd()}\n`;
  const params: SqlParams = { text, slots, values: bound, schema: [] };
  const probe: Plan = { kind: "extension", op: "sql", inputs: frames, params: params as unknown as ExtensionParams };
  const compiled = compile(optimize(probe));
  let schema;
  try {
    schema = await metadataQuery(compiled.memorySources, async (conn) => {
      const result = await conn.run(`SELECT * FROM (${compiled.sql}) AS probe LIMIT 0`, compiled.params as DuckDBValue[] | undefined);
      const types = result.columnTypes();
      return result.columnNames().map((name, i) => ({ name, type: String(types[i]) }));
    });
  } catch (err) {
    throw new EngineError(`sql\`...\`: ${(err as Error).message}`, compiled.sql);
  }
  const dup = schema.find((f, i) => schema.findIndex((g) => g.name === f.name) !== i);
  if (dup) throw new InvalidArgumentError(`sql\`...\`: two result columns are named '${dup.name}'; give them distinct names with AS`);
  const frame = new LazyFrame({ ...probe, params: { ...params, schema } as unknown as ExtensionParams });
  return frame;
}
