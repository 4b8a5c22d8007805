// `sluice run` beside `jupyter nbconvert --to notebook --execute` (nbclient) on the same 20-cell notebook
// and kernel, in one run: python3 (ipykernel from the venv) and the Sluice TypeScript kernel.
// Wall time per run (median of N, alternating), ratio sluice/nbclient. Target: ≤ 0.5×.
import { spawnSync, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..", "..");
const venv = join(root, ".venv", "bin");
const bin = join(root, "bin", "sluice.js");
const reps = Number(process.env.BENCH_REPS ?? 5);
const work = mkdtempSync(join(tmpdir(), "sluice-bench-run-"));

function notebook(kernel: string, language: string, cells: string[]) {
  return {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: kernel, display_name: kernel, language } },
    cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", source, metadata: i === 0 ? { tags: ["parameters"] } : {}, outputs: [], execution_count: null })),
  };
}

const pyCells = ["n = 20000", ...Array.from({ length: 19 }, (_, i) => `x${i} = sum(k * ${i + 1} for k in range(n))\nprint(${i}, x${i})`)];
const tsCells = ["const n = 20000;", ...Array.from({ length: 19 }, (_, i) => `let x${i} = 0;\nfor (let k = 0; k < n; k++) x${i} += k * ${i + 1};\nconsole.log(${i}, x${i});`)];

function time(cmd: string, args: string[], env: Record<string, string>): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return ms;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(label: string, kernel: string, language: string, cells: string[], env: Record<string, string>) {
  const input = join(work, `${kernel}.ipynb`);
  writeFileSync(input, JSON.stringify(notebook(kernel, language, cells)));
  const sluice: number[] = [];
  const nbclient: number[] = [];
  const runSluice = () => time(process.execPath, [bin, "run", input, join(work, `${kernel}.sluice.ipynb`), "--no-progress"], env);
  const runNbclient = () => time(join(venv, "jupyter"), ["nbconvert", "--to", "notebook", "--execute", input, "--output", join(work, `${kernel}.nbclient.ipynb`)], env);
  runSluice(); // warm the file cache for both tools once
  runNbclient();
  for (let i = 0; i < reps; i++) {
    sluice.push(runSluice());
    nbclient.push(runNbclient());
  }
  // both executed every cell
  const out = JSON.parse(readFileSync(join(work, `${kernel}.sluice.ipynb`), "utf8"));
  const ref = JSON.parse(readFileSync(join(work, `${kernel}.nbclient.ipynb`), "utf8"));
  const texts = (nb: any) => nb.cells.map((c: any) => (c.outputs ?? []).map((o: any) => o.text ?? "").join("")).join("|");
  if (texts(out) !== texts(ref)) throw new Error(`${label}: sluice and nbclient outputs differ`);
  const s = median(sluice);
  const n = median(nbclient);
  const ratio = s / n;
  console.log(`${label.padEnd(26)} ${s.toFixed(0).padStart(8)} ms ${n.toFixed(0).padStart(12)} ms ${ratio.toFixed(2).padStart(8)}×  ${ratio <= 0.5 ? "meets ≤ 0.5×" : "MISSES ≤ 0.5×"}`);
  return ratio;
}

/** How long from `kill -9` of the kernel to `sluice run` exiting 4 (the contract says within 2 s). */
async function deathDetection(env: Record<string, string>): Promise<number> {
  const input = join(work, "kill.ipynb");
  writeFileSync(input, JSON.stringify(notebook("python3", "python", ["import os; print(os.getpid())", "import time; time.sleep(120)"])));
  const output = join(work, "kill.out.ipynb");
  const child = spawn(process.execPath, [bin, "run", input, output, "--no-progress"], { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  for (;;) {
    try {
      const nb = JSON.parse(readFileSync(output, "utf8"));
      if (nb.cells[1].metadata.sluice?.status === "running") {
        const t = performance.now();
        process.kill(Number(nb.cells[0].outputs[0].text.trim()), "SIGKILL");
        const code = await exited;
        if (code !== 4) throw new Error(`expected exit 4, got ${code}`);
        return performance.now() - t;
      }
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("expected")) throw e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

console.log(`sluice run vs jupyter nbconvert --execute (nbclient): 20-cell notebook, median of ${reps} wall times (process start to exit)`);
console.log(`${"kernel".padEnd(26)} ${"sluice run".padStart(11)} ${"nbclient".padStart(15)} ${"ratio".padStart(9)}`);
compare("python3 (ipykernel)", "python3", "python", pyCells, {});
if (existsSync(join(root, "dist", "kernel", "main.js"))) {
  const prefix = mkdtempSync(join(tmpdir(), "sluice-bench-kernel-"));
  execFileSync(process.execPath, [bin, "kernel", "install", "--prefix", prefix], { cwd: root, stdio: "ignore" });
  compare("sluice (TypeScript)", "sluice", "typescript", tsCells, { JUPYTER_PATH: join(prefix, "share", "jupyter") });
} else {
  console.log("sluice (TypeScript)        skipped: dist/kernel/main.js not built");
}
const detect = await deathDetection({});
console.log(`kernel death (kill -9 mid-cell) to exit 4: ${detect.toFixed(0)} ms (contract: within 2000 ms)`);
