// Typed custom metadata attached to a materialization (`yieldAsset(key, data, { metadata })`).
// A plain value is typed by its JavaScript type; `meta.*` helpers say what a string or object means.
import { InvalidMetadataError } from "./errors.js";

export const METADATA_TYPES = ["text", "markdown", "json", "url", "path", "int", "float", "bool", "timestamp", "table"] as const;
export type MetadataType = (typeof METADATA_TYPES)[number];

export interface MetadataEntry {
  type: MetadataType;
  value: unknown;
}

export type MetadataInput = Record<string, unknown>;

/** Helpers that tag a value with its metadata type. */
export const meta = {
  text: (value: string): MetadataEntry => ({ type: "text", value }),
  markdown: (value: string): MetadataEntry => ({ type: "markdown", value }),
  json: (value: unknown): MetadataEntry => ({ type: "json", value }),
  url: (value: string): MetadataEntry => ({ type: "url", value }),
  path: (value: string): MetadataEntry => ({ type: "path", value }),
  int: (value: number): MetadataEntry => ({ type: "int", value }),
  float: (value: number): MetadataEntry => ({ type: "float", value }),
  bool: (value: boolean): MetadataEntry => ({ type: "bool", value }),
  timestamp: (value: Date | string | number): MetadataEntry => ({ type: "timestamp", value }),
  table: (rows: Record<string, unknown>[]): MetadataEntry => ({ type: "table", value: rows }),
};

function isEntry(value: unknown): value is MetadataEntry {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 2 &&
    "type" in value &&
    "value" in value
  );
}

function fail(name: string, why: string): never {
  throw new InvalidMetadataError(`metadata ${JSON.stringify(name)}: ${why}`);
}

function checkEntry(name: string, entry: MetadataEntry): MetadataEntry {
  const { type, value } = entry;
  switch (type) {
    case "text":
    case "markdown":
    case "path":
      if (typeof value !== "string") fail(name, `a ${type} value must be a string, got ${typeof value}.`);
      return { type, value };
    case "url":
      if (typeof value !== "string" || !URL.canParse(value)) fail(name, `${JSON.stringify(value)} is not an absolute URL (e.g. https://example.com/report).`);
      return { type, value };
    case "int":
      if (typeof value === "bigint") return { type, value: Number(value) };
      if (typeof value !== "number" || !Number.isInteger(value)) fail(name, `an int value must be an integer number, got ${String(value)}.`);
      return { type, value };
    case "float":
      if (typeof value !== "number") fail(name, `a float value must be a number, got ${typeof value}.`);
      return { type, value: Number.isFinite(value) ? value : String(value) };
    case "bool":
      if (typeof value !== "boolean") fail(name, `a bool value must be true or false, got ${String(value)}.`);
      return { type, value };
    case "timestamp": {
      const date = value instanceof Date ? value : typeof value === "string" || typeof value === "number" ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime())) fail(name, `${String(value)} is not a date or ISO timestamp.`);
      return { type, value: date.toISOString() };
    }
    case "table":
      if (!Array.isArray(value) || value.some((row) => typeof row !== "object" || row === null || Array.isArray(row))) {
        fail(name, "a table value must be an array of row objects.");
      }
      return { type, value: JSON.parse(JSON.stringify(value, jsonSafe)) };
    case "json":
      return { type, value: JSON.parse(JSON.stringify(value ?? null, jsonSafe)) };
    default:
      fail(name, `unknown metadata type ${JSON.stringify(type)}; use one of ${METADATA_TYPES.join(", ")}.`);
  }
}

export function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value;
}

/** Types every entry (inferring from plain values) and checks it; throws InvalidMetadataError. */
export function normalizeMetadata(input: MetadataInput | undefined): Record<string, MetadataEntry> {
  const out: Record<string, MetadataEntry> = {};
  for (const [name, raw] of Object.entries(input ?? {})) {
    let entry: MetadataEntry;
    if (isEntry(raw)) entry = raw;
    else if (typeof raw === "string") entry = { type: "text", value: raw };
    else if (typeof raw === "number") entry = { type: Number.isInteger(raw) ? "int" : "float", value: raw };
    else if (typeof raw === "bigint") entry = { type: "int", value: raw };
    else if (typeof raw === "boolean") entry = { type: "bool", value: raw };
    else if (raw instanceof Date) entry = { type: "timestamp", value: raw };
    else if (raw === undefined) continue;
    else entry = { type: "json", value: raw };
    out[name] = checkEntry(name, entry);
  }
  return out;
}
