// Batch ETL with priorities: a CSV of orders is split into batches by a dynamic op; every batch runs
// extract → transform (a notebook) → load, and the ops' priorities make the scheduler finish a batch
// end to end before it starts the next one — the run's Gantt chart (runs/<id>/gantt.vl.json) shows it.
// A collecting op sums the loaded batches, and a report notebook charts the result.
//
//   sluice pipeline run notebooks/batch-etl/pipeline.ts
//   SLUICE_EXAMPLE_SIZE=full sluice pipeline run notebooks/batch-etl/pipeline.ts
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { col, fnOp, lit, notebookOp, pipeline, scan, type LazyFrame } from "sluice";
import { random } from "../random.js";

const FULL = process.env.SLUICE_EXAMPLE_SIZE === "full";
/** Generated input files live next to the assets, outside the catalog (they are the "outside world"),
 * in the runner's store folder (`--store`, else $SLUICE_STORE or ./.sluice). */
const rawDir = (storeRoot: string) => join(storeRoot, "raw", "batch-etl");

interface Batch {
  key: string;
  /** order_id range [from, to) */
  from: number;
  to: number;
}

export default pipeline(
  "batch-etl",
  [
    fnOp({
      name: "orders_csv",
      params: { rows: FULL ? 200_000 : 3_000, seed: 2024 },
      outputs: ["batch_etl/source_file"],
      // Writes a messy CSV (mixed currencies, lower-case countries, blank quantities, duplicate rows),
      // as an export from another system would look, and records where it is.
      run: (ctx) => {
        const rows = ctx.params.rows as number;
        const next = random(ctx.params.seed as number);
        const countries = ["de", "FR", " es", "IT ", "nl", "PT", "be"];
        const currencies = ["EUR", "EUR", "USD", "GBP"];
        const lines = ["order_id,order_date,customer,country,sku,quantity,unit_price,currency"];
        for (let id = 1; id <= rows; id++) {
          const day = 1 + Math.floor(next() * 14);
          const quantity = next() < 0.03 ? "" : String(1 + Math.floor(next() * 5));
          const line = [
            id,
            `2024-03-${String(day).padStart(2, "0")}`,
            `C${String(1 + Math.floor(next() * 400)).padStart(4, "0")}`,
            countries[Math.floor(next() * countries.length)],
            `SKU-${1 + Math.floor(next() * 60)}`,
            quantity,
            (2 + next() * 98).toFixed(2),
            currencies[Math.floor(next() * currencies.length)],
          ].join(",");
          lines.push(line);
          if (next() < 0.02) lines.push(line); // a duplicate, as exports have
        }
        mkdirSync(rawDir(ctx.storeRoot), { recursive: true });
        const path = join(rawDir(ctx.storeRoot), `orders-${rows}.csv`);
        writeFileSync(path, lines.join("\n") + "\n");
        ctx.log(`wrote ${lines.length - 1} lines to ${path}`);
        return [{ path, rows, lines: lines.length - 1 }];
      },
    }),
    fnOp({
      name: "plan_batches",
      dynamic: true,
      params: { batchSize: FULL ? 10_000 : 500 },
      inputs: { source: "batch_etl/source_file" },
      // The items are decided at run time from the data: one per batchSize orders.
      run: async (ctx, inputs) => {
        const [{ rows }] = (await (inputs.source as LazyFrame).collect()).toRecords() as Array<{ rows: number }>;
        const size = ctx.params.batchSize as number;
        const batches: Batch[] = [];
        for (let from = 1, i = 0; from <= Number(rows); from += size, i++) batches.push({ key: `batch-${String(i).padStart(3, "0")}`, from, to: from + size });
        ctx.log(`${batches.length} batches of ${size} orders`);
        return batches;
      },
    }),
    fnOp({
      name: "extract",
      map: "plan_batches",
      priority: 1,
      inputs: { source: "batch_etl/source_file" },
      outputs: ["batch_etl/extracted"],
      run: async (ctx, inputs) => {
        const batch = ctx.item as Batch;
        const [{ path }] = (await (inputs.source as LazyFrame).collect()).toRecords() as Array<{ path: string }>;
        // Every column as text: typing and cleaning is the transform's job.
        const orders = await scan.csv(path, {
          columns: { order_id: "BIGINT", order_date: "VARCHAR", customer: "VARCHAR", country: "VARCHAR", sku: "VARCHAR", quantity: "VARCHAR", unit_price: "VARCHAR", currency: "VARCHAR" },
        });
        return orders.filter(col("order_id").ge(batch.from).and(col("order_id").lt(batch.to)));
      },
    }),
    notebookOp({
      name: "transform",
      map: "plan_batches",
      priority: 2,
      notebook: "transform.ipynb",
      params: { usdToEur: 0.92, gbpToEur: 1.17 },
      inputs: { extracted: "batch_etl/extracted" },
      outputs: ["batch_etl/transformed"],
    }),
    fnOp({
      name: "load",
      map: "plan_batches",
      priority: 3,
      inputs: { transformed: "batch_etl/transformed" },
      outputs: ["batch_etl/loaded"],
      // "Loading" into the warehouse table: the batch's rows with the batch they came in.
      run: async (ctx, inputs) => {
        const rows = (inputs.transformed as LazyFrame).withColumns(lit((ctx.item as Batch).key).as("batch"));
        await ctx.yieldAsset("batch_etl/loaded", rows, { metadata: { batch: (ctx.item as Batch).key } });
      },
    }),
    fnOp({
      name: "revenue",
      collect: "plan_batches",
      priority: 4,
      inputs: { loaded: "batch_etl/loaded" },
      outputs: ["batch_etl/revenue_by_day"],
      // A collecting op gets one lazy frame per batch, in batch order.
      run: async (_ctx, inputs) => {
        const [first, ...rest] = inputs.loaded as LazyFrame[];
        return first!
          .union(...rest)
          .groupBy("order_date", "country")
          .agg(col("amount_eur").sum().round(2).as("revenue_eur"), col("order_id").count().as("orders"))
          .sort(["order_date", "country"]);
      },
    }),
    notebookOp({
      name: "etl_report",
      notebook: "report.ipynb",
      params: { topCountries: 5 },
      inputs: { revenue: "batch_etl/revenue_by_day" },
      outputs: ["batch_etl/revenue_by_country"],
    }),
  ],
  { maxConcurrency: 2 },
);
