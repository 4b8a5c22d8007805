// Typed errors raised while a plan is built: they fire when the user writes the expression, not when
// the query runs, and say how to fix the mistake.

import { SluiceError } from "../errors.js";

// The base class lives with the exit codes in src/errors.ts; re-exported where it always was.
export { SluiceError };

export class ColumnNotFoundError extends SluiceError {
  constructor(
    readonly column: string,
    readonly columns: readonly string[],
  ) {
    const near = nearestNames(column, columns);
    const hint = near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(" or ")}?` : "";
    super(`column '${column}' not found${hint} (columns: ${columns.join(", ")})`);
  }
}

export class TypeMismatchError extends SluiceError {}

export class InvalidArgumentError extends SluiceError {}

/**
 * Refuses option names it does not know: a typo (`{ hwo: "left" }`) would otherwise be ignored and the
 * call silently do something else. `known` lists every option (checked by the caller with `satisfies`).
 */
export function checkOptionNames(
  what: string,
  options: unknown,
  known: Readonly<Record<string, true>>,
  error: new (message: string) => Error = InvalidArgumentError,
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) throw new error(`${what}: options must be an object, got ${JSON.stringify(options)}`);
  const names = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (key in known) continue;
    if (names.length === 0) throw new error(`${what}: unknown option "${key}"; ${what} takes no options`);
    const near = nearestNames(key, names);
    throw new error(`${what}: unknown option "${key}"${near.length ? `; did you mean "${near[0]}"?` : ""} (options: ${names.join(", ")})`);
  }
}

/** Names within a small edit distance, closest first: the usual typos (sesion_id → session_id). */
export function nearestNames(name: string, candidates: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return candidates
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) }))
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ c }) => c);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
