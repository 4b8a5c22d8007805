// Installs the Sluice kernelspec into a temporary Jupyter data dir (through the real CLI), so tests
// start the kernel the way Jupyter does: JUPYTER_PATH=<dir> and kernel_name "sluice".
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { repoRoot } from "./python.js";

export interface TempKernelspec {
  /** Value for JUPYTER_PATH. */
  jupyterPath: string;
  name: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function installTempKernelspec(name = "sluice"): TempKernelspec {
  const prefix = mkdtempSync(join(tmpdir(), "sluice-kernelspec-"));
  execFileSync(process.execPath, [join(repoRoot, "bin", "sluice.js"), "kernel", "install", "--prefix", prefix, "--name", name], { stdio: "pipe" });
  const jupyterPath = join(prefix, "share", "jupyter");
  return {
    jupyterPath,
    name,
    env: { JUPYTER_PATH: jupyterPath, SLUICE_KERNEL_NAME: name },
    cleanup: () => rmSync(prefix, { recursive: true, force: true }),
  };
}
