// `sluice lab install` puts the prebuilt JupyterLab extension and the kernelspec where JupyterLab
// finds them (a copy into <data dir>/labextensions/<name>/ needs no Python package);
// `sluice lab` starts JupyterLab with both, without touching the user's Jupyter directories.
import type { Command } from "commander";
import { spawn } from "node:child_process";
import { accessSync, constants, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { createInterface } from "node:readline";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { dataDir, install as installKernel, type Location } from "../../kernel/kernelspec.js";

/** The build output of extension/ (dist/src/cli/lab.js → <repo>/extension/sluice/labextension). */
export const EXTENSION_BUILD = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "extension", "sluice", "labextension");

export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabError";
  }
}

export interface LabInstallResult {
  extensionDir: string;
  kernelDir: string;
}

function extensionName(buildDir: string): string {
  const manifest = join(buildDir, "package.json");
  if (!existsSync(manifest) || !existsSync(join(buildDir, "static"))) {
    throw new LabError(`the JupyterLab extension is not built (no ${manifest}); run \`npm run build:extension\` in the Sluice repository first`);
  }
  const name = (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name;
  if (typeof name !== "string" || !/^(@[a-z0-9._-]+\/)?[a-z0-9._-]+$/i.test(name)) throw new LabError(`${manifest} has no valid package name`);
  return name;
}

/** Copies the built extension into <data dir>/labextensions/<name>/, replacing an older copy whole. */
export function installExtension(location: Location, buildDir = EXTENSION_BUILD): string {
  const name = extensionName(buildDir);
  const target = join(dataDir(location), "labextensions", ...name.split("/"));
  const staging = `${target}.installing-${process.pid}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    rmSync(staging, { recursive: true, force: true });
    cpSync(buildDir, staging, { recursive: true });
    // JupyterLab never sees a half-copied extension: the new copy appears in one rename.
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new LabError(`no permission to write ${target}; use --user or --prefix DIR`);
    throw error;
  }
  return target;
}

export function labInstall(options: Location & { name?: string }): LabInstallResult {
  const location: Location = { user: options.user, sysPrefix: options.sysPrefix, prefix: options.prefix };
  dataDir(location); // rejects conflicting flags before anything is written
  const extensionDir = installExtension(location);
  const kernelDir = installKernel({ ...location, name: options.name });
  return { extensionDir, kernelDir };
}

/** The executable `name` on PATH, if any. */
export function which(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const JUPYTERLAB_MISSING =
  "JupyterLab is not installed: no `jupyter-lab` on PATH.\n" +
  "Install it with `pip install jupyterlab` (or `conda install -c conda-forge jupyterlab`), then run `sluice lab` again.\n" +
  "To add Sluice to a JupyterLab you start yourself: `sluice lab install --user` (or --sys-prefix, or --prefix DIR).";

/** Where `sluice lab` keeps its own copy of the extension and kernelspec (added to JUPYTER_PATH). */
function labDataPrefix(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "sluice", "lab");
}

async function startLab(args: string[]): Promise<number> {
  if (!which("jupyter") || !which("jupyter-lab")) {
    console.error(JUPYTERLAB_MISSING);
    return 1;
  }
  const prefix = labDataPrefix();
  const { extensionDir, kernelDir } = labInstall({ prefix });
  const jupyterPath = join(prefix, "share", "jupyter");
  console.error(`sluice lab: extension ${extensionDir}\nsluice lab: kernel ${kernelDir}`);
  const env = { ...process.env, JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter) };
  const child = spawn("jupyter", ["lab", ...args], { stdio: ["inherit", "inherit", "pipe"], env });
  forwardLabLog(child.stderr!, process.stderr);
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolveExit) => {
    child.on("error", (error) => {
      console.error(`sluice lab: could not start jupyter lab: ${error.message}`);
      resolveExit(1);
    });
    child.on("exit", (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Copies JupyterLab's log through, except one known dump: at start JupyterLab runs its bundled yarn to
 * read the npm registry, and when its Python environment sits under a folder whose package.json says
 * "type": "module" (a .venv in a Node project, like Sluice's own) Node refuses that script and
 * JupyterLab logs the whole 13 KB minified line with the error. It is harmless (the default registry is
 * used); one line says so instead.
 */
export function forwardLabLog(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  let state: "copy" | "dump" | "after-dump" = "copy";
  let swallowed = 0;
  let told = false;
  const copy = (line: string) => {
    if (line.includes("Fail to get yarn configuration.")) {
      if (!told) to.write("sluice lab: JupyterLab could not run its yarn to read the npm registry (harmless: the default registry is used)\n");
      told = true;
      state = "dump";
      swallowed = 0;
      return;
    }
    to.write(`${line}\n`);
  };
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    if (state === "dump") {
      // The dump ends with Node's version line; a new log record (or a long run) ends it as well.
      if (/^Node\.js v\d/.test(line)) return void (state = "after-dump");
      if (!/^\[[A-Z] \d{4}-/.test(line) && ++swallowed <= 200) return;
    } else if (state === "after-dump" && line.trim() === "") {
      state = "copy";
      return;
    }
    state = "copy";
    copy(line);
  });
}

function fail(error: unknown): never {
  if (error instanceof LabError || (error as Error)?.name === "KernelspecError") {
    console.error(`sluice lab: ${(error as Error).message}`);
    process.exit(1);
  }
  throw error;
}

export function register(program: Command): void {
  const lab = program
    .command("lab")
    .description("start JupyterLab with the Sluice kernel and extension (other arguments go to `jupyter lab`)")
    .argument("[jupyterArgs...]", "arguments for `jupyter lab`, e.g. --port 8899 --no-browser")
    .allowUnknownOption()
    .helpOption("-h, --help", "show this help (`jupyter lab --help` for JupyterLab's options)")
    .action(async (_args: string[], _opts: unknown, command: Command) => {
      try {
        // Unknown options (e.g. --port 8899) are kept in command.args, in order.
        process.exitCode = await startLab(command.args);
      } catch (error) {
        fail(error);
      }
    });
  lab
    .command("install")
    .description("copy the JupyterLab extension into <data dir>/labextensions/ and install the kernelspec")
    .option("--user", "install for the current user (~/.local/share/jupyter)")
    .option("--sys-prefix", "install into the active Python environment (sys.prefix/share/jupyter)")
    .option("--prefix <dir>", "install into DIR/share/jupyter")
    .option("--name <name>", "kernel name", "sluice")
    .action((opts: { user?: boolean; sysPrefix?: boolean; prefix?: string; name: string }) => {
      try {
        const { extensionDir, kernelDir } = labInstall(opts);
        console.log(`installed the JupyterLab extension in ${extensionDir}`);
        console.log(`installed kernel "${opts.name}" in ${kernelDir}`);
      } catch (error) {
        fail(error);
      }
    });
}
