"""Editing comfort on fresh kernels: the first completion (a lazy frame's member, a library import)
offers groupBy; a type error is reported as a warning while the cell still runs; tracebacks of library
errors and of a cancelled query show In [n] frames and no library-internal ones unless SLUICE_DEBUG=1."""
import time

from kclient import start, execute, text_of, result_of, emit, stop

results = {}


def complete(kc, code):
    msg = kc.session.msg("complete_request", {"code": code, "cursor_pos": len(code)})
    kc.shell_channel.send(msg)
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
        reply = kc.get_shell_msg(timeout=60)
    return reply["content"]


def error_of(result):
    for m in result["iopub"]:
        if m["msg_type"] == "error":
            return {"ename": m["content"]["ename"], "traceback": m["content"]["traceback"]}
    return None


def main():
    # A fresh kernel whose first request after kernel_info is a completion inside `import { … }`.
    km, kc = start()
    try:
        results["import_first"] = complete(kc, 'import { gro')
    finally:
        stop(km, kc)

    km, kc = start()
    try:
        execute(kc, 'import { sql, cancelRunningJobs } from "sluice";\nconst df = await sql`select range as i, range % 3 as g from range(10)`;', timeout=60)
        results["member_first"] = complete(kc, "df.gro")

        # Wait until the language service answers what only it knows (a type that never ran).
        deadline = time.time() + 120
        while time.time() < deadline:
            if "zeta" in complete(kc, "let q!: { zeta: 1 }; q.ze")["matches"]:
                break
            time.sleep(0.5)
        results["service_ready"] = time.time() < deadline

        # The check runs beside the cell and is only waited for briefly after it: this cell runs for 3 s,
        # so the warning is ready on a loaded machine too.
        typed = execute(kc, 'const wrong: number = "text";\nawait new Promise((r) => setTimeout(r, 3000));\nwrong + "!"', timeout=60)
        results["type_error"] = {"stderr": text_of(typed, "stderr"), "result": result_of(typed), "status": typed["reply"]["status"],
                                 "count": typed["reply"]["execution_count"]}
        clean = execute(kc, "const fine: number = 2;\nfine * 2", timeout=60)
        results["clean"] = {"stderr": text_of(clean, "stderr"), "result": result_of(clean)}

        missing = execute(kc, 'const picked = df.select("nope");\npicked', timeout=60)
        results["library_error"] = {**error_of(missing), "count": missing["reply"]["execution_count"]}
        execute(kc, 'process.env.SLUICE_DEBUG = "1"')
        debug = execute(kc, 'df.select("nope")', timeout=60)
        results["library_error_debug"] = error_of(debug)
        execute(kc, 'delete process.env.SLUICE_DEBUG')

        cancelled = execute(kc, "setTimeout(() => cancelRunningJobs(), 1500);\nconst huge = await sql`select sum(a.range * b.range) as s from range(300000) a, range(300000) b`;\nawait huge.collect()", timeout=120)
        results["cancelled"] = {**(error_of(cancelled) or {}), "count": cancelled["reply"]["execution_count"]}
    finally:
        stop(km, kc)


try:
    main()
except Exception as e:  # report instead of dying silently
    import traceback
    results["error_in_driver"] = traceback.format_exc()
emit(results)
