// A store under bad input and damage: a catalog that is missing, empty or corrupt while data files exist,
// `sluice store verify|rebuild`, gc that keeps what the catalog cannot account for, bad numeric flags,
// a store path that is a file, and read-only stores (a read-only open, and a real one as user nobody).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AssetStore,
  CatalogCorruptError,
  CatalogMissingError,
  InvalidStoreArgumentError,
  StoreLocationError,
  StoreReadOnlyError,
  rebuildCatalog,
  verifyStore,
  type Materialization,
} from "../../src/store/index.js";

import { canRunUnprivileged, unprivileged } from "../helpers/unprivileged.js";

const repo = resolve(import.meta.dirname, "..", "..");
const bin = join(repo, "bin", "sluice.js");
let dir: string;
let root: string;

function sluice(args: string[], options: { asNobody?: boolean } = {}) {
  const [command, argv] = options.asNobody ? unprivileged(process.execPath, [bin, ...args]) : [process.execPath, [bin, ...args]];
  const r = spawnSync(command, argv, { cwd: dir, env: { ...process.env, SLUICE_STORE: root, SLUICE_DEBUG: "" }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under data/ (relative), to show nothing was deleted. */
function dataFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : out.push(join(d, e.name).slice(root.length + 1));
  };
  walk(join(root, "data"));
  return out.sort();
}

/** A store with history, partitions, lineage, metadata, a notebook (ipynb) version and a recorded run. */
async function populate(): Promise<void> {
  const store = new AssetStore(root);
  try {
    for (let v = 1; v <= 3; v++) await store.materialize("raw/events", [{ v, text: `row ${v}` }], { runId: "run-1", op: "ingest", codeVersion: "c1", metadata: { v, source: "test" } });
    const raw = store.latest("raw/events")!;
    for (const day of ["2024-01-01", "2024-01-02"]) {
      await store.materialize("clean/events", [{ day, n: 1 }], {
        partition: day, runId: "run-1", op: "clean", params: { threshold: 3 }, codeVersion: "c2", dataVersion: `dv-${day}`,
        inputs: [{ key: raw.key, version: raw.version, dataVersion: raw.dataVersion }],
      });
    }
    const nb = await store.writeFile("report/notebook", { ipynb: JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }) });
    await store.commit(nb, { runId: "run-1", op: "report", metadata: { status: "succeeded" } });
    store.startRun({ runId: "run-1", pipeline: "demo", args: { partitions: [] } });
    store.endRun("run-1", "succeeded");
  } finally {
    store.close();
  }
}

/** What a rebuild must reproduce: every version with its key, partition, lineage and metadata; the asset list; the graph. */
function snapshot(store: AssetStore) {
  const strip = ({ id: _id, ...m }: Materialization) => m;
  return {
    versions: store.versions().map(strip),
    assets: store.list().map((a) => ({ key: a.key, materializations: a.materializations, partitions: a.partitions, latest: a.latest.version })),
    partitions: store.partitions("clean/events"),
    lineage: store.lineage("clean/events"),
    usedBy: store.usedBy(store.latest("raw/events")!.version).map((m) => m.version),
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sluice-recovery-"));
  root = join(dir, "store");
});
afterEach(() => {
  spawnSync("chmod", ["-R", "u+w", dir]);
  rmSync(dir, { recursive: true, force: true });
});

