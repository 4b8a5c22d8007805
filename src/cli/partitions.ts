// `sluice partitions add|ls|rm`: the keys of dynamic partition sets, kept in the store's catalog and read
// by the next run of a pipeline whose ops use dynamicPartitions(SET) (see docs/pipelines.md).
import type { Command } from "commander";
import { fail } from "./errors.js";

const KEY = /^[A-Za-z0-9_.=-]+$/;

async function withState<T>(storeDir: string | undefined, readOnly: boolean, body: (state: import("../pipeline/state.js").PipelineState) => T): Promise<T> {
  const { AssetStore } = await import("../store/index.js");
  const { PipelineState } = await import("../pipeline/state.js");
  const store = new AssetStore(storeDir, { readOnly });
  try {
    const state = new PipelineState(store);
    try {
      return body(state);
    } finally {
      state.close();
    }
  } finally {
    store.close();
  }
}

async function checkKeys(set: string, keys: string[]): Promise<void> {
  const { PipelineUsageError } = await import("../pipeline/errors.js");
  for (const k of [set, ...keys]) {
    if (!KEY.test(k)) throw new PipelineUsageError(`${k === set ? "set name" : "partition key"} ${JSON.stringify(k)}: use letters, digits and _ . = - only.`);
  }
}

export function register(program: Command): void {
  const cmd = program.command("partitions").summary("add, list and remove the keys of dynamic partition sets");
  cmd
    .command("add")
    .description("Add keys to a dynamic partition set (created on first use); keys already in it are left as they are.")
    .argument("<set>", "the set's name, as in dynamicPartitions(SET)")
    .argument("<keys...>", "partition keys")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .action(async (set: string, keys: string[], flags: { store?: string }) => {
      try {
        await checkKeys(set, keys);
        const added = await withState(flags.store, false, (state) => state.run("addPartitions", set, keys, Date.now(), "cli"));
        process.stdout.write(`${set}: added ${added} key(s)${added < keys.length ? `, ${keys.length - added} already there` : ""}\n`);
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
  cmd
    .command("ls")
    .description("List the dynamic partition sets, or the keys of one set.")
    .argument("[set]", "a set's name")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .option("--json", "as JSON")
    .action(async (set: string | undefined, flags: { store?: string; json?: boolean }) => {
      try {
        if (set !== undefined) {
          const keys = await withState(flags.store, true, (state) => state.run("partitionKeys", set));
          process.stdout.write(flags.json ? JSON.stringify(keys) + "\n" : keys.map((k) => `${k}\n`).join("") || `no keys in set ${set}; add some with \`sluice partitions add ${set} KEY…\`\n`);
          return;
        }
        const sets = await withState(flags.store, true, (state) => state.run("partitionSets"));
        if (flags.json) return void process.stdout.write(JSON.stringify(sets.map((s) => ({ set: s.set_name, keys: Number(s.keys), lastAddedAt: Number(s.last_added_at) })), null, 1) + "\n");
        process.stdout.write(sets.map((s) => `${s.set_name}  ${s.keys} key(s)  last added ${new Date(Number(s.last_added_at)).toISOString()}\n`).join("") || "no dynamic partition sets in this store\n");
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
  cmd
    .command("rm")
    .description("Remove keys from a dynamic partition set (their materializations stay in the store).")
    .argument("<set>", "the set's name")
    .argument("<keys...>", "partition keys")
    .option("--store <dir>", "asset store (default: $SLUICE_STORE or ./.sluice)")
    .action(async (set: string, keys: string[], flags: { store?: string }) => {
      try {
        await checkKeys(set, keys);
        const { PipelineUsageError } = await import("../pipeline/errors.js");
        const removed = await withState(flags.store, false, (state) => {
          const present = new Set(state.run("partitionKeys", set));
          const missing = keys.filter((k) => !present.has(k));
          if (missing.length) throw new PipelineUsageError(`set ${set} has no key ${missing.join(", ")}; nothing removed. \`sluice partitions ls ${set}\` lists its keys.`);
          return state.run("removePartitions", set, keys);
        });
        process.stdout.write(`${set}: removed ${removed} key(s)\n`);
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}
