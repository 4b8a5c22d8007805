// Parameter types (read from the parameters cell by a translator) and the checks that turn command-line
// text and YAML values into typed data — or into an error naming the parameter and the type it expects.
import { parse as parseYaml } from "yaml";
import { ParameterError } from "./errors.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A parameter's type, as far as a run needs it: enough to coerce and check values. */
export type ParamType =
  | { kind: "number"; integer?: boolean; float?: boolean }
  | { kind: "string" }
  | { kind: "boolean" }
  | { kind: "null" }
  | { kind: "any" }
  | { kind: "array"; element: ParamType }
  | { kind: "object" }
  | { kind: "literal"; value: string | number | boolean }
  | { kind: "union"; options: ParamType[] };

export interface ParameterSpec {
  name: string;
  type: ParamType;
  /** How the type reads in the notebook's language (declared, or inferred from the default). */
  typeText: string;
  /** Whether typeText was written in the cell (false: inferred from the default value). */
  declared: boolean;
  /** The default as written in the cell. */
  defaultText: string;
  /** The default as data, when it is a literal. */
  defaultValue?: JsonValue;
  comment?: string;
  line: number;
}

export function describeType(t: ParamType): string {
  switch (t.kind) {
    case "array":
      return `${wrapUnion(t.element)}[]`;
    case "literal":
      return JSON.stringify(t.value);
    case "union":
      return t.options.map(describeType).join(" | ");
    case "number":
      return t.integer ? "integer" : "number";
    default:
      return t.kind;
  }
}
const wrapUnion = (t: ParamType) => (t.kind === "union" ? `(${describeType(t)})` : describeType(t));

/** The type of a literal default, for untyped declarations (`const n = 3` → number). */
export function inferType(value: JsonValue | undefined): ParamType {
  if (value === undefined) return { kind: "any" };
  if (value === null) return { kind: "any" };
  if (typeof value === "number") return { kind: "number" };
  if (typeof value === "string") return { kind: "string" };
  if (typeof value === "boolean") return { kind: "boolean" };
  if (Array.isArray(value)) {
    const kinds = value.map(inferType);
    const first = kinds[0];
    const same = first && kinds.every((k) => describeType(k) === describeType(first));
    return { kind: "array", element: same ? first : { kind: "any" } };
  }
  return { kind: "object" };
}

/** Whether a value fits a type (values from YAML or JSON). */
export function fits(value: unknown, t: ParamType): boolean {
  switch (t.kind) {
    case "any":
      return true;
    case "number":
      return typeof value === "number" && Number.isFinite(value) && (!t.integer || Number.isInteger(value));
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "literal":
      return value === t.value;
    case "array":
      return Array.isArray(value) && value.every((v) => fits(v, t.element));
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "union":
      return t.options.some((o) => fits(value, o));
  }
}

function fail(name: string, t: ParamType, got: string, hint = ""): never {
  throw new ParameterError(name, `parameter "${name}" expects ${describeType(t)}, got ${got}${hint}`);
}

/**
 * Coerce a value to a parameter's type. `raw` is true for `-p NAME VALUE` text, which is read by the
 * declared type (a string stays a string; a number must parse; a list may be `a,b` or YAML `[a, b]`).
 */
export function coerceParameter(name: string, value: unknown, t: ParamType, raw: boolean): JsonValue {
  if (raw && typeof value === "string") return coerceText(name, value, t);
  // YAML gives `version: 1.0` a number; a string parameter takes its text.
  if (t.kind === "string" && (typeof value === "number" || typeof value === "boolean")) return String(value);
  if (!fits(value, t)) fail(name, t, show(value));
  return value as JsonValue;
}

function coerceText(name: string, text: string, t: ParamType): JsonValue {
  switch (t.kind) {
    case "string":
      return text;
    case "number": {
      const n = text.trim() === "" ? NaN : Number(text);
      if (!Number.isFinite(n)) fail(name, t, JSON.stringify(text), " (pass a number, e.g. -p " + name + " 0.5)");
      if (t.integer && !Number.isInteger(n)) fail(name, t, JSON.stringify(text));
      return n;
    }
    case "boolean": {
      const v = text.trim().toLowerCase();
      if (["true", "yes", "1", "on"].includes(v)) return true;
      if (["false", "no", "0", "off"].includes(v)) return false;
      return fail(name, t, JSON.stringify(text), " (pass true or false)");
    }
    case "array": {
      const trimmed = text.trim();
      let items: unknown[];
      if (trimmed.startsWith("[")) {
        const parsed = tryYaml(trimmed);
        if (!Array.isArray(parsed)) return fail(name, t, JSON.stringify(text), " (a YAML/JSON list like [a, b] or a,b)");
        items = parsed;
      } else {
        items = trimmed === "" ? [] : trimmed.split(",").map((s) => s.trim());
      }
      return items.map((item, i) =>
        typeof item === "string" ? coerceText(`${name}[${i}]`, item, t.element) : coerceParameter(`${name}[${i}]`, item, t.element, false),
      );
    }
    case "literal":
    case "union": {
      // Try the text as it is (string literals), then as YAML data (numbers, booleans, lists).
      if (fits(text, t)) return text;
      const parsed = tryYaml(text);
      if (parsed !== undefined && fits(parsed, t)) return parsed as JsonValue;
      return fail(name, t, JSON.stringify(text));
    }
    case "object": {
      const parsed = tryYaml(text);
      if (!fits(parsed, t)) return fail(name, t, JSON.stringify(text), " (pass a YAML/JSON mapping, or use -y/-f)");
      return parsed as JsonValue;
    }
    case "null":
      if (text === "null") return null;
      return fail(name, t, JSON.stringify(text));
    case "any": {
      // Untyped parameter: read the text as YAML scalars/collections would be read (like papermill).
      const parsed = tryYaml(text);
      return parsed === undefined || parsed === null ? (text === "null" || text === "~" ? null : text) : (parsed as JsonValue);
    }
  }
}

function tryYaml(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return undefined;
  }
}

function show(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list ${JSON.stringify(value)}`;
  if (typeof value === "object") return `an object ${JSON.stringify(value)}`;
  if (typeof value === "number") return `number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Make sure a value is plain data (JSON-representable), so injecting it can never inject code. */
export function assertJsonData(name: string, value: unknown, path = name): asserts value is JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ParameterError(name, `parameter "${path}" is ${value}; only finite numbers can be passed`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertJsonData(name, v, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) assertJsonData(name, v, `${path}.${k}`);
    return;
  }
  if (value instanceof Date) throw new ParameterError(name, `parameter "${path}" is a date; quote it in YAML to pass it as a string`);
  throw new ParameterError(name, `parameter "${path}" is a ${typeof value}; only JSON data (numbers, strings, booleans, null, lists, mappings) can be passed`);
}

/** Read `-y YAML` / `-f file` text into a mapping of parameters. */
export function parseYamlParameters(text: string, where: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new ParameterError("(yaml)", `${where}: invalid YAML: ${(e as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw new ParameterError("(yaml)", `${where}: expected a mapping of parameter names to values`);
  return data as Record<string, unknown>;
}
