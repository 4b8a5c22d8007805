// The files under data/: each version's data file, its sidecar (the version's catalog record as JSON,
// so the catalog can be rebuilt from the files alone) and temporary files of writers in flight.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Sidecar of data/<key>/<version>.<format>: data/<key>/<version>.meta.json. */
export const SIDECAR_SUFFIX = ".meta.json";
/** Writers write under this prefix and rename when the file is whole. */
export const TEMP_PREFIX = ".tmp-";

export type DataFileKind = "data" | "sidecar" | "temp";

export function fileKind(name: string): DataFileKind {
  if (name.startsWith(TEMP_PREFIX)) return "temp";
  if (name.endsWith(SIDECAR_SUFFIX)) return "sidecar";
  return "data";
}

/** data/a/b/V.parquet → data/a/b/V.meta.json (both relative to the store root or both absolute). */
export function sidecarPath(dataPath: string): string {
  const dot = dataPath.lastIndexOf(".");
  const slash = Math.max(dataPath.lastIndexOf("/"), dataPath.lastIndexOf(sep));
  return (dot > slash ? dataPath.slice(0, dot) : dataPath) + SIDECAR_SUFFIX;
}

export interface StoreFile {
  /** Relative to the store root, with "/". */
  path: string;
  absolute: string;
  kind: DataFileKind;
}

/** Every file under data/ (depth first, sorted), or stops early when `visit` returns false. */
export function walkDataFiles(root: string, visit: (file: StoreFile) => boolean | void): void {
  const dataDir = join(root, "data");
  if (!existsSync(dataDir)) return;
  const walk = (dir: string): boolean => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!walk(absolute)) return false;
      } else if (visit({ path: relative(root, absolute).split(sep).join("/"), absolute, kind: fileKind(entry.name) }) === false) return false;
    }
    return true;
  };
  walk(dataDir);
}

/** How many data files (not sidecars or temp files) the store holds, counting up to `stopAt`. */
export function countDataFiles(root: string, stopAt = Infinity): number {
  let n = 0;
  walkDataFiles(root, (f) => {
    if (f.kind === "data") n += 1;
    return n < stopAt;
  });
  return n;
}

/** Writes a small file whole or not at all: temporary name, fsync, rename (the caller fsyncs the folder). */
export function writeFileAtomic(path: string, text: string): void {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf(sep));
  const temp = path.slice(0, slash + 1) + TEMP_PREFIX + path.slice(slash + 1);
  try {
    writeFileSync(temp, text);
    const fd = openSync(temp, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
