"""Small helpers over jupyter_client for the kernel tests: start a kernel by name, run code and
collect every IOPub message that belongs to the request."""
import json
import os
import sys
import time

from jupyter_client.manager import start_new_kernel

KERNEL = os.environ.get("SLUICE_KERNEL_NAME", "sluice")


def start(**kwargs):
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=30, **kwargs)
    return km, kc


def collect(kc, msg_id, timeout=20):
    """IOPub messages whose parent is msg_id, up to and including status idle."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        except Exception:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append({"msg_type": msg["msg_type"], "content": msg["content"]})
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return out


def execute(kc, code, timeout=20, **kwargs):
    msg_id = kc.execute(code, **kwargs)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    iopub = collect(kc, msg_id, timeout)
    return {"reply": reply["content"], "iopub": iopub}


def text_of(result, name="stdout"):
    return "".join(m["content"]["text"] for m in result["iopub"] if m["msg_type"] == "stream" and m["content"]["name"] == name)


def result_of(result):
    for m in result["iopub"]:
        if m["msg_type"] == "execute_result":
            return m["content"]["data"].get("text/plain")
    return None


def emit(value):
    sys.stdout.write(json.dumps(value, default=str) + "\n")
    sys.stdout.flush()


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def finish(results, km, kc, log):
    """Stops the kernel, adds its stderr (written to `log`) to the results as kernel_log, and emits them."""
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    log.flush()
    with open(log.name) as f:
        results["kernel_log"] = f.read()
    emit(results)
