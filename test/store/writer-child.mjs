// A separate writer process for the crash and concurrency tests: writes `count` versions of `key`
// (each `rows` rows, value column = writer id) and prints "committed <n>" after each commit.
import { AssetStore } from "../../dist/src/store/index.js";

const [root, key, writer, count, rows] = process.argv.slice(2);
const store = new AssetStore(root);
for (let n = 1; n <= Number(count); n++) {
  const data = Array.from({ length: Number(rows) }, (_, i) => ({ writer, n, i, text: `row ${i} of ${n}` }));
  await store.materialize(key, data, { runId: `writer-${writer}`, op: "writer", metadata: { n } });
  process.stdout.write(`committed ${n}\n`);
}
store.close();
