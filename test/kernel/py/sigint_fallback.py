"""SIGINT on the fallback path (SLUICE_KERNEL_SIGINT=main: the main thread handles it, as when the wire
thread cannot watch signals): a synchronous loop and a pending await stop, state is kept."""
import signal
import tempfile
import time

from kclient import start, execute, result_of, collect, finish

results = {}
log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
km, kc = start(stderr=log)


def interrupted_by_sigint(code):
    msg_id = kc.execute(code)
    time.sleep(0.4)
    km.signal_kernel(signal.SIGINT)
    reply = kc.get_shell_msg(timeout=10)
    collect(kc, msg_id, timeout=5)
    return {"status": reply["content"]["status"], "ename": reply["content"].get("ename")}


try:
    execute(kc, "const kept = { n: 42 }")
    results["sync_loop"] = interrupted_by_sigint("while (true) {}")
    results["pending_await"] = interrupted_by_sigint("await new Promise(() => {})")
    results["state_after"] = result_of(execute(kc, "kept.n + 1"))
    results["alive"] = km.is_alive()
except Exception as error:
    results["error"] = repr(error)
finally:
    finish(results, km, kc, log)
