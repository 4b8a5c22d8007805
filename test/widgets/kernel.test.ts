// The Jupyter widget protocol (version 2) as jupyter_client speaks it to the real kernel
// (test/widgets/py/protocol.py), and widget state kept in a notebook executed by nbclient
// (test/widgets/py/notebook.py).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { join } from "node:path";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { installTempKernelspec, type TempKernelspec } from "../helpers/kernelspec.js";
import { runPythonJson, repoRoot, run } from "../helpers/python.js";
import { clickstreamStore, CUSTOMERS } from "./clickstream.js";

let spec: TempKernelspec;
let r: Record<string, any>;
let nb: Record<string, any>;
let runDir: string;
let executed: any;
let runLog: string;
let explorer: { code: number | null; log: string; nb?: any; expectedRows: number; dir: string } | undefined;

const NOTEBOOK = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: "sluice", display_name: "TypeScript (Sluice)", language: "typescript" } },
  cells: [
    'import { IntSlider, Widget } from "sluice";\nconst n = new IntSlider({ value: 4, max: 10 });\nn',
    'n.value = 9;\nnew Widget({ modelName: "BlobModel", viewName: null }, { data: new Uint8Array([1, 2, 3]) })',
  ].map((source, i) => ({ id: `c${i}`, cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })),
};

/** `sluice run` (its own client, not nbclient) on a notebook with widgets. */
async function sluiceRun(env: NodeJS.ProcessEnv): Promise<void> {
  runDir = mkdtempSync(join(tmpdir(), "sluice-widgets-run-"));
  writeFileSync(join(runDir, "in.ipynb"), JSON.stringify(NOTEBOOK));
  const result = await run(process.execPath, [join(repoRoot, "bin", "sluice.js"), "run", join(runDir, "in.ipynb"), join(runDir, "out.ipynb"), "--no-progress"], { env, cwd: runDir, timeoutMs: 200_000 });
  runLog = result.stderr + result.stdout;
  if (result.code === 0) executed = JSON.parse(readFileSync(join(runDir, "out.ipynb"), "utf8"));
}

/** The example notebooks/widgets/explorer.ipynb executed headless by `sluice run`, on a small clickstream store. */
async function explorerRun(env: NodeJS.ProcessEnv): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-widgets-explorer-"));
  const store = await clickstreamStore(join(dir, "store"));
  const expectedRows = await store.count(CUSTOMERS[0]!, 0, 23);
  store.close();
  const result = await run(
    process.execPath,
    [join(repoRoot, "bin", "sluice.js"), "run", join(repoRoot, "notebooks", "widgets", "explorer.ipynb"), join(dir, "out.ipynb"), "--no-progress"],
    { env: { ...env, SLUICE_STORE: join(dir, "store") }, cwd: dir, timeoutMs: 200_000 },
  );
  const nbOut = result.code === 0 ? JSON.parse(readFileSync(join(dir, "out.ipynb"), "utf8")) : undefined;
  explorer = { code: result.code, log: result.stderr + result.stdout, nb: nbOut, expectedRows, dir };
}

beforeAll(async () => {
  spec = installTempKernelspec();
  [r, nb] = await Promise.all([
    runPythonJson(join(repoRoot, "test/widgets/py/protocol.py"), [], { env: spec.env, timeoutMs: 200_000 }),
    runPythonJson(join(repoRoot, "test/widgets/py/notebook.py"), [], { env: spec.env, timeoutMs: 200_000 }),
    sluiceRun(spec.env),
    explorerRun(spec.env),
  ]);
}, 240_000);
afterAll(() => {
  spec?.cleanup();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  if (explorer) rmSync(explorer.dir, { recursive: true, force: true });
});

const VIEW = "application/vnd.jupyter.widget-view+json";

