// Durations for floor(): "1h", "15m", "1d", "1w", "1mo", "1y". Checked when the expression is written.
import { InvalidArgumentError } from "./errors.js";

const UNITS: Record<string, string> = {
  s: "second", sec: "second", second: "second", m: "minute", min: "minute", minute: "minute",
  h: "hour", hour: "hour", d: "day", day: "day", w: "week", week: "week", mo: "month", month: "month",
  q: "quarter", quarter: "quarter", y: "year", year: "year",
};

/** "1h" → date_trunc('hour', x); "15m" → time_bucket(INTERVAL '15 minute', x). */
export function parseEvery(every: string, what = `floor(${JSON.stringify(every)})`): { n: number; unit: string } {
  const m = /^(\d*)\s*([a-z]+)$/.exec(every.trim().toLowerCase());
  const unit = m ? UNITS[m[2]] : undefined;
  if (!m || !unit)
    throw new InvalidArgumentError(`${what}: expected a duration like "1h", "15m", "1d", "1mo", "1y", got ${JSON.stringify(every)}`);
  const n = m[1] ? Number(m[1]) : 1;
  if (n < 1) throw new InvalidArgumentError(`${what}: the duration must be at least 1 ${unit}`);
  return { n, unit };
}

