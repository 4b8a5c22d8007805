// Sensors: a pipeline runs when something new appears. A file sensor fires once per new file under a
// folder; an asset sensor fires once per new materialization of an asset (made by another pipeline,
// a notebook or a person). Each returns the run requests for what it has not seen, and its new cursor.
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { normalizeAssetKey, type AssetStore, type Materialization } from "../store/index.js";
import { PipelineUsageError } from "../pipeline/errors.js";

export interface SensorRequest {
  /** Unique per thing sensed (a file's path, a version): a request key fires at most once, ever. */
  key: string;
  partition: string | undefined;
  /** What fired, for `sluice daemon status`. */
  reason: string;
}

export interface SensorEvaluation {
  requests: SensorRequest[];
  cursor: string;
  /** Why nothing fired, for `sluice daemon status`. */
  note?: string;
}

export interface SensorContext {
  store: AssetStore;
  /** The folder relative sensor paths start from (the pipeline file's folder). */
  baseDir: string;
}

export interface SensedFile {
  /** Relative to the sensor's path. */
  name: string;
  path: string;
  mtimeMs: number;
  size: number;
}

export interface SensorDef {
  readonly kind: "sensor";
  readonly name: string;
  /** What `sluice daemon status` shows of it. */
  readonly describe: string;
  evaluate(cursor: string | undefined, ctx: SensorContext): SensorEvaluation;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const checkName = (what: string, name: unknown) => {
  if (typeof name !== "string" || !NAME.test(name)) throw new PipelineUsageError(`${what} name ${JSON.stringify(name)}: use letters, digits and _ . - only.`);
};

export interface FileSensorOptions {
  name: string;
  /** The folder to watch (relative: to the pipeline file's folder), or a function of the store's folder; files in sub-folders count too. */
  path: string | ((where: { storeRoot: string }) => string);
  /** Only file names (relative to `path`) that match. */
  pattern?: RegExp;
  /** The partition a new file's run is for (undefined: an unpartitioned run). */
  partition?: (file: SensedFile) => string | undefined;
}

/** Fires once per new file under a folder (a file is new when its path was not seen before). */
export function fileSensor(options: FileSensorOptions): SensorDef {
  checkName("fileSensor", options?.name);
  if ((typeof options.path !== "string" && typeof options.path !== "function") || options.path === "") {
    throw new PipelineUsageError(`fileSensor ${options.name}: path must be the folder to watch (or a function ({ storeRoot }) => folder).`);
  }
  return {
    kind: "sensor",
    name: options.name,
    describe: `new files in ${typeof options.path === "string" ? options.path : "a folder of the store"}${options.pattern ? ` matching ${options.pattern}` : ""}`,
    evaluate(cursor, ctx) {
      const root = resolve(ctx.baseDir, typeof options.path === "string" ? options.path : options.path({ storeRoot: ctx.store.root }));
      const seen = new Set<string>(cursor ? (JSON.parse(cursor) as { files: string[] }).files : []);
      let files: SensedFile[];
      try {
        files = listFiles(root);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOENT") return { requests: [], cursor: cursor ?? JSON.stringify({ files: [] }), note: `folder ${root} does not exist (yet)` };
        throw error;
      }
      const fresh = files.filter((f) => !seen.has(f.name) && (!options.pattern || options.pattern.test(f.name))).sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
      for (const f of fresh) seen.add(f.name);
      return {
        requests: fresh.map((f) => ({ key: `file:${f.name}`, partition: options.partition?.(f), reason: `new file ${f.name}` })),
        cursor: JSON.stringify({ files: [...seen].sort() }),
        note: fresh.length ? undefined : `no new files in ${root}`,
      };
    },
  };
}

function listFiles(root: string): SensedFile[] {
  const out: SensedFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith(".")) continue; // dot files: editors' and writers' temporaries
    const path = join(entry.parentPath, entry.name);
    const st = statSync(path);
    out.push({ name: relative(root, path), path, mtimeMs: st.mtimeMs, size: st.size });
  }
  return out;
}

export interface AssetSensorOptions {
  name: string;
  /** The upstream asset whose new materializations start a run. */
  asset: string;
  /** The partition of the run (default: the materialization's partition). */
  partition?: (m: Materialization) => string | undefined;
}

/** Fires once per new materialization of an asset (the first evaluation only remembers the latest one). */
export function assetSensor(options: AssetSensorOptions): SensorDef {
  checkName("assetSensor", options?.name);
  const key = normalizeAssetKey(options.asset);
  return {
    kind: "sensor",
    name: options.name,
    describe: `new materializations of ${key}`,
    evaluate(cursor, ctx) {
      const last = cursor ? (JSON.parse(cursor) as { id: number }).id : undefined;
      const history = ctx.store.history(key, { limit: 1000 });
      const newest = history.reduce((max, m) => Math.max(max, m.id ?? 0), last ?? 0);
      if (last === undefined) return { requests: [], cursor: JSON.stringify({ id: newest }), note: `started watching ${key} (latest id ${newest})` };
      const fresh = history.filter((m) => (m.id ?? 0) > last).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
      return {
        requests: fresh.map((m) => ({ key: `version:${m.version}`, partition: options.partition ? options.partition(m) : m.partition, reason: `new materialization ${m.version} of ${key}${m.partition ? ` (${m.partition})` : ""}` })),
        cursor: JSON.stringify({ id: newest }),
        note: fresh.length ? undefined : `no new materialization of ${key}`,
      };
    },
  };
}
