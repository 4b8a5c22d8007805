// `sluice lab install` and `sluice lab`, run as real processes against the venv's Jupyter.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, snapshotSluice } from "./lab.js";

let home: string;
let sluice: string;
const venvBin = join(repo, ".venv", "bin");

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [sluice, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "sluice-lab-cli-"));
  sluice = await snapshotSluice(join(home, "sluice"));
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("sluice lab install", () => {
  it("copies the built extension and installs the kernelspec where JupyterLab finds them", () => {
    const prefix = join(home, "prefix");
    const r = run(["lab", "install", "--prefix", prefix]);
    expect(r.code).toBe(0);
    const data = join(prefix, "share", "jupyter");
    const ext = join(data, "labextensions", "sluice-jupyterlab");
    expect(r.stdout).toContain(`installed the JupyterLab extension in ${ext}`);
    expect(JSON.parse(readFileSync(join(ext, "package.json"), "utf8")).jupyterlab._build.load).toMatch(/^static\/remoteEntry\.[0-9a-f]+\.js$/);
    expect(readdirSync(join(ext, "static")).some((f) => f.startsWith("remoteEntry."))).toBe(true);
    const kernel = JSON.parse(readFileSync(join(data, "kernels", "sluice", "kernel.json"), "utf8"));
    expect(kernel.display_name).toBe("TypeScript (Sluice)");
    expect(kernel.argv[1]).toBe(join(home, "sluice", "dist", "kernel", "main.js"));

    // JupyterLab itself sees both.
    const env = { ...process.env, JUPYTER_PATH: data };
    const listed = spawnSync(join(venvBin, "jupyter"), ["labextension", "list"], { env, encoding: "utf8" });
    expect(listed.stdout + listed.stderr).toMatch(/sluice-jupyterlab v0\.1\.0 .*enabled.*OK/);
    const specs = JSON.parse(execFileSync(join(venvBin, "jupyter"), ["kernelspec", "list", "--json"], { env, encoding: "utf8" }));
    expect(specs.kernelspecs.sluice.resource_dir).toBe(join(data, "kernels", "sluice"));

    // Installing again replaces the copy whole and leaves no staging folder behind.
    expect(run(["lab", "install", "--prefix", prefix]).code).toBe(0);
    expect(readdirSync(join(data, "labextensions"))).toEqual(["sluice-jupyterlab"]);
  });

  it("rejects two locations at once and writes nothing", () => {
    const prefix = join(home, "conflict");
    const r = run(["lab", "install", "--user", "--prefix", prefix]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("choose one of --user, --sys-prefix and --prefix DIR");
    expect(existsSync(prefix)).toBe(false);
  });

  it("says how to build the extension when it is not built", () => {
    const bare = join(home, "bare");
    execFileSync("cp", ["-r", join(home, "sluice"), bare]);
    rmSync(join(bare, "extension"), { recursive: true, force: true });
    const r = spawnSync(process.execPath, [join(bare, "bin", "sluice.js"), "lab", "install", "--prefix", join(home, "p2")], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the JupyterLab extension is not built");
    expect(r.stderr).toContain("npm run build:extension");
  });
});

describe("sluice lab", () => {
  it("says how to install JupyterLab when jupyter is not on PATH", () => {
    const r = run(["lab"], { PATH: "/usr/bin:/bin" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("JupyterLab is not installed: no `jupyter-lab` on PATH");
    expect(r.stderr).toContain("pip install jupyterlab");
    expect(r.stderr).toContain("sluice lab install --user");
  });

  it("starts jupyter lab with the extension and kernel on its JUPYTER_PATH, passing arguments through", () => {
    const cache = join(home, "cache");
    // `--` keeps --version for jupyter (sluice has a --version of its own).
    const r = run(["lab", "--", "--version"], { PATH: `${venvBin}:${process.env.PATH}`, XDG_CACHE_HOME: cache });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^4\.\d+\.\d+$/);
    expect(r.stderr).toContain(`sluice lab: extension ${join(cache, "sluice", "lab", "share", "jupyter", "labextensions", "sluice-jupyterlab")}`);
    expect(existsSync(join(cache, "sluice", "lab", "share", "jupyter", "kernels", "sluice", "kernel.json"))).toBe(true);
  });
});
