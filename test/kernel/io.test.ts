// stdin, comms both ways through the in-kernel host API (src/host), the cell id, and imports from
// the notebook's folder — driven by the real jupyter_client (test/kernel/py/io.py), which creates
// a notebook folder with its own node_modules (an ESM-only and a CommonJS package, a decoy "sluice").
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { runPythonJson, repoRoot } from "../helpers/python.js";

let spec: TempKernelspec;
let r: Record<string, any>;

beforeAll(async () => {
  spec = installTempKernelspec();
  r = await runPythonJson(join(repoRoot, "test/kernel/py/io.py"), [], { env: spec.env, timeoutMs: 150_000 });
}, 180_000);
afterAll(() => {
  spec?.cleanup();
  if (r?.notebook_dir) rmSync(r.notebook_dir, { recursive: true, force: true });
});

describe("kernel stdin, comms and imports (jupyter_client)", () => {
  it("ran the whole scenario", () => {
    expect(r.error_in_driver ?? null).toBeNull();
  });

  it("asks for input on stdin (prompt, password flag) with the cell as parent", () => {
    expect(r.stdin.requests).toEqual([
      ["input_request", { prompt: "Name? ", password: false }, true],
      ["input_request", { prompt: "Password: ", password: true }, true],
    ]);
    expect(r.stdin.result).toBe("'hello Ada (7)'");
  });

  it("fails input() clearly when the request has allow_stdin=false", () => {
    expect(r.stdin_denied).toMatchObject({ status: "error", ename: "StdinNotAllowedError" });
    expect(r.stdin_denied.evalue).toMatch(/allow_stdin=false/);
  });

  it("lets the frontend open a comm to a kernel target, message it, list it and close it", () => {
    const c = r.comm_frontend_opened;
    expect(c.opened).toEqual({ opened: { hello: 1 } });
    expect(c.echoed).toEqual({ echo: { x: 2 } });
    expect(Object.values(c.info.comms)).toEqual([{ target_name: "echo" }]);
    expect(c.closed_with).toBe("{ reason: 'done' }");
  });

  it("closes a comm opened to an unknown target", () => {
    expect(r.comm_unknown_target.data.error).toMatch(/no-such-target/);
  });

  it("lets kernel code open a comm, receive the frontend's messages and close it", () => {
    expect(r.comm_kernel_opened.open).toEqual({ target_name: "kernel.side", data: { start: true }, parent_is_cell: true });
    expect(r.comm_kernel_opened.answer).toEqual({ got: { ping: 1 } });
    expect(r.comm_kernel_opened.closed).toEqual({ bye: 1 });
  });

  it("gives library code the cell id and display through the host", () => {
    expect(r.host.result).toBe("'cell-abc'");
    expect(r.host.displays).toEqual([{ "text/plain": "from host" }]);
  });

  it("imports ESM-only and CommonJS packages, subpaths, local files from the notebook folder; sluice is the kernel's own", () => {
    expect(r.imports.status).toBe("ok");
    const expected = ["'hi Ada'", "'esm'", "'subpath'", "'cjs'", "5", "2", "'cjs'", "'local file'", "'function'", "false"];
    for (const part of expected) expect(r.imports.result).toContain(part);
    expect(r.imports.result).toContain(r.notebook_dir);
    expect(r.import_in_later_cell).toBe("'hi again'");
  });

  it("names the missing package and the fix when an import fails", () => {
    expect(r.import_missing).toMatchObject({ status: "error", ename: "ModuleNotFoundError" });
    expect(r.import_missing.evalue).toMatch(/not-installed-pkg.*npm install not-installed-pkg/);
  });
});
