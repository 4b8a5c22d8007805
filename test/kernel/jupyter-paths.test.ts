// One module for Jupyter's folders (src/jupyter/paths.ts): jupyter_core's rules per platform, checked
// here with the platform, environment and home passed in, and against the real `jupyter --paths` on
// this machine; `sluice kernel install` (every location) is found by `sluice run`'s lookup.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { installDataDir, jupyterDataDir, jupyterPath, jupyterRuntimeDir, type JupyterEnv } from "../../src/jupyter/paths.js";
import { jupyterDataDirs } from "../../src/run/kernel/kernelspec.js";
import { run, venvBin, repoRoot } from "../helpers/python.js";

const linux = (env: JupyterEnv["env"] = {}): JupyterEnv => ({ platform: "linux", env, home: "/home/ada" });
const mac = (env: JupyterEnv["env"] = {}): JupyterEnv => ({ platform: "darwin", env, home: "/Users/ada" });
const windows = (env: JupyterEnv["env"] = {}): JupyterEnv => ({ platform: "win32", env, home: "C:\\Users\\ada" });

describe("jupyter_core's rules, per platform", () => {
  it("user data folder: JUPYTER_DATA_DIR, else ~/Library/Jupyter (macOS), %APPDATA%\\jupyter (Windows), XDG (Linux)", () => {
    expect(jupyterDataDir(linux())).toBe("/home/ada/.local/share/jupyter");
    expect(jupyterDataDir(linux({ XDG_DATA_HOME: "/xdg" }))).toBe("/xdg/jupyter");
    expect(jupyterDataDir(linux({ XDG_DATA_HOME: "" }))).toBe("/home/ada/.local/share/jupyter"); // empty = unset
    expect(jupyterDataDir(linux({ JUPYTER_DATA_DIR: "/data", XDG_DATA_HOME: "/xdg" }))).toBe("/data");
    expect(jupyterDataDir(linux({ JUPYTER_DATA_DIR: "" }))).toBe("/home/ada/.local/share/jupyter");
    expect(jupyterDataDir(mac())).toBe("/Users/ada/Library/Jupyter");
    expect(jupyterDataDir(mac({ XDG_DATA_HOME: "/xdg" }))).toBe("/Users/ada/Library/Jupyter");
    expect(jupyterDataDir(windows({ APPDATA: "C:\\Users\\ada\\AppData\\Roaming" }))).toBe("C:\\Users\\ada\\AppData\\Roaming\\jupyter");
    expect(jupyterDataDir(windows())).toBe("C:\\Users\\ada\\.jupyter\\data");
    expect(jupyterDataDir(windows({ JUPYTER_CONFIG_DIR: "D:\\cfg" }))).toBe("D:\\cfg\\data");
  });

  it("JUPYTER_PLATFORM_DIRS=1 uses platformdirs' folders", () => {
    expect(jupyterDataDir(mac({ JUPYTER_PLATFORM_DIRS: "1" }))).toBe("/Users/ada/Library/Application Support/jupyter");
    expect(jupyterDataDir(windows({ JUPYTER_PLATFORM_DIRS: "1", LOCALAPPDATA: "C:\\L" }))).toBe("C:\\L\\jupyter");
    expect(jupyterDataDir(linux({ JUPYTER_PLATFORM_DIRS: "0" }))).toBe("/home/ada/.local/share/jupyter");
  });

  it("runtime folder: JUPYTER_RUNTIME_DIR, else <data dir>/runtime", () => {
    expect(jupyterRuntimeDir(linux())).toBe("/home/ada/.local/share/jupyter/runtime");
    expect(jupyterRuntimeDir(mac())).toBe("/Users/ada/Library/Jupyter/runtime");
    expect(jupyterRuntimeDir(linux({ JUPYTER_RUNTIME_DIR: "/run/j" }))).toBe("/run/j");
  });

  it("search path: JUPYTER_PATH split on the platform's delimiter, user, environment, system", () => {
    expect(jupyterPath(linux({ JUPYTER_PATH: "/a/:/b" }))).toEqual(["/a", "/b", "/home/ada/.local/share/jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"]);
    expect(jupyterPath(mac())).toEqual(["/Users/ada/Library/Jupyter", "/usr/local/share/jupyter", "/usr/share/jupyter"]);
    // On Windows ";" separates (a ":" is part of "C:\..."), and there is no system folder by default.
    expect(jupyterPath(windows({ JUPYTER_PATH: "C:\\a;D:\\b", APPDATA: "C:\\R" }))).toEqual(["C:\\a", "D:\\b", "C:\\R\\jupyter"]);
    expect(jupyterPath(windows({ APPDATA: "C:\\R", JUPYTER_USE_PROGRAMDATA: "1", PROGRAMDATA: "C:\\ProgramData" }))).toEqual(["C:\\R\\jupyter", "C:\\ProgramData\\jupyter"]);
  });

  it("an active virtualenv/conda env comes before the user folder, unless JUPYTER_PREFER_ENV_PATH=0", () => {
    const user = "/home/ada/.local/share/jupyter";
    expect(jupyterPath(linux({ VIRTUAL_ENV: "/venv" })).slice(0, 2)).toEqual(["/venv/share/jupyter", user]);
    expect(jupyterPath(linux({ VIRTUAL_ENV: "/venv", JUPYTER_PREFER_ENV_PATH: "0" })).slice(0, 2)).toEqual([user, "/venv/share/jupyter"]);
    expect(jupyterPath(linux({ CONDA_PREFIX: "/conda", CONDA_DEFAULT_ENV: "base" })).slice(0, 2)).toEqual([user, "/conda/share/jupyter"]);
    expect(jupyterPath(linux({ CONDA_PREFIX: "/conda/envs/x", CONDA_DEFAULT_ENV: "x" })).slice(0, 2)).toEqual(["/conda/envs/x/share/jupyter", user]);
    expect(jupyterPath(windows({ VIRTUAL_ENV: "C:\\venv", APPDATA: "C:\\R" }))).toEqual(["C:\\venv\\share\\jupyter", "C:\\R\\jupyter"]);
  });

  it("install locations: --user, --prefix, --sys-prefix, system; conflicting flags are refused", () => {
    expect(installDataDir({ user: true }, mac())).toBe("/Users/ada/Library/Jupyter");
    expect(installDataDir({ prefix: "/opt/x" }, linux())).toBe("/opt/x/share/jupyter");
    expect(installDataDir({ sysPrefix: true }, linux({ VIRTUAL_ENV: "/venv" }))).toBe("/venv/share/jupyter");
    expect(installDataDir({}, linux())).toBe("/usr/local/share/jupyter");
    expect(installDataDir({}, windows({ JUPYTER_USE_PROGRAMDATA: "1", PROGRAMDATA: "C:\\ProgramData" }))).toBe("C:\\ProgramData\\jupyter");
    expect(() => installDataDir({ user: true, prefix: "/x" }, linux())).toThrow(/choose one of --user, --sys-prefix and --prefix DIR/);
  });

  it.each([
    ["Linux", linux({ XDG_DATA_HOME: "/xdg" })],
    ["macOS", mac()],
    ["Windows", windows({ APPDATA: "C:\\R" })],
    ["Windows without APPDATA", windows()],
  ])("on %s, `sluice run` searches where `kernel install --user` and `--sys-prefix` write", (_name, ctx) => {
    expect(jupyterDataDirs([], ctx)).toContain(installDataDir({ user: true }, ctx));
    const inVenv = { ...ctx, env: { ...ctx.env, VIRTUAL_ENV: ctx.platform === "win32" ? "C:\\v" : "/v" } };
    expect(jupyterDataDirs([], inVenv)).toContain(installDataDir({ sysPrefix: true }, inVenv));
  });
});

