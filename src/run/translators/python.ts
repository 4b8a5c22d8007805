// Python: parameters are top-level `name[: type] = literal  # comment` lines; injected values are
// written as Python literals generated from JSON data (strings through JSON escapes, which Python reads
// the same way), so a value can never become code.
import type { Translator } from "./index.js";
import { inferType, describeType, type JsonValue, type ParamType, type ParameterSpec } from "../parameters.js";

const KEYWORDS = new Set(
  ("False None True and as assert async await break class continue def del elif else except finally for from global if " +
    "import in is lambda nonlocal not or pass raise return try while with yield").split(" "),
);

export const pythonTranslator: Translator = {
  language: "python",
  parseParameters,
  renderParameters(params, types = {}) {
    const lines = ["# Parameters injected by sluice run"];
    for (const [name, value] of Object.entries(params)) {
      // A float parameter stays a float in Python when given a whole number (`-p threshold 2` → 2.0).
      const t = types[name];
      const float = t?.kind === "number" && t.float && typeof value === "number" && Number.isInteger(value);
      const literal = pythonLiteral(value);
      lines.push(`${name} = ${float && /^-?\d+$/.test(literal) ? `${literal}.0` : literal}`);
    }
    return lines.join("\n");
  },
  renderSetEnv(name, value) {
    return `import os as __sluice_os; __sluice_os.environ[${pythonLiteral(name)}] = ${pythonLiteral(value)}; del __sluice_os`;
  },
  isValidName(name) {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name);
  },
};

export function pythonLiteral(value: JsonValue): string {
  if (value === null) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isInteger(value) && Math.abs(value) < 2 ** 53 ? String(value) : JSON.stringify(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v)}`)
    .join(", ")}}`;
}

function parseParameters(source: string): ParameterSpec[] {
  const lines = source.split("\n");
  const specs: ParameterSpec[] = [];
  let pendingComment: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*#/.test(line)) {
      pendingComment.push(line.replace(/^\s*#\s?/, "").trim());
      continue;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*([^=]+?))?\s*=(?!=)(.*)$/.exec(line);
    if (!m) {
      pendingComment = [];
      continue;
    }
    const [, name, typeText, rest] = m;
    // A value may continue over lines while brackets are open.
    let text = rest;
    const startLine = i;
    while (bracketDepth(codePart(text)) > 0 && i + 1 < lines.length) text += "\n" + lines[++i];
    const code = codePart(text);
    const comment = text.slice(code.length).replace(/^\s*#\s?/, "").trim() || pendingComment.join(" ") || undefined;
    pendingComment = [];
    const defaultText = code.trim();
    const defaultValue = parsePythonLiteral(defaultText);
    const type = typeText ? typeFromAnnotation(typeText.trim()) : inferType(defaultValue);
    if (!typeText && type.kind === "number" && /^[-+]?(\d[\d_]*\.|\.\d|\d[\d_]*[eE])/.test(defaultText)) type.float = true;
    specs.push({
      name,
      type,
      typeText: typeText ? typeText.trim() : describeType(type),
      declared: typeText !== undefined,
      defaultText,
      defaultValue,
      comment,
      line: startLine + 1,
    });
  }
  return specs;
}

/** The text before a `#` comment that is outside string quotes. */
function codePart(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") {
      // a comment runs to the end of its line only
      const eol = text.indexOf("\n", i);
      if (eol < 0) return text.slice(0, i);
      return text.slice(0, i) + codePart(text.slice(eol));
    }
  }
  return text;
}

function bracketDepth(code: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
  }
  return depth;
}

