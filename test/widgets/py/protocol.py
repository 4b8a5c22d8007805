"""The widget protocol through jupyter_client, as a frontend speaks it: comm_open with the model state
and protocol version, updates both ways (update, echo_update), binary buffers, custom messages,
request_state, the jupyter.widget.control comm, display data, and interact re-running on a change."""
import json
import sys
import time

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "kernel", "py"))
from kclient import start, emit  # noqa: E402

results = {}
km, kc = start()


def wire(msg):
    return {
        "msg_type": msg["msg_type"],
        "content": msg["content"],
        "metadata": msg.get("metadata", {}),
        "parent": msg["parent_header"].get("msg_id"),
        "buffers": [bytes(b).hex() for b in msg.get("buffers", [])],
    }


def collect_until_idle(msg_id, timeout=60):
    """Every IOPub message up to the idle of request msg_id (messages of other parents too)."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        except Exception:
            break
        out.append(wire(msg))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle" and msg["parent_header"].get("msg_id") == msg_id:
            break
    return out


def execute(code, timeout=60):
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return {"reply": reply["content"], "iopub": collect_until_idle(msg_id, timeout)}


def value_of(code):
    """The text/plain result of a cell, parsed as JSON."""
    r = execute(f"JSON.stringify({code})")
    for m in r["iopub"]:
        if m["msg_type"] == "execute_result":
            return json.loads(json.loads(m["content"]["data"]["text/plain"].replace("'", '"')) if False else m["content"]["data"]["text/plain"][1:-1].replace("\\'", "'"))
    return {"error": r["reply"]}


def comm_send(comm_id, data, buffers=None):
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kc.shell_channel.send(msg) if not buffers else kc.session.send(kc.shell_channel.socket, msg, buffers=buffers)
    return collect_until_idle(msg["header"]["msg_id"])


def comm_open(target, comm_id, data):
    msg = kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": target, "data": data})
    kc.shell_channel.send(msg)
    return collect_until_idle(msg["header"]["msg_id"])


def drain(seconds):
    out = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            out.append(wire(kc.get_iopub_msg(timeout=0.2)))
        except Exception:
            pass
    return out


def comm_msgs(messages, comm_id=None):
    return [m for m in messages if m["msg_type"] == "comm_msg" and (comm_id is None or m["content"]["comm_id"] == comm_id)]


def main():
    first = execute('import { IntSlider, Button, Widget, interact, Dropdown, DatePicker, HBox, VBox, Text, Checkbox, OutputWidget } from "sluice";\n'
                    'const s = new IntSlider({ value: 3, min: 0, max: 10, description: "n" });\ns')
    results["open"] = first
    opens = [m for m in first["iopub"] if m["msg_type"] == "comm_open"]
    slider_id = opens[0]["content"]["comm_id"] if opens else None
    results["slider_id"] = slider_id

    results["kernel_update"] = comm_msgs(execute("s.value = 7")["iopub"], slider_id)

    execute("const seen: number[][] = []; s.observe('value', (c) => seen.push([c.old, c.new]));")
    results["frontend_update"] = comm_msgs(comm_send(slider_id, {"method": "update", "state": {"value": 9}, "buffer_paths": []}), slider_id)
    results["after_frontend_update"] = value_of("{ value: s.value, seen }")

    # Binary buffers both ways, on a model of our own.
    blob = execute('const w = new Widget({ modelName: "BlobModel", viewName: null }, { data: new Uint8Array([1, 2, 3]), nested: { parts: [new Uint8Array([4]), 5] } });\n'
                   'w.onMessage((content, buffers) => { (globalThis as any).got = { content, bytes: buffers.map((b) => Array.from(b)) }; });')
    results["blob_open"] = [m for m in blob["iopub"] if m["msg_type"] == "comm_open"]
    blob_id = results["blob_open"][0]["content"]["comm_id"] if results["blob_open"] else None
    results["blob_update_in"] = comm_msgs(comm_send(blob_id, {"method": "update", "state": {"note": "x"}, "buffer_paths": [["data"]]}, buffers=[b"\x09\x08"]), blob_id)
    results["blob_after"] = value_of('{ data: Array.from(w.get("data") as Uint8Array), note: w.get("note") }')
    comm_send(blob_id, {"method": "custom", "content": {"hello": "kernel"}}, buffers=[b"\x07"])
    results["custom_in"] = value_of("(globalThis as any).got")
    results["custom_out"] = comm_msgs(execute('w.send({ hello: "frontend" }, [new Uint8Array([6, 6])])')["iopub"], blob_id)
    results["request_state"] = comm_msgs(comm_send(blob_id, {"method": "request_state"}), blob_id)

    # A button's click arrives as a custom message.
    button = execute('let clicks = 0; const b = new Button({ description: "go" }); b.onClick(() => clicks++); b')
    button_id = [m for m in button["iopub"] if m["msg_type"] == "comm_open"][0]["content"]["comm_id"]
    comm_send(button_id, {"method": "custom", "content": {"event": "click"}})
    comm_send(button_id, {"method": "custom", "content": {"event": "click"}})
    results["clicks"] = value_of("clicks")

    # Other controls' states.
    others = execute('const d = new Dropdown({ options: [["Acme", "acme"], ["Globex", "globex"]], value: "globex", description: "customer" });\n'
                     'const day = new DatePicker({ value: new Date(Date.UTC(2024, 2, 1)) });\n'
                     'const box = new VBox([new HBox([d, day]), new Text({ value: "hi" }), new Checkbox({ value: true })]); box')
    results["others_open"] = [m["content"]["data"]["state"] for m in others["iopub"] if m["msg_type"] == "comm_open"]
    dropdown_id = [m for m in others["iopub"] if m["msg_type"] == "comm_open" and m["content"]["data"]["state"]["_model_name"] == "DropdownModel"][0]["content"]["comm_id"]
    date_id = [m for m in others["iopub"] if m["msg_type"] == "comm_open" and m["content"]["data"]["state"]["_model_name"] == "DatePickerModel"][0]["content"]["comm_id"]
    comm_send(dropdown_id, {"method": "update", "state": {"index": 0}, "buffer_paths": []})
    comm_send(date_id, {"method": "update", "state": {"value": {"year": 2024, "month": 11, "date": 24}}, "buffer_paths": []})
    results["others_after"] = value_of("{ customer: d.value, day: day.value?.toISOString() }")

    # The widget manager's control comm: every live model's state at once.
    results["control"] = comm_msgs(comm_open("jupyter.widget.control", "control-1", {}) + comm_send("control-1", {"method": "request_states"}), "control-1")

    # interact: the result is shown in an Output widget; a change re-runs, cancelling the run still going.
    it = execute('const n = new IntSlider({ value: 2, min: 0, max: 100 });\n'
                 'const runs: string[] = [];\n'
                 'const view = interact(async ({ n }, { signal }) => {\n'
                 '  runs.push(`start ${n}`);\n'
                 '  if (n === 50) await new Promise((resolve) => signal.addEventListener("abort", resolve));\n'
                 '  runs.push(`${signal.aborted ? "aborted" : "done"} ${n}`);\n'
                 '  return `n × 10 = ${n * 10}`;\n'
                 '}, { n });\nawait view.latest;\nview')
    it_opens = [m for m in it["iopub"] if m["msg_type"] == "comm_open"]
    output_id = [m for m in it_opens if m["content"]["data"]["state"]["_model_name"] == "OutputModel"][0]["content"]["comm_id"]
    n_id = [m for m in it_opens if m["content"]["data"]["state"]["_model_name"] == "IntSliderModel"][0]["content"]["comm_id"]
    results["interact_first"] = comm_msgs(it["iopub"], output_id)
    results["interact_display"] = [m for m in it["iopub"] if m["msg_type"] == "execute_result"]
    comm_send(n_id, {"method": "update", "state": {"value": 50}, "buffer_paths": []})
    comm_send(n_id, {"method": "update", "state": {"value": 7}, "buffer_paths": []})
    results["interact_changes"] = comm_msgs(drain(3), output_id)
    results["interact_runs"] = value_of("{ runs, started: view.startedRuns, completed: view.completedRuns, outputs: view.output.outputs }")

    # A run whose query is still going when the control changes: the query is cancelled in the engine.
    slow = execute('import { sql, onProgress } from "sluice";\n'
                   'const heavy = await sql`select sum(range % 7) as s from range(300000000000)`;\n'
                   'const m = new IntSlider({ value: 0, max: 10 });\n'
                   'const queryRuns: string[] = [];\n'
                   'let engineRunning = false;\n'
                   'onProgress((e) => { if (e.type === "job.start" && e.parentId) engineRunning = true; });\n'
                   'const slowView = interact(async ({ m }) => {\n'
                   '  if (m !== 1) return `m = ${m}`;\n'
                   '  queryRuns.push("query started");\n'
                   '  try { return await heavy.collect(); } catch (error) { queryRuns.push((error as Error).name); throw error; }\n'
                   '}, { m });\nawait slowView.latest; slowView')
    m_id = [m for m in slow["iopub"] if m["msg_type"] == "comm_open" and m["content"]["data"]["state"]["_model_name"] == "IntSliderModel"][0]["content"]["comm_id"]
    comm_send(m_id, {"method": "update", "state": {"value": 1}, "buffer_paths": []})
    for _ in range(120):  # until the heavy query runs in the engine (it would take minutes)
        if value_of("engineRunning"):
            break
        time.sleep(0.25)
    comm_send(m_id, {"method": "update", "state": {"value": 2}, "buffer_paths": []})
    results["query_cancel"] = value_of("await (async () => { await slowView.latest; await new Promise((r) => setTimeout(r, 500)); return { engineRunning, queryRuns, outputs: slowView.output.outputs, started: slowView.startedRuns, completed: slowView.completedRuns }; })()")

    # Outside interact: an Output widget captures what the cell displays meanwhile.
    cap = execute('const out = new OutputWidget(); display(out); await out.capture(async () => { display.html("<b>inside</b>"); });')
    out_id = [m for m in cap["iopub"] if m["msg_type"] == "comm_open"][0]["content"]["comm_id"]
    results["capture"] = {"updates": comm_msgs(cap["iopub"], out_id), "displays": [m for m in cap["iopub"] if m["msg_type"] == "display_data"], "cell": None}

    # A custom widget from an ES module: anywidget's model, with the module source in its state.
    anyw = execute('import { AnyWidget } from "sluice";\n'
                   'const counter = new AnyWidget({ esm: "export default { render({ model, el }) { el.textContent = model.get(\'count\'); } }", css: ".x { color: red }", state: { count: 1 } });\n'
                   'counter.observe("count", (c) => { (globalThis as any).counted = c.new; }); counter')
    results["anywidget_open"] = [m["content"]["data"]["state"] for m in anyw["iopub"] if m["msg_type"] == "comm_open"]
    any_id = [m for m in anyw["iopub"] if m["msg_type"] == "comm_open"][0]["content"]["comm_id"]
    comm_send(any_id, {"method": "update", "state": {"count": 2}, "buffer_paths": []})
    results["anywidget_count"] = value_of("(globalThis as any).counted")
    results["bad_anywidget"] = execute('new AnyWidget({ esm: "function render() {}" })')["reply"]

    # Bad input: a clear error.
    results["bad_slider"] = execute("new IntSlider({ value: 50, max: 10 })")["reply"]


try:
    main()
except Exception as error:  # noqa: BLE001
    import traceback
    results["error_in_driver"] = traceback.format_exc()
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    emit(results)
