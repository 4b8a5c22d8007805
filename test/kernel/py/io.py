"""stdin (input), comms in both directions through the in-kernel host API, the cell id, and module
imports from the notebook's folder (an ESM-only and a CommonJS package in its own node_modules,
a local file, and "sluice" always meaning the kernel's own library)."""
import json
import os
import tempfile
import time
import uuid

from kclient import start, execute, collect, result_of, text_of, emit

results = {}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


notebook_dir = tempfile.mkdtemp(prefix="sluice-notebook-")
nm = os.path.join(notebook_dir, "node_modules")
write(os.path.join(nm, "esm-only-pkg", "package.json"), json.dumps({"name": "esm-only-pkg", "version": "1.0.0", "type": "module", "exports": {".": {"import": "./index.js"}, "./extra": {"import": "./extra.js"}}}))
write(os.path.join(nm, "esm-only-pkg", "index.js"), "export default function greet(n) { return `hi ${n}`; }\nexport const kind = 'esm';\n")
write(os.path.join(nm, "esm-only-pkg", "extra.js"), "export const extra = 'subpath';\n")
write(os.path.join(nm, "cjs-pkg", "package.json"), json.dumps({"name": "cjs-pkg", "version": "1.0.0", "main": "lib.js"}))
write(os.path.join(nm, "cjs-pkg", "lib.js"), "module.exports = { kind: 'cjs', add: (a, b) => a + b };\n")
# a decoy: a notebook folder's own "sluice" must not shadow the kernel's library
write(os.path.join(nm, "sluice", "package.json"), json.dumps({"name": "sluice", "version": "0.0.0", "type": "module", "main": "index.js"}))
write(os.path.join(nm, "sluice", "index.js"), "export const decoy = true;\n")
write(os.path.join(notebook_dir, "helper.mjs"), "export const local = 'local file';\n")

km, kc = start(cwd=notebook_dir)


def iopub_until(predicate, timeout=10):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        except Exception:
            break
        seen.append(msg)
        if predicate(msg):
            return msg, seen
    return None, seen


def send_shell(msg_type, content, metadata=None):
    msg = kc.session.msg(msg_type, content, metadata=metadata or {})
    kc.shell_channel.send(msg)
    return msg["header"]["msg_id"]


