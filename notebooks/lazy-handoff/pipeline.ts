// Lazy hand-off: function ops pass lazy frames to each other in memory, so the optimizer sees the
// whole chain (make people → over 50 → over 60) as one plan; only the final outputs are written.
//
//   sluice pipeline run notebooks/lazy-handoff/pipeline.ts
//   SLUICE_EXAMPLE_SIZE=full sluice pipeline run notebooks/lazy-handoff/pipeline.ts
import { col, fnOp, fromColumns, meta, notebookOp, pipeline, type LazyFrame } from "sluice";
import { random } from "../random.js";

const FULL = process.env.SLUICE_EXAMPLE_SIZE === "full";

const CITIES = ["Lisbon", "Oslo", "Lagos", "Lima", "Osaka", "Perth", "Quebec", "Tunis"];
const NAMES = ["Ada", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ines", "Jon", "Kofi", "Lena", "Mei", "Nils", "Omar", "Pia"];

export default pipeline(
  "lazy-handoff",
  [
    fnOp({
      name: "people",
      params: { count: FULL ? 2_000_000 : 20_000, seed: 42 },
      // materialize: false — the frame is handed to the next op in memory, never written.
      outputs: [{ key: "lazy_handoff/people", materialize: false }],
      run: (ctx) => {
        const count = ctx.params.count as number;
        const next = random(ctx.params.seed as number);
        const id: number[] = [];
        const name: string[] = [];
        const age: number[] = [];
        const city: string[] = [];
        for (let i = 0; i < count; i++) {
          id.push(i + 1);
          name.push(`${NAMES[Math.floor(next() * NAMES.length)]} ${String.fromCharCode(65 + Math.floor(next() * 26))}.`);
          age.push(18 + Math.floor(next() * 72));
          city.push(CITIES[Math.floor(next() * CITIES.length)]!);
        }
        return fromColumns({ id, name, age, city }, "people");
      },
    }),
    fnOp({
      name: "over_50",
      inputs: { people: "lazy_handoff/people" },
      outputs: [{ key: "lazy_handoff/over_50", materialize: false }],
      run: (_ctx, inputs) => (inputs.people as LazyFrame).filter(col("age").gt(50)),
    }),
    fnOp({
      name: "over_60",
      inputs: { over50: "lazy_handoff/over_50" },
      outputs: ["lazy_handoff/over_60"],
      run: async (ctx, inputs) => {
        const over60 = (inputs.over50 as LazyFrame).filter(col("age").gt(60)).select("id", "name", "age", "city");
        // Both filters end up in the one scan of the optimized plan.
        const plan = await over60.explain();
        ctx.log(`optimized plan:\n${plan.optimized}`);
        await ctx.yieldAsset("lazy_handoff/over_60", over60, {
          metadata: { optimized_plan: meta.markdown("```\n" + plan.optimized + "\n```"), logical_plan: meta.text(plan.logical) },
        });
      },
    }),
    fnOp({
      name: "over_50_by_city",
      inputs: { over50: "lazy_handoff/over_50" },
      outputs: ["lazy_handoff/over_50_by_city"],
      run: (_ctx, inputs) =>
        (inputs.over50 as LazyFrame)
          .groupBy("city")
          .agg(col("id").count().as("people"), col("age").mean().round(1).as("mean_age"))
          .sort("city"),
    }),
    notebookOp({
      name: "age_bands",
      notebook: "age-bands.ipynb",
      params: { bandWidth: 10 },
      inputs: { over60: "lazy_handoff/over_60", byCity: "lazy_handoff/over_50_by_city" },
      outputs: ["lazy_handoff/over_60_bands"],
    }),
  ],
  { maxConcurrency: 2 },
);
