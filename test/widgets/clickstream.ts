// A small clickstream store for notebooks/widgets/explorer.ipynb: hive-partitioned Parquet events laid out
// as the clickstream example's page_views op writes them (day=/hour=/customer=), and its manifest asset
// clickstream/raw_files naming their folder. Counts to expect come from DuckDB reading the files itself.
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AssetStore } from "../../src/store/index.js";
import { fromRecords } from "../../src/frame/index.js";

export const CUSTOMERS = ["acme", "globex", "initech"];

export interface ClickstreamStore {
  eventsDir: string;
  /** Events of `customer` in hours [from, to], as DuckDB counts them in the files. */
  count(customer: string, from: number, to: number): Promise<number>;
  close(): void;
}

/** Writes the events under `<storeRoot>/raw/clickstream/events` and materializes clickstream/raw_files in the store. */
export async function clickstreamStore(storeRoot: string): Promise<ClickstreamStore> {
  const eventsDir = join(storeRoot, "raw", "clickstream", "events");
  mkdirSync(eventsDir, { recursive: true });
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  // Counts differ by customer and by hour, so a wrong customer or hour range shows in the totals.
  await connection.run(
    `copy (select timestamp '2024-03-01' + to_seconds(h * 3600 + i * 31) as ts, c as customer, 'v' || (i % 17) as visitor_id,
       ['/', '/pricing', '/docs', '/blog'][1 + (i * (h + 1)) % 4] as url, case when i % 3 = 0 then null else 'google' end as referrer,
       'Mozilla/5.0 (X11; Linux)' as user_agent, '2024-03-01' as day, h as hour
     from range(24) t(h), (values ('acme', 30), ('globex', 20), ('initech', 8)) cs(c, n), range(100) r(i) where i < n + h)
     to '${eventsDir.replaceAll("'", "''")}' (format parquet, partition_by (day, hour, customer))`,
  );
  const glob = `${join(eventsDir, "**", "*.parquet").replaceAll("'", "''")}`;
  const store = new AssetStore(storeRoot);
  try {
    await store.materialize(
      "clickstream/raw_files",
      fromRecords(Array.from({ length: 24 }, (_, hour) => ({ root: eventsDir, day: "2024-03-01", hour }))),
      { runId: "widgets-test", op: "page_views" },
    );
  } finally {
    store.close();
  }
  return {
    eventsDir,
    async count(customer, from, to) {
      const reader = await connection.runAndReadAll(
        `select count(*)::integer as n from read_parquet('${glob}', hive_partitioning = true) where customer = '${customer.replaceAll("'", "''")}' and hour between ${from} and ${to}`,
      );
      return Number(reader.getRowObjectsJS()[0]!.n);
    },
    close() {
      connection.closeSync();
      db.closeSync();
    },
  };
}
