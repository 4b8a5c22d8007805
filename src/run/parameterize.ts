// Parameter injection: read the parameters cell's declarations, check the given values against their
// types, and put an `injected-parameters` cell right after it (replacing one from an earlier run).
import { type Cell, type Notebook, hasTag, newCellId, sourceText } from "./notebook.js";
import { findTranslator, translatorFor, type Translator } from "./translators/index.js";
import { assertJsonData, coerceParameter, type JsonValue, type ParameterSpec } from "./parameters.js";
import { ParameterError } from "./errors.js";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";
export const ERROR_TAG = "sluice-error";

export interface ParameterInput {
  /** Values that are already data (YAML files, `-y`, programmatic callers); applied first. */
  parameters?: Record<string, unknown>;
  /** `-p NAME VALUE` text, read by each parameter's declared type; applied after `parameters`. */
  rawParameters?: Array<[string, string]>;
  /** Unknown parameter names are an error instead of a warning. */
  strict?: boolean;
}

export interface Parameterized {
  parameters: Record<string, JsonValue>;
  specs: ParameterSpec[];
  warnings: string[];
  translator?: Translator;
}

/** The declarations in the notebook's parameters cell (empty when it has none). */
export function notebookParameters(nb: Notebook, language: string | undefined): { specs: ParameterSpec[]; cell?: Cell; translator?: Translator } {
  const cell = nb.cells.find((c) => c.cell_type === "code" && hasTag(c, PARAMETERS_TAG));
  const translator = findTranslator(language);
  if (!cell || !translator) return { specs: [], cell, translator };
  return { specs: translator.parseParameters(sourceText(cell.source)), cell, translator };
}

/** Check values against the parameters cell and inject them into `nb` (mutated). */
export function parameterize(nb: Notebook, language: string | undefined, input: ParameterInput): Parameterized {
  const { specs, cell: paramsCell } = notebookParameters(nb, language);
  const given: Array<[string, unknown, boolean]> = [
    ...Object.entries(input.parameters ?? {}).map(([k, v]): [string, unknown, boolean] => [k, v, false]),
    ...(input.rawParameters ?? []).map(([k, v]): [string, unknown, boolean] => [k, v, true]),
  ];
  const warnings: string[] = [];
  // Remove what an earlier run added, so a re-run of an output notebook starts clean.
  nb.cells = nb.cells.filter((c) => !hasTag(c, INJECTED_TAG) && !hasTag(c, ERROR_TAG));
  if (given.length === 0) return { parameters: {}, specs, warnings };

  const translator = translatorFor(language);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, JsonValue> = {};
  for (const [name, value, raw] of given) {
    if (!translator.isValidName(name)) {
      throw new ParameterError(name, `parameter name "${name}" is not a valid ${translator.language} identifier`);
    }
    const spec = byName.get(name);
    if (!spec) {
      const known = specs.map((s) => s.name);
      const near = known.filter((k) => similar(k, name));
      const message =
        `unknown parameter "${name}": the parameters cell declares ${known.length ? known.join(", ") : "nothing"}` +
        (near.length ? ` (did you mean ${near.join(" or ")}?)` : "");
      if (input.strict) throw new ParameterError(name, message);
      warnings.push(message);
    }
    const typed = coerceParameter(name, value, spec?.type ?? { kind: "any" }, raw);
    assertJsonData(name, typed);
    values[name] = typed;
  }

  if (!paramsCell) warnings.push(`no cell tagged "${PARAMETERS_TAG}"; parameters were injected at the top of the notebook`);
  const injected: Cell = {
    id: newCellId(),
    cell_type: "code",
    source: translator.renderParameters(values, Object.fromEntries(specs.map((s) => [s.name, s.type]))),
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    execution_count: null,
  };
  const at = paramsCell ? nb.cells.indexOf(paramsCell) + 1 : 0;
  nb.cells.splice(at, 0, injected);
  return { parameters: values, specs, warnings, translator };
}

/** Edit distance ≤ 2, or one name contains the other: enough to suggest a typo's fix. */
function similar(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x.includes(y) || y.includes(x)) return true;
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++)
    for (let j = 1; j <= y.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
  return d[x.length][y.length] <= 2;
}