def main():
    # --- stdin -----------------------------------------------------------------------------
    msg_id = kc.execute("const who = await input('Name? ');\nconst secret = await input('Password: ', { password: true });\n`hello ${who} (${secret.length})`", allow_stdin=True)
    first = kc.get_stdin_msg(timeout=10)
    kc.input("Ada")
    second = kc.get_stdin_msg(timeout=10)
    kc.input("hunter2")
    reply = kc.get_shell_msg(timeout=10)
    out = collect(kc, msg_id)
    results["stdin"] = {
        "requests": [(m["msg_type"], m["content"], m["parent_header"].get("msg_id") == msg_id) for m in (first, second)],
        "reply": reply["content"]["status"],
        "result": result_of({"iopub": out}),
    }
    denied = execute(kc, "await input('x')", allow_stdin=False)
    results["stdin_denied"] = denied["reply"]

    # --- comms: frontend opens, kernel target answers ----------------------------------------------
    execute(kc, "\n".join([
        "import { getHost } from 'sluice';",
        "getHost()!.registerCommTarget('echo', (comm, data) => {",
        "  comm.send({ opened: data });",
        "  comm.onMessage((d) => comm.send({ echo: d }));",
        "  comm.onClose((d) => { (globalThis as any).closedWith = d; });",
        "});",
    ]))
    comm_id = uuid.uuid4().hex
    send_shell("comm_open", {"comm_id": comm_id, "target_name": "echo", "data": {"hello": 1}})
    opened, _ = iopub_until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id)
    send_shell("comm_msg", {"comm_id": comm_id, "data": {"x": 2}})
    echoed, _ = iopub_until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id)
    info_id = send_shell("comm_info_request", {"target_name": "echo"})
    info = kc.get_shell_msg(timeout=10)["content"]
    send_shell("comm_close", {"comm_id": comm_id, "data": {"reason": "done"}})
    time.sleep(0.2)
    results["comm_frontend_opened"] = {
        "opened": opened and opened["content"]["data"],
        "echoed": echoed and echoed["content"]["data"],
        "info": info,
        "closed_with": result_of(execute(kc, "(globalThis as any).closedWith")),
    }
    unknown_id = uuid.uuid4().hex
    send_shell("comm_open", {"comm_id": unknown_id, "target_name": "no-such-target", "data": {}})
    closed, _ = iopub_until(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == unknown_id)
    results["comm_unknown_target"] = closed and closed["content"]

    # --- comms: kernel opens, frontend answers --------------------------------------------------------
    open_id = kc.execute("\n".join([
        "const kcomm = getHost()!.openComm('kernel.side', { start: true });",
        "kcomm.onMessage((d) => kcomm.send({ got: d }));",
        "kcomm.commId.length > 0",
    ]))
    opened_k, seen = iopub_until(lambda m: m["msg_type"] == "comm_open")
    collect(kc, open_id)
    kc.get_shell_msg(timeout=10)
    k_id = opened_k["content"]["comm_id"]
    send_shell("comm_msg", {"comm_id": k_id, "data": {"ping": 1}})
    answer, _ = iopub_until(lambda m: m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == k_id)
    close_id = kc.execute("kcomm.close({ bye: 1 })")
    closed_k, _ = iopub_until(lambda m: m["msg_type"] == "comm_close" and m["content"]["comm_id"] == k_id)
    collect(kc, close_id)
    kc.get_shell_msg(timeout=10)
    results["comm_kernel_opened"] = {
        "open": {"target_name": opened_k["content"]["target_name"], "data": opened_k["content"]["data"], "parent_is_cell": opened_k["parent_header"].get("msg_id") == open_id},
        "answer": answer and answer["content"]["data"],
        "closed": closed_k and closed_k["content"]["data"],
    }

    # --- host: cell id and display from library code --------------------------------------------------
    cell_msg = send_shell("execute_request", {"code": "getHost()!.display({ 'text/plain': 'from host' }); getHost()!.currentCellId()", "silent": False, "store_history": True,
                                              "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}, metadata={"cellId": "cell-abc"})
    kc.get_shell_msg(timeout=10)
    out = collect(kc, cell_msg)
    results["host"] = {"result": result_of({"iopub": out}), "displays": [m["content"]["data"] for m in out if m["msg_type"] == "display_data"]}

    # --- imports from the notebook's folder -----------------------------------------------------------
    imports = execute(kc, "\n".join([
        "import greet, { kind as esmKind } from 'esm-only-pkg';",
        "import { extra } from 'esm-only-pkg/extra';",
        "import cjs from 'cjs-pkg';",
        "import { add } from 'cjs-pkg';",
        "import * as lib from 'sluice';",
        "import { local } from './helper.mjs';",
        "const dyn = await import('cjs-pkg');",
        "const required = require('cjs-pkg');",
        "[greet('Ada'), esmKind, extra, cjs.kind, add(2, 3), dyn.default.add(1, 1), required.kind, local, typeof lib.getHost, 'decoy' in lib, process.cwd()]",
    ]))
    results["imports"] = {"status": imports["reply"]["status"], "result": result_of(imports), "error": imports["reply"].get("evalue")}
    later = execute(kc, "greet('again')")
    results["import_in_later_cell"] = result_of(later)
    missing = execute(kc, "import nope from 'not-installed-pkg';")
    results["import_missing"] = missing["reply"]
    results["notebook_dir"] = os.path.realpath(notebook_dir)


try:
    main()
except Exception:
    import traceback
    results["error_in_driver"] = traceback.format_exc()
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
emit(results)
