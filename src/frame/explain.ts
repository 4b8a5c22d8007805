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
    // As a tree (each operator under the one it feeds), so the two sides of a join or a union can be told apart.
    const children = new Map<string | undefined, OperatorMetric[]>();
    for (const o of this.operators) children.set(o.parentId, [...(children.get(o.parentId) ?? []), o]);
    const ids = new Set(this.operators.map((o) => o.id));
    const lines: string[] = [];
    const walk = (o: OperatorMetric, depth: number) => {
      const name = `${"  ".repeat(depth)}${o.name}`;
      lines.push(`${name.padEnd(36)} ${o.rows.toLocaleString("en-US").padStart(14)} ${o.timeMs.toFixed(2).padStart(12)}`);
      for (const c of children.get(o.id) ?? []) walk(c, depth + 1);
    };
    for (const root of this.operators.filter((o) => o.parentId === undefined || !ids.has(o.parentId))) walk(root, 0);
    const header = `${"operator".padEnd(36)} ${"rows".padStart(14)} ${"time ms".padStart(12)}`;
    return (
      `== optimized plan ==\n${planText(this.plan)}\n\n== operators (DuckDB profile; time is CPU time summed over threads) ==\n` +
      `${header}\n${lines.join("\n")}`
    );
  }

  [Symbol.for("Jupyter.display")](): Record<string, unknown> {
    return {
      [PLAN_MIME]: { optimized: planTree(this.plan), physical: { operators: this.operators } },
      "text/html": `<pre>${escapeHtml(this.toString())}</pre>`,
      "text/plain": this.toString(),
    };
  }
}
