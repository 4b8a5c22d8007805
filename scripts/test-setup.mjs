// `npm test` prepares what the suites need, so the README's test command works on a fresh machine:
// the transpiled sources, a Python venv with the reference Jupyter clients, the built JupyterLab
// extension, and Debian's Chromium for the browser tests. Each step is skipped when already done.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The one list of Python packages the tests and benchmarks use (also installed by .ci/run through this script).
const PYTHON_PACKAGES = ["jupyter_client", "nbclient", "nbconvert", "nbformat", "ipykernel", "jupyterlab", "jupyterlab_widgets", "pytest", "polars"];
// Ray gets a venv of its own (.venv-ray): every Ray worker imports it, and beside Jupyter's packages that import
// takes 1.6 s instead of 0.5 s (jsonschema's format checkers, pulled in by Jupyter, build a grammar at import).
const RAY_PACKAGES = ["ray==2.58.0"];
const env = { ...process.env, PIP_RETRIES: "0", PIP_DISABLE_PIP_VERSION_CHECK: "1", DEBIAN_FRONTEND: "noninteractive" };

function run(command, args, what) {
  console.error(`[test-setup] ${what}`);
  const r = spawnSync(command, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], env });
  if (r.status !== 0) {
    console.error(`[test-setup] failed: ${command} ${args.join(" ")} (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

run(process.execPath, [join(root, "scripts/build.mjs")], "building dist/");

/** A venv in `folder` holding `packages`; the marker holds the package list, so adding one here installs it on the next `npm test`. */
function venv(folder, packages) {
  const python = join(root, folder, "bin/python");
  const marker = join(root, folder, ".sluice-test-packages");
  if (!existsSync(python)) run("python3", ["-m", "venv", join(root, folder)], `creating the Python venv in ${folder}`);
  const wanted = packages.join(" ");
  if (!existsSync(marker) || readFileSync(marker, "utf8") !== wanted) {
    run(python, ["-m", "pip", "install", "-q", ...packages], `installing ${packages.join(", ")} into ${folder}`);
    writeFileSync(marker, wanted);
  }
}
venv(".venv", PYTHON_PACKAGES);
venv(".venv-ray", RAY_PACKAGES);

if (!existsSync(join(root, "extension/sluice/labextension/package.json"))) {
  run("npm", ["run", "build:extension"], "building the JupyterLab extension");
}

if (!existsSync("/usr/bin/chromium")) {
  if (process.getuid?.() === 0) {
    run("apt-get", ["update", "-q"], "apt-get update (for Chromium)");
    run("apt-get", ["install", "-y", "-q", "chromium"], "installing Debian's chromium for the browser tests");
  } else {
    console.error("[test-setup] the browser tests need Debian's Chromium: sudo apt-get install -y chromium");
    process.exit(1);
  }
}

// The PostgreSQL catalog tests start their own server from Debian's PostgreSQL 15 (test/helpers/postgres.ts).
if (!existsSync("/usr/lib/postgresql/15/bin/initdb")) {
  if (process.getuid?.() === 0) {
    run("apt-get", ["update", "-q"], "apt-get update (for PostgreSQL)");
    run("apt-get", ["install", "-y", "-q", "postgresql-15"], "installing Debian's postgresql-15 for the catalog tests");
  } else {
    console.error("[test-setup] the catalog tests need PostgreSQL 15: sudo apt-get install -y postgresql-15");
    process.exit(1);
  }
}
