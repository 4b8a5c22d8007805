// Cron schedules of a pipeline: which ticks are due between two times (cron-parser, UTC unless a
// timezone is given) and which partition each tick runs.
import { CronExpressionParser } from "cron-parser";
import { PipelineUsageError } from "../pipeline/errors.js";
import type { PartitionsDef } from "../pipeline/partitions.js";

export interface ScheduleOptions {
  name: string;
  /** Five fields (minute hour day month weekday) or six with seconds first; e.g. "5 * * * *" = five past every hour. */
  cron: string;
  /** IANA timezone of the cron fields (default UTC). */
  timezone?: string;
  /** The partition a tick runs (default for time-window partitions: the last window that ended by the tick). */
  partition?: (tick: Date) => string | undefined;
  /** Return a reason to skip a tick (it is recorded as skipped with that reason), or true to run it. */
  shouldRun?: (tick: Date) => true | string;
  /** After a daemon was down: how many of the missed ticks run (the latest ones); the rest are recorded as skipped. Default: all. */
  catchUp?: number;
}

export interface ScheduleDef {
  readonly kind: "schedule";
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly catchUp: number;
  partition?: (tick: Date) => string | undefined;
  shouldRun?: (tick: Date) => true | string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

export function schedule(options: ScheduleOptions): ScheduleDef {
  if (typeof options?.name !== "string" || !NAME.test(options.name)) throw new PipelineUsageError(`schedule name ${JSON.stringify(options?.name)}: use letters, digits and _ . - only.`);
  const timezone = options.timezone ?? "UTC";
  try {
    CronExpressionParser.parse(options.cron, { tz: timezone, strict: false });
  } catch (error) {
    throw new PipelineUsageError(`schedule ${options.name}: cron ${JSON.stringify(options.cron)} is not valid (${(error as Error).message}); write five fields such as "5 * * * *" (five past every hour).`);
  }
  if (options.catchUp !== undefined && (!Number.isInteger(options.catchUp) || options.catchUp < 0)) {
    throw new PipelineUsageError(`schedule ${options.name}: catchUp must be a whole number ≥ 0, got ${options.catchUp}.`);
  }
  return { kind: "schedule", name: options.name, cron: options.cron, timezone, catchUp: options.catchUp ?? Infinity, partition: options.partition, shouldRun: options.shouldRun };
}

/** The ticks t with after < t ≤ until, in order. */
export function ticksBetween(s: Pick<ScheduleDef, "cron" | "timezone">, after: number, until: number): number[] {
  const it = CronExpressionParser.parse(s.cron, { tz: s.timezone, currentDate: new Date(after), endDate: new Date(until + 1) });
  const ticks: number[] = [];
  while (it.hasNext()) {
    const t = it.next().getTime();
    if (t > until) break;
    if (t > after) ticks.push(t);
  }
  return ticks;
}

/** The first tick after `after`. */
export function nextTick(s: Pick<ScheduleDef, "cron" | "timezone">, after: number): number {
  return CronExpressionParser.parse(s.cron, { tz: s.timezone, currentDate: new Date(after) }).next().getTime();
}

/** The partition a tick runs: the schedule's own choice, else (time windows) the last window that ended by the tick. */
export function tickPartition(s: ScheduleDef, def: PartitionsDef | undefined, tick: number): string | undefined {
  if (s.partition) return s.partition(new Date(tick));
  if (!def) return undefined;
  if (!def.keyAt || !def.windowMs) {
    throw new PipelineUsageError(`schedule ${s.name}: the pipeline's partitions (${def.id}) are not time windows; give the schedule partition: (tick) => key.`);
  }
  return def.keyAt(tick - def.windowMs);
}
