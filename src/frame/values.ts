// Arrow values → plain JS values users expect (numbers, strings, Dates, objects, arrays).
import * as A from "../engine/apache_arrow.js";

export function jsValue(v: unknown, t: A.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (A.DataType.isInt(t) && typeof v === "bigint") {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
  }
  if (A.DataType.isTimestamp(t) || A.DataType.isDate(t)) return new Date(Number(v));
  if (A.DataType.isMap(t)) {
    const entries = (t as A.Map_).children[0].type as A.Struct;
    const valueType = entries.children[1].type;
    const out: Record<string, unknown> = {};
    for (const [k, val] of v as Iterable<[unknown, unknown]>) setOwn(out, String(k), jsValue(val, valueType));
    return out;
  }
  if (A.DataType.isStruct(t)) {
    const row = v as Record<string, unknown>;
    return Object.fromEntries((t as A.Struct).children.map((f) => [f.name, jsValue(row[f.name], f.type)]));
  }
  if (A.DataType.isList(t)) {
    const inner = (t as A.List).children[0].type;
    return [...(v as Iterable<unknown>)].map((x) => jsValue(x, inner));
  }
  return v;
}

/**
 * obj[key] = value, except that a key "__proto__" becomes an own property too (plain assignment would set
 * the object's prototype and the value would vanish from keys, JSON and display).
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function columnValues(vector: A.Vector, t: A.DataType): unknown[] {
  const out = new Array<unknown>(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = jsValue(vector.get(i), t);
  return out;
}
