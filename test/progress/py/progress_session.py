"""Drives the Sluice kernel through jupyter_client like a progress panel would: opens comm
`sluice.progress`, runs cells, and records every comm message and inline display. Prints one
JSON object (the recording) for the TypeScript test to check.

usage: progress_session.py stream|query|cancel|pipeline [data_dir]
"""
import json
import sys
import time
import uuid

from jupyter_client.manager import start_new_kernel

TARGET = "sluice.progress"
PROGRESS_MIME = "application/vnd.sluice.progress+json"


class Session:
    def __init__(self):
        self.km, self.kc = start_new_kernel(kernel_name="sluice", startup_timeout=60)
        self.comm_id = uuid.uuid4().hex
        self.comm = []  # every comm_msg data for our comm, in arrival order
        self.closed = []
        self.displays = []  # display_data / update_display_data carrying the progress MIME

    def send_shell(self, msg_type, content):
        msg = self.kc.session.msg(msg_type, content)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def open_comm(self):
        self.send_shell("comm_open", {"comm_id": self.comm_id, "target_name": TARGET, "data": {}})

    def comm_send(self, data):
        self.send_shell("comm_msg", {"comm_id": self.comm_id, "data": data})

    def pump(self, until, timeout=60):
        """Reads IOPub until `until(msg)` is true for a message (or the timeout)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
            except Exception:
                continue
            t = msg["msg_type"]
            c = msg["content"]
            if t == "comm_msg" and c.get("comm_id") == self.comm_id:
                self.comm.append({"data": c["data"], "t": time.time()})
            elif t == "comm_close" and c.get("comm_id") == self.comm_id:
                self.closed.append(c.get("data"))
            elif t in ("display_data", "update_display_data") and PROGRESS_MIME in c.get("data", {}):
                self.displays.append(
                    {
                        "msg_type": t,
                        "display_id": c.get("transient", {}).get("display_id"),
                        "parent": msg["parent_header"].get("msg_id"),
                        "data": c["data"],
                        "t": time.time(),
                    }
                )
            if until(msg):
                return msg
        raise TimeoutError("no matching IOPub message in time")

    def execute(self, code, timeout=120):
        msg_id = self.kc.execute(code)
        self.pump(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle", timeout)
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        return {"msg_id": msg_id, "reply": reply["content"]}

    def wait_comm(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.comm:
                if predicate(m["data"]):
                    return m["data"]
            try:
                self.pump(lambda m: m["msg_type"] == "comm_msg", timeout=min(1, deadline - time.time()))
            except TimeoutError:
                pass
        raise TimeoutError("no matching comm message in time")

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def events_of(messages):
    out = []
    for m in messages:
        if m["data"].get("type") == "events":
            out.extend(m["data"]["events"])
    return out


STREAM_JOB = """
import { emitProgress, newJobId } from "sluice";
const small = newJobId();
emitProgress({ type: "job.start", jobId: small, description: "ordered", startedAt: Date.now() });
emitProgress({ type: "stage.start", jobId: small, stageId: "s1", name: "scan", tasksTotal: 3, tasksDone: 0, rows: 0, bytes: 0 });
for (let t = 1; t <= 3; t++) {
  emitProgress({ type: "stage.progress", jobId: small, stageId: "s1", name: "scan", tasksTotal: 3, tasksDone: t, rows: t * 10, bytes: 0 });
  await new Promise((r) => setTimeout(r, 300));
}
emitProgress({ type: "stage.end", jobId: small, stageId: "s1", name: "scan", tasksTotal: 3, tasksDone: 3, rows: 30, bytes: 0 });
emitProgress({ type: "job.end", jobId: small, status: "succeeded", endedAt: Date.now(), operators: [{ id: "0", name: "SCAN", rows: 30, timeMs: 1 }] });
small
"""

BIG_JOB = """
const big = newJobId();
const t0 = Date.now();
emitProgress({ type: "job.start", jobId: big, description: "10,000 partitions", startedAt: t0 });
emitProgress({ type: "stage.start", jobId: big, stageId: "scan", name: "scan", tasksTotal: 10000, tasksDone: 0, rows: 0, bytes: 0 });
for (let t = 1; t <= 10000; t++) {
  emitProgress({ type: "stage.progress", jobId: big, stageId: "scan", name: "scan", tasksTotal: 10000, tasksDone: t, rows: t * 100, bytes: t * 800 });
  emitProgress({ type: "job.progress", jobId: big, percent: t / 100, rowsProcessed: t * 100, rowsTotal: 1000000, elapsedMs: Date.now() - t0 });
  if (t % 500 === 0) await new Promise((r) => setTimeout(r, 50));
}
emitProgress({ type: "stage.end", jobId: big, stageId: "scan", name: "scan", tasksTotal: 10000, tasksDone: 10000, rows: 1000000, bytes: 8000000 });
emitProgress({ type: "job.end", jobId: big, status: "succeeded", endedAt: Date.now(), operators: [] });
big
"""


def scenario_stream(s):
    out = {}
    s.open_comm()
    s.comm_send({"type": "sync"})
    out["first_sync"] = s.wait_comm(lambda d: d.get("type") == "sync")
    r = s.execute(STREAM_JOB)
    out["small_reply"] = r["reply"]
    out["small_events"] = [e for e in events_of(s.comm) if e.get("description") == "ordered" or e["type"] != "job.start"]
    before = len(s.comm)
    start = time.time()
    r = s.execute(BIG_JOB)
    out["big_seconds"] = time.time() - start
    out["big_reply"] = r["reply"]
    out["big_messages"] = len(s.comm) - before
    big_events = events_of(s.comm[before:])
    out["big_event_count"] = len(big_events)
    out["big_event_types"] = [e["type"] for e in big_events]
    out["big_last_stage"] = [e for e in big_events if e["type"] == "stage.end"]
    out["big_displays"] = [d for d in s.displays if d["parent"] == r["msg_id"]]
    s.comm_send({"type": "sync"})
    out["second_sync"] = s.wait_comm(lambda d: d.get("type") == "sync" and len(d["jobs"]) >= 2)
    s.comm_send({"type": "what"})
    out["error"] = s.wait_comm(lambda d: d.get("type") == "error")
    return out


def scenario_query(s, data_dir):
    out = {}
    s.open_comm()
    s.comm_send({"type": "sync"})
    s.wait_comm(lambda d: d.get("type") == "sync")
    code = f"""
