import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, configureEngine, engineConfig, fromRecords } from "../../src/index.js";
import { connect } from "../../src/engine/instance.js";

async function setting(name: string): Promise<string> {
  const conn = await connect();
  try {
    const r = await conn.runAndReadAll(`SELECT current_setting('${name}')`);
    return String(r.getRows()[0][0]);
  } finally {
    conn.closeSync();
  }
}

describe("engine configuration", () => {
  it("threads, memory limit and spill directory apply to the one engine", async () => {
    const spill = mkdtempSync(join(tmpdir(), "sluice-spill-"));
    await configureEngine({ threads: 1, memoryLimit: "512MB", spillDirectory: spill });
    expect(engineConfig()).toEqual({ threads: 1, memoryLimit: "512MB", spillDirectory: spill });
    expect(await setting("threads")).toBe("1");
    expect(await setting("memory_limit")).toMatch(/^(512\.0 MiB|488\.2 MiB|512MB|.*MiB)$/);
    expect(await setting("temp_directory")).toBe(spill);
    expect(await fromRecords([{ a: 1 }]).count()).toBe(1); // still one healthy engine
    await configureEngine({ threads: 2 });
    expect(await setting("threads")).toBe("2");
  });

  it("rejects bad settings with the reason, and keeps the engine and its settings as they were", async () => {
    const before = engineConfig();
    await expect(configureEngine({ threads: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(configureEngine({ threads: "4" as never })).rejects.toThrow('threads must be a whole number from 1 to 1024, got "4" (a string)');
    await expect(configureEngine({ threads: 100_000 })).rejects.toThrow("threads must be a whole number from 1 to 1024, got 100000");
    await expect(configureEngine({ memoryLimit: "lots" })).rejects.toThrow('memoryLimit must look like "512MB" or "4GB"');
    await expect(configureEngine({ memoryLimit: "0GB" })).rejects.toThrow('memoryLimit "0GB" is too small for DuckDB to run a query; give at least "64MB"');
    await expect(configureEngine({ memoryLimit: "1KB" })).rejects.toThrow("is too small");
    await expect(configureEngine({ spillDirectory: 42 as never })).rejects.toThrow("spillDirectory must be a folder path, got 42");
    await expect(configureEngine({ spillDirectory: "" })).rejects.toThrow('spillDirectory must be a folder path, got ""');
    const file = join(mkdtempSync(join(tmpdir(), "sluice-spill-")), "a-file");
    writeFileSync(file, "x");
    await expect(configureEngine({ spillDirectory: file })).rejects.toThrow("exists and is not a folder");
    await expect(configureEngine({ spillDirectory: join(file, "deeper", "spill") })).rejects.toThrow("its parent folder");
    expect(engineConfig()).toEqual(before);
    expect(await fromRecords([{ a: 1 }]).count()).toBe(1);
  });
});
