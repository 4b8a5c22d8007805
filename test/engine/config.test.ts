import { mkdtempSync } from "node:fs";
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

  it("rejects bad settings with the reason", async () => {
    await expect(configureEngine({ threads: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(configureEngine({ memoryLimit: "lots" })).rejects.toThrow('memoryLimit must look like "512MB" or "4GB"');
  });
});