import {{ scan, col }} from "sluice";
const trips = await scan.parquet({json.dumps(data_dir + "/trips.parquet")});
const byZone = await trips.filter(col("fare").gt(5)).groupBy("zone").agg(col("fare").sum().alias("total")).sort("zone").collect();
byZone.numRows
"""
    r = s.execute(code, timeout=180)
    out["reply"] = r["reply"]
    out["displays"] = [d for d in s.displays if d["parent"] == r["msg_id"]]
    out["events"] = events_of(s.comm)
    return out


def scenario_cancel(s, data_dir):
    out = {}
    s.open_comm()
    s.comm_send({"type": "sync"})
    s.wait_comm(lambda d: d.get("type") == "sync")
    s.execute('import { scan, col } from "sluice";\nconst keep = 42;')
    long_query = f"""
const t = await scan.parquet({json.dumps(data_dir + "/trips.parquet")});
// A self-join on a low-cardinality key: billions of rows, long enough to cancel.
await t.join(t, {{ on: "zone" }}).count();
"""
    msg_id = s.kc.execute(long_query)
    started = s.wait_comm(lambda d: d.get("type") == "events" and any(e["type"] == "job.start" for e in d["events"]), timeout=60)
    job_id = [e for e in started["events"] if e["type"] == "job.start"][0]["jobId"]
    time.sleep(1.0)
    cancel_sent = time.time()
    s.comm_send({"type": "cancel", "jobId": job_id})
    out["cancel_reply"] = s.wait_comm(lambda d: d.get("type") == "cancel")
    s.pump(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle", 60)
    out["cancel_seconds"] = time.time() - cancel_sent
    reply = s.kc.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = s.kc.get_shell_msg(timeout=30)
    out["long_reply"] = {k: reply["content"].get(k) for k in ("status", "ename", "evalue")}
    out["job_end"] = [e for e in events_of(s.comm) if e["type"] == "job.end" and e["jobId"] == job_id]
    out["after"] = s.execute("keep + 1")["reply"]["status"]
    out["after_value"] = None
    msg_id = s.kc.execute("keep + 1")
    while True:
        m = s.kc.get_iopub_msg(timeout=30)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "execute_result":
            out["after_value"] = m["content"]["data"]["text/plain"]
            break
    out["displays"] = [d for d in s.displays if d["display_id"] == f"sluice-progress-{job_id}"][-1:]
    return out


PIPELINE = """
import { fnOp, pipeline, runPipeline, AssetStore, col, type LazyFrame } from "sluice";
const store = new AssetStore(%(store)s);
const tiny = (name: string, pause: number) => pipeline(name, [
  fnOp({ name: "numbers", outputs: [`${name}/numbers`], run: async () => (await new Promise((r) => setTimeout(r, pause)), [1, 2, 3].map((n) => ({ n }))) }),
  fnOp({ name: "big", inputs: { x: `${name}/numbers` }, outputs: [`${name}/big`], run: (_ctx, inputs) => (inputs.x as LazyFrame).filter(col("n").gt(1)) }),
]);
"""


def scenario_pipeline(s, store_dir):
    """A pipeline of function ops run from a cell, then a second one cancelled from the comm."""
    out = {}
    s.open_comm()
    s.comm_send({"type": "sync"})
    s.wait_comm(lambda d: d.get("type") == "sync")
    s.execute(PIPELINE % {"store": json.dumps(store_dir)})
    r = s.execute('const result = await runPipeline(tiny("tiny", 300), { store, reporter: false });\n[result.status, result.jobId].join(" ")')
    out["reply"] = r["reply"]
    out["events"] = events_of(s.comm)
    out["displays"] = [d for d in s.displays if d["parent"] == r["msg_id"]]

    msg_id = s.kc.execute('const slow = await runPipeline(tiny("slow", 3000), { store, reporter: false });\nslow.status')
    started = s.wait_comm(lambda d: d.get("type") == "events" and any(e["type"] == "job.start" and e["description"] == "pipeline slow" for e in d["events"]), timeout=60)
    job_id = [e for e in started["events"] if e["type"] == "job.start" and e["description"] == "pipeline slow"][0]["jobId"]
    s.comm_send({"type": "cancel", "jobId": job_id})
    out["cancel_reply"] = s.wait_comm(lambda d: d.get("type") == "cancel")
    s.pump(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle", 60)
    out["cancel_end"] = [e for e in events_of(s.comm) if e["type"] == "job.end" and e["jobId"] == job_id]
    msg_id = s.kc.execute("slow.status")
    while True:
        m = s.kc.get_iopub_msg(timeout=30)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] in ("execute_result", "error"):
            out["cancelled_status"] = m["content"].get("data", {}).get("text/plain", m["content"].get("evalue"))
            break
    return out


def main():
    which = sys.argv[1]
    s = Session()
    try:
        if which == "stream":
            out = scenario_stream(s)
        elif which == "pipeline":
            out = scenario_pipeline(s, sys.argv[2])
        elif which == "query":
            out = scenario_query(s, sys.argv[2])
        else:
            out = scenario_cancel(s, sys.argv[2])
    finally:
        s.stop()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