describe("widget protocol over jupyter_client", () => {
  it("ran the whole scenario", () => {
    expect(r.error_in_driver ?? null).toBeNull();
  });

  it("opens a comm to jupyter.widget with the model state and protocol version 2.1.0, and shows a view of it", () => {
    const open = r.open.iopub.find((m: any) => m.msg_type === "comm_open");
    expect(open.content.target_name).toBe("jupyter.widget");
    expect(open.metadata).toEqual({ version: "2.1.0" });
    expect(open.content.data.buffer_paths).toEqual([]);
    expect(open.content.data.state).toMatchObject({
      _model_name: "IntSliderModel",
      _model_module: "@jupyter-widgets/controls",
      _model_module_version: "2.0.0",
      _view_name: "IntSliderView",
      value: 3,
      min: 0,
      max: 10,
      description: "n",
    });
    const result = r.open.iopub.find((m: any) => m.msg_type === "execute_result");
    expect(result.content.data[VIEW]).toEqual({ version_major: 2, version_minor: 1, model_id: r.slider_id });
    // The comm is opened before the view that names it is shown.
    expect(r.open.iopub.indexOf(open)).toBeLessThan(r.open.iopub.indexOf(result));
  });

  it("sends the kernel's changes as `update` with only the changed keys", () => {
    expect(r.kernel_update.map((m: any) => m.content.data)).toEqual([{ method: "update", state: { value: 7 }, buffer_paths: [] }]);
  });

  it("applies a frontend `update`, echoes it (`echo_update`) and calls observe listeners with old and new", () => {
    expect(r.frontend_update.map((m: any) => m.content.data)).toEqual([{ method: "echo_update", state: { value: 9 }, buffer_paths: [] }]);
    expect(r.after_frontend_update).toEqual({ value: 9, seen: [[7, 9]] });
  });

  it("moves binary values as buffers with buffer_paths, both ways", () => {
    const open = r.blob_open[0];
    expect(open.content.data.buffer_paths).toEqual([["data"], ["nested", "parts", 0]]);
    expect(open.buffers).toEqual(["010203", "04"]);
    expect(open.content.data.state.nested).toEqual({ parts: [null, 5] });
    expect(r.blob_update_in[0].content.data).toEqual({ method: "echo_update", state: { note: "x" }, buffer_paths: [["data"]] });
    expect(r.blob_update_in[0].buffers).toEqual(["0908"]);
    expect(r.blob_after).toEqual({ data: [9, 8], note: "x" });
  });

  it("passes custom messages with buffers both ways; a button click arrives as one", () => {
    expect(r.custom_in).toEqual({ content: { hello: "kernel" }, bytes: [[7]] });
    expect(r.custom_out.map((m: any) => [m.content.data, m.buffers])).toEqual([[{ method: "custom", content: { hello: "frontend" } }, ["0606"]]]);
    expect(r.clicks).toBe(2);
  });

  it("answers request_state with the whole state", () => {
    const [msg] = r.request_state;
    expect(msg.content.data.method).toBe("update");
    expect(msg.content.data.state).toMatchObject({ _model_name: "BlobModel", note: "x" });
    expect(msg.buffers).toEqual(["0908", "04"]);
  });

  it("describes dropdowns, date pickers and boxes as @jupyter-widgets/controls models, and reads their frontend changes", () => {
    const byModel = Object.fromEntries(r.others_open.map((s: any) => [s._model_name, s]));
    expect(byModel.DropdownModel).toMatchObject({ _options_labels: ["Acme", "Globex"], index: 1, description: "customer" });
    expect(byModel.DatePickerModel.value).toEqual({ year: 2024, month: 2, date: 1 });
    expect(byModel.VBoxModel.children).toHaveLength(3);
    expect(byModel.VBoxModel.children.every((c: string) => c.startsWith("IPY_MODEL_"))).toBe(true);
    expect(byModel.TextModel.value).toBe("hi");
    expect(byModel.CheckboxModel.value).toBe(true);
    expect(r.others_after).toEqual({ customer: "acme", day: "2024-12-24T00:00:00.000Z" });
  });

  it("answers the widget manager's jupyter.widget.control comm with every live model (update_states)", () => {
    const [reply] = r.control;
    expect(reply.content.data.method).toBe("update_states");
    const states = reply.content.data.states;
    expect(states[r.slider_id]).toMatchObject({ model_name: "IntSliderModel", model_module: "@jupyter-widgets/controls", model_module_version: "2.0.0" });
    expect(states[r.slider_id].state.value).toBe(9);
    const blobPaths = reply.content.data.buffer_paths.filter((p: any[]) => states[p[0]]?.model_name === "BlobModel");
    expect(blobPaths.map((p: any[]) => p.slice(1))).toEqual([["state", "data"], ["state", "nested", "parts", 0]]);
  });

  it("interact shows fn's result in an Output widget and re-runs on a change, cancelling the run still going", () => {
    expect(r.interact_display[0].content.data[VIEW].model_id).toBeTruthy();
    expect(r.interact_first.map((m: any) => m.content.data.state.outputs)).toEqual([[{ output_type: "display_data", data: { "text/plain": "n × 10 = 20" }, metadata: {} }]]);
    // 50 waited until 7 replaced it: its signal aborted and its result was never shown.
    expect(r.interact_runs.runs).toEqual(["start 2", "done 2", "start 50", "aborted 50", "start 7", "done 7"]);
    expect(r.interact_runs.started).toBe(3);
    expect(r.interact_runs.completed).toBe(2);
    expect(r.interact_changes.map((m: any) => m.content.data.state.outputs[0].data["text/plain"])).toEqual(["n × 10 = 70"]);
  });

  it("interact cancels the previous run's lazy query in the engine when a control changes", () => {
    expect(r.query_cancel.engineRunning).toBe(true);
    expect(r.query_cancel.queryRuns).toEqual(["query started", "CancelledError"]);
    expect(r.query_cancel.outputs.map((o: any) => o.data["text/plain"])).toEqual(["m = 2"]);
    expect(r.query_cancel).toMatchObject({ started: 3, completed: 2 });
  });

  it("Output.capture routes the cell's displays into the widget (msg_id set, then cleared)", () => {
    expect(r.capture.updates.map((m: any) => m.content.data.state.msg_id)).toEqual([r.capture.updates[0].parent, ""]);
    const inside = r.capture.displays.find((m: any) => m.content.data["text/html"]);
    expect(inside.content.data["text/html"]).toBe("<b>inside</b>");
    expect(inside.parent).toBe(r.capture.updates[0].parent);
  });

  it("opens a custom ES-module widget as anywidget's AnyModel with the module source in _esm", () => {
    expect(r.anywidget_open).toHaveLength(1);
    expect(r.anywidget_open[0]).toMatchObject({
      _model_name: "AnyModel",
      _model_module: "anywidget",
      _model_module_version: "~0.11.*",
      _view_name: "AnyView",
      _view_module: "anywidget",
      _css: ".x { color: red }",
      count: 1,
    });
    expect(r.anywidget_open[0]._esm).toContain("render({ model, el })");
    expect(r.anywidget_count).toBe(2);
    expect(r.bad_anywidget).toMatchObject({ status: "error", ename: "WidgetError" });
    expect(r.bad_anywidget.evalue).toContain("ES module that exports render");
  });

  it("rejects bad options with a WidgetError that says what is wrong", () => {
    expect(r.bad_slider).toMatchObject({ status: "error", ename: "WidgetError" });
    expect(r.bad_slider.evalue).toContain("value 50 is outside [min 0, max 10]");
  });
});

