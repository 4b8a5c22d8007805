import { defineConfig } from "vitest/config";

// Suites start real kernels, Jupyter clients, DuckDB and browsers: generous timeouts, and no more
// parallel files than the machine has cores.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ["default"],
  },
});
