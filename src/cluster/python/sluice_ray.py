"""Sluice's Ray helper: the one Python process a Sluice runner talks to when steps run on a Ray cluster.

    python sluice_ray.py check              -> {"ray": "2.58.0"} (exit 3 when Ray is not importable)
    python sluice_ray.py status ADDRESS     -> {"nodes": [...]} of a running cluster
    python sluice_ray.py serve ADDRESS      -> JSON lines over stdio (the protocol is in docs/contracts.md,
                                               "Ray helper protocol")
    python sluice_ray.py agent ADDRESS SOCKET -> the same protocol on each connection to a Unix socket

`serve` connects as a Ray driver, runs each submitted command as a Ray task (one CPU unless the request
names resources) and answers with its exit code, output and the node it ran on. The runner owns this
process: when its stdin closes (the runner exited or was killed) or it gets SIGTERM, every task is
cancelled with force, which kills the Ray worker and, through PR_SET_PDEATHSIG, the command it started.

`agent` is the cluster's long-lived driver (started by `sluice cluster start --head`): every runner on the
machine talks to it over its socket instead of starting a driver of its own, and because all of them are one
Ray job, the Ray workers and their warm step processes outlive each run. A connection is one session: when it
closes (the runner exited or was killed) that session's tasks are cancelled with force, nobody else's.
"""

import json
import os
import re
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
EXIT_NO_RAY = 3
EXIT_CONNECT = 4


def _die_with_parent(sig):
    """Asks Linux to send `sig` to this process when the thread that started it dies."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)


_setpriv = {}


def _with_worker(cmd):
    """`cmd` and the Popen options that make it die with this Ray worker (SIGKILL when the worker dies).

    util-linux's `setpriv --pdeathsig KILL` sets that and execs the command, so Python can start it with vfork; a
    preexec_fn that calls prctl itself makes Python fork the whole Ray worker (hundreds of MB, dozens of threads),
    which cost 20-35 ms per command here. Without setpriv (or one too old for --pdeathsig), preexec_fn it is."""
    import shutil
    import subprocess

    if "path" not in _setpriv:
        path = shutil.which("setpriv")
        ok = path is not None and subprocess.run([path, "--pdeathsig", "KILL", "true"], capture_output=True).returncode == 0
        _setpriv["path"] = path if ok else None
    if _setpriv["path"]:
        return [_setpriv["path"], "--pdeathsig", "KILL", "--", *cmd], {}
    return list(cmd), {"preexec_fn": lambda: _die_with_parent(signal.SIGKILL)}


class StepKilled(Exception):
    """The command died of a signal (OOM killer, a kill on the node): the task is retried like a lost worker."""


def run_command(cmd, cwd, env, stdin_text):
    """Runs inside a Ray worker. The command dies with the worker (force cancel, the worker killed)."""
    import subprocess

    node, full_env = _command_env(env)
    argv, dies_with_worker = _with_worker(cmd)
    proc = subprocess.Popen(
        argv,
        cwd=cwd or None,
        env=full_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **dies_with_worker,
    )
    try:
        out, err = proc.communicate(stdin_text)
    except BaseException:
        # A gentle cancel (KeyboardInterrupt) or any failure here: the command must not outlive the task.
        proc.kill()
        proc.wait()
        raise
    if proc.returncode < 0:
        raise StepKilled(f"the step process {proc.pid} on node {node} was killed by signal {-proc.returncode}")
    return _task_result(node, proc.returncode, out, err)


def _command_env(env):
    """This node's address and the command's environment: the worker's, the request's, and where it runs (a step,
    and a test, read SLUICE_RAY_NODE and SLUICE_RAY_WORKER_PID)."""
    import ray

    node = ray.util.get_node_ip_address()
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env["SLUICE_RAY_NODE"] = node
    full_env["SLUICE_RAY_WORKER_PID"] = str(os.getpid())
    return node, full_env


# The warm step process of this Ray worker (run_warm), kept between tasks: Ray reuses a job's workers.
_warm = {"key": None, "proc": None, "results": None, "buffer": b""}


def _stop_warm():
    proc = _warm["proc"]
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()
    if _warm["results"] is not None:
        os.close(_warm["results"])
    _warm.update(key=None, proc=None, results=None, buffer=b"")


def _start_warm(cmd, cwd, env, key):
    import subprocess

    _stop_warm()
    read_end, write_end = os.pipe()
    try:
        argv, dies_with_worker = _with_worker([str(write_end) if a == "{resultFd}" else a for a in cmd])
        proc = subprocess.Popen(
            argv,
            cwd=cwd or None,
            env=env,
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            **dies_with_worker,
        )
    finally:
        os.close(write_end)  # the child's copy only: EOF or its death is how we learn it stopped
    _warm.update(key=key, proc=proc, results=read_end, buffer=b"")
    return proc


def _read_result(proc):
    """One line from the warm process's result pipe; None when the process died first."""
    import select

    while b"\n" not in _warm["buffer"]:
        # Its children (a kernel) may hold the pipe open after it died: poll its exit as well.
        ready, _, _ = select.select([_warm["results"]], [], [], 0.2)
        if ready:
            chunk = os.read(_warm["results"], 1 << 16)
            if chunk:
                _warm["buffer"] += chunk
                continue
        if proc.poll() is not None:
            return None
    line, _, rest = _warm["buffer"].partition(b"\n")
    _warm["buffer"] = rest
    return line.decode("utf-8")