describe("an executed notebook keeps the widget state (nbclient)", () => {
  it("ran", () => {
    expect(nb.error_in_driver ?? null).toBeNull();
    expect(nb.valid).toBe(true);
  });

  it("saves every model in metadata.widgets as application/vnd.jupyter.widget-state+json, with the latest values", () => {
    const saved = nb.metadata["application/vnd.jupyter.widget-state+json"];
    expect(saved).toMatchObject({ version_major: 2, version_minor: 0 });
    const models = Object.values(saved.state) as any[];
    const byName = Object.fromEntries(models.map((m) => [m.model_name, m]));
    expect(Object.keys(byName).sort()).toEqual(["DropdownModel", "IntSliderModel", "OutputModel", "VBoxModel"]);
    expect(byName.IntSliderModel.state.value).toBe(6);
    expect(byName.OutputModel.model_module).toBe("@jupyter-widgets/output");
    expect(byName.OutputModel.state.outputs).toEqual([{ output_type: "display_data", data: { "text/plain": "acme: 36" }, metadata: {} }]);
  });

  it("keeps the view of the widget in the cell's outputs, naming a saved model", () => {
    const view = nb.outputs[0][0].data[VIEW];
    expect(Object.keys(nb.metadata["application/vnd.jupyter.widget-state+json"].state)).toContain(view.model_id);
  });
});