describe("a lost or damaged catalog is refused, never re-created over the data", () => {
  it("catalog truncated to 0 bytes: every command refuses (naming `sluice store rebuild`), gc deletes nothing", async () => {
    await populate();
    const before = dataFiles();
    truncateSync(join(root, "catalog.sqlite"), 0);
    for (const suffix of ["-wal", "-shm"]) rmSync(join(root, `catalog.sqlite${suffix}`), { force: true });
    expect(() => new AssetStore(root)).toThrow(CatalogMissingError);
    for (const args of [["assets", "gc"], ["assets", "gc", "--include-orphans"], ["pipeline", "runs"]]) {
      const r = sluice(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toContain("is empty (0 bytes) but data/ holds 6 asset file(s)");
      expect(r.stderr).toContain(`sluice store rebuild --store ${root}`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // one paragraph, no stack
    }
    expect(dataFiles()).toEqual(before);
    expect(statSync(join(root, "catalog.sqlite")).size).toBe(0);
  });

  it("catalog deleted: refused; `sluice store rebuild` recreates the same assets, versions, partitions, lineage and metadata", async () => {
    await populate();
    const store = new AssetStore(root);
    const expected = snapshot(store);
    store.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(root, `catalog.sqlite${suffix}`), { force: true });
    expect(() => new AssetStore(root)).toThrow(/catalog .* is missing but data\/ holds 6 asset file\(s\)/);

    const verify = sluice(["store", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain("is missing");

    const rebuilt = sluice(["store", "rebuild"]);
    expect(rebuilt.stderr).toBe("");
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toContain("3 asset(s), 6 version(s)");
    const again = new AssetStore(root);
    try {
      expect(snapshot(again)).toEqual(expected);
      expect(await again.readRows("clean/events", { partition: "2024-01-02" })).toEqual([{ day: "2024-01-02", n: 1 }]);
    } finally {
      again.close();
    }
    expect(sluice(["store", "verify"])).toMatchObject({ code: 0 });
    // A healthy catalog is not rebuilt by accident.
    const healthy = sluice(["store", "rebuild"]);
    expect(healthy.code).toBe(1);
    expect(healthy.stderr).toContain("is healthy; nothing to rebuild");
  });

  it("corrupt catalog: a typed error naming the fix; rebuild moves it aside (never deletes it) and recovers everything", async () => {
    await populate();
    const store = new AssetStore(root);
    const expected = snapshot(store);
    store.close();
    const catalog = join(root, "catalog.sqlite");
    // Damage the pages after the header: SQLite still opens the file but its tables are garbage.
    const image = readFileSync(catalog);
    image.fill(0xff, 4096);
    writeFileSync(catalog, image);
    expect(() => {
      const s = new AssetStore(root);
      try {
        s.list();
      } finally {
        s.close();
      }
    }).toThrow(/malformed|corrupt/);
    const ls = sluice(["assets", "ls"]);
    expect(ls.code).toBe(1);
    expect(ls.stderr).toContain(`the catalog ${catalog} is corrupt (database disk image is malformed)`);
    expect(ls.stderr).toContain("sluice store rebuild");
    const verify = sluice(["store", "verify", "--json"]);
    expect(verify.code).toBe(1);
    expect(JSON.parse(verify.stdout).problems[0]).toMatchObject({ kind: "catalog" });

    const result = await rebuildCatalog(root);
    expect(result.movedAside[0]).toMatch(/catalog\.broken-\d{8}T\d{6}\.sqlite$/);
    expect(readFileSync(result.movedAside[0]!)).toEqual(image);
    expect(result.skipped).toEqual([]);
    expect(result.withoutSidecar).toEqual([]);
    const again = new AssetStore(root);
    try {
      expect(snapshot(again)).toEqual(expected);
    } finally {
      again.close();
    }

    // Not a database at all (overwritten from the start): refused as corrupt by every opener.
    writeFileSync(catalog, Buffer.alloc(8192, 0x41));
    expect(() => new AssetStore(root)).toThrow(CatalogCorruptError);
    expect(() => new AssetStore(root, { readOnly: true })).toThrow(/file is not a database\).*sluice store rebuild/);
    expect(sluice(["pipeline", "runs"]).stderr).toContain("is corrupt (file is not a database)");
  });

  it("rebuild copies the run history from an old catalog that can still be read, and recovers files without a (whole) sidecar", async () => {
    await populate();
    const store = new AssetStore(root);
    const [lone, cut] = store.history("raw/events");
    store.close();
    unlinkSync(join(root, lone!.path.replace(/\.parquet$/, ".meta.json")));
    truncateSync(join(root, cut!.path.replace(/\.parquet$/, ".meta.json")), 0); // as a machine crash might leave it
    const result = await rebuildCatalog(root, { force: true });
    expect(result.runsCopied).toBe(1);
    expect(result.skipped).toEqual([]);
    expect(result.withoutSidecar.sort()).toEqual(
      [lone!.path, `${cut!.path} (its sidecar is not valid JSON (Unexpected end of JSON input))`].sort(),
    );
    const again = new AssetStore(root);
    try {
      expect(again.run("run-1")).toMatchObject({ pipeline: "demo", status: "succeeded" });
      expect(again.version(lone!.version)).toMatchObject({ key: "raw/events", rowCount: 1, metadata: {}, inputs: [] });
      expect(again.history("raw/events")).toHaveLength(3);
    } finally {
      again.close();
    }
  });
});

describe("sluice store verify", () => {
  it("lists missing, damaged and orphan files and exits 1; exits 0 on a sound store", async () => {
    await populate();
    expect(sluice(["store", "verify"])).toMatchObject({ code: 0, stdout: expect.stringContaining("6 version(s) in the catalog, 6 data file(s)\nok") });
    const store = new AssetStore(root);
    const [a, b] = store.history("raw/events");
    store.close();
    rmSync(join(root, a!.path));
    truncateSync(join(root, b!.path), 10);
    writeFileSync(join(root, "data", "raw", "events", "stray.parquet"), "no catalog row");
    const r = sluice(["store", "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`missing-file  ${a!.path}`);
    expect(r.stdout).toContain(`damaged-file  ${b!.path}`);
    expect(r.stdout).toContain("orphan-file  data/raw/events/stray.parquet");
    expect(r.stdout).toContain("3 problem(s).");
  });

  it("--write-sidecars gives versions from before sidecars theirs, so a rebuild recovers their partition and lineage", async () => {
    await populate();
    const store = new AssetStore(root);
    const clean = store.latest("clean/events", { partition: "2024-01-02" })!;
    store.close();
    const sidecar = join(root, clean.path.replace(/\.parquet$/, ".meta.json"));
    unlinkSync(sidecar);
    const noted = sluice(["store", "verify"]);
    expect(noted.code).toBe(0);
    expect(noted.stdout).toContain("note: 1 version(s) have no .meta.json sidecar");
    const fixed = sluice(["store", "verify", "--write-sidecars"]);
    expect(fixed).toMatchObject({ code: 0, stderr: "wrote 1 sidecar(s)\n" });
    expect(fixed.stdout).not.toContain("note:");
    const result = await rebuildCatalog(root, { force: true });
    expect(result.withoutSidecar).toEqual([]);
    const again = new AssetStore(root);
    try {
      expect(again.version(clean.version)).toMatchObject({ partition: "2024-01-02", inputs: clean.inputs, params: { threshold: 3 } });
    } finally {
      again.close();
    }
  });
});

describe("gc and history arguments", () => {
  it("--keep-last -1 / abc and --limit abc are refused naming the flag; nothing is deleted", async () => {
    await populate();
    const before = dataFiles();
    for (const [args, flag] of [
      [["assets", "gc", "--keep-last", "-1"], "--keep-last"],
      [["assets", "gc", "--keep-last", "abc"], "--keep-last"],
      [["assets", "gc", "--keep-last", "0"], "--keep-last"],
      [["assets", "history", "raw/events", "--limit", "abc"], "--limit"],
    ] as const) {
      const r = sluice([...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`option '${flag} <n>' argument '${args.at(-1)}' is invalid`);
      expect(r.stderr).not.toContain("SqliteError");
    }
    expect(dataFiles()).toEqual(before);
    const store = new AssetStore(root);
    try {
      expect(() => store.gc({ keepLast: -1 })).toThrow(InvalidStoreArgumentError);
      expect(() => store.gc({ keepLast: Number("abc") })).toThrow(/gc keepLast \(--keep-last\) must be a whole number ≥ 1, got NaN/);
      expect(() => store.history("raw/events", { limit: Number("abc") })).toThrow(/history limit must be a whole number ≥ 0/);
      expect(() => store.runs({ limit: 1.5 })).toThrow(InvalidStoreArgumentError);
      expect(store.history("raw/events", { limit: 2 })).toHaveLength(2);
    } finally {
      store.close();
    }
    expect(dataFiles()).toEqual(before);
  });
});

describe("store location", () => {
  it("SLUICE_STORE or --store naming a file: a clear error from every command, not ENOTDIR", () => {
    const file = join(dir, "not-a-folder");
    writeFileSync(file, "x");
    expect(() => new AssetStore(file)).toThrow(StoreLocationError);
    root = file;
    for (const args of [["assets", "ls"], ["pipeline", "runs"], ["store", "verify"]]) {
      const r = sluice(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`store ${file}: `);
      expect(r.stderr).toMatch(/is a file, not a folder/);
      expect(r.stderr).not.toContain("ENOTDIR");
    }
  });
});

describe("read-only stores", () => {
  it("a read-only open writes nothing (no WAL switch, no schema setup) and refuses writes saying why", async () => {
    await populate();
    const catalog = join(root, "catalog.sqlite");
    const db = new Database(catalog);
    db.pragma("journal_mode = DELETE"); // as another tool might leave it: a read-only open must not switch it back
    db.close();
    const bytes = readFileSync(catalog);
    const store = new AssetStore(root, { readOnly: true });
    try {
      expect(store.list().map((a) => a.key)).toEqual(["clean/events", "raw/events", "report/notebook"]);
      expect(store.runs()[0]).toMatchObject({ runId: "run-1", status: "succeeded" });
      await expect(store.materialize("raw/events", [{ v: 4 }])).rejects.toThrow(StoreReadOnlyError);
      expect(() => store.gc()).toThrow(/store .* is read-only \(opened read-only\): cannot delete old versions/);
      expect(() => store.startRun({ runId: "x", pipeline: "p" })).toThrow(StoreReadOnlyError);
    } finally {
      store.close();
    }
    expect(readFileSync(catalog)).toEqual(bytes);
    expect(existsSync(`${catalog}-wal`)).toBe(false);
    // An empty folder opened read-only is an empty store and stays empty on disk.
    const empty = join(dir, "empty");
    const none = new AssetStore(empty, { readOnly: true });
    expect(none.list()).toEqual([]);
    none.close();
    expect(existsSync(empty)).toBe(false);
  });

  it("as a user who cannot write the store (chmod -R a-w): ls, show, history, runs and verify work; gc is refused", async () => {
    if (!canRunUnprivileged()) return void console.warn("setpriv to nobody is not available: the non-root read-only check is skipped");
    await populate();
    chmodSync(dir, 0o755);
    spawnSync("chmod", ["-R", "a-w,a+rX", root]);
    const files = dataFiles();
    const out: Record<string, string> = {};
    for (const args of [["assets", "ls"], ["assets", "show", "raw/events"], ["assets", "history", "raw/events"], ["pipeline", "runs"], ["store", "verify"]]) {
      const r = sluice(args, { asNobody: true });
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.code, args.join(" ")).toBe(0);
      out[args.slice(0, 2).join(" ")] = r.stdout;
    }
    expect(out["assets ls"]).toMatch(/raw\/events\s+3\s+1/);
    expect(out["assets history"]!.trim().split("\n")).toHaveLength(4);
    expect(out["pipeline runs"]).toContain("run-1  demo  succeeded");
    const gc = sluice(["assets", "gc", "--keep-last", "1"], { asNobody: true });
    expect(gc.code).toBe(1);
    expect(gc.stderr).toContain(`store ${root} is read-only (its folder is not writable): cannot delete old versions (gc)`);
    expect(dataFiles()).toEqual(files);
  });

  it("as user nobody, a read-only store whose newest commits are still in its -wal file shows them", async () => {
    if (!canRunUnprivileged()) return void console.warn("setpriv to nobody is not available: the non-root read-only check is skipped");
    await populate();
    // Copy the store while a writer holds commits in the WAL (no checkpoint): as a machine stopped mid-work leaves it.
    const db = new Database(join(root, "catalog.sqlite"));
    db.pragma("wal_autocheckpoint = 0");
    db.prepare(`UPDATE runs SET pipeline = 'only-in-the-wal'`).run();
    const copy = join(dir, "copy");
    spawnSync("cp", ["-a", root, copy]);
    db.close();
    expect(statSync(join(copy, "catalog.sqlite-wal")).size).toBeGreaterThan(0);
    rmSync(join(copy, "catalog.sqlite-shm"), { force: true });
    chmodSync(dir, 0o755);
    spawnSync("chmod", ["-R", "a-w,a+rX", copy]);
    root = copy;
    const r = sluice(["pipeline", "runs"], { asNobody: true });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("run-1  only-in-the-wal  succeeded");

  });
});
