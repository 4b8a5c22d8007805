// The Sluice kernel exits when the process named in JPY_PARENT_PID dies, as ipykernel does, and
// removes only what a Sluice runner made for it: a connection file that Jupyter wrote (in its runtime
// folder) is Jupyter's and stays. Also: which runner folders a kernel may remove, and the sweep of
// folders whose runner is gone.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import * as zmq from "zeromq";
import { afterAll, describe, expect, it } from "vitest";
import { ownedRunnerFolder, sweepStaleRunFolders } from "../../src/run/temp.js";
import { freePort } from "../helpers/ports.js";
import { repoRoot } from "../helpers/python.js";

const dir = mkdtempSync(join(tmpdir(), "sluice-parent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

/**
 * Starts the kernel the way Jupyter does, from a stand-in parent process (which sets JPY_PARENT_PID
 * to itself), waits until the kernel answers its heartbeat, then SIGKILLs the parent.
 */
async function orphanKernel(connectionFile: string, env: Record<string, string> = {}): Promise<number> {
  const [shell, iopub, stdin, control, hb] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(connectionFile, JSON.stringify({ shell_port: shell, iopub_port: iopub, stdin_port: stdin, control_port: control, hb_port: hb, ip: "127.0.0.1", key: randomBytes(16).toString("hex"), transport: "tcp", signature_scheme: "hmac-sha256" }), { mode: 0o600 });
  const launcher = `
    const { spawn } = require("node:child_process");
    const kernel = spawn(process.execPath, [${JSON.stringify(join(repoRoot, "dist", "kernel", "main.js"))}, ${JSON.stringify(connectionFile)}],
      { env: { ...process.env, JPY_PARENT_PID: String(process.pid) }, stdio: "ignore", detached: true });
    console.log(kernel.pid);
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ["-e", launcher], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const kernelPid = Number(await new Promise<string>((r) => parent.stdout!.once("data", (d) => r(String(d)))));
  const beat = new zmq.Request({ linger: 0, receiveTimeout: 30_000 });
  beat.connect(`tcp://127.0.0.1:${hb}`);
  await beat.send("ping");
  expect(String((await beat.receive())[0])).toBe("ping");
  beat.close();
  parent.kill("SIGKILL");
  return kernelPid;
}

describe("a kernel whose parent dies", () => {
  it("exits, and leaves a connection file Jupyter wrote in its runtime folder alone", async () => {
    const runtime = join(dir, "runtime");
    mkdirSync(runtime);
    const file = join(runtime, "kernel-1234.json");
    const pid = await orphanKernel(file);
    await until(() => !running(pid), `kernel ${pid} to exit after its parent`);
    expect(existsSync(file)).toBe(true);
  }, 60_000);

  it("removes a runner folder only if its name carries the dead parent's pid", async () => {
    // SLUICE_RUNNER_TEMP inherited from elsewhere (say, a Jupyter server started inside a `sluice run`):
    // the folder belongs to another process, so it stays.
    const foreign = join(dir, "sluice-run-1-abcdef");
    mkdirSync(foreign);
    const file = join(foreign, "kernel.json");
    const pid = await orphanKernel(file, { SLUICE_RUNNER_TEMP: foreign });
    await until(() => !running(pid), `kernel ${pid} to exit after its parent`);
    expect(existsSync(file)).toBe(true);
  }, 60_000);
});

describe("runner folders", () => {
  it("a kernel may remove the folder named in SLUICE_RUNNER_TEMP only when it is its dead parent's and holds its connection file", () => {
    const folder = join(dir, "sluice-run-4242-xyz");
    const env = { SLUICE_RUNNER_TEMP: folder };
    expect(ownedRunnerFolder(env, 4242, join(folder, "kernel-a", "kernel.json"))).toBe(folder);
    expect(ownedRunnerFolder(env, 4243, join(folder, "kernel-a", "kernel.json"))).toBeUndefined();
    expect(ownedRunnerFolder(env, 4242, join(dir, "runtime", "kernel-1.json"))).toBeUndefined();
    expect(ownedRunnerFolder(env, 4242, join(folder, "..", "elsewhere.json"))).toBeUndefined();
    expect(ownedRunnerFolder({}, 4242, join(folder, "kernel.json"))).toBeUndefined();
    expect(ownedRunnerFolder({ SLUICE_RUNNER_TEMP: "sluice-run-4242-xyz" }, 4242, "sluice-run-4242-xyz/kernel.json")).toBeUndefined();
    expect(ownedRunnerFolder({ SLUICE_RUNNER_TEMP: join(dir, "my-data") }, 4242, join(dir, "my-data", "kernel.json"))).toBeUndefined();
  });

  it("the sweep removes folders of runners that are gone and nothing else", () => {
    const tmp = join(dir, "sweep");
    mkdirSync(tmp);
    const dead = join(tmp, `sluice-run-${deadPid()}-aaaaaa`);
    const mine = join(tmp, `sluice-run-${process.pid}-bbbbbb`);
    const parent = join(tmp, `sluice-run-${process.ppid}-cccccc`);
    const other = join(tmp, "sluice-runner-notes");
    for (const d of [dead, mine, parent, other]) mkdirSync(join(d, "kernel-x"), { recursive: true });
    expect(sweepStaleRunFolders(tmp)).toEqual([dead]);
    expect([dead, mine, parent, other].map(existsSync)).toEqual([false, true, true, true]);
  });
});
