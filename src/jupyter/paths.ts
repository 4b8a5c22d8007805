// Where Jupyter keeps its data (kernelspecs, lab extensions) and runtime files: the rules of
// jupyter_core's `jupyter_data_dir`, `jupyter_runtime_dir` and `jupyter_path`, for Linux, macOS and
// Windows. Every Sluice command that installs or looks up a kernelspec goes through this module, so
// `sluice kernel install --user` writes where `sluice run` and Jupyter look.
//
// Everything takes a JupyterEnv (platform, environment, home) so that the rules of each platform can
// be checked on any machine; the default is this process's.
import { execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export interface JupyterEnv {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** The user's home folder. */
  home: string;
  /** Where a project-local `.venv` is looked for (Sluice's own addition); default: none. */
  cwd?: string;
}

export function currentJupyterEnv(): JupyterEnv {
  let home = homedir();
  try {
    home = realpathSync(home); // as jupyter_core's get_home_dir: /home may be a symlink
  } catch {
    // a home that does not exist: keep the name
  }
  return { platform: process.platform, env: process.env, home, cwd: process.cwd() };
}

const pathsOf = (ctx: JupyterEnv) => (ctx.platform === "win32" ? path.win32 : path.posix);

/** jupyter_core's envset: set, and not one of the words for "no". */
function envSet(ctx: JupyterEnv, name: string): boolean {
  const value = ctx.env[name];
  return value !== undefined && !["no", "n", "false", "off", "0", "0.0"].includes(value.toLowerCase());
}

/** The user's Jupyter data folder (`jupyter --data-dir`). */
export function jupyterDataDir(ctx: JupyterEnv = currentJupyterEnv()): string {
  const p = pathsOf(ctx);
  const { env, home } = ctx;
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (envSet(ctx, "JUPYTER_PLATFORM_DIRS")) {
    // platformdirs.user_data_dir("jupyter", appauthor=False)
    if (ctx.platform === "darwin") return p.join(home, "Library", "Application Support", "jupyter");
    if (ctx.platform === "win32") return p.join(env.LOCALAPPDATA || p.join(home, "AppData", "Local"), "jupyter");
    return p.join(env.XDG_DATA_HOME || p.join(home, ".local", "share"), "jupyter");
  }
  if (ctx.platform === "darwin") return p.join(home, "Library", "Jupyter");
  if (ctx.platform === "win32") {
    if (env.APPDATA) return p.resolve(env.APPDATA, "jupyter");
    return p.join(env.JUPYTER_CONFIG_DIR || p.join(home, ".jupyter"), "data");
  }
  return p.join(env.XDG_DATA_HOME || p.join(home, ".local", "share"), "jupyter");
}

/** Where Jupyter writes connection files of the kernels it starts (`jupyter --runtime-dir`). */
export function jupyterRuntimeDir(ctx: JupyterEnv = currentJupyterEnv()): string {
  return ctx.env.JUPYTER_RUNTIME_DIR || pathsOf(ctx).join(jupyterDataDir(ctx), "runtime");
}

/**
 * The Python environments whose `share/jupyter` is searched (jupyter_core's sys.prefix): an active
 * virtualenv or conda environment and, Sluice's addition, the environment of the Python `sluice run`
 * starts kernels with (SLUICE_PYTHON, else a `.venv` in the working folder).
 */
export function environmentPrefixes(ctx: JupyterEnv = currentJupyterEnv()): string[] {
  const p = pathsOf(ctx);
  const prefixes = [ctx.env.VIRTUAL_ENV, ctx.env.CONDA_PREFIX].filter((x): x is string => !!x);
  const bin = ctx.platform === "win32" ? ["Scripts", "python.exe"] : ["bin", "python"];
  const python = ctx.env.SLUICE_PYTHON || (ctx.cwd ? p.join(ctx.cwd, ".venv", ...bin) : undefined);
  if (python && existsSync(python)) prefixes.push(p.dirname(p.dirname(python)));
  return [...new Set(prefixes.map((x) => p.resolve(x)))];
}

/** jupyter_core's SYSTEM_JUPYTER_PATH: machine-wide folders (on Windows only with JUPYTER_USE_PROGRAMDATA). */
export function systemDataDirs(ctx: JupyterEnv = currentJupyterEnv()): string[] {
  const p = pathsOf(ctx);
  if (ctx.platform === "win32") {
    if (envSet(ctx, "JUPYTER_USE_PROGRAMDATA") && ctx.env.PROGRAMDATA) return [p.join(ctx.env.PROGRAMDATA, "jupyter")];
    return environmentPrefixes(ctx).slice(0, 1).map((prefix) => p.join(prefix, "share", "jupyter"));
  }
  if (envSet(ctx, "JUPYTER_PLATFORM_DIRS")) {
    if (ctx.platform === "darwin") return ["/Library/Application Support/jupyter"];
    return (ctx.env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter(Boolean).map((d) => p.join(d, "jupyter"));
  }
  return ["/usr/local/share/jupyter", "/usr/share/jupyter"];
}

/** jupyter_core's prefer_environment_over_user, from what the environment tells us. */
function preferEnvironment(ctx: JupyterEnv): boolean {
  if (ctx.env.JUPYTER_PREFER_ENV_PATH !== undefined) return envSet(ctx, "JUPYTER_PREFER_ENV_PATH");
  if (ctx.env.VIRTUAL_ENV) return true;
  return !!ctx.env.CONDA_PREFIX && (ctx.env.CONDA_DEFAULT_ENV ?? "base") !== "base";
}

/**
 * Every Jupyter data folder, most specific first (jupyter_core's `jupyter_path()`): JUPYTER_PATH
 * (split on the platform's path delimiter), then the user's folder and the environments' (environment
 * first inside an active virtualenv/conda env, or as JUPYTER_PREFER_ENV_PATH says), then the system's.
 */
export function jupyterPath(ctx: JupyterEnv = currentJupyterEnv()): string[] {
  const p = pathsOf(ctx);
  const dirs: string[] = [];
  if (ctx.env.JUPYTER_PATH) {
    dirs.push(...ctx.env.JUPYTER_PATH.split(p.delimiter).filter(Boolean).map((d) => (d.length > 1 ? d.replace(/[\\/]+$/, "") : d)));
  }
  const user = [jupyterDataDir(ctx)];
  const system = systemDataDirs(ctx);
  const envDirs = environmentPrefixes(ctx).map((prefix) => p.join(prefix, "share", "jupyter"));
  // Where the system folder is the environment's (Windows), it can still come before the user's.
  const environment = envDirs.join(p.delimiter) === system.join(p.delimiter) ? envDirs : envDirs.filter((d) => !system.includes(d));
  dirs.push(...(preferEnvironment(ctx) ? [...environment, ...user] : [...user, ...environment]), ...system);
  return [...new Set(dirs.map((d) => p.resolve(d)))];
}

/** The prefix `--sys-prefix` installs into: the active environment, else what python3 reports. */
export function sysPrefix(ctx: JupyterEnv = currentJupyterEnv()): string | undefined {
  const active = ctx.env.VIRTUAL_ENV || ctx.env.CONDA_PREFIX;
  if (active) return active;
  for (const python of ["python3", "python"]) {
    try {
      return execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8", env: { ...process.env, ...ctx.env } }).trim();
    } catch {
      // try the next name
    }
  }
  return undefined;
}

export interface InstallLocation {
  user?: boolean;
  sysPrefix?: boolean;
  prefix?: string;
}

export class JupyterPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JupyterPathError";
  }
}

/** The data folder `jupyter kernelspec install` writes to for --user, --sys-prefix, --prefix DIR or none (system). */
export function installDataDir(location: InstallLocation, ctx: JupyterEnv = currentJupyterEnv()): string {
  const p = pathsOf(ctx);
  const chosen = [location.user, location.sysPrefix, location.prefix !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new JupyterPathError("choose one of --user, --sys-prefix and --prefix DIR");
  if (location.prefix !== undefined) return p.join(p.resolve(location.prefix), "share", "jupyter");
  if (location.user) return p.resolve(jupyterDataDir(ctx));
  if (location.sysPrefix) {
    const prefix = sysPrefix(ctx);
    if (!prefix) throw new JupyterPathError("--sys-prefix needs an active Python environment (VIRTUAL_ENV, CONDA_PREFIX or python3 on PATH); use --user or --prefix DIR instead");
    return p.join(p.resolve(prefix), "share", "jupyter");
  }
  const system = systemDataDirs(ctx)[0];
  if (!system) throw new JupyterPathError("no system-wide Jupyter folder on this machine (set JUPYTER_USE_PROGRAMDATA=1 or activate a Python environment); use --user or --prefix DIR instead");
  return system;
}
