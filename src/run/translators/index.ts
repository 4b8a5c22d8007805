// One translator per notebook language behind one small interface (the shape of papermill's
// translators.py): read the parameters cell, and write the injected-parameters cell as data.
import type { JsonValue, ParamType, ParameterSpec } from "../parameters.js";
import { NoTranslatorError } from "../errors.js";
import { typescriptTranslator } from "./typescript.js";
import { pythonTranslator } from "./python.js";

export interface Translator {
  /** Canonical language name (kernelspec `language`). */
  language: string;
  /** Parameter declarations in a parameters cell, with types, defaults and comments. */
  parseParameters(source: string): ParameterSpec[];
  /** The injected cell's source: one declaration per parameter, each value written as a literal. */
  renderParameters(params: Record<string, JsonValue>, types?: Record<string, ParamType>): string;
  /** Code that sets an environment variable in a running kernel (for remote kernels, where we cannot set env). */
  renderSetEnv(name: string, value: string): string;
  /** Whether NAME can be declared as a variable in this language. */
  isValidName(name: string): boolean;
}

const translators: Array<{ names: string[]; translator: Translator }> = [
  { names: ["typescript", "ts", "javascript", "js"], translator: typescriptTranslator },
  { names: ["python", "python3", "ipython", "ipython3"], translator: pythonTranslator },
];

export function findTranslator(language: string | undefined): Translator | undefined {
  if (!language) return undefined;
  const lang = language.toLowerCase();
  return translators.find((t) => t.names.includes(lang))?.translator;
}

export function translatorFor(language: string | undefined): Translator {
  const t = findTranslator(language);
  if (!t) throw new NoTranslatorError(language ?? "(unknown language)");
  return t;
}

export { typescriptTranslator, pythonTranslator };
