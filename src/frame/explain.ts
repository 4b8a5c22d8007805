// explain() and profile() results: text for the console, plan trees for the kernel's renderer.
import type { OperatorMetric } from "../progress/index.js";
import type { Plan } from "../plan/nodes.js";
import { planText, planTree } from "../plan/tree.js";
import type { DataFrame } from "./dataframe.js";
import { PLAN_MIME, escapeHtml } from "./display.js";

export class Explain {
  readonly logical: string;
  readonly optimized: string;

  constructor(
    readonly logicalPlan: Plan,
    readonly optimizedPlan: Plan,
    /** DuckDB's physical plan (EXPLAIN output). */
    readonly physical: string,
  ) {
    this.logical = planText(logicalPlan);
    this.optimized = planText(optimizedPlan);
  }

  toString(): string {
    return `== logical plan ==\n${this.logical}\n\n== optimized plan ==\n${this.optimized}\n\n== physical plan (DuckDB) ==\n${this.physical}`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return {
      [PLAN_MIME]: { logical: planTree(this.logicalPlan), optimized: planTree(this.optimizedPlan), physical: { text: this.physical } },
      "text/html": `<pre>${escapeHtml(this.toString())}</pre>`,
      "text/plain": this.toString(),
    };
  }
}

export class Profile {
  constructor(
    readonly result: DataFrame,
    readonly operators: OperatorMetric[],
    readonly plan: Plan,
  ) {}

  toString(): string {
    const rows = this.operators.map((o) => `${o.id.padStart(3)}  ${o.name.padEnd(28)} ${String(o.rows).padStart(12)} rows ${o.timeMs.toFixed(2).padStart(10)} ms`);
    return `== optimized plan ==\n${planText(this.plan)}\n\n== operators (DuckDB profile) ==\n${rows.join("\n")}`;
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return {
      [PLAN_MIME]: { optimized: planTree(this.plan), physical: { operators: this.operators } },
      "text/html": `<pre>${escapeHtml(this.toString())}</pre>`,
      "text/plain": this.toString(),
    };
  }
}
