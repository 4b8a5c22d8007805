// The pipeline features' own catalog tables: dynamic partition sets, asset check results, and the
// daemon's schedule/sensor ticks and cursors. Their schema and queries live with the catalog's
// (src/store/statequeries.ts), so they run in the store's catalog on either backend, SQLite or PostgreSQL,
// each operation as one transaction (docs/catalog.md).
import type { AssetStore } from "../store/index.js";
import type { Query } from "../store/queries.js";
import { stateQueries, type StateQueries, type StateQueryName } from "../store/statequeries.js";
import { PipelineUsageError } from "./errors.js";

export { STATE_SCHEMA, stateQueries } from "../store/statequeries.js";
export type { CheckResultRow, CursorRow, StateQueryName, TickRow, TickStatus } from "../store/statequeries.js";

/** The state tables of one store, in its catalog. close() is kept for callers; the store owns the connection. */
export class PipelineState {
  constructor(readonly store: AssetStore) {}

  run<K extends StateQueryName>(name: K, ...args: Parameters<StateQueries[K]["run"]>): ReturnType<StateQueries[K]["run"]> extends Query<infer R> ? R : never {
    type R = ReturnType<StateQueries[K]["run"]> extends Query<infer X> ? X : never;
    const query = stateQueries[name];
    if (query.write && this.store.readOnly) throw new PipelineUsageError(`cannot change ${this.store.root}: the store is ${this.store.readOnly}.`);
    try {
      return this.store.runStateQuery(name, ...args) as R;
    } catch (error) {
      // A read-only look at a catalog written before these tables existed (SQLite, or PostgreSQL before migration 3): nothing recorded yet.
      if (!query.write && /no such table|SQLSTATE 42P01/.test((error as Error).message)) return emptyResult(name) as R;
      throw error;
    }
  }

  close(): void {}
}

function emptyResult(name: StateQueryName): unknown {
  return name === "cursor" ? undefined : [];
}

/** The keys of a dynamic partition set (empty when the set has none yet). */
export function dynamicPartitionKeys(store: AssetStore, set: string): string[] {
  const state = new PipelineState(store);
  try {
    return state.run("partitionKeys", set);
  } finally {
    state.close();
  }
}
