// TypeScript: parameters are `const|let|var name[: Type] = literal;` read with the TypeScript parser;
// injected values are written as `const name = <JSON literal>;` (docs/contracts.md "Parameters").
import type TS from "typescript";
import { createRequire } from "node:module";
import type { Translator } from "./index.js";
import { inferType, describeType, type JsonValue, type ParamType, type ParameterSpec } from "../parameters.js";

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if " +
    "import in instanceof new null return super switch this throw true try typeof var void while with yield let static " +
    "implements interface package private protected public await").split(" "),
);

export const typescriptTranslator: Translator = {
  language: "typescript",
  parseParameters,
  renderParameters(params) {
    const lines = ["// Parameters injected by sluice run"];
    for (const [name, value] of Object.entries(params)) lines.push(`const ${name} = ${jsonLiteral(value)};`);
    return lines.join("\n");
  },
  renderSetEnv(name, value) {
    return `process.env[${jsonLiteral(name)}] = ${jsonLiteral(value)};`;
  },
  isValidName(name) {
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !RESERVED.has(name);
  },
};

/** JSON is valid JS/TS literal syntax; escape U+2028/2029 too, which old engines reject inside strings. */
function jsonLiteral(value: JsonValue | string): string {
  return JSON.stringify(value).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

// Loaded on first use: the compiler is large, and most imports of "sluice" never parse a parameters cell.
let ts: typeof TS;
function compiler(): typeof TS {
  return (ts ??= createRequire(import.meta.url)("typescript") as typeof TS);
}

function parseParameters(source: string): ParameterSpec[] {
  compiler();
  const file = ts.createSourceFile("parameters.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const specs: ParameterSpec[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name)) continue;
      const defaultValue = decl.initializer ? literalValue(decl.initializer) : undefined;
      const declared = decl.type !== undefined;
      const type: ParamType = decl.type ? typeFromNode(decl.type) : inferType(defaultValue);
      specs.push({
        name: decl.name.text,
        type,
        typeText: decl.type ? decl.type.getText(file) : describeType(type),
        declared,
        defaultText: decl.initializer ? decl.initializer.getText(file) : "",
        defaultValue,
        comment: commentFor(source, statement, decl),
        line: file.getLineAndCharacterOfPosition(decl.getStart(file)).line + 1,
      });
    }
  }
  return specs;
}

/** The comment on the declaration's line (trailing), else the `//` comment lines right above it. */
function commentFor(source: string, statement: TS.VariableStatement, decl: TS.VariableDeclaration): string | undefined {
  const trailing = ts.getTrailingCommentRanges(source, decl.end) ?? ts.getTrailingCommentRanges(source, statement.end);
  const text = (r: TS.CommentRange) =>
    source
      .slice(r.pos, r.end)
      .replace(/^\/\/\s?|^\/\*+\s?|\s*\*+\/$/g, "")
      .trim();
  if (trailing?.length) return trailing.map(text).join(" ");
  if (statement.declarationList.declarations[0] !== decl) return undefined;
  const leading = ts.getLeadingCommentRanges(source, statement.getFullStart());
  if (leading?.length) return leading.map(text).join(" ").trim() || undefined;
  return undefined;
}

function literalValue(node: TS.Expression): JsonValue | undefined {
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) return literalValue(node.expression);
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isPrefixUnaryExpression(node) && ts.isNumericLiteral(node.operand)) {
    if (node.operator === ts.SyntaxKind.MinusToken) return -Number(node.operand.text);
    if (node.operator === ts.SyntaxKind.PlusToken) return Number(node.operand.text);
  }
  if (ts.isArrayLiteralExpression(node)) {
    const items = node.elements.map((e) => literalValue(e));
    return items.every((v) => v !== undefined) ? (items as JsonValue[]) : undefined;
  }
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, JsonValue> = {};
    for (const p of node.properties) {
      if (!ts.isPropertyAssignment(p)) return undefined;
      const key = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name) ? p.name.text : undefined;
      const value = literalValue(p.initializer);
      if (key === undefined || value === undefined) return undefined;
      out[key] = value;
    }
    return out;
  }
  return undefined;
}

function typeFromNode(node: TS.TypeNode): ParamType {
  switch (node.kind) {
    case ts.SyntaxKind.NumberKeyword:
    case ts.SyntaxKind.BigIntKeyword:
      return { kind: "number" };
    case ts.SyntaxKind.StringKeyword:
      return { kind: "string" };
    case ts.SyntaxKind.BooleanKeyword:
      return { kind: "boolean" };
    case ts.SyntaxKind.NullKeyword:
    case ts.SyntaxKind.UndefinedKeyword:
      return { kind: "null" };
    case ts.SyntaxKind.ObjectKeyword:
      return { kind: "object" };
  }
  if (ts.isParenthesizedTypeNode(node)) return typeFromNode(node.type);
  if (ts.isArrayTypeNode(node)) return { kind: "array", element: typeFromNode(node.elementType) };
  if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.ReadonlyKeyword) return typeFromNode(node.type);
  if (ts.isTypeLiteralNode(node) || ts.isMappedTypeNode(node)) return { kind: "object" };
  if (ts.isLiteralTypeNode(node)) {
    const lit = node.literal;
    if (ts.isStringLiteral(lit)) return { kind: "literal", value: lit.text };
    if (ts.isNumericLiteral(lit)) return { kind: "literal", value: Number(lit.text) };
    if (lit.kind === ts.SyntaxKind.TrueKeyword) return { kind: "literal", value: true };
    if (lit.kind === ts.SyntaxKind.FalseKeyword) return { kind: "literal", value: false };
    if (lit.kind === ts.SyntaxKind.NullKeyword) return { kind: "null" };
    if (ts.isPrefixUnaryExpression(lit) && ts.isNumericLiteral(lit.operand)) return { kind: "literal", value: -Number(lit.operand.text) };
  }
  if (ts.isUnionTypeNode(node)) return { kind: "union", options: node.types.map(typeFromNode) };
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const name = node.typeName.text;
    const args = node.typeArguments ?? [];
    if ((name === "Array" || name === "ReadonlyArray") && args[0]) return { kind: "array", element: typeFromNode(args[0]) };
    if (name === "Record" || name === "Partial" || name === "Readonly" || name === "Map") return { kind: "object" };
  }
  return { kind: "any" };
}
