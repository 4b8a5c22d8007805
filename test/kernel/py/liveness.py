"""Liveness under load: heartbeat and control while a cell spins, interrupts (message and SIGINT)
that keep state, a forged message that must never run, shutdown with and without restart."""
import json
import os
import signal
import sys
import tempfile
import time

import zmq
from jupyter_client.session import Session

from kclient import start, execute, collect, result_of, text_of, emit, stop, finish

results = {}
log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
km, kc = start(stderr=log)
ctx = zmq.Context.instance()


def ping_heartbeat(n=5):
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    sock.connect(f"tcp://{km.ip}:{km.hb_port}")
    times = []
    for i in range(n):
        t = time.perf_counter()
        sock.send(b"ping-%d" % i)
        if not sock.poll(2000):
            times.append(None)
            break
        assert sock.recv() == b"ping-%d" % i
        times.append((time.perf_counter() - t) * 1000)
    sock.close()
    return times


def step(name):
    print(f"step {name}", file=sys.stderr, flush=True)


def control_kernel_info():
    msg = kc.session.msg("kernel_info_request", {})
    kc.control_channel.send(msg)
    t = time.perf_counter()
    reply = kc.get_control_msg(timeout=5)
    return {"ms": (time.perf_counter() - t) * 1000, "msg_type": reply["msg_type"], "language": reply["content"]["language_info"]["name"]}


def interrupted_run(code, how):
    """Starts `code`, interrupts it after 400 ms, returns the reply and timings."""
    msg_id = kc.execute(code)
    time.sleep(0.4)
    t = time.perf_counter()
    if how == "message":
        km.interrupt_kernel()
    else:
        km.signal_kernel(signal.SIGINT)
    reply = kc.get_shell_msg(timeout=10)
    elapsed = (time.perf_counter() - t) * 1000
    collect(kc, msg_id, timeout=5)
    return {"status": reply["content"]["status"], "ename": reply["content"].get("ename"), "ms": elapsed}


def main():
    execute(kc, "const kept = { n: 42 }; let counter = 0")

    # heartbeat + control during a CPU-bound loop
    busy_id = kc.execute("while (true) { counter++ }")
    time.sleep(0.3)
    results["heartbeat_ms"] = ping_heartbeat()
    results["control_during_loop"] = control_kernel_info()
    t = time.perf_counter()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    results["busy_interrupt"] = {"status": reply["content"]["status"], "ename": reply["content"].get("ename"), "ms": (time.perf_counter() - t) * 1000}
    collect(kc, busy_id)
    results["state_after_busy"] = result_of(execute(kc, "[kept.n, counter > 0]"))

    # output printed inside a synchronous loop reaches the frontend while the loop still runs
    loop_id = kc.execute("let ticks = 0; while (true) { if (++ticks % 2000000 === 0) console.log('tick', ticks) }")
    live = []
    deadline = time.time() + 1.5
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=0.2)
        except Exception:
            continue
        if msg["parent_header"].get("msg_id") == loop_id and msg["msg_type"] == "stream":
            live.append(msg["content"]["text"])
    km.interrupt_kernel()
    kc.get_shell_msg(timeout=10)
    collect(kc, loop_id)
    results["live_stream_chunks"] = len(live)
    results["live_stream_sample"] = live[:1]

    results["interrupt_pending_await"] = interrupted_run("await new Promise(() => {})", "message")
    results["interrupt_loop_after_await"] = interrupted_run("await new Promise((r) => setTimeout(r, 50)); while (true) {}", "message")
    results["sigint_sync_loop"] = interrupted_run("while (true) {}", "signal")
    results["sigint_pending_await"] = interrupted_run("await new Promise(() => {})", "signal")
    results["sigint_loop_after_await"] = interrupted_run("await new Promise((r) => setTimeout(r, 50)); while (true) {}", "signal")
    results["state_after_interrupts"] = result_of(execute(kc, "kept.n + 1"))
    after = execute(kc, "let later = 1; for (let i = 0; i < 1000; i++) later += i; later")
    results["cells_after_interrupts"] = result_of(after)

    step("interrupt a query")
    # Interrupting a cell that waits on a DuckDB query cancels the query itself (job.end "cancelled"),
    # not only the cell's wait: ~15 s of cross join otherwise keeps running for a failed cell.
    execute(kc, 'import { onProgress, sql } from "sluice"; const ends: string[] = []; onProgress((e) => { if (e.type === "job.end") ends.push(e.status) })')
    query_id = kc.execute("await (await sql`select count(*) from range(60000) a, range(60000) b where a.range + b.range = 7`).collect()")
    time.sleep(1.5)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    collect(kc, query_id, timeout=5)
    results["query_interrupt"] = {"status": reply["content"]["status"], "ename": reply["content"].get("ename")}
    results["query_job_ends"] = result_of(execute(kc, "await new Promise((r) => setTimeout(r, 1000)); ends.join(\" \") || \"none\""))

    step("forged")
    # a message signed with the wrong key: dropped and logged, never executed
    forger = Session(key=b"not-the-key")
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.connect(f"tcp://{km.ip}:{km.shell_port}")
    forger.send(sock, "execute_request", {"code": "globalThis.forged = true; console.log('FORGED RAN')", "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    results["forged_reply"] = bool(sock.poll(1000))
    sock.close()
    results["forged_ran"] = result_of(execute(kc, "typeof (globalThis as any).forged"))

    step("restart")
    # shutdown with restart: a fresh kernel, old state gone
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=30)
    results["after_restart"] = result_of(execute(kc, "typeof kept"))
    results["restart_counts"] = execute(kc, "1")["reply"]["execution_count"]

    step("shutdown")
    # shutdown without restart: the kernel process exits by itself after replying
    kc.shutdown()
    reply = kc.get_control_msg(timeout=5)
    results["shutdown_reply"] = {"msg_type": reply["msg_type"], "content": reply["content"]}
    t = time.time()
    while km.is_alive() and time.time() - t < 10:
        time.sleep(0.05)
    results["shutdown_exit_s"] = time.time() - t
    results["alive_after_shutdown"] = km.is_alive()


try:
    main()
except Exception as error:
    results["error"] = repr(error)
finally:
    finish(results, km, kc, log)
