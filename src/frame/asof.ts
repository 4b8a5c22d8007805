// joinAsof: for each left row, the right row with the nearest earlier (backward) or later (forward) key,
// within the same `by` group and, optionally, within a tolerance. A left join: unmatched rows keep nulls.
import { InvalidArgumentError, TypeMismatchError, checkOptionNames } from "../plan/errors.js";
import { colRef } from "../plan/expr.js";
import type { AsofParams } from "../plan/extensions.js";
import { parseEvery } from "../plan/duration.js";
import { typeOf } from "../plan/infer.js";
import { comparable, isNumeric, isTemporal } from "../plan/types.js";
import { LazyFrame } from "./lazy.js";
import { extension } from "./reshape.js";

type Many<T> = T | readonly T[];

export interface AsofOptions {
  /** The ordered key on both sides (numbers, dates or timestamps). */
  on?: string;
  leftOn?: string;
  rightOn?: string;
  /** Match only within equal values of these columns (both sides). */
  by?: Many<string>;
  byLeft?: Many<string>;
  byRight?: Many<string>;
  /** "backward": nearest right key <= left key (default); "forward": nearest right key >= left key. */
  strategy?: "backward" | "forward";
  /** Largest allowed distance: a number for numeric keys, a duration ("5m", "1h", "2d") for time keys. */
  tolerance?: number | string;
  suffix?: string;
}

declare module "./lazy.js" {
  interface LazyFrame {
    joinAsof(other: LazyFrame, options: AsofOptions): LazyFrame;
  }
}

const many = (v: Many<string> | undefined): string[] => (v === undefined ? [] : typeof v === "string" ? [v] : [...v]);

LazyFrame.prototype.joinAsof = function (this: LazyFrame, other: LazyFrame, o: AsofOptions): LazyFrame {
  if (!(other instanceof LazyFrame)) throw new InvalidArgumentError("joinAsof(other, ...): other must be a LazyFrame");
  checkOptionNames("joinAsof", o, {
    on: true, leftOn: true, rightOn: true, by: true, byLeft: true, byRight: true, strategy: true, tolerance: true, suffix: true,
  } satisfies Record<keyof AsofOptions, true>);
  const leftOn = o.leftOn ?? o.on;
  const rightOn = o.rightOn ?? o.on;
  if (!leftOn || !rightOn) throw new InvalidArgumentError("joinAsof needs `on` (the key on both sides) or both `leftOn` and `rightOn`");
  const by = o.byLeft !== undefined ? many(o.byLeft) : many(o.by);
  const byRight = o.byRight !== undefined ? many(o.byRight) : many(o.by);
  if (by.length !== byRight.length) throw new InvalidArgumentError(`joinAsof: byLeft has ${by.length} columns and byRight ${byRight.length}; they must match`);
  const strategy = o.strategy ?? "backward";
  if (strategy !== "backward" && strategy !== "forward") throw new InvalidArgumentError(`joinAsof: strategy must be "backward" or "forward", got ${JSON.stringify(strategy)}`);
  const lt = typeOf(colRef(leftOn), this.schema);
  const rt = typeOf(colRef(rightOn), other.schema);
  if (!comparable(lt, rt) || !(isNumeric(lt) || isTemporal(lt)))
    throw new TypeMismatchError(`joinAsof: keys must be numbers or times of the same kind; '${leftOn}' is ${lt} and '${rightOn}' is ${rt}`);
  by.forEach((b, i) => {
    const a = typeOf(colRef(b), this.schema);
    const c = typeOf(colRef(byRight[i]), other.schema);
    if (!comparable(a, c)) throw new TypeMismatchError(`joinAsof: by column '${b}' is ${a} but '${byRight[i]}' is ${c}`);
  });
  const tol = o.tolerance;
  if (tol !== undefined) {
    if (isTemporal(lt)) {
      if (typeof tol !== "string") throw new InvalidArgumentError(`joinAsof: '${leftOn}' is ${lt}, so tolerance must be a duration such as "5m" or "1d", got ${JSON.stringify(tol)}`);
      parseEvery(tol, "joinAsof tolerance");
    } else if (!(typeof tol === "number" && tol >= 0 && Number.isFinite(tol)))
      throw new InvalidArgumentError(`joinAsof: tolerance must be a non-negative number for numeric keys, got ${JSON.stringify(tol)}`);
  }
  const params: AsofParams = { leftOn, rightOn, by, byRight, strategy, tolerance: tol ?? null, suffix: o.suffix ?? "_right" };
  return extension(this, "asofJoin", [this.plan, other.plan], params);
};
