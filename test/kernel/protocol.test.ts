// The kernel's requests and replies through the real jupyter_client (test/kernel/py/protocol.py):
// kernel_info, execute (counts, status, results, streams, display, errors, stop_on_error),
// is_complete, complete/inspect (TypeScript language service + runtime), history, comm_info.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { runPythonJson, repoRoot } from "../helpers/python.js";

let spec: TempKernelspec;
let r: Record<string, any>;

beforeAll(async () => {
  spec = installTempKernelspec();
  r = await runPythonJson(join(repoRoot, "test/kernel/py/protocol.py"), [], { env: spec.env, timeoutMs: 150_000 });
}, 180_000);
afterAll(() => spec?.cleanup());

const plain = (lines: string[]) => lines.map((l) => l.replace(/\u001b\[[0-9;]*m/g, "")).join("\n");

describe("kernel protocol (jupyter_client)", () => {
  it("ran the whole scenario", () => {
    expect(r.error_in_driver ?? null).toBeNull();
  });

  it("answers kernel_info on shell with language_info per docs/contracts.md, busy/idle around it", () => {
    const c = r.kernel_info.content;
    expect(c.status).toBe("ok");
    expect(Number(c.protocol_version)).toBeGreaterThanOrEqual(5.3);
    expect(c.language_info).toMatchObject({ name: "typescript", file_extension: ".ts", mimetype: "text/typescript", codemirror_mode: "typescript" });
    expect(r.kernel_info.iopub_states).toEqual(["busy", "idle"]);
  });

  it("publishes busy, execute_input, execute_result, idle for a cell; the last expression is the result", () => {
    expect(r.first.types).toEqual(["status", "execute_input", "execute_result", "status"]);
    expect(r.first.result).toBe("2");
    expect(r.first.input).toEqual([{ code: "const a: number = 1;\na + 1", execution_count: 1 }]);
    expect(r.first.reply).toMatchObject({ status: "ok", execution_count: 1 });
  });

  it("raises execution_count only when store_history is true and silent is false", () => {
    expect(r.no_history.count).toBe(1);
    expect(r.no_history.result).toBe("11");
    expect(r.silent.count).toBe(1);
    expect(r.silent.types).toEqual(["status", "status"]); // silent: nothing broadcast
    expect(r.after).toBe(2);
  });

  it("lets const, let, class and function be declared again in a later cell", () => {
    expect(r.redeclare).toEqual({ status: "ok", result: "[ 'third', 3, 2, 'f2' ]" });
  });

  it("turns console and process writes into streams, late timer output attributed to its own cell", () => {
    expect(r.streams).toEqual([
      { cell: "A", name: "stdout", text: "now\n" },
      { cell: "A", name: "stderr", text: "err\n" },
      { cell: "A", name: "stdout", text: "late from A\n" },
      { cell: "B", name: "stdout", text: "B done\n" },
    ]);
    expect(r.process_write).toBe("raw write\n");
  });

  it("reports errors thrown after the cell (timer, unhandled rejection) under that cell and keeps running", () => {
    expect(r.late_errors.stderr).toMatch(/Uncaught Error: late boom/);
    expect(r.late_errors.stderr).toMatch(/rejected later/);
    expect(r.late_errors.alive).toBe("'still here'");
  });

  it("publishes display_data, update_display_data with the display id, helpers and Jupyter.display bundles", () => {
    const [obj, shown, updated, md, result] = r.display;
    expect(obj).toMatchObject({ type: "display_data", content: { data: { "text/plain": "{ x: 1 }" } } });
    expect(shown).toMatchObject({ type: "display_data", content: { data: { "text/html": "<b>hi</b>" }, transient: { display_id: "d1" } } });
    expect(updated).toMatchObject({ type: "update_display_data", content: { data: { "text/html": "<b>bye</b>" }, transient: { display_id: "d1" } } });
    expect(md).toMatchObject({ type: "display_data", content: { data: { "text/markdown": "# title" } } });
    expect(result).toMatchObject({ type: "execute_result", content: { data: { "text/html": "<table></table>", "text/plain": "frame" } } });
  });

  it("reports errors with ename, evalue and a traceback on the cell's own lines", () => {
    expect(r.error).toMatchObject({ status: "error", ename: "TypeError" });
    expect(r.error.evalue).toMatch(/deeper/);
    const tb = plain(r.error.traceback);
    expect(tb).toMatch(/at inner \(In \[\d+\]:4:\d+\)/);
    expect(tb).toMatch(/In \[\d+\]:6:\d+/);
    expect(tb).not.toMatch(/dist\/kernel/);
    expect(r.error_iopub[0].ename).toBe("TypeError");
    expect(r.syntax_error).toMatchObject({ status: "error", ename: "SyntaxError" });
    expect(plain(r.syntax_error.traceback)).toMatch(/In \[\d+\]:2:\d+/);
  });

  it("aborts requests queued behind a failing cell (stop_on_error)", () => {
    expect(r.aborted).toEqual({ failing: "error", queued: "aborted", ran: "'undefined'" });
  });

  it("evaluates user_expressions", () => {
    expect(r.user_expressions.twice).toMatchObject({ status: "ok", data: { "text/plain": "10" } });
  });

  it("tells complete, incomplete (with indent) and invalid code apart", () => {
    const c = r.is_complete;
    expect(c["const x = 1"].status).toBe("complete");
    expect(c["function f() {\n  return 1"]).toEqual({ status: "incomplete", indent: "  " });
    expect(c["let s = `abc"].status).toBe("incomplete");
    expect(c["if (x) {"]).toEqual({ status: "incomplete", indent: "  " });
    expect(c["let = = 3;"].status).toBe("invalid");
  });

  it("runs cells while the language service loads on its own thread", () => {
    expect([...r.reply_order].sort()).toEqual(["complete_reply", "execute_reply"]);
    expect(r.cell_while_loading).toBe("ok");
    expect(r.first_complete.matches).toContain("myRecord");
  });

  it("completes names declared in earlier cells, members by type, and runtime-only names", () => {
    expect(r.complete_global.content).toMatchObject({ status: "ok", cursor_start: 0, cursor_end: 4 });
    expect(r.complete_global.content.matches).toContain("myRecord");
    expect(r.complete_member.content.matches).toEqual(["alpha"]);
    expect(r.complete_member.content.cursor_start).toBe(9);
    expect(r.complete_string_method.content.matches).toContain("toUpperCase");
    expect(r.complete_runtime.content.matches).toContain("runtimeOnlyThing");
    const types = r.complete_member.content.metadata._jupyter_types_experimental;
    expect(types[0]).toMatchObject({ text: "alpha", type: "property" });
  });

  it("sees the latest declaration of a name declared again (number, then string)", () => {
    expect(r.complete_redeclared.content.matches).toContain("toUpperCase");
    expect(r.inspect_redeclared.content.data["text/plain"]).toMatch(/const a: "third"|const a: string/);
  });

  it("inspects with the signature and JSDoc of an earlier cell's function", () => {
    expect(r.inspect.content.found).toBe(true);
    expect(r.inspect.content.data["text/plain"]).toContain("function addUp(x: number, y: number): number");
    expect(r.inspect.content.data["text/plain"]).toContain("Adds two numbers, carefully.");
    expect(r.inspect_missing.content.found).toBe(false);
  });

  it("answers history tail, range (with outputs) and search", () => {
    expect(r.history_tail.history).toHaveLength(2);
    expect(r.history_range.history).toEqual([
      [1, 1, ["const a: number = 1;\na + 1", "2"]],
      [1, 2, ["a", "1"]],
    ]);
    const searched = r.history_search.history.map((h: any[]) => h[2]);
    expect(searched.length).toBeGreaterThanOrEqual(3);
    for (const input of searched) expect(input.startsWith("const a")).toBe(true);
  });

  it("shuts down on a shell-channel shutdown_request too", () => {
    expect(r.shell_shutdown).toEqual({ msg_type: "shutdown_reply", content: { status: "ok", restart: false }, alive: false });
  });

  it("answers comm_info", () => {
    expect(r.comm_info.content).toEqual({ status: "ok", comms: {} });
  });
});