function typeFromAnnotation(text: string): ParamType {
  const t = text.replace(/\s+/g, "");
  if (t === "int") return { kind: "number", integer: true };
  if (t === "float" || t === "complex") return { kind: "number", float: true };
  if (t === "str") return { kind: "string" };
  if (t === "bool") return { kind: "boolean" };
  if (t === "None") return { kind: "null" };
  const generic = /^(?:typing\.)?(list|List|tuple|Tuple|Sequence|set|Set)\[(.+?)(?:,\.\.\.)?\]$/.exec(t);
  if (generic) return { kind: "array", element: typeFromAnnotation(generic[2]) };
  if (/^(?:typing\.)?(list|List|tuple|Tuple)$/.test(t)) return { kind: "array", element: { kind: "any" } };
  if (/^(?:typing\.)?(dict|Dict|Mapping)(\[.*\])?$/.test(t)) return { kind: "object" };
  const optional = /^(?:typing\.)?Optional\[(.+)\]$/.exec(t);
  if (optional) return { kind: "union", options: [typeFromAnnotation(optional[1]), { kind: "null" }] };
  if (t.includes("|") && !t.includes("[")) return { kind: "union", options: t.split("|").map(typeFromAnnotation) };
  return { kind: "any" };
}

/** A small reader for Python literals (numbers, strings, True/False/None, lists, tuples, dicts). */
export function parsePythonLiteral(text: string): JsonValue | undefined {
  let pos = 0;
  const ws = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const value = (): JsonValue => {
    ws();
    const c = text[pos];
    if (c === "[" || c === "(") return sequence(c === "[" ? "]" : ")");
    if (c === "{") return dict();
    if (c === "'" || c === '"' || /[rRbBuU]/.test(c ?? "") && /['"]/.test(text[pos + 1] ?? "")) return str();
    const word = /^(True|False|None)\b/.exec(text.slice(pos));
    if (word) {
      pos += word[0].length;
      return word[0] === "True" ? true : word[0] === "False" ? false : null;
    }
    const num = /^[-+]?(\d[\d_]*\.?[\d_]*(?:[eE][-+]?\d+)?|\.\d[\d_]*(?:[eE][-+]?\d+)?)/.exec(text.slice(pos));
    if (num) {
      pos += num[0].length;
      return Number(num[0].replace(/_/g, ""));
    }
    throw new Error("not a literal");
  };
  const sequence = (close: string): JsonValue[] => {
    pos++;
    const items: JsonValue[] = [];
    for (;;) {
      ws();
      if (text[pos] === close) return pos++, items;
      items.push(value());
      ws();
      if (text[pos] === ",") pos++;
      else if (text[pos] !== close) throw new Error("bad sequence");
    }
  };
  const dict = (): Record<string, JsonValue> => {
    pos++;
    const out: Record<string, JsonValue> = {};
    for (;;) {
      ws();
      if (text[pos] === "}") return pos++, out;
      const key = value();
      ws();
      if (text[pos++] !== ":") throw new Error("bad dict");
      out[String(key)] = value();
      ws();
      if (text[pos] === ",") pos++;
      else if (text[pos] !== "}") throw new Error("bad dict");
    }
  };
  const str = (): string => {
    let raw = false;
    while (/[rRbBuU]/.test(text[pos])) raw ||= /[rR]/.test(text[pos++]);
    const q = text[pos];
    const triple = text.startsWith(q.repeat(3), pos);
    const end = triple ? q.repeat(3) : q;
    pos += end.length;
    let out = "";
    while (pos < text.length && !text.startsWith(end, pos)) {
      const c = text[pos++];
      if (c === "\\" && !raw) {
        const e = text[pos++];
        const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0" };
        if (e === "u" || e === "x") {
          const len = e === "u" ? 4 : 2;
          out += String.fromCharCode(parseInt(text.slice(pos, pos + len), 16));
          pos += len;
        } else out += map[e] ?? "\\" + e;
      } else out += c;
    }
    pos += end.length;
    ws();
    // implicit concatenation: "a" "b"
    if (text[pos] === "'" || text[pos] === '"') return out + str();
    return out;
  };
  try {
    const v = value();
    ws();
    return pos === text.length ? v : undefined;
  } catch {
    return undefined;
  }
}
