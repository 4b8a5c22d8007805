"""Requests and replies: kernel_info, execute (counts, status parents, results, streams, display,
errors), is_complete, complete, inspect, history, comm_info."""
import time

from kclient import start, execute, collect, result_of, text_of, emit

results = {}
km, kc = start()


def shell_request(msg_type, content):
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
        reply = kc.get_shell_msg(timeout=60)
    iopub = collect(kc, msg["header"]["msg_id"], timeout=10)
    return {"msg_type": reply["msg_type"], "content": reply["content"], "iopub": [m["msg_type"] for m in iopub], "iopub_states": [m["content"].get("execution_state") for m in iopub]}


def main():
    info = shell_request("kernel_info_request", {})
    results["kernel_info"] = info

    first = execute(kc, "const a: number = 1;\na + 1")
    results["first"] = {"reply": first["reply"], "types": [m["msg_type"] for m in first["iopub"]], "result": result_of(first),
                        "input": [m["content"] for m in first["iopub"] if m["msg_type"] == "execute_input"]}
    no_history = execute(kc, "a + 10", store_history=False)
    results["no_history"] = {"count": no_history["reply"]["execution_count"], "result": result_of(no_history),
                             "input_count": [m["content"]["execution_count"] for m in no_history["iopub"] if m["msg_type"] == "execute_input"]}
    silent = execute(kc, "console.log('quiet'); a + 20", silent=True)
    results["silent"] = {"count": silent["reply"]["execution_count"], "types": [m["msg_type"] for m in silent["iopub"]]}
    results["after"] = execute(kc, "a")["reply"]["execution_count"]

    # redeclaration across cells
    execute(kc, "const a = 'again'; let b = 2; class K { v = 1 }; function f() { return 'f1' }")
    redo = execute(kc, "const a = 'third'; let b = 3; class K { v = 2 }; function f() { return 'f2' }\n[a, b, new K().v, f()]")
    results["redeclare"] = {"status": redo["reply"]["status"], "result": result_of(redo)}

    # streams and late output attribution
    cell_a = kc.execute("console.log('now'); console.error('err'); setTimeout(() => console.log('late from A'), 300)")
    cell_b = kc.execute("await new Promise((r) => setTimeout(r, 600)); console.log('B done')")
    streams = []
    deadline = time.time() + 10
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=5)
        parent = msg["parent_header"].get("msg_id")
        if msg["msg_type"] == "stream":
            streams.append({"cell": "A" if parent == cell_a else "B" if parent == cell_b else "?", "name": msg["content"]["name"], "text": msg["content"]["text"]})
        if parent == cell_b and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    kc.get_shell_msg(timeout=5)
    kc.get_shell_msg(timeout=5)
    results["streams"] = streams
    # errors thrown by a timer or an unhandled rejection after the cell: reported under that cell, kernel lives on
    late_id = kc.execute("setTimeout(() => { throw new Error('late boom') }, 100); void Promise.reject(new Error('rejected later')); 'scheduled'")
    late_err = []
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=0.3)
        except Exception:
            continue
        if msg["parent_header"].get("msg_id") == late_id and msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
            late_err.append(msg["content"]["text"])
    kc.get_shell_msg(timeout=5)
    results["late_errors"] = {"stderr": "".join(late_err), "alive": result_of(execute(kc, "'still here'"))}
    results["process_write"] = text_of(execute(kc, "process.stdout.write('raw write\\n'); undefined"))

    # rich output
    disp = execute(kc, "\n".join([
        "display({ x: 1 });",
        "display({ 'text/html': '<b>hi</b>', 'text/plain': 'hi' }, { raw: true, displayId: 'd1' });",
        "display({ 'text/html': '<b>bye</b>', 'text/plain': 'bye' }, { raw: true, displayId: 'd1', update: true });",
        "display.markdown('# title');",
        "const frame = { [Symbol.for('Jupyter.display')]() { return { 'text/html': '<table></table>', 'text/plain': 'frame' }; } };",
        "frame",
    ]))
    results["display"] = [{"type": m["msg_type"], "content": m["content"]} for m in disp["iopub"] if m["msg_type"] in ("display_data", "update_display_data", "execute_result")]

    # errors with the cell's own line numbers
    err = execute(kc, "const ok = 1;\n\nfunction inner(x: number): number {\n  return (x as any).nope.deeper;\n}\ninner(ok)")
    results["error"] = err["reply"]
    results["error_iopub"] = [m["content"] for m in err["iopub"] if m["msg_type"] == "error"]
    results["syntax_error"] = execute(kc, "const x = 1;\nlet y = ;")["reply"]
    # stop_on_error: requests queued behind a failing cell are aborted
    failing = kc.execute("await new Promise((r) => setTimeout(r, 200)); throw new Error('first fails')")
    queued = kc.execute("globalThis.ranAfterFailure = true")
    replies = {}
    while len(replies) < 2:
        reply = kc.get_shell_msg(timeout=10)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    collect(kc, queued)
    results["aborted"] = {"failing": replies[failing], "queued": replies[queued], "ran": result_of(execute(kc, "typeof (globalThis as any).ranAfterFailure"))}

    # user_expressions
    ue = execute(kc, "1", user_expressions={"twice": "a.length * 2"})
    results["user_expressions"] = ue["reply"]["user_expressions"]

    # is_complete
    results["is_complete"] = {code: shell_request("is_complete_request", {"code": code})["content"] for code in
                              ["const x = 1", "function f() {\n  return 1", "let s = `abc", "let = = 3;", "if (x) {", ""]}

    # complete / inspect (TypeScript language service + runtime names)
    execute(kc, "/** Adds two numbers, carefully. */\nfunction addUp(x: number, y: number): number { return x + y }\nconst myRecord = { alpha: 1, beta: 'two' };\n(globalThis as any).runtimeOnlyThing = 5;")
    # the language service loads on its own thread (from kernel start); a cell sent right after the
    # first completion runs without waiting for it, and the completion is answered too
    first_complete = kc.session.msg("complete_request", {"code": "myRe", "cursor_pos": 4})
    kc.shell_channel.send(first_complete)
    cell = kc.execute("'ran while the language service loads'")
    order = []
    while len(order) < 2:
        reply = kc.get_shell_msg(timeout=120)
        order.append(reply["msg_type"])
        if reply["msg_type"] == "complete_reply":
            results["first_complete"] = reply["content"]
        else:
            results["cell_while_loading"] = reply["content"]["status"]
    collect(kc, cell)
    results["reply_order"] = order
    # until the service has loaded, completions come from the running values only: wait for it
    deadline = time.time() + 120
    while "zeta" not in shell_request("complete_request", {"code": "let q!: { zeta: 1 }; q.ze", "cursor_pos": 25})["content"]["matches"]:
        if time.time() > deadline:
            raise RuntimeError("the language service did not load in 120 s")
        time.sleep(0.5)
    results["complete_global"] = shell_request("complete_request", {"code": "myRe", "cursor_pos": 4})
    results["complete_member"] = shell_request("complete_request", {"code": "myRecord.al", "cursor_pos": 11})
    results["complete_runtime"] = shell_request("complete_request", {"code": "runtimeOnl", "cursor_pos": 10})
    results["complete_string_method"] = shell_request("complete_request", {"code": "myRecord.beta.toUpp", "cursor_pos": 19})
    results["complete_redeclared"] = shell_request("complete_request", {"code": "a.toUpp", "cursor_pos": 7})
    results["inspect_redeclared"] = shell_request("inspect_request", {"code": "a", "cursor_pos": 1, "detail_level": 0})
    results["inspect"] = shell_request("inspect_request", {"code": "addUp(1, 2)", "cursor_pos": 3, "detail_level": 0})
    results["inspect_missing"] = shell_request("inspect_request", {"code": "   ", "cursor_pos": 1, "detail_level": 0})

    # history
    results["history_tail"] = shell_request("history_request", {"hist_access_type": "tail", "n": 2, "output": False, "raw": True})["content"]
    results["history_range"] = shell_request("history_request", {"hist_access_type": "range", "session": 0, "start": 1, "stop": 3, "output": True, "raw": True})["content"]
    results["history_search"] = shell_request("history_request", {"hist_access_type": "search", "pattern": "const a*", "output": False, "raw": True, "unique": True})["content"]

    # comm_info with no comms
    results["comm_info"] = shell_request("comm_info_request", {})

    # shutdown_request on the shell channel (older clients): reply, then the process exits
    msg = kc.session.msg("shutdown_request", {"restart": False})
    kc.shell_channel.send(msg)
    reply = kc.get_shell_msg(timeout=10)
    t = time.time()
    while km.is_alive() and time.time() - t < 10:
        time.sleep(0.05)
    results["shell_shutdown"] = {"msg_type": reply["msg_type"], "content": reply["content"], "alive": km.is_alive()}


try:
    main()
except Exception as error:
    import traceback
    results["error_in_driver"] = traceback.format_exc()
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
emit(results)
