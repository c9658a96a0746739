"""A resident Prefect server per project, started by the first build and reused by the next.

Prefect's temporary server costs every build its start (~10 s of CPU: FastAPI, SQLAlchemy, the
database's migrations check), and on a busy machine it missed Prefect's start-up limit. This
server starts once (like Gradle's and Bazel's daemons), then a build only connects to it. Its
state, its record (``server.json``) and its log (``server.log``) live in the project's
``.prefect/`` (``PREFECT_HOME``); it stops by itself after ``limits.server_idle_minutes`` with no
request and no build (its own watchdog), or on ``pamphleteer server stop``.

Who may use it and when it may stop are two file locks in ``.prefect/``, ``server.lock`` and
``server.lease``, as for every resident process of a project (:mod:`flows.daemon`).

A record that does not lead to a live server of this Prefect, this Python, answering with the
record's token (a crashed server, a port since taken by another program, a server left by
another Prefect version) is replaced. A process is signalled only when it proved to be one of
ours: it answered with the record's token, or its command line carries it.

The client side (everything but :func:`main`) imports neither Prefect nor its server: a build
that finds its server running pays one local HTTP request.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows import daemon
from flows.daemon import alive
from flows.model import PamphleteerError

RECORD = "server.json"
LOG = "server.log"
START_LOCK = "server.lock"
LEASE = "server.lease"
#: The path where a resident server says who it is (never forwarded to Prefect).
IDENTITY = "/pamphleteer-server"


def prefect_version() -> str:
    from importlib import metadata  # here: a build that hands over never needs it

    return metadata.version("prefect")


@dataclass(frozen=True)
class Record:
    """What ``server.json`` says about the server of a project."""

    pid: int
    port: int
    token: str
    prefect: str
    python: str
    started: float
    idle_minutes: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def current(self) -> bool:
        """Started by this Python with this Prefect (a venv rebuilt or upgraded is not)."""
        return self.prefect == prefect_version() and self.python == sys.executable


def read_record(home: Path) -> Record | None:
    data = daemon.read_record(home / RECORD)
    try:
        return Record(**data) if data is not None else None
    except TypeError:
        return None


def _identity(record: Record, timeout: float = 3.0) -> dict[str, Any] | None:
    """What the server on the record's port says it is; None when nothing there answers."""
    import httpx

    try:
        answer = httpx.get(f"{record.ui}{IDENTITY}", timeout=timeout, verify=False)
        return answer.json() if answer.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return None


def answers(record: Record, timeout: float = 3.0) -> bool:
    """The record's server is up and is the one the record names (its token)."""
    found = _identity(record, timeout)
    return bool(found) and found.get("token") == record.token  # type: ignore[union-attr]


def _ours(record: Record) -> bool:
    """The record's pid is still the server it names (its command line carries the token)."""
    found = daemon.carries(record.pid, record.token)
    return answers(record) if found is None else found  # no /proc: only the server can say


def _end(record: Record, grace: float = 20.0) -> None:
    """Stop the record's server (SIGTERM, then SIGKILL after ``grace`` s), if it is ours."""
    if alive(record.pid) and _ours(record):
        daemon.end(record.pid, grace)


def lease(home: Path, wait: float = 60.0) -> contextlib.AbstractContextManager[None]:
    """Hold the project's server for the duration (shared with other commands): its watchdog
    does not stop it meanwhile. Waits for a server that is stopping to end."""
    home.mkdir(parents=True, exist_ok=True)
    return daemon.lease(home / LEASE, f"Prefect's server of {home.parent}", wait)


@dataclass(frozen=True)
class Starting:
    """A server running, or starting (here, or by another command): :meth:`wait` returns its
    record once it answers."""

    home: Path
    token: str
    pid: int | None  # None: started here, and not yet recorded
    proc: subprocess.Popen[bytes] | None = None  # when started by this command
    record: Record | None = None  # when it answered already

    @property
    def started(self) -> bool:
        return self.proc is not None

    def wait(self, limit: float) -> Record:
        """The record once the server answers. A server slower than ``limit`` seconds to start
        (a very busy machine) is not a failure while it lives; only one that ends, or takes
        ``limit`` s more, fails the command, in one line naming its log."""
        if self.record is not None:
            return self.record
        log = self.home / LOG
        deadline = time.monotonic() + limit
        while True:
            record = read_record(self.home)
            if record is not None and record.token == self.token and answers(record, 2.0):
                return record
            code = self.proc.poll() if self.proc else None
            if code is not None or (self.pid is not None and not alive(self.pid)):
                how = f" (exit {code})" if code is not None else ""
                raise PamphleteerError(
                    f"Prefect's server stopped while starting{how}: {_last_line(log)} (see {log})"
                )
            if time.monotonic() > deadline:
                if self.proc:
                    self.proc.terminate()
                raise PamphleteerError(
                    f"Prefect's server did not answer within {limit:.0f} s (see {log}); the "
                    "machine is very busy: try again later, or raise limits.server_start_seconds"
                )
            time.sleep(0.1)


