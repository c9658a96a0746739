"""A warm command: the project's resident process that has already imported Prefect and the
build, and runs each later ``pamphleteer build`` in a process forked from it, as Gradle's daemon
and Nailgun run a build in a JVM that is already warm.

Most of a small build's time is not the build: importing Prefect and what its first flow run
imports costs more than cleaning, rendering and checking one text (docs/engine.md, "Small
builds"). The first build of a project starts this process once it is done; a later build
(the command, here the *client*) sends it its arguments, environment, working folder, umask and
its three standard streams (file descriptors, ``SCM_RIGHTS``); the warm process forks a child
that takes them as its own and runs :func:`flows.cli.main.main` as the command would have: the
child plans, starts the build's workers and their guardian (:mod:`flows.lifeline`), holds the
Prefect server's and the checker's leases, prints to the user's terminal, and sends its exit
status back. Nothing else changes.

- It is used only when it imported what this command would import (:func:`identity`): the same
  Python and packages, the same ``flows`` source, the same Prefect settings (the ``PREFECT_*``
  variables, which Prefect reads when imported; its API's address is read again in the child)
  and the same niceness. Else the command builds in its own process, then starts a fresh one.
- The command's end ends its build: the child watches the socket, and when the command is gone
  (killed, even with ``kill -9``, or its whole process group) the child is killed as the command
  would have been, and the build's guardian ends the rest. Ctrl-C, SIGTERM and SIGHUP sent to
  the command are passed on.
- It forks only while it runs a single thread (a lock held by another thread would stay locked
  in the child forever); it stops after the project's idle time with no build running, when its
  record names another, or on ``pamphleteer server stop``.
- Its socket is abstract (no path, nothing left on disk) and it serves only its own user
  (``SO_PEERCRED``). Linux only; elsewhere every build runs in its command.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import site
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flows import daemon

RECORD = "command.json"
LOG = "command.log"
START_LOCK = "command.lock"
#: The largest request (arguments and environment) a warm process reads.
MAX_REQUEST = 1 << 20
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_FLOWS = Path(__file__).resolve().parent.parent
#: The warm process's program. Not ``-m``: the build's worker processes, started by
#: multiprocessing, import the parent's main module by name, and that one imports Prefect.
SERVE = "import sys; from flows.cli.warm_process import serve; serve(sys.argv[1], sys.argv[2])"


@dataclass(frozen=True)
class Record:
    """What ``command.json`` says about a project's warm command."""

    pid: int
    token: str
    identity: str
    started: float
    idle_minutes: float

    @property
    def address(self) -> str:
        return address(self.token)

    def ours(self) -> bool:
        return daemon.alive(self.pid) and daemon.carries(self.pid, self.token) is not False


def address(token: str) -> str:
    """The warm process's socket: abstract (Linux), named by its token."""
    return f"\0pamphleteer-command-{token}"


def read_record(home: Path) -> Record | None:
    data = daemon.read_record(home / RECORD)
    try:
        return Record(**data) if data else None
    except TypeError:  # a record of another version
        return None


def identity(environ: Mapping[str, str]) -> str:
    """What a process imports with: Python, its packages (their folders' times), the ``flows``
    source (each file's size and time), the Prefect settings in ``environ`` but the API's
    address, ``PYTHONPATH``, and the niceness its builds run at."""
    parts = [sys.executable, sys.version, str(os.getpriority(os.PRIO_PROCESS, 0))]
    parts += sorted(f"{k}={v}" for k, v in environ.items() if _imported_with(k))
    for folder in site.getsitepackages():
        with contextlib.suppress(OSError):
            parts.append(f"{folder} {os.stat(folder).st_mtime_ns}")
    for path in sorted(_FLOWS.rglob("*.py")):
        stat = path.stat()
        parts.append(f"{path} {stat.st_size} {stat.st_mtime_ns}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def _imported_with(variable: str) -> bool:
    return variable == "PYTHONPATH" or (
        variable.startswith("PREFECT_") and variable != "PREFECT_API_URL"
    )


# The client: the command.


def _line(stream: Any) -> dict[str, Any] | None:
    raw = stream.readline(4096)
    try:
        message = json.loads(raw) if raw else None
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def hand_over(home: Path, argv: list[str]) -> int | None:
    """Run this command in the project's warm process; its exit status, or None when there is
    none to use (not started, another identity, busy stopping): then the command runs here."""
    if sys.platform != "linux":
        return None
    record = read_record(home)
    if record is None or record.identity != identity(os.environ) or not record.ours():
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(),
                          "umask": umask, "identity": record.identity}).encode()  # fmt: skip
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(10)
        connection.connect(record.address)
        socket.send_fds(connection, [struct.pack("!I", len(request))], [0, 1, 2])
        connection.sendall(request)
        stream = connection.makefile("rb")
        started = _line(stream)
    except OSError:  # not listening yet, stopping, a closed standard stream: build here
        connection.close()
        return None
    if not started or "pid" not in started:
        connection.close()
        return None
    child = int(started["pid"])
    connection.settimeout(None)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)

    for signum in FORWARDED:
        signal.signal(signum, forward)
    ended = _line(stream)
    if ended is None:  # the warm process and its child both gone without a word
        print("pamphleteer: the build's process ended without an exit status (its warm process "
              "was stopped?)", file=sys.stderr)  # fmt: skip
        return 1
    if "signal" in ended:
        name = signal.Signals(ended["signal"]).name
        print(f"pamphleteer: the build's process was killed ({name})", file=sys.stderr)
        return 128 + int(ended["signal"])
    return int(ended["exit"])


def start(home: Path, idle_minutes: float) -> None:
    """Start the project's warm command for the next builds, unless one that fits runs."""
    if sys.platform != "linux":
        return
    home.mkdir(parents=True, exist_ok=True)
    with daemon.locked(home / START_LOCK):
        record = read_record(home)
        wanted = identity(os.environ)
        if record is not None and record.ours():
            if record.identity == wanted:
                return
            daemon.end(record.pid, grace=5)  # its builds are children it does not wait for
        token = secrets.token_hex(16)
        log = home / LOG
        if log.exists():
            log.replace(home / f"{LOG}.previous")
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-c", SERVE, token, str(idle_minutes)],
                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,  # not ended by the build's Ctrl-C, nor its terminal
                cwd=home, env=daemon.unmarked(os.environ),
            )  # fmt: skip
        record = Record(proc.pid, token, wanted, time.time(), idle_minutes)
        daemon.write_record(home / RECORD, asdict(record))


def stop(home: Path) -> Record | None:
    """Stop the project's warm command (builds it runs go on); the one stopped, or None."""
    return daemon.stop(home / RECORD, home / START_LOCK, lambda: read_record(home),
                       Record.ours, lambda record: daemon.end(record.pid, grace=5))  # fmt: skip
