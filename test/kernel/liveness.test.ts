// Heartbeat and control answer while a cell spins; interrupts (message and SIGINT) stop CPU loops
// and pending awaits and keep state; a forged message never runs; shutdown with/without restart.
// Driven by the real jupyter_client (test/kernel/py/liveness.py) against the real kernel.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { runPythonJson, repoRoot } from "../helpers/python.js";

let spec: TempKernelspec;
let r: Record<string, any>;

beforeAll(async () => {
  spec = installTempKernelspec();
  r = await runPythonJson(join(repoRoot, "test/kernel/py/liveness.py"), [], { env: spec.env, timeoutMs: 150_000 });
  if (r.error) console.error(r.error, r.kernel_log);
}, 180_000);
afterAll(() => spec?.cleanup());

describe("kernel liveness (jupyter_client)", () => {
  it("ran the whole scenario", () => {
    expect(r.error).toBeUndefined();
  });

  it("answers the heartbeat while a cell runs while (true) {}", () => {
    expect(r.heartbeat_ms).toHaveLength(5);
    for (const ms of r.heartbeat_ms) expect(ms).not.toBeNull();
  });

  it("answers kernel_info on the control channel while a cell spins", () => {
    expect(r.control_during_loop.msg_type).toBe("kernel_info_reply");
    expect(r.control_during_loop.language).toBe("typescript");
  });

  it("interrupts a CPU-bound loop by message and keeps every variable", () => {
    expect(r.busy_interrupt).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(r.state_after_busy).toBe("[ 42, true ]");
  });

  it("streams output of a synchronous loop while it still runs", () => {
    expect(r.live_stream_chunks).toBeGreaterThanOrEqual(2);
    expect(r.live_stream_sample[0]).toMatch(/^tick \d+/);
  });

  it("interrupts a pending await and a loop after an await", () => {
    expect(r.interrupt_pending_await).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(r.interrupt_loop_after_await).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
  });

  it("interrupts on SIGINT too (sync loop, pending await, loop after an await)", () => {
    expect(r.sigint_sync_loop).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(r.sigint_pending_await).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(r.sigint_loop_after_await).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(r.kernel_log).not.toMatch(/DeprecationWarning/);
  });

  it("an interrupt cancels the cell's running query, not only the wait for it", () => {
    expect(r.query_interrupt).toMatchObject({ status: "error", ename: "KeyboardInterrupt" });
    expect(r.query_job_ends).toMatch(/^['"]?cancelled['"]?$/);
  });

  it("keeps state and runs later cells after all those interrupts", () => {
    expect(r.state_after_interrupts).toBe("43");
    expect(r.cells_after_interrupts).toBe(String(1 + (999 * 1000) / 2));
  });

  it("drops a message with a bad signature: no reply, never executed, logged", () => {
    expect(r.forged_reply).toBe(false);
    expect(r.forged_ran).toBe("'undefined'");
    expect(r.kernel_log).toMatch(/bad HMAC signature/);
    expect(r.kernel_log).not.toMatch(/FORGED RAN/);
  });

  it("restarts on shutdown_request(restart=true) with fresh state", () => {
    expect(r.after_restart).toBe("'undefined'");
    expect(r.restart_counts).toBe(2);
  });

  it("exits by itself after shutdown_request", () => {
    expect(r.shutdown_reply).toMatchObject({ msg_type: "shutdown_reply", content: { status: "ok", restart: false } });
    expect(r.alive_after_shutdown).toBe(false);
    expect(r.shutdown_exit_s).toBeLessThan(5);
  });
});

describe("SIGINT fallback on the main thread (jupyter_client)", () => {
  it("stops a synchronous loop and a pending await, keeps state; the kernel says it runs the fallback", async () => {
    const f = await runPythonJson(join(repoRoot, "test/kernel/py/sigint_fallback.py"), [], { env: { ...spec.env, SLUICE_KERNEL_SIGINT: "main" }, timeoutMs: 60_000 });
    expect(f.error).toBeUndefined();
    expect(f.kernel_log).toContain("SIGINT is handled on the main thread");
    expect(f.sync_loop).toEqual({ status: "error", ename: "KeyboardInterrupt" });
    expect(f.pending_await).toEqual({ status: "error", ename: "KeyboardInterrupt" });
    expect(f.state_after).toBe("43");
    expect(f.alive).toBe(true);
  }, 90_000);
});
