// interact(fn, controls): fn runs with the controls' values and its result is shown below them; each
// change runs it again and cancels the run still going (its signal aborts and its queries are
// cancelled in the engine), so only the latest values' result is ever shown.
import { inspect } from "node:util";
import { onProgress, requestCancel, newJobId, withinJob } from "../progress/index.js";
import { CancelledError } from "../engine/index.js";
import { OutputWidget, displayItem, type OutputItem } from "./output.js";
import { VBox, type LayoutOptions } from "./controls.js";
import { Widget, WidgetError } from "./widget.js";

/** Anything with a value and change notifications: every value control (and Dropdown). */
export interface Control<T> {
  readonly value: T;
  onChange(listener: (value: T) => void): () => void;
}

export type ValuesOf<C extends Record<string, Control<unknown>>> = { [K in keyof C]: C[K] extends Control<infer T> ? T : never };

export interface RunContext {
  /** Aborted when a newer run starts (a control changed again) or the widget is closed. */
  signal: AbortSignal;
  /** Shows a value in the output area of this run (above the returned value). */
  display(value: unknown): void;
}

interface Run {
  number: number;
  abort: AbortController;
  /** The run's own job id: queries started inside the run are its children, so they can be cancelled. */
  jobId: string;
  jobs: Set<string>;
}

export class Interactive<C extends Record<string, Control<unknown>>> extends VBox {
  readonly output: OutputWidget;
  /** How many runs have finished with a shown result (cancelled ones do not count). */
  completedRuns = 0;
  /** Runs started, cancelled ones included. */
  startedRuns = 0;
  /** The latest run's promise: resolves with its result (undefined when a newer run cancelled it). */
  latest: Promise<unknown> = Promise.resolve(undefined);
  private current: Run | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly fn: (values: ValuesOf<C>, context: RunContext) => unknown,
    readonly controls: C,
    options: { layout?: LayoutOptions } = {},
  ) {
    const output = new OutputWidget();
    const widgets = Object.values(controls).filter((c): c is Control<unknown> & Widget => c instanceof Widget);
    super([...widgets, output], options);
    this.output = output;
    for (const control of Object.values(controls)) this.unsubscribe.push(control.onChange(() => this.rerun()));
    this.rerun();
  }

  /** The controls' current values. */
  values(): ValuesOf<C> {
    return Object.fromEntries(Object.entries(this.controls).map(([k, c]) => [k, c.value])) as ValuesOf<C>;
  }

  /** Runs the function again with the current values (cancelling a run still going). */
  rerun(): Promise<unknown> {
    this.cancelCurrent();
    const run: Run = { number: ++this.startedRuns, abort: new AbortController(), jobId: newJobId(), jobs: new Set() };
    this.current = run;
    const stopWatching = onProgress((event) => {
      if (event.type === "job.start" && event.parentId === run.jobId) run.jobs.add(event.jobId);
      else if (event.type === "job.end") run.jobs.delete(event.jobId);
    });
    const shown: OutputItem[] = [];
    const context: RunContext = {
      signal: run.abort.signal,
      display: (value) => {
        if (!run.abort.signal.aborted) shown.push(displayItem(value));
      },
    };
    const values = this.values();
    this.latest = withinJob(run.jobId, undefined, () => Promise.resolve().then(() => this.fn(values, context)))
      .then(
        (result) => {
          if (run.abort.signal.aborted) return undefined;
          this.output.replace(result === undefined ? shown : [...shown, displayItem(result)]);
          this.completedRuns += 1;
          return result;
        },
        (error) => {
          if (run.abort.signal.aborted || error instanceof CancelledError) return undefined;
          const text = error instanceof Error ? `${error.name}: ${error.message}` : inspect(error);
          this.output.replace([...shown, { output_type: "stream", name: "stderr", text: `${text}\n` }]);
          return undefined;
        },
      )
      .finally(() => {
        stopWatching();
        if (this.current === run) this.current = undefined;
      });
    return this.latest;
  }

  override close(): void {
    this.cancelCurrent();
    for (const stop of this.unsubscribe) stop();
    super.close();
  }

  private cancelCurrent(): void {
    const run = this.current;
    if (!run) return;
    this.current = undefined;
    run.abort.abort(new WidgetError("a newer run replaced this one"));
    for (const job of run.jobs) requestCancel(job);
  }
}

/**
 * Shows `controls` with an output area that holds `fn`'s result; `fn` runs now and again whenever a
 * control changes. Display the returned widget (a cell's last value, or `display(...)`).
 *
 *     interact(async ({ customer, hours }) => views.filter(...).collect(), { customer: new Dropdown(...), hours: new IntRangeSlider(...) })
 */
export function interact<C extends Record<string, Control<unknown>>>(
  fn: (values: ValuesOf<C>, context: RunContext) => unknown,
  controls: C,
  options: { layout?: LayoutOptions } = {},
): Interactive<C> {
  if (typeof fn !== "function") throw new WidgetError("interact(fn, controls): fn must be a function of the controls' values");
  if (!controls || typeof controls !== "object") throw new WidgetError("interact(fn, controls): controls must be an object of controls, e.g. { n: new IntSlider() }");
  for (const [name, control] of Object.entries(controls))
    if (!control || typeof (control as Control<unknown>).onChange !== "function")
      throw new WidgetError(`interact: "${name}" is not a control (a slider, text, dropdown, checkbox, date picker...)`);
  return new Interactive(fn, controls, options);
}
