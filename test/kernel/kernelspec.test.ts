// `sluice kernel install | list | uninstall` through the real CLI, checked against Jupyter's own
// view of the data directories (`jupyter --data-dir`, `jupyter kernelspec list --json`).
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, venvBin, repoRoot } from "../helpers/python.js";

const temp = mkdtempSync(join(tmpdir(), "sluice-kernelspec-cli-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const sluice = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [join(repoRoot, "bin/sluice.js"), "kernel", ...args], { env });

function pngSize(file: string): [number, number] {
  const png = readFileSync(file);
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe("sluice kernel install/list/uninstall", () => {
  const prefix = join(temp, "prefix");
  const env = { JUPYTER_PATH: join(prefix, "share", "jupyter") };

  it("installs a kernelspec under --prefix that Jupyter lists", async () => {
    const installed = await sluice(["install", "--prefix", prefix, "--name", "sluice-test"]);
    expect(installed.code, installed.stderr).toBe(0);
    const dir = join(prefix, "share", "jupyter", "kernels", "sluice-test");
    const spec = JSON.parse(readFileSync(join(dir, "kernel.json"), "utf8"));
    expect(spec).toMatchObject({ display_name: "TypeScript (Sluice)", language: "typescript", interrupt_mode: "message" });
    expect(spec.argv).toEqual([process.execPath, join(repoRoot, "dist", "kernel", "main.js"), "{connection_file}"]);
    expect(pngSize(join(dir, "logo-32x32.png"))).toEqual([32, 32]);
    expect(pngSize(join(dir, "logo-64x64.png"))).toEqual([64, 64]);

    const listed = await run(venvBin("jupyter"), ["kernelspec", "list", "--json"], { env });
    expect(JSON.parse(listed.stdout).kernelspecs["sluice-test"].spec.display_name).toBe("TypeScript (Sluice)");
    const ours = await sluice(["list"], env);
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.stdout).toContain(`sluice-test\t${dir}`);
  });

  it("installs --user where Jupyter's user data dir is", async () => {
    const xdg = join(temp, "xdg");
    const userEnv = { XDG_DATA_HOME: xdg, JUPYTER_DATA_DIR: "" };
    const dataDir = (await run(venvBin("jupyter"), ["--data-dir"], { env: userEnv })).stdout.trim();
    expect((await sluice(["install", "--user"], userEnv)).code).toBe(0);
    expect(existsSync(join(dataDir, "kernels", "sluice", "kernel.json"))).toBe(true);
  });

  it("installs --sys-prefix into the active virtual environment", async () => {
    const venv = join(temp, "venv");
    expect((await sluice(["install", "--sys-prefix"], { VIRTUAL_ENV: venv })).code).toBe(0);
    expect(existsSync(join(venv, "share", "jupyter", "kernels", "sluice", "kernel.json"))).toBe(true);
  });

  it("uninstalls by name, and says what is installed when the name is unknown", async () => {
    const missing = await sluice(["uninstall", "nope"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no Sluice kernel named "nope" is installed; installed: sluice-test/);
    const removed = await sluice(["uninstall", "sluice-test"], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(join(prefix, "share", "jupyter", "kernels", "sluice-test"))).toBe(false);
  });

  it("rejects conflicting locations and bad names with the fix", async () => {
    const both = await sluice(["install", "--user", "--prefix", prefix]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/choose one of --user, --sys-prefix and --prefix DIR/);
    const bad = await sluice(["install", "--prefix", prefix, "--name", "../escape"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/may only hold letters/);
  });
});