describe("against jupyter_core and the CLI on this machine", () => {
  const temp = mkdtempSync(join(tmpdir(), "sluice-jupyter-paths-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));
  const sluice = (args: string[], env: NodeJS.ProcessEnv) => run(process.execPath, [join(repoRoot, "bin/sluice.js"), ...args], { env, cwd: temp });
  const nb = join(temp, "nb.ipynb");
  writeFileSync(nb, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: "p", cell_type: "code", source: "const n = 1;", metadata: { tags: ["parameters"] }, outputs: [], execution_count: null }] }));

  it("gives the same data folders, in the same order, as `jupyter --paths`", async () => {
    const env = { HOME: temp, XDG_DATA_HOME: "", JUPYTER_DATA_DIR: "", JUPYTER_PATH: ["/a/b/", "/c"].join(delimiter), VIRTUAL_ENV: join(repoRoot, ".venv"), JUPYTER_PREFER_ENV_PATH: undefined, CONDA_PREFIX: undefined, SLUICE_PYTHON: undefined };
    const jupyter = JSON.parse((await run(venvBin("jupyter"), ["--paths", "--json"], { env, cwd: temp })).stdout);
    const ours = jupyterPath({ platform: process.platform, env: { ...process.env, ...env }, home: temp, cwd: temp });
    expect(ours).toEqual(jupyter.data);
    expect(jupyterRuntimeDir({ platform: process.platform, env: { ...process.env, ...env }, home: temp })).toBe(jupyter.runtime[0]);
  });

  it("a kernel installed with --prefix X is found by `sluice run` with X in JUPYTER_PATH", async () => {
    const prefix = join(temp, "prefix");
    expect((await sluice(["kernel", "install", "--prefix", prefix, "--name", "sluice-prefix-test"], {})).code).toBe(0);
    const env = { JUPYTER_PATH: [join(temp, "elsewhere"), join(prefix, "share", "jupyter")].join(delimiter) };
    const found = await sluice(["run", nb, "--help-notebook", "--kernel", "sluice-prefix-test"], env);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain("kernel sluice-prefix-test");
    expect(found.stdout).toMatch(/n\s+number/);
  });

  it("a kernel installed with --user is found by `sluice run`, also when JUPYTER_DATA_DIR is set but empty", async () => {
    const env = { HOME: join(temp, "home"), XDG_DATA_HOME: join(temp, "xdg"), JUPYTER_DATA_DIR: "", JUPYTER_PATH: "" };
    const installed = await sluice(["kernel", "install", "--user", "--name", "sluice-user-test"], env);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(join(temp, "xdg", "jupyter", "kernels", "sluice-user-test"));
    const found = await sluice(["run", nb, "--help-notebook", "--kernel", "sluice-user-test"], env);
    expect(found.code, found.stderr).toBe(0);
    const listed = await sluice(["kernel", "list"], env);
    expect(listed.stdout).toContain("sluice-user-test");
  });
});