def _last_line(log: Path) -> str:
    try:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip()[:300] if lines else "an empty log"


def start(home: Path, idle_minutes: float, limit: float = 180) -> Starting:
    """The project's resident server: the running one, one another command is starting (for
    less than ``limit`` s), or one started now. Not waited for: :meth:`Starting.wait`. Call
    inside :func:`lease`."""
    home.mkdir(parents=True, exist_ok=True)
    with daemon.locked(home / START_LOCK):
        record = read_record(home)
        if record is not None and record.current():
            if answers(record):
                return Starting(home, record.token, record.pid, record=record)
            if (time.time() - record.started < limit and alive(record.pid)
                    and _ours(record)):  # fmt: skip
                return Starting(home, record.token, record.pid)  # still starting
        if record is not None:
            _end(record)  # dead, hung, of another version, or its port is someone else's now
            (home / RECORD).unlink(missing_ok=True)
        token = secrets.token_hex(16)
        log = home / LOG
        if log.exists():
            log.replace(home / f"{LOG}.previous")  # a crashed server's last words stay a while
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "flows.prefect.resident", token, str(idle_minutes)],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # not ended by the build's Ctrl-C, nor its terminal
                cwd=home,
                # It outlives the build that starts it: never marked as one of that build's
                # processes (flows.lifeline ends those with the build), nor in its TMPDIR.
                env={**daemon.unmarked(os.environ), "PREFECT_HOME": str(home)},
            )
        return Starting(home, token, None, proc)


@contextlib.contextmanager
def running(home: Path, idle_minutes: float = 60, limit: float = 180) -> Iterator[Record]:
    """The project's server for the duration (a benchmark, a test): held, and stopped at the end
    if it was started here."""
    with lease(home):
        starting = start(home, idle_minutes, limit)
        record = starting.wait(limit)
        try:
            yield record
        finally:
            if starting.started:
                stop(home)


def stop(home: Path) -> Record | None:
    """Stop the project's server; the record of the one stopped, None if none was running."""
    return daemon.stop(home / RECORD, home / START_LOCK, lambda: read_record(home),
                       lambda record: alive(record.pid) and _ours(record), _end)  # fmt: skip


# The server itself: ``python -m flows.prefect.resident TOKEN IDLE_MINUTES`` (cwd: PREFECT_HOME).


class _Tracker:
    """An ASGI wrapper around Prefect's app: answers :data:`IDENTITY` itself, and notes when the
    last request ended and how many are under way (a websocket is one while it is open)."""

    def __init__(self, app: Any, identity: dict[str, Any]) -> None:
        self.app = app
        self.identity = json.dumps(identity).encode()
        self.last = time.monotonic()
        self.open = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == IDENTITY:
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": self.identity})
            return
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            self.last = time.monotonic()


def main(token: str, idle_minutes: float) -> None:
    home = Path.cwd()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))  # a free port, ours from now on: no race with others
    port = int(listener.getsockname()[1])
    record = Record(os.getpid(), port, token, prefect_version(), sys.executable, time.time(),
                    idle_minutes)  # fmt: skip
    daemon.write_record(home / RECORD, record.__dict__)

    import uvicorn
    from prefect.server.api.server import create_app

    tracker = _Tracker(create_app(final=True), {"token": token, "pid": os.getpid()})
    config = uvicorn.Config(tracker, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    def ours() -> bool:  # else it was replaced, or `server stop` lost its pid
        record = read_record(home)
        return not server.started or (record is not None and record.token == token)

    def stop(why: str) -> None:
        print(f"resident: {why}", flush=True)
        server.should_exit = True

    def last_active() -> float:  # a websocket is a request while it is open
        return time.monotonic() if tracker.open else tracker.last

    watch = (home / LEASE, idle_minutes * 60, ours, stop, last_active)
    threading.Thread(target=daemon.watch_idle, args=watch, daemon=True).start()
    try:
        server.run(sockets=[listener])
    finally:
        current = read_record(home)
        if current is not None and current.token == token:
            (home / RECORD).unlink(missing_ok=True)
        print("resident: stopped", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
