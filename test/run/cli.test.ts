// `sluice run` as a real process against the real python3 ipykernel from the venv: metadata, partial
// saves, every exit code (including a kernel killed mid-cell), timeouts, Ctrl-C, --prepare-only, pipes.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdirSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { bin, python, notebook, readJson, repo, runCli, startCli, tempDir, waitFor, writeNotebook, outputsText, validateWithNbformat } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = tempDir();
});

const paramsCell = { source: "threshold: float = 0.5  # cut-off\nname = 'world'\ntags: list[str] = ['a']", tags: ["parameters"] };

describe("sluice run (python3)", () => {
  it("runs a parameterized notebook, writing outputs and run metadata (exit 0)", async () => {
    const input = writeNotebook(dir, "ok.ipynb", notebook([paramsCell, "print(name, threshold * 2, tags)", "import os, json\nctx = json.loads(os.environ['SLUICE_CONTEXT'])\nprint(json.dumps(ctx['params'], separators=(',', ':')), ctx['runId'])", "import os; print(os.getcwd())"]));
    const output = join(dir, "ok.out.ipynb");
    const r = await runCli([input, output, "-p", "threshold", "0.25", "-p", "name", "Ada", "-y", "tags: [x, y]", "--no-progress"]);
    expect(r.stderr).toContain("succeeded");
    expect(r.code).toBe(0);
    const nb = readJson(output);
    expect(nb.cells[1].metadata.tags).toEqual(["injected-parameters"]);
    expect(nb.cells[1].source).toBe('# Parameters injected by sluice run\ntags = ["x", "y"]\nthreshold = 0.25\nname = "Ada"');
    expect(outputsText(nb.cells[2])).toBe("Ada 0.5 ['x', 'y']\n");
    const [params, runId] = outputsText(nb.cells[3]).trim().split(" ");
    const meta = nb.metadata.sluice;
    expect(JSON.parse(params)).toEqual({ threshold: 0.25, name: "Ada", tags: ["x", "y"] });
    expect(runId).toBe(meta.runId);
    expect(outputsText(nb.cells[4]).trim()).toBe(dir); // default cwd: the notebook's folder
    expect(meta).toMatchObject({ status: "succeeded", parameters: { threshold: 0.25, name: "Ada", tags: ["x", "y"] } });
    expect(Date.parse(meta.endedAt) - Date.parse(meta.startedAt)).toBe(meta.durationMs);
    for (const cell of nb.cells) {
      expect(cell.metadata.sluice).toMatchObject({ status: "completed" });
      expect(typeof cell.metadata.sluice.durationMs).toBe("number");
      expect(Object.keys(cell.metadata.execution).sort()).toEqual(["iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply"]);
      expect(cell.execution_count).toBeGreaterThan(0);
    }
    validateWithNbformat(output);
  });

  it("re-running an output notebook replaces the injected cell and clears old outputs", async () => {
    const input = writeNotebook(dir, "again.ipynb", notebook([paramsCell, "print(threshold)"]));
    const first = join(dir, "again.1.ipynb");
    const second = join(dir, "again.2.ipynb");
    expect((await runCli([input, first, "-p", "threshold", "1"])).code).toBe(0);
    expect((await runCli([first, second, "-p", "threshold", "2"])).code).toBe(0);
    const nb = readJson(second);
    expect(nb.cells.filter((c: any) => c.metadata.tags?.includes("injected-parameters"))).toHaveLength(1);
    expect(nb.cells).toHaveLength(3);
    expect(outputsText(nb.cells[2])).toBe("2.0\n"); // float parameter stays float
  });

  it("a failing cell: exit 1, error banner at the top pointing to it, later cells not run", async () => {
    const input = writeNotebook(dir, "fail.ipynb", notebook(["x = 1", "print('before')\n1/0", "print('never')"]));
    const output = join(dir, "fail.out.ipynb");
    const r = await runCli([input, output]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: cell In \[2\], code cell 2\/3, id cell-1 raised ZeroDivisionError: division by zero/);
    const nb = readJson(output);
    expect(nb.cells[0].metadata.tags).toEqual(["sluice-error"]);
    expect(nb.cells[0].source).toContain('href="#sluice-error-cell"');
    expect(nb.cells[0].source).toContain("ZeroDivisionError: division by zero");
    const anchorAt = nb.cells.findIndex((c: any) => c.source.includes('id="sluice-error-cell"'));
    // The anchor names the cell and the error (it said "(cell)").
    expect(nb.cells[anchorAt].source).toContain("**The run stopped at the cell below**, In [2]: ZeroDivisionError: division by zero</span>");
    expect(nb.cells[anchorAt + 1].id).toBe("cell-1");
    expect(nb.metadata.sluice).toMatchObject({ status: "failed", error: { kind: "cell", ename: "ZeroDivisionError", cellId: "cell-1", cellIndex: anchorAt + 1 } });
    expect(nb.cells[anchorAt + 1].metadata.sluice.status).toBe("failed");
    expect(nb.cells[anchorAt + 2].metadata.sluice.status).toBe("skipped");
    expect(nb.cells[anchorAt + 2].outputs).toEqual([]);
    validateWithNbformat(output);
  });

  it("--allow-errors keeps going and still exits 1", async () => {
    const input = writeNotebook(dir, "allow.ipynb", notebook(["1/0", "print('after')"]));
    const output = join(dir, "allow.out.ipynb");
    const r = await runCli([input, output, "--allow-errors"]);
    expect(r.code).toBe(1);
    const nb = readJson(output);
    expect(outputsText(nb.cells.find((c: any) => c.id === "cell-1"))).toBe("after\n");
  });

  it("bad parameters and usage exit 2 with a message naming the problem; nothing is written", async () => {
    const input = writeNotebook(dir, "params.ipynb", notebook([paramsCell, "print(1)"]));
    const output = join(dir, "params.out.ipynb");
    const bad = await runCli([input, output, "-p", "threshold", "abc"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('parameter "threshold" expects number, got "abc"');
    expect(existsSync(output)).toBe(false);

    const strict = await runCli([input, output, "-p", "treshold", "1", "--strict"]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/unknown parameter "treshold".*did you mean threshold/);

    const warn = await runCli([input, output, "-p", "treshold", "1", "--no-progress"]);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toMatch(/warning: unknown parameter "treshold"/);

    const kernel = await runCli([input, output, "--kernel", "no-such-kernel"]);
    expect(kernel.code).toBe(2);
    expect(kernel.stderr).toMatch(/no kernel named "no-such-kernel"; installed kernels: .*python3/);

    const missing = await runCli([join(dir, "nope.ipynb")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read notebook");

    const r = writeNotebook(dir, "r.ipynb", notebook(["x <- 1"], { name: "ir", language: "R" }));
    const noTranslator = await runCli([r, output, "-p", "x", "2"]);
    expect(noTranslator.code).toBe(2);
    expect(noTranslator.stderr).toContain("no translator for R");
  });

  it("--prepare-only injects parameters without a kernel; --report-mode hides inputs", async () => {
    const input = writeNotebook(dir, "prep.ipynb", notebook([paramsCell, "print(1)"], { name: "not-installed", language: "python" }));
    const output = join(dir, "prep.out.ipynb");
    const r = await runCli([input, output, "--prepare-only", "--report-mode", "-p", "tags", "p,q"]);
    expect(r.code).toBe(0);
    const nb = readJson(output);
    expect(nb.metadata.sluice.status).toBe("prepared");
    expect(nb.cells[1].source).toContain('tags = ["p", "q"]');
    expect(nb.cells.every((c: any) => c.metadata.jupyter?.source_hidden === true)).toBe(true);
    expect(nb.cells.every((c: any) => c.execution_count === null && c.outputs.length === 0)).toBe(true);
  });

  it("reads stdin and writes stdout with -", async () => {
    const nb = notebook([paramsCell, "print(name)"]);
    const r = await runCli(["-", "-", "-p", "name", "piped"], { input: JSON.stringify(nb) });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(outputsText(out.cells[2])).toBe("piped\n");
    expect(out.metadata.sluice.status).toBe("succeeded");
  });

  it("-f reads a parameters file; --help-notebook lists names, types, defaults and comments", async () => {
    const input = writeNotebook(dir, "file.ipynb", notebook([paramsCell, "print(tags)"]));
    writeFileSync(join(dir, "p.yaml"), "tags:\n  - one\n  - two\n");
    const output = join(dir, "file.out.ipynb");
    expect((await runCli([input, output, "-f", join(dir, "p.yaml")])).code).toBe(0);
    expect(outputsText(readJson(output).cells[2])).toBe("['one', 'two']\n");
    const help = await runCli(["--help-notebook", input]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/threshold\s+float\s+default 0\.5\s+cut-off/);
    expect(help.stdout).toMatch(/name\s+string \(inferred\)\s+default 'world'/);
  });

  it("saves after every cell: a reader sees completed cells while a later one runs; the kernel killed mid-cell → exit 4", async () => {
    const input = writeNotebook(dir, "kill.ipynb", notebook(["import os; print(os.getpid())", "print('second')", "import time; time.sleep(120)", "print('never')"]));
    const output = join(dir, "kill.out.ipynb");
    const { child, done } = startCli([input, output, "--no-progress"]);
    const partial = await waitFor(() => {
      const nb = readJson(output);
      return nb.cells[2].metadata.sluice?.status === "running" ? nb : undefined;
    }, 30_000, "cell 3 running in the saved notebook");
    expect(partial.metadata.sluice.status).toBe("running");
    expect(partial.cells[0].metadata.sluice.status).toBe("completed");
    expect(outputsText(partial.cells[1])).toBe("second\n");
    expect(partial.cells[3].metadata.sluice.status).toBe("pending");
    const pid = Number(outputsText(partial.cells[0]).trim());
    process.kill(pid, "SIGKILL");
    const r = await done;
    expect(child.exitCode).toBe(4);
    expect(r.stderr).toMatch(/kernel-died: kernel python3 \(pid \d+\) died: killed by SIGKILL while running cell .*id cell-2/);
    const nb = readJson(output);
    expect(nb.metadata.sluice).toMatchObject({ status: "kernel-died", error: { kind: "kernel-died" } });
    expect(nb.cells[0].source).toContain("the kernel died");
  });

  it("a cell over --cell-timeout is interrupted first (its traceback is kept) → exit 3", async () => {
    const input = writeNotebook(dir, "slow.ipynb", notebook(["print('fast')", "import time\nfor i in range(600): time.sleep(0.1)", "print('never')"]));
    const output = join(dir, "slow.out.ipynb");
    const r = await runCli([input, output, "--cell-timeout", "1"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("did not finish within 1s (--cell-timeout); it was interrupted");
    const nb = readJson(output);
    const slow = nb.cells.find((c: any) => c.id === "cell-1");
    expect(slow.metadata.sluice.status).toBe("timeout");
    expect(slow.outputs.some((o: any) => o.ename === "KeyboardInterrupt")).toBe(true);
    expect(nb.metadata.sluice.status).toBe("timeout");
  });

  it("Ctrl-C interrupts the kernel, saves and exits 130", async () => {
    const input = writeNotebook(dir, "ctrlc.ipynb", notebook(["print('one')", "import time\nprint('looping', flush=True)\nfor i in range(600): time.sleep(0.1)", "print('never')"]));
    const output = join(dir, "ctrlc.out.ipynb");
    const { child, done, stderrSoFar } = startCli([input, output, "--log-output"]);
    // Wait until the kernel runs the cell's own code: a SIGINT that lands while ipykernel is still
    // setting up the request is not a KeyboardInterrupt in the cell (and may get no reply at all).
    await waitFor(() => readJson(output).cells[1].metadata.sluice?.status === "running", 30_000, "cell 2 running");
    await waitFor(() => stderrSoFar().includes("looping"), 30_000, "cell 2 inside its loop");
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    const nb = readJson(output);
    expect(nb.metadata.sluice.status).toBe("interrupted");
    const cell = nb.cells.find((c: any) => c.id === "cell-1");
    expect(cell.metadata.sluice.status).toBe("interrupted");
    expect(cell.outputs.some((o: any) => o.ename === "KeyboardInterrupt")).toBe(true);
  });

  it("a kernel that cannot start → exit 4 with its last stderr lines", async () => {
    const data = tempDir("sluice-spec-");
    mkdirSync(join(data, "kernels", "broken"), { recursive: true });
    writeFileSync(join(data, "kernels", "broken", "kernel.json"), JSON.stringify({ argv: ["sh", "-c", "echo 'ImportError: no module named kernel_stuff' >&2; exit 7", "{connection_file}"], display_name: "Broken", language: "python" }));
    const input = writeNotebook(dir, "broken.ipynb", notebook(["print(1)"], { name: "broken", language: "python" }));
    const r = await runCli([input, join(dir, "broken.out.ipynb")], { env: { JUPYTER_PATH: data } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("kernel broken exited while starting");
    expect(r.stderr).toContain("ImportError: no module named kernel_stuff");
  });

  it("--log-output streams outputs to stderr", async () => {
    const input = writeNotebook(dir, "log.ipynb", notebook(["print('streamed line')", "21 * 2"]));
    const r = await runCli([input, join(dir, "log.out.ipynb"), "--log-output"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("streamed line\n42\n");
  });

  it("draws a progress line when stderr is a TTY (via script(1)), none with --no-progress", async () => {
    const input = writeNotebook(dir, "tty.ipynb", notebook(["import time; time.sleep(0.8)", "print('x')"]));
    const command = (extra: string) => `'${process.execPath}' '${bin}' run '${input}' '${join(dir, "tty.out.ipynb")}' ${extra}`;
    const tty = spawnSync("script", ["-qec", command(""), "/dev/null"], { cwd: repo, encoding: "utf8" });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/cell 1\/2 ░+ \d+:\d\d\.\d import time; time\.sleep\(0\.8\)/);
    expect(tty.stdout).toContain("\r\x1b[2K");
    const quiet = spawnSync("script", ["-qec", command("--no-progress"), "/dev/null"], { cwd: repo, encoding: "utf8" });
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).not.toContain("cell 1/2");
    expect(quiet.stdout).toContain("succeeded");
  });

  it("usage errors from the command line exit 2", async () => {
    const input = writeNotebook(dir, "usage.ipynb", notebook(["1"]));
    for (const args of [[input, "-p", "x"], [input, "--cell-timeout", "abc"], [input, "--bogus"], []]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
    }
  });

  it("Ctrl-C while a kernel is still starting stops it (no orphan) and exits 130", async () => {
    const data = tempDir("sluice-spec-");
    const pidFile = join(data, "pid");
    mkdirSync(join(data, "kernels", "slow"), { recursive: true });
    writeFileSync(join(data, "kernels", "slow", "kernel.json"), JSON.stringify({ argv: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 300`, "{connection_file}"], display_name: "Slow", language: "python" }));
    const input = writeNotebook(dir, "slowstart.ipynb", notebook(["print(1)"], { name: "slow", language: "python" }));
    const { child, done } = startCli([input, join(dir, "slowstart.out.ipynb")], { env: { JUPYTER_PATH: data } });
    const pid = await waitFor(() => Number(readFileSync(pidFile, "utf8").trim()) || undefined, 30_000, "kernel pid file");
    child.kill("SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("interrupted while kernel slow was starting");
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it("a kernel in a language without a translator runs when no parameters are passed", async () => {
    // ipykernel registered as another language: the run must not need a translator without parameters.
    const data = tempDir("sluice-spec-");
    mkdirSync(join(data, "kernels", "other"), { recursive: true });
    writeFileSync(join(data, "kernels", "other", "kernel.json"), JSON.stringify({ argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "Other", language: "otherlang" }));
    const input = writeNotebook(dir, "other.ipynb", notebook([{ source: "x = 1", tags: ["parameters"] }, "print(x + 1)"], { name: "other", language: "otherlang" }));
    const output = join(dir, "other.out.ipynb");
    const ok = await runCli([input, output], { env: { JUPYTER_PATH: data } });
    expect(ok.code).toBe(0);
    expect(outputsText(readJson(output).cells[1])).toBe("2\n");
    const withParams = await runCli([input, output, "-p", "x", "5"], { env: { JUPYTER_PATH: data } });
    expect(withParams.code).toBe(2);
    expect(withParams.stderr).toContain("no translator for otherlang");
  });
});