def run_warm(cmd, cwd, env, stdin_text):
    """Runs inside a Ray worker: hands one request line to this worker's long-lived `cmd` (started on
    first use, or again when it died or the command, folder or environment changed) and returns the line
    it answers on the fd that replaces the "{resultFd}" argument. A cancel or a failure mid-request
    kills it, so nothing keeps running; the next task starts a fresh one."""
    node, full_env = _command_env(env)
    key = json.dumps([cmd, cwd, full_env], sort_keys=True)
    proc = _warm["proc"]
    if _warm["key"] != key or proc is None or proc.poll() is not None:
        proc = _start_warm(cmd, cwd, full_env, key)
    try:
        proc.stdin.write((stdin_text.strip() + "\n").encode("utf-8"))
        proc.stdin.flush()
        line = _read_result(proc)
    except BrokenPipeError:
        line = None
    except BaseException:
        # A gentle cancel (KeyboardInterrupt) or any failure here: the step must not outlive the task.
        _stop_warm()
        raise
    if line is None:
        code = proc.wait()
        pid = proc.pid
        _stop_warm()
        if code < 0:
            raise StepKilled(f"the step process {pid} on node {node} was killed by signal {-code}")
        return _task_result(node, code if code else 1, "", f"the warm step process {pid} exited ({code}) without a result; its output is in the Ray worker's log on node {node}")
    return _task_result(node, 0, line, "")


def _task_result(node, code, out, err):
    import ray

    return {
        "exit": code,
        "stdout": out,
        "stderr": err[-20000:],
        "node": node,
        "nodeId": ray.get_runtime_context().get_node_id(),
        "workerPid": os.getpid(),
    }


def _import_ray():
    try:
        import ray  # noqa: F401
    except ImportError as error:
        print(json.dumps({"error": "ray-missing", "message": str(error), "python": sys.executable}), flush=True)
        sys.exit(EXIT_NO_RAY)
    return sys.modules["ray"]


def _connect(ray, address):
    try:
        ray.init(address=address, log_to_driver=False, logging_level="ERROR", configure_logging=True)
    except Exception as error:  # Ray raises ConnectionError, RuntimeError or ValueError depending on the failure
        print(json.dumps({"type": "fatal", "error": "connect", "message": f"{type(error).__name__}: {error}"}), flush=True)
        sys.exit(EXIT_CONNECT)


def _nodes(ray):
    return [
        {
            "nodeId": n["NodeID"],
            "address": n["NodeManagerAddress"],
            "alive": n["Alive"],
            "resources": n.get("Resources", {}),
        }
        for n in ray.nodes()
    ]


def status(address):
    ray = _import_ray()
    _connect(ray, address)
    print(json.dumps({"nodes": _nodes(ray), "available": ray.available_resources()}), flush=True)


_remotes = {}


def _remote(ray, fn):
    """One Ray function per process: every session's tasks are the same functions of the same job."""
    if fn not in _remotes:
        _remotes[fn] = ray.remote(fn)
    return _remotes[fn]


