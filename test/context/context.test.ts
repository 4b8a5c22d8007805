import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ContextError, context, createContext } from "../../src/context/index.js";
import { AssetStore } from "../../src/store/index.js";
import { fromRecords } from "../../src/frame/index.js";
import { formatBytes } from "../../src/progress/format.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sluice-ctx-"));
  process.env.SLUICE_STORE = join(root, "store");
  delete process.env.SLUICE_CONTEXT;
});
afterEach(() => {
  delete process.env.SLUICE_STORE;
  delete process.env.SLUICE_CONTEXT;
  rmSync(root, { recursive: true, force: true });
});

describe("notebook context", () => {
  it("outside a run is a development context on the default store", async () => {
    expect(context.inPipeline).toBe(false);
    const y = await context.yieldAsset("dev/out", fromRecords([{ a: 1 }, { a: 2 }]), { metadata: { note: "from dev" } });
    expect(y.materialization!.rowCount).toBe(2);
    // Shown in a notebook as one line (it was a 25-line object), its fields kept for code.
    const shown = (y as unknown as Record<symbol, () => Record<string, unknown>>)[Symbol.for("Jupyter.display")]();
    expect(shown).toEqual({ "text/plain": `<Materialization dev/out · 2 rows · ${formatBytes(y.byteSize!)} · version ${y.version}>` });
    expect(inspect(y)).toBe(shown["text/plain"]);
    expect(y.path).toBe(join(root, "store", y.materialization!.path));
    const frame = await context.input("dev/out");
    expect((await frame.collect()).numRows).toBe(2);
    const store = new AssetStore(join(root, "store"));
    expect(store.latest("dev/out")!.metadata).toEqual({ note: { type: "text", value: "from dev" } });
    expect(store.latest("dev/out")!.runId).toMatch(/^dev-/);
    store.close();
  });

  it("in a run reads SLUICE_CONTEXT and refuses undeclared inputs and outputs", async () => {
    process.env.SLUICE_CONTEXT = JSON.stringify({ params: { k: 2 }, runId: "r1", partitionKey: "2024-01-01", store: join(root, "store"), op: "enrich", inputs: {}, outputs: ["a/out"] });
    expect(context.inPipeline).toBe(true);
    expect(context.params).toEqual({ k: 2 });
    expect(context.runId).toBe("r1");
    expect(context.partitionKey).toBe("2024-01-01");
    await expect(context.input("raw/x")).rejects.toThrow(/op enrich has no input raw\/x; its inputs are none/);
    await expect(context.yieldAsset("b/out", [{ x: 1 }])).rejects.toThrow(/op enrich does not declare that output; its outputs are a\/out/);
    await expect(context.yieldAsset("../x", [{ x: 1 }])).rejects.toThrow(/escape the store/);
    // Without the kernel there is no IOPub to report over: a clear error, not a silent loss.
    await expect(context.yieldAsset("a/out", [{ x: 1 }])).rejects.toBeInstanceOf(ContextError);
    expect(() => createContext("{not json")).toThrow(/SLUICE_CONTEXT is not valid JSON/);
  });
});
