// Kernelspecs for Jupyter: `sluice kernel install | list | uninstall`. The data directories are the
// ones `jupyter kernelspec install` uses (src/jupyter/paths.ts), so Jupyter and `sluice run` find
// the kernel without extra configuration.
import { mkdirSync, writeFileSync, readdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { installDataDir, jupyterPath, JupyterPathError, type InstallLocation } from "../src/jupyter/paths.js";

export const DEFAULT_NAME = "sluice";
export const DISPLAY_NAME = "TypeScript (Sluice)";
const kernelEntry = resolve(dirname(fileURLToPath(import.meta.url)), "main.js"); // dist/kernel/main.js

export class KernelspecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelspecError";
  }
}

export type Location = InstallLocation;

/** The Jupyter data directory a location flag stands for (as `jupyter kernelspec install` picks it). */
export function dataDir(location: Location): string {
  try {
    return installDataDir(location);
  } catch (error) {
    if (error instanceof JupyterPathError) throw new KernelspecError(error.message);
    throw error;
  }
}

export function kernelJson(): Record<string, unknown> {
  return {
    argv: [process.execPath, kernelEntry, "{connection_file}"],
    display_name: DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "message",
    env: {},
    metadata: { sluice: { entry: kernelEntry }, debugger: false },
  };
}

export function install(options: Location & { name?: string }): string {
  const name = options.name ?? DEFAULT_NAME;
  if (!/^[a-z0-9._-]+$/i.test(name)) throw new KernelspecError(`kernel name "${name}" may only hold letters, digits, ".", "_" and "-"`);
  if (!existsSync(kernelEntry)) throw new KernelspecError(`kernel entry ${kernelEntry} does not exist; run \`npm run build\` first`);
  const dir = join(dataDir(options), "kernels", name);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kernel.json"), JSON.stringify(kernelJson(), null, 2) + "\n");
    writeFileSync(join(dir, "logo-32x32.png"), logo(32));
    writeFileSync(join(dir, "logo-64x64.png"), logo(64));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new KernelspecError(`no permission to write ${dir}; use --user or --prefix DIR`);
    throw error;
  }
  return dir;
}

export interface InstalledKernel {
  name: string;
  dir: string;
  entry?: string;
}

export function list(): InstalledKernel[] {
  const out: InstalledKernel[] = [];
  const seen = new Set<string>();
  for (const base of jupyterPath()) {
    const kernels = join(base, "kernels");
    if (!existsSync(kernels)) continue;
    for (const name of readdirSync(kernels)) {
      const file = join(kernels, name, "kernel.json");
      if (seen.has(name) || !existsSync(file)) continue;
      try {
        const spec = JSON.parse(readFileSync(file, "utf8"));
        if (!spec.metadata?.sluice) continue;
        seen.add(name);
        out.push({ name, dir: join(kernels, name), entry: spec.metadata.sluice.entry });
      } catch {
        // not a readable kernelspec: not ours to list
      }
    }
  }
  return out;
}

export function uninstall(name: string): string[] {
  const removed: string[] = [];
  for (const base of jupyterPath()) {
    const dir = join(base, "kernels", name);
    const file = join(dir, "kernel.json");
    if (!existsSync(file)) continue;
    const spec = JSON.parse(readFileSync(file, "utf8"));
    if (!spec.metadata?.sluice) throw new KernelspecError(`${dir} is not a Sluice kernel; remove it with \`jupyter kernelspec remove ${name}\``);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  if (removed.length === 0) {
    const known = list().map((k) => k.name);
    throw new KernelspecError(`no Sluice kernel named "${name}" is installed${known.length ? `; installed: ${known.join(", ")}` : ""}`);
  }
  return removed;
}

// --- logo: a teal square with a white sluice gate, drawn into an RGBA PNG -------------------------
function logo(size: number): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const u = x / size;
      const v = y / size;
      const gate = u > 0.3 && u < 0.7 && v > 0.18 && v < 0.55;
      const water = v > 0.62 && Math.sin(u * 12 + v * 30) > -0.2;
      const [r, g, b] = gate ? [255, 255, 255] : water ? [160, 230, 235] : [0, 128, 140];
      const at = y * (size * 4 + 1) + 1 + x * 4;
      raw[at] = r;
      raw[at + 1] = g;
      raw[at + 2] = b;
      raw[at + 3] = 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
