"""A fork server for the test harness: the processes of a System started in a fraction of a second.

A service's process spends about two seconds of CPU importing FastAPI, FastStream, aiokafka, asyncpg, pydantic and
its own modules before it does anything; a System starts seven such processes, and the suite starts hundreds. This
process imports all of them once, then, for each request on its Unix socket, forks a child that runs the module as
`python -m MODULE ARGS` would (`runpy`, `__main__`), with the given environment, working directory and log file. The
children are ordinary, separate processes running the real code: the harness signals and kills each on its own. This
server reaps them and answers what became of each (`status`).

Protocol: one JSON line per connection, one JSON line back.
  {"spawn": {"module": M, "args": [...], "env": {...}, "cwd": D, "log": FILE}} -> {"pid": N}
  {"status": N} -> {"returncode": C or null}
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import signal
import socket
import sys
from typing import Any

PRELOAD = (
    "shared.runtime",
    "registration.entrypoints.api",
    "sponsorship.entrypoints.api",
    "travel.entrypoints.api",
    "gds.app",
    "notifications.entrypoints.api",
    "api.entrypoints.http",
    "aiosmtpd.main",
    "aiosmtpd.handlers",
)

exited: dict[int, int] = {}


def reap(*_: Any) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        exited[pid] = os.waitstatus_to_exitcode(status)


def child(request: dict[str, Any], server: socket.socket) -> None:
    """In the forked child: become `python -m MODULE ARGS` with the request's environment and output."""
    try:
        server.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        sys.argv = [request["module"], *request["args"]]
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def serve(path: str) -> None:
    for module in PRELOAD:
        importlib.import_module(module)
    signal.signal(signal.SIGCHLD, reap)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    while True:
        try:
            conn, _ = server.accept()
        except InterruptedError:
            continue
        with conn:
            request = json.loads(conn.makefile("r").readline())
            if "spawn" in request:
                pid = os.fork()
                if pid == 0:
                    conn.close()
                    child(request["spawn"], server)
                answer: dict[str, Any] = {"pid": pid}
            else:
                reap()
                answer = {"returncode": exited.get(int(request["status"]))}
            conn.sendall((json.dumps(answer) + "\n").encode())


if __name__ == "__main__":
    serve(sys.argv[1])
