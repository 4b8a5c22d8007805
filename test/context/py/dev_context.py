"""Starts the Sluice kernel the way Jupyter Server does for a notebook session (JPY_SESSION_NAME set,
the notebook's folder as cwd) and reads `context.params` before and after (re-)running the notebook's
parameters cell. Prints one JSON object for the TypeScript test to check.

usage: dev_context.py SESSION_NAME CWD
"""
import json
import os
import sys

from jupyter_client.manager import start_new_kernel


def run(kc, code, timeout=60):
    """Executes code; returns the execute_result's text/plain, or the error."""
    msg_id = kc.execute(code)
    result = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t == "execute_result":
            result = msg["content"]["data"]["text/plain"]
        elif t == "error":
            result = {"error": msg["content"]["ename"] + ": " + msg["content"]["evalue"]}
        elif t == "status" and msg["content"]["execution_state"] == "idle":
            return result


def main():
    session_name, cwd = sys.argv[1], sys.argv[2]
    env = {**os.environ}
    if session_name:
        env["JPY_SESSION_NAME"] = session_name
    else:
        env.pop("JPY_SESSION_NAME", None)
    env.pop("SLUICE_CONTEXT", None)
    km, kc = start_new_kernel(kernel_name="sluice", startup_timeout=60, env=env, cwd=cwd)
    out = {}
    try:
        run(kc, 'import { context } from "sluice";')
        out["before"] = run(kc, "JSON.stringify(context.params)")
        out["in_pipeline"] = run(kc, "context.inPipeline")
        # The user edits the parameters cell and runs it again.
        run(kc, 'const factor = 7;\nconst label: string = "edited";\nconst since = "2024-02-01";')
        out["after"] = run(kc, "JSON.stringify(context.params)")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
