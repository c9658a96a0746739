"""The project's resident EPUBCheck: one warm JVM that the first build starts and the next builds
(their worker processes) reuse, as they reuse the project's Prefect server.

A build's own EPUBCheck (:func:`flows.build.workers.local`) costs every build a JVM's start and
EPUBCheck's schemas (~5 s of CPU before the first answer); this one starts once. It is a small
Python process (``python -m flows.validate.resident``) that keeps a :class:`jvm.Service` (a JVM
that dies mid-check fails that check only and is started again on the same socket) and stops
after ``limits.server_idle_minutes`` with no build holding it, or on ``pamphleteer server stop``.
Its record (``checker.json``), log and locks are in the project's state folder (``.prefect/``,
beside the Prefect server's: :mod:`flows.daemon`); its socket in a private folder of the
system's temporary folder (a Unix socket's path is short).

A record is reused only when it names a live checker of ours (its command line carries the
record's token) started with this Python, this Java, this EPUBCheck jar, this server program
and this heap: after ``make`` brings another EPUBCheck, or another Java is first on the PATH, a
fresh checker replaces it. Each project has its own: two projects' builds never share one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from flows import daemon
from flows.limits import Limits
from flows.validate import jvm
from flows.validate.validators import EPUBCHECK_SERVER, epubcheck_jar, epubcheck_service

RECORD = "checker.json"
LOG = "checker.log"
START_LOCK = "checker.lock"
LEASE = "checker.lease"
#: The service the workers ask (:func:`jvm.address` reads its socket from the environment).
NAME = "epubcheck"


@dataclass(frozen=True)
class Record:
    """What ``checker.json`` says about a project's checker."""

    pid: int  # the Python process that keeps the JVM
    token: str
    socket: str
    identity: str  # what it was started with (:func:`identity`)
    started: float
    idle_minutes: float

    def current(self, heap_mb: int) -> bool:
        return self.identity == identity(heap_mb)

    def ours(self) -> bool:
        """Its pid is still the checker it names (no /proc: trusted while it lives)."""
        return daemon.alive(self.pid) and daemon.carries(self.pid, self.token) is not False


def _stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return f"{path} missing"
    return f"{path} {stat.st_size} {stat.st_mtime_ns}"


def identity(heap_mb: int) -> str:
    """What a checker runs: this Python, the Java on the PATH (the file it resolves to), the
    EPUBCheck jar and the server's source (their size and time), and its heap."""
    java = shutil.which("java")
    server = hashlib.sha256(EPUBCHECK_SERVER.read_bytes()).hexdigest()[:16]
    parts = [sys.executable, _stamp(Path(os.path.realpath(java))) if java else "no java",
             _stamp(epubcheck_jar()), server, f"heap {heap_mb}"]  # fmt: skip
    return "; ".join(parts)


def read_record(home: Path) -> Record | None:
    data = daemon.read_record(home / RECORD)
    try:
        return Record(**data) if data is not None else None
    except TypeError:
        return None


def _heap(limits: Limits) -> int:
    return int(limits.checker_heap_mb)


def start(home: Path, limits: Limits) -> Record:
    """The project's checker: the running one if it is current and ours, else one started now
    (not waited for: its socket answers once its JVM is up, :func:`jvm.connect` waits). Call
    inside :func:`lease`."""
    home.mkdir(parents=True, exist_ok=True)
    with daemon.locked(home / START_LOCK):
        record = read_record(home)
        if (record is not None and record.current(_heap(limits)) and record.ours()
                and Path(record.socket).parent.is_dir()):  # fmt: skip
            return record
        if record is not None:
            _end(record)  # dead, of another EPUBCheck or Java, or its pid someone else's now
            (home / RECORD).unlink(missing_ok=True)
        token = secrets.token_hex(16)
        env = daemon.unmarked(os.environ)
        folder = jvm.socket_folder(NAME, env.get("TMPDIR") or "/tmp")  # never the build's
        log = home / LOG
        if log.exists():
            log.replace(home / f"{LOG}.previous")
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "flows.validate.resident", token, str(folder),
                 str(limits.server_idle_minutes), str(_heap(limits))],
                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,  # not ended by the build's Ctrl-C, nor its terminal
                cwd=home, env=env,
            )  # fmt: skip
        record = Record(proc.pid, token, str(folder / "socket"), identity(_heap(limits)),
                        time.time(), limits.server_idle_minutes)  # fmt: skip
        daemon.write_record(home / RECORD, asdict(record))
        return record


def lease(home: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the project's checker for the duration: it does not stop meanwhile."""
    home.mkdir(parents=True, exist_ok=True)
    return daemon.lease(home / LEASE, f"The resident EPUBCheck of {home.parent}")


@contextlib.contextmanager
def used(home: Path, limits: Limits) -> Iterator[Record]:
    """The project's checker for the duration, named to this process's workers (the variable
    :func:`jvm.address` reads), held so that it does not stop meanwhile."""
    variable = jvm.env_name(NAME)
    before = os.environ.get(variable)
    with lease(home):
        record = start(home, limits)
        os.environ[variable] = record.socket
        try:
            yield record
        finally:
            if before is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = before


def _end(record: Record) -> None:
    if record.ours():
        daemon.end(record.pid, grace=10)


def stop(home: Path) -> Record | None:
    """Stop the project's checker; the record of the one stopped, None if none was running."""
    return daemon.stop(home / RECORD, home / START_LOCK, lambda: read_record(home),
                       Record.ours, _end)  # fmt: skip


# The checker itself: ``python -m flows.validate.resident TOKEN FOLDER IDLE_MINUTES HEAP_MB``
# (cwd: the state folder).


def main(token: str, folder: Path, idle_minutes: float, heap_mb: int) -> None:
    home = Path.cwd()
    done = threading.Event()
    # SIGTERM (`server stop`) ends the wait below at once; the JVM is closed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    def ours() -> bool:
        record = read_record(home)
        return record is not None and record.token == token

    def stop(why: str) -> None:
        print(f"checker: {why}", flush=True)
        done.set()

    service = epubcheck_service(Limits(checker_heap_mb=heap_mb), folder)
    watch = (home / LEASE, idle_minutes * 60, ours, stop)
    threading.Thread(target=daemon.watch_idle, args=watch, daemon=True).start()
    try:
        while not done.wait(1.0):
            if not service.running:  # its JVM could not start: the next build tries anew
                failed = folder / "failed"
                print(f"checker: {failed.read_text() if failed.exists() else 'ended'}", flush=True)
                break
    finally:
        service.close()
        if ours():
            (home / RECORD).unlink(missing_ok=True)
        print("checker: stopped", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
