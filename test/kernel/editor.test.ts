// Editing comfort through the real jupyter_client (test/kernel/py/editor.py): on a fresh kernel the
// first completion offers groupBy (a lazy frame's member, and inside `import { … } from "sluice"`);
// a type error is a warning on stderr while the cell still runs and returns its value; tracebacks of
// a library error and of a cancelled query show the cell as In [n] and hide Sluice's own frames
// unless SLUICE_DEBUG=1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { repoRoot, runPythonJson } from "../helpers/python.js";

let spec: TempKernelspec;
let r: Record<string, any>;

beforeAll(async () => {
  spec = installTempKernelspec();
  r = await runPythonJson(join(repoRoot, "test/kernel/py/editor.py"), [], { env: spec.env, timeoutMs: 300_000 });
}, 320_000);
afterAll(() => spec?.cleanup());

const plain = (lines: string[]) => lines.map((l) => l.replace(/\u001b\[[0-9;]*m/g, "")).join("\n");

describe("editing comfort (jupyter_client)", () => {
  it("ran the whole scenario", () => {
    expect(r.error_in_driver ?? null).toBeNull();
    expect(r.service_ready).toBe(true);
  });

  it("offers groupBy on the first completion of a fresh kernel", () => {
    expect(r.import_first.status).toBe("ok");
    // the library exports the GroupBy class (groupBy itself is a frame method)
    expect(r.import_first.matches).toContain("GroupBy");
    expect(r.import_first.cursor_start).toBe("import { ".length);
    expect(r.member_first.matches).toContain("groupBy");
    expect(r.member_first.cursor_start).toBe(3);
  });

  it("reports a type error as a warning naming In [n], line and column, and still runs the cell", () => {
    const t = r.type_error;
    expect(t.status).toBe("ok");
    expect(t.result).toBe("'text!'");
    expect(t.stderr).toContain(`In [${t.count}]:1:7`);
    expect(t.stderr).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(t.stderr).toMatch(/TS2322/);
    expect(r.clean.stderr).toBe("");
    expect(r.clean.result).toBe("4");
  });

  it("shows a library error at the cell's line without Sluice's internal frames", () => {
    const tb = plain(r.library_error.traceback);
    expect(r.library_error.ename).toBe("ColumnNotFoundError");
    expect(tb).toContain(`In [${r.library_error.count}]:1:`);
    expect(tb).not.toMatch(/dist\/|node:internal|node_modules|cell-\d+\.ts/);
    expect(tb).toMatch(/frames? inside Sluice hidden; set SLUICE_DEBUG=1/);
    expect(plain(r.library_error_debug.traceback)).toMatch(/dist\/src\//);
  });

  it("shows a cancelled query's CancelledError at In [n], not cell-N.ts", () => {
    const tb = plain(r.cancelled.traceback);
    expect(r.cancelled.ename).toBe("CancelledError");
    expect(tb).toContain(`In [${r.cancelled.count}]:3:`);
    expect(tb).not.toMatch(/cell-\d+\.ts|dist\//);
  });
});