class Server:
    """One session: reads requests from `lines`, answers through `write` (one JSON line per call, under a lock)."""

    def __init__(self, ray, write=None):
        self.ray = ray
        self.lock = threading.Lock()
        self.tasks = {}  # request id -> ObjectRef, while running
        self.closing = False
        self.write = write or _write_stdout
        self.remote = _remote(ray, run_command)
        self.remote_warm = _remote(ray, run_warm)
        self.nodes = _nodes(ray)

    def fits(self, wanted):
        for fresh in (False, True):
            if fresh:
                self.nodes = _nodes(self.ray)  # a node may have joined since
            if any(n["alive"] and all(n["resources"].get(k, 0) >= v for k, v in wanted.items()) for n in self.nodes):
                return True
        return False

    def send(self, message):
        line = json.dumps(message)
        with self.lock:
            try:
                self.write(line + "\n")
            except OSError:
                pass  # the session's runner is gone: its tasks are being cancelled

    def submit(self, req):
        task_id = req["id"]
        resources = dict(req.get("resources") or {})
        num_cpus = resources.pop("CPU", None)
        # Never zero CPUs and no resource: such tasks are unbounded (one worker process each).
        if num_cpus is None or (num_cpus == 0 and not resources):
            num_cpus = 1
        wanted = {"CPU": num_cpus, **resources}
        if not self.fits(wanted):
            # Ray would keep an infeasible task pending forever: say so now.
            have = sorted({k for n in self.nodes for k in n["resources"] if not k.startswith("node:")})
            self.send({"type": "failed", "id": task_id, "kind": "unschedulable",
                       "message": f"no alive node of the cluster has the resources {json.dumps(wanted)}; the nodes have {', '.join(have)}"})
            return
        options = {
            "num_cpus": num_cpus,
            "resources": resources,
            "max_retries": int(req.get("maxRetries", 3)),
            "retry_exceptions": [StepKilled],
            "name": req.get("name") or task_id,
        }
        remote = self.remote_warm if req.get("warm") else self.remote
        ref = remote.options(**options).remote(req["cmd"], req.get("cwd"), req.get("env"), req.get("stdin", ""))
        with self.lock:
            self.tasks[task_id] = ref
        ref.future().add_done_callback(lambda fut: self.finished(task_id, fut))

    def finished(self, task_id, fut):
        with self.lock:
            self.tasks.pop(task_id, None)
        try:
            result = fut.result()
            self.send({"type": "done", "id": task_id, **result})
        except BaseException as error:  # noqa: BLE001 - every failure is an answer, never a crash
            self.send({"type": "failed", "id": task_id, "kind": _kind(error), "message": _message(error)})

    def warm(self, req):
        """Starts `cmd` as the warm process of Ray workers on every alive node, one per CPU (at most
        `perNode`), each handed the line `stdin`: a run's first steps then find them loaded. Answers `warmed`
        when every warm task has ended (their own answers are not sent); cancelled with the others when the
        runner goes. The runner submits no step before that: a step queued behind a warm task on a node waits
        for that node even when another one is free."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        refs = {}
        for node in _nodes(self.ray):
            cpus = int(node["resources"].get("CPU", 0))
            if not node["alive"] or cpus < 1:
                continue
            for i in range(min(cpus, int(req.get("perNode", 1)))):
                refs[f"{req['id']}:{node['nodeId'][:8]}:{i}"] = self.remote_warm.options(
                    num_cpus=1, max_retries=0, name="sluice-warm-up",
                    scheduling_strategy=NodeAffinitySchedulingStrategy(node["nodeId"], soft=False),
                ).remote(req["cmd"], req.get("cwd"), req.get("env"), req.get("stdin", ""))
        state = {"left": len(refs), "failed": 0}

        def ended(task_id, fut):
            with self.lock:
                self.tasks.pop(task_id, None)
                state["left"] -= 1
                try:
                    ok = fut.exception() is None and fut.result().get("exit") == 0
                except BaseException:  # noqa: BLE001 - cancelled
                    ok = False
                state["failed"] += 0 if ok else 1
                last = state["left"] == 0
            if last:
                self.send({"type": "warmed", "id": req["id"], "tasks": len(refs), "failed": state["failed"]})

        with self.lock:
            self.tasks.update(refs)
        if not refs:
            self.send({"type": "warmed", "id": req["id"], "tasks": 0, "failed": 0})
        for task_id, ref in refs.items():
            ref.future().add_done_callback(lambda fut, task_id=task_id: ended(task_id, fut))

    def cancel(self, task_id):
        with self.lock:
            ref = self.tasks.get(task_id)
        if ref is not None:
            try:
                self.ray.cancel(ref, force=True)
            except Exception as error:  # noqa: BLE001 - already finished
                self.send({"type": "log", "message": f"cancel {task_id}: {error}"})

    def cancel_all(self):
        refs = list(self.tasks.values())  # no lock: this also runs from the SIGTERM handler
        for ref in refs:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - finished meanwhile
                pass

    def serve(self, lines, agent=False):
        self.send({"type": "ready", "ray": self.ray.__version__, "nodes": self.nodes, "pid": os.getpid(), "agent": agent})
        for line in lines:
            line = line.strip()
            if not line:
                continue
            try:
                req = json.loads(line)
                kind = req.get("type")
                if kind == "submit":
                    self.submit(req)
                elif kind == "warm":
                    self.warm(req)
                elif kind == "cancel":
                    self.cancel(req["id"])
                elif kind == "nodes":
                    self.send({"type": "nodes", "nodes": _nodes(self.ray)})
                elif kind == "close":
                    break
                else:
                    self.send({"type": "error", "message": f"unknown request type {kind!r}"})
            except Exception as error:  # noqa: BLE001 - a bad request must not stop the others
                self.send({"type": "error", "id": _id_of(line), "message": f"{type(error).__name__}: {error}"})
        # stdin closed (the runner is gone) or close requested: nothing may outlive the runner.
        if not agent:
            self.shutdown()
        self.closing = True
        self.cancel_all()

    def shutdown(self):
        if self.closing:
            return
        self.closing = True
        self.cancel_all()
        os._exit(0)  # ray.shutdown() can take seconds; the driver's exit ends its job and workers anyway


def _write_stdout(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def agent(ray, address, socket_path):
    """Serves sessions on a Unix socket until SIGTERM (then cancels every session's tasks and exits)."""
    import socket

    sessions = set()
    lock = threading.Lock()

    def stop(*_):
        with lock:
            for server in list(sessions):
                server.cancel_all()
        try:
            os.unlink(socket_path)
        except OSError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    if os.path.exists(socket_path):
        os.unlink(socket_path)  # a stopped agent's (a live one would still be in the state file)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # only this user may connect: a session runs commands on the cluster
    try:
        listener.bind(socket_path)
    finally:
        os.umask(old)
    listener.listen(16)
    print(json.dumps({"type": "agent", "pid": os.getpid(), "address": address, "socket": socket_path}), flush=True)

    def session(conn):
        reader = conn.makefile("r", encoding="utf-8")

        def write(text):
            conn.sendall(text.encode("utf-8"))

        server = None
        try:
            server = Server(ray, write)  # asks Ray for the nodes: fails when the cluster is gone
            with lock:
                sessions.add(server)
            server.serve(reader, agent=True)
        except Exception as error:  # noqa: BLE001 - one broken session must not stop the agent
            print(json.dumps({"type": "log", "message": f"session ended: {type(error).__name__}: {error}"}), flush=True)
            if server is not None:
                server.cancel_all()
        finally:
            with lock:
                sessions.discard(server)
            try:
                conn.close()
            except OSError:
                pass

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=session, args=(conn,), daemon=True).start()


