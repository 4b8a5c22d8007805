// Where the fragments of a partition-wise plan run: configureEngine({ cluster }) or the environment
// (SLUICE_CLUSTER, SLUICE_RAY_ADDRESS). Off by default: every query then runs in the driver's DuckDB.
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidArgumentError, checkOptionNames } from "../../plan/errors.js";

export interface ClusterConfig {
  /**
   * "local": fragments run as child processes of this one, each with its own single-thread DuckDB.
   * "HOST:PORT" (or "ray://HOST:PORT"): a Ray cluster's GCS address; fragments run as Ray tasks.
   */
  address: string;
  /** A partition-wise plan reading fewer bytes than this runs in the driver (default 64 MB). */
  minBytes?: number;
  /** At most this many fragments per query (default: 8 on a cluster, the number of cores locally). */
  maxFragments?: number;
  /** Folder for the fragments' Parquet parts, the same path on every node (default: $TMPDIR/sluice-scratch). */
  scratch?: string;
}

export const DEFAULT_MIN_BYTES = 64 * 1024 ** 2;

let configured: ClusterConfig | null | undefined; // undefined: not configured, read the environment; null: turned off

/** Checks and stores `next` (null turns fragments off, also against the environment). */
export function setClusterConfig(next: ClusterConfig | null | undefined): void {
  if (next === undefined) return;
  if (next !== null) checkClusterConfig(next);
  configured = next === null ? null : { ...next };
}

export function checkClusterConfig(c: ClusterConfig): void {
  checkOptionNames("configureEngine cluster", c, { address: true, minBytes: true, maxFragments: true, scratch: true } satisfies Record<keyof ClusterConfig, true>);
  if (typeof c.address !== "string" || !(c.address === "local" || /^(ray:\/\/)?[^\s:/]+:\d+$/.test(c.address)))
    throw new InvalidArgumentError(`configureEngine: cluster.address must be "local" or a Ray address like "127.0.0.2:6379", got ${JSON.stringify(c.address)}`);
  if (c.minBytes !== undefined && !(typeof c.minBytes === "number" && Number.isFinite(c.minBytes) && c.minBytes >= 0))
    throw new InvalidArgumentError(`configureEngine: cluster.minBytes must be a number of bytes (0 or more), got ${JSON.stringify(c.minBytes)}`);
  if (c.maxFragments !== undefined && !(Number.isInteger(c.maxFragments) && c.maxFragments >= 2 && c.maxFragments <= 1024))
    throw new InvalidArgumentError(`configureEngine: cluster.maxFragments must be a whole number from 2 to 1024, got ${JSON.stringify(c.maxFragments)}`);
  if (c.scratch !== undefined && (typeof c.scratch !== "string" || c.scratch.trim() === ""))
    throw new InvalidArgumentError(`configureEngine: cluster.scratch must be a folder path, got ${JSON.stringify(c.scratch)}`);
}

/** The configuration in force: configureEngine's, else the environment's, else undefined (fragments off). */
export function clusterConfig(): Required<ClusterConfig> | undefined {
  let c = configured;
  if (c === undefined) {
    const address = process.env.SLUICE_CLUSTER || process.env.SLUICE_RAY_ADDRESS;
    if (!address) return undefined;
    c = { address };
    const minBytes = process.env.SLUICE_CLUSTER_MIN_BYTES;
    if (minBytes) c.minBytes = Number(minBytes);
    try {
      checkClusterConfig(c);
    } catch (err) {
      const from = process.env.SLUICE_CLUSTER ? "SLUICE_CLUSTER" : "SLUICE_RAY_ADDRESS";
      throw new InvalidArgumentError(`from the environment (${from}, SLUICE_CLUSTER_MIN_BYTES): ${(err as Error).message}; fix or unset the variable`);
    }
  }
  if (c === null) return undefined;
  const local = c.address === "local";
  return {
    address: c.address.replace(/^ray:\/\//, ""),
    minBytes: c.minBytes ?? DEFAULT_MIN_BYTES,
    maxFragments: c.maxFragments ?? (local ? Math.max(2, availableParallelism()) : 8),
    scratch: resolve(c.scratch ?? process.env.SLUICE_SCRATCH ?? join(tmpdir(), "sluice-scratch")),
  };
}
