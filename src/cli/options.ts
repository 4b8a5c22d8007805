// Parsers for numeric flags, shared by every command. A bad value throws commander's
// InvalidArgumentError, which commander reports naming the flag ("option '--limit <n>' argument 'abc'
// is invalid. expected a whole number ≥ 1") and the boundary turns into exit 2.
import { InvalidArgumentError } from "commander";

function wholeNumber(text: string, min: number): number {
  const n = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got ${JSON.stringify(text)}.`);
  return n;
}

/** 1, 2, 3...: counts that must not be zero (--max-concurrency, --limit, --keep-last). */
export function positiveInt(text: string): number {
  return wholeNumber(text, 1);
}

/** 0, 1, 2...: counts where zero means "none". */
export function nonNegativeInt(text: string): number {
  return wholeNumber(text, 0);
}

/** A duration in seconds greater than zero; fractions allowed (--cell-timeout 0.5). */
export function positiveSeconds(text: string): number {
  const n = /^\s*[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number of seconds, got ${JSON.stringify(text)}.`);
  return n;
}
