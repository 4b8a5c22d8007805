// Reading nested DuckDB type names ("VARCHAR[]", "MAP(VARCHAR, UBIGINT)", "STRUCT(a BIGINT, "b c" VARCHAR)"),
// so explode/unnest and field access know the types they produce without asking the engine.
import { TypeMismatchError } from "./errors.js";
import type { DataType, Field } from "./types.js";

/** Splits on commas that are not inside parentheses or quotes. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth--;
    else if (!quoted && depth === 0 && c === ",") {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out.filter((x) => x !== "");
}

/** Element type of a list type, or undefined. */
export function listElement(t: DataType): DataType | undefined {
  if (t.endsWith("[]")) return t.slice(0, -2);
  const m = /^(.*)\[\d+\]$/.exec(t); // fixed-size ARRAY
  return m ? m[1] : undefined;
}

export function mapTypes(t: DataType): { key: DataType; value: DataType } | undefined {
  if (!t.startsWith("MAP(") || !t.endsWith(")")) return undefined;
  const [key, value] = splitTop(t.slice(4, -1));
  return key && value ? { key, value } : undefined;
}

export function structFields(t: DataType): Field[] | undefined {
  if (!t.startsWith("STRUCT(") || !t.endsWith(")")) return undefined;
  return splitTop(t.slice(7, -1)).map((part) => {
    const m = /^"((?:[^"]|"")*)"\s+(.*)$/s.exec(part) ?? /^(\S+)\s+(.*)$/s.exec(part);
    if (!m) return { name: part, type: "VARCHAR" };
    return { name: m[1].replaceAll('""', '"'), type: m[2] };
  });
}

export function structType(fields: readonly Field[]): DataType {
  return `STRUCT(${fields.map((f) => `"${f.name.replaceAll('"', '""')}" ${f.type}`).join(", ")})`;
}

/** Result types of the nested-value functions (struct field, list element/length, map keys/values/lookup). */
export function nestedResult(what: "field" | "get" | "len" | "keys" | "values" | "mapGet", t: DataType, o: Readonly<Record<string, unknown>> | undefined): DataType {
  const fail = (need: string): never => {
    throw new TypeMismatchError(`${what === "field" ? `field(${JSON.stringify(o?.name)})` : what}: needs ${need}, but the value is ${t}`);
  };
  switch (what) {
    case "field": {
      const fields = structFields(t) ?? fail("a STRUCT");
      const f = fields.find((x) => x.name === o?.name);
      if (!f) throw new TypeMismatchError(`field(${JSON.stringify(o?.name)}): the struct has fields ${fields.map((x) => x.name).join(", ")}`);
      return f.type;
    }
    case "get":
      return listElement(t) ?? fail("a list (T[])");
    case "len":
      return listElement(t) ?? mapTypes(t)?.value ?? fail("a list or a map");
    case "keys":
      return `${(mapTypes(t) ?? fail("a MAP")).key}[]`;
    case "values":
      return `${(mapTypes(t) ?? fail("a MAP")).value}[]`;
    case "mapGet":
      return (mapTypes(t) ?? fail("a MAP")).value;
  }
}