describe("sluice run keeps the widget state too", () => {
  it("saves metadata.widgets with the latest values and binary buffers as base64", () => {
    expect(executed, runLog).toBeDefined();
    const saved = executed.metadata.widgets["application/vnd.jupyter.widget-state+json"];
    expect(saved).toMatchObject({ version_major: 2, version_minor: 0 });
    const models = Object.values(saved.state) as any[];
    const slider = models.find((m) => m.model_name === "IntSliderModel");
    expect(slider).toMatchObject({ model_module: "@jupyter-widgets/controls", model_module_version: "2.0.0" });
    expect(slider.state.value).toBe(9);
    const blob = models.find((m) => m.model_name === "BlobModel");
    expect(blob.buffers).toEqual([{ path: ["data"], encoding: "base64", data: Buffer.from([1, 2, 3]).toString("base64") }]);
    const view = executed.cells[0].outputs[0].data[VIEW];
    expect(saved.state[view.model_id].model_name).toBe("IntSliderModel");
  });
});

describe("the explorer example (notebooks/widgets/explorer.ipynb) runs headless", () => {
  it("sluice run executes every cell and saves the controls, the first chart and the first page of the grid", () => {
    expect(explorer?.code, explorer?.log).toBe(0);
    const cells = explorer!.nb.cells.filter((c: any) => c.cell_type === "code");
    expect(cells.flatMap((c: any) => c.outputs.filter((o: any) => o.output_type === "error"))).toEqual([]);
    const models = Object.values(explorer!.nb.metadata.widgets["application/vnd.jupyter.widget-state+json"].state) as any[];
    const customer = models.find((m) => m.model_name === "DropdownModel" && m.state.description === "customer");
    expect(customer.state).toMatchObject({ _options_labels: CUSTOMERS, index: 0 });
    expect(models.find((m) => m.model_name === "IntRangeSliderModel").state).toMatchObject({ description: "hours", value: [0, 23], min: 0, max: 23 });
    // interact's output holds the finished chart, not an empty area.
    const outputs = models.filter((m) => m.model_name === "OutputModel").flatMap((m) => m.state.outputs);
    const chart = outputs.find((o: any) => o.data?.["application/vnd.vegalite.v5+json"]);
    expect(chart.data["application/vnd.vegalite.v5+json"].title).toBe(`${CUSTOMERS[0]}, hours 0–23: page views per url`);
    // The grid's first page, not "loading…": the row count is DuckDB's own count of the files.
    const labels = models.filter((m) => m.model_name === "LabelModel").map((m) => m.state.value);
    expect(labels).toContain(`rows 1–12 of ${explorer!.expectedRows.toLocaleString("en-US")} · sorted by ts ascending`);
    const table = models.find((m) => m.model_name === "HTMLModel" && String(m.state.value).includes("sluice-grid"));
    expect(table.state.value.match(/<tr/g)).toHaveLength(13);
    // The last cell reads the grid's state back as a lazy frame.
    const last = cells[cells.length - 1].outputs.find((o: any) => o.output_type === "execute_result");
    expect(last.data["text/plain"]).toContain(`rows: ${explorer!.expectedRows}`);
  });
});
