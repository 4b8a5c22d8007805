// bench/arrow: collect() of 1M strings (DuckDB result → Arrow Utf8 in src/engine/arrow.ts) against DuckDB's
// own materialization of the same query into JS values through node-api (`result.getColumns()`), in the
// same process. Also shown: the time to run the query and fetch its chunks without reading them (the floor).
// Sizes: SLUICE_BENCH_ARROW_ROWS (default 1,000,000), SLUICE_BENCH_REPEATS (default 3; the median is shown).
import { DuckDBInstance } from "@duckdb/node-api";
import { sql } from "../../src/index.js";

const ROWS = Number(process.env.SLUICE_BENCH_ARROW_ROWS ?? 1_000_000);
const REPEATS = Number(process.env.SLUICE_BENCH_REPEATS ?? 3);

const CASES: Record<string, string> = {
  "short (url-123)": `SELECT 'url-' || i::VARCHAR AS s FROM range(${ROWS}) t(i)`,
  "long (~60 chars)": `SELECT 'https://example.com/some/fairly/long/path/segment/' || i::VARCHAR || '?q=abc' AS s FROM range(${ROWS}) t(i)`,
  "1/3 nulls": `SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE 'v-' || i::VARCHAR END AS s FROM range(${ROWS}) t(i)`,
  "unicode (é, 日本, 🙂)": `SELECT 'é日本🙂-' || i::VARCHAR || repeat('ü', (i % 20)::INTEGER) AS s FROM range(${ROWS}) t(i)`,
  "enum (4 labels)": `SELECT (['red', 'green', 'blue', '日本🙂'][(i % 4 + 1)::INTEGER])::ENUM('red', 'green', 'blue', '日本🙂') AS s FROM range(${ROWS}) t(i)`,
  "blob": `SELECT ('blob-' || i::VARCHAR)::BLOB AS s FROM range(${ROWS}) t(i)`,
};

function template(text: string): TemplateStringsArray {
  return Object.assign([text], { raw: [text] }) as unknown as TemplateStringsArray;
}

async function median(f: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    (globalThis as { gc?: () => void }).gc?.();
    times.push(await f());
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const conn = await (await DuckDBInstance.create(":memory:")).connect();
console.log(`rows: ${ROWS.toLocaleString("en-US")}, repeats: ${REPEATS} (median)`);
console.log("case                    fetch only   node-api getColumns   sluice collect   sluice / getColumns");
for (const [name, query] of Object.entries(CASES)) {
  const frame = await sql(template(query));
  const fetchOnly = await median(async () => {
    const t0 = performance.now();
    const result = await conn.run(query);
    for (let c = await result.fetchChunk(); c && c.rowCount > 0; c = await result.fetchChunk());
    return performance.now() - t0;
  });
  let baselineRows = 0;
  const baseline = await median(async () => {
    const t0 = performance.now();
    const columns = await (await conn.run(query)).getColumns();
    baselineRows = columns[0].length;
    return performance.now() - t0;
  });
  let sluiceRows = 0;
  const sluice = await median(async () => {
    const t0 = performance.now();
    sluiceRows = (await frame.collect()).numRows;
    return performance.now() - t0;
  });
  if (baselineRows !== ROWS || sluiceRows !== ROWS) throw new Error(`row counts differ: ${baselineRows} vs ${sluiceRows}, expected ${ROWS}`);
  const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(9);
  console.log(`${name.padEnd(22)} ${ms(fetchOnly)}    ${ms(baseline).padStart(18)}   ${ms(sluice).padStart(14)}   ${(sluice / baseline).toFixed(2).padStart(18)}×`);
}
