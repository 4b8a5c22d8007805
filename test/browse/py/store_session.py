"""Asks a real Sluice kernel about its asset store the way the JupyterLab Runs and Assets views do:
opens comm `sluice.store`, sends each request given as JSON on the command line, and prints the
replies (in order) as one JSON list. The kernel opens SLUICE_STORE from its environment.

usage: store_session.py '<json request>' ['<json request>' ...]
"""
import json
import sys
import time
import uuid

from jupyter_client.manager import start_new_kernel

TARGET = "sluice.store"


def main():
    requests = [json.loads(a) for a in sys.argv[1:]]
    km, kc = start_new_kernel(kernel_name="sluice", startup_timeout=60)
    comm_id = uuid.uuid4().hex
    replies = []
    try:
        def send(msg_type, content):
            kc.shell_channel.send(kc.session.msg(msg_type, content))

        send("comm_open", {"comm_id": comm_id, "target_name": TARGET, "data": {}})
        for request in requests:
            send("comm_msg", {"comm_id": comm_id, "data": request})
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    msg = kc.get_iopub_msg(timeout=1)
                except Exception:
                    continue
                c = msg["content"]
                if msg["msg_type"] == "comm_close" and c.get("comm_id") == comm_id:
                    replies.append({"closed": c.get("data")})
                    break
                if msg["msg_type"] == "comm_msg" and c.get("comm_id") == comm_id:
                    replies.append(c["data"])
                    break
            else:
                replies.append({"timeout": request})
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps(replies))


main()