def _id_of(line):
    try:
        return json.loads(line).get("id")
    except Exception:  # noqa: BLE001
        return None


def _kind(error):
    name = type(error).__name__
    if "TaskCancelled" in name:
        return "cancelled"
    if "NodeDied" in name or "WorkerCrashed" in name or "LocalRayletDied" in name:
        return "lost"
    if isinstance(getattr(error, "cause", None), StepKilled) or "StepKilled" in str(error):
        return "killed"
    if "Unschedulable" in name or "Infeasible" in str(error):
        return "unschedulable"
    return "error"


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _message(error):
    text = ANSI.sub("", str(error)).strip()
    # Ray's own errors carry its traceback; the first and last lines say what happened.
    lines = [l for l in text.splitlines() if l.strip()]
    if len(lines) > 4:
        lines = lines[:2] + ["..."] + lines[-2:]
    return f"{type(error).__name__}: " + "\n".join(lines)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("check", "status", "serve", "agent"):
        print("usage: sluice_ray.py check | status ADDRESS | serve ADDRESS | agent ADDRESS SOCKET", file=sys.stderr)
        return 2
    if argv[1] == "check":
        # Asked before every run on Ray: the installed version without importing Ray (0.5 s), which `serve` does anyway.
        from importlib import metadata, util

        if util.find_spec("ray") is None:
            print(json.dumps({"error": "ray-missing", "message": "No module named 'ray'", "python": sys.executable}), flush=True)
            return EXIT_NO_RAY
        print(json.dumps({"ray": metadata.version("ray"), "python": sys.executable}), flush=True)
        return 0
    if len(argv) < 3:
        print(f"usage: sluice_ray.py {argv[1]} ADDRESS", file=sys.stderr)
        return 2
    if argv[1] == "status":
        status(argv[2])
        return 0
    if argv[1] == "agent":
        if len(argv) < 4:
            print("usage: sluice_ray.py agent ADDRESS SOCKET", file=sys.stderr)
            return 2
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # detached from any terminal; stopped by SIGTERM to its pid
        ray = _import_ray()
        _connect(ray, argv[2])
        agent(ray, argv[2], argv[3])
        return 0
    # serve: the runner is our parent; die with it even when stdin is held open by someone else.
    _die_with_parent(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle: it sends "cancel"
    ray = _import_ray()
    _connect(ray, argv[2])
    server = Server(ray)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    server.serve(sys.stdin)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
