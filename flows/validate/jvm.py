"""Resident JVMs for the validators: a Java checker started once, asked many times.

Starting a JVM and loading EPUBCheck's schemas costs seconds of CPU; a warm JVM checks an EPUB
in a tenth of one. A :class:`Service` is one such JVM, running a single-file Java program
(``java -cp JAR Program.java``: Java compiles it in memory, no javac needed) that listens on a
Unix socket in a private folder. Any process may send it requests (:func:`request`): the build's
worker processes share the one their owner started, named to them by an environment variable;
a process with none starts its own (:func:`address`) and stops it when it exits.

The JVM ends when its standard input closes, so none outlives its owner (the command, killed or
not). One that dies while checking fails that check only (:class:`CheckerStopped`); its owner
starts another on the same socket. Its heap is bounded (``-Xmx``, ``Limits.checker_heap_mb``) and
it exits on running out of memory rather than limp on.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flows.model import PamphleteerError

#: JVM options: C1 only (no C2) halves the CPU a cold JVM spends before its first answer and
#: is no slower on checks this short; the serial collector keeps the heap small and the JVM
#: to one collector thread; a JVM that runs out of memory exits (and is replaced).
JVM_OPTIONS = (
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Duser.language=en",
)
#: Why a JVM that has not started yet is waited for, and how often a client looks again.
_RETRY = 0.05


class CheckerStopped(RuntimeError):
    """The checker's JVM died, did not start or did not answer: the check could not be made.
    Not the input's fault, so not recorded as its failure (the next build tries again)."""


@dataclass(frozen=True)
class Answer:
    exit: int  # the checker's exit code, as its command line would give it
    report: bytes  # what it wrote (EPUBCheck: its JSON report)


#: The longest path a Unix socket may have on Linux (``sun_path`` is 108 bytes with its NUL).
_SOCKET_PATH_MAX = 107


def socket_folder(name: str, base: str | None = None) -> Path:
    """A private folder for a service's socket: in ``base`` (default: TMPDIR), or in /tmp when
    that is so deep that the socket's path would not fit in ``sun_path`` (the JVM could not
    bind it)."""
    folder = Path(tempfile.mkdtemp(prefix=f"pamphleteer-{name}-", dir=base))
    if len(os.fsencode(folder / "socket")) <= _SOCKET_PATH_MAX:
        return folder
    folder.rmdir()
    return Path(tempfile.mkdtemp(prefix=f"pamphleteer-{name}-", dir="/tmp"))


class Service:
    """One resident JVM running ``source`` with ``classpath``; restarted when it dies.

    ``args`` follow the socket's path on the program's command line; its socket is in ``folder``
    (made for it, else a new private one). :meth:`close` stops it (the context manager does too)
    and removes its folder.
    """

    def __init__(
        self, name: str, classpath: str, source: Path, args: Sequence[str] = (), heap_mb: int = 256,
        folder: Path | None = None,
    ) -> None:  # fmt: skip
        self.name = name
        self.folder = folder or socket_folder(name)
        self.socket = self.folder / "socket"
        self.cmd = ["java", f"-Xmx{heap_mb}m", *JVM_OPTIONS, "-cp", classpath, str(source),
                    str(self.socket), *args]  # fmt: skip
        self.version = ""
        self.starts = 0
        self._lock = threading.Lock()
        self._closing = False
        self._ready = threading.Event()
        self._proc = self._spawn()
        self._watcher = threading.Thread(target=self._watch, name=f"{name}-jvm", daemon=True)
        self._watcher.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        if self.starts > 1:
            self._stderr.close()  # the last JVM's
        # stderr to a file: a pipe nobody reads would fill up and stop the JVM mid-check.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        return subprocess.Popen(
            self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )

    def _watch(self) -> None:
        """Wait for each JVM to say it listens, then for it to end; start the next one unless
        closing, or unless this one never listened (it would fail the same way again)."""
        while True:
            proc = self._proc
            assert proc.stdout is not None
            line = proc.stdout.readline().decode(errors="replace").strip()
            if line.startswith("ready "):
                self.version = line.removeprefix("ready ")
                self._ready.set()
            proc.wait()
            with self._lock:
                if self._closing:
                    return
                if not line.startswith("ready "):
                    why = f"{self.name}'s JVM did not start (exit {proc.returncode}): "
                    (self.folder / "failed").write_text(why + self._stderr_tail())
                    self._ready.set()
                    return
                self._proc = self._spawn()

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return " ".join(self._stderr.read()[-2000:].decode(errors="replace").split())[-500:]

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def running(self) -> bool:
        """It has not given up: its JVM runs, or is being started again."""
        return self._watcher.is_alive()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> None:
        with self._lock:
            self._closing = True
            proc = self._proc
        if proc.stdin:
            proc.stdin.close()  # the JVM's signal to end
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._watcher.join(timeout=5)
        self._stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(path: Path, deadline: float) -> socket.socket:
    """A connection to the JVM at ``path``, waiting while it starts (or restarts)."""
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            failed = path.with_name("failed")
            if failed.is_file():
                raise CheckerStopped(failed.read_text()) from None
            if not path.parent.is_dir():
                raise CheckerStopped(f"the checker at {path} has stopped") from None
            if time.monotonic() > deadline:
                raise CheckerStopped(f"the checker at {path} did not start in time") from None
            time.sleep(_RETRY)


def request(path: Path, args: Sequence[str], *, start: float, answer: float) -> Answer:
    """Send one request (the checker's command-line arguments) to the JVM at ``path``: wait up
    to ``start`` seconds for it to listen (a JVM listens once warm, and starts slowly on a busy
    machine), then up to ``answer`` seconds for its answer."""
    if any("\n" in a for a in args):
        raise PamphleteerError(f"{args[0]}: a line break in a checker's argument")
    with connect(path, time.monotonic() + start) as sock:
        return exchange(sock, args, time.monotonic() + answer)


def exchange(sock: socket.socket, args: Sequence[str], deadline: float) -> Answer:
    """One request and its answer on a connection to a checker's JVM."""
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        sock.sendall(("\n".join(args) + "\n\n").encode())
        with sock.makefile("rb") as answers:
            head = answers.readline().decode(errors="replace").rstrip("\n")
            kind, _, rest = head.partition(" ")
            if kind == "json":
                code, length = (int(n) for n in rest.split())
                report = answers.read(length)
                if len(report) == length:
                    return Answer(code, report)
    except TimeoutError:
        raise CheckerStopped("the checker did not answer in time") from None
    except OSError as exc:
        raise CheckerStopped(f"the checker's connection broke: {exc}") from None
    if kind == "error":
        raise CheckerStopped(f"the checker failed: {rest}")
    raise CheckerStopped("the checker's JVM stopped while checking (it is restarted)")


#: The environment variable naming the socket of each service a build's owner started, for its
#: worker processes: ``PAMPHLETEER_<NAME>_SOCKET``.
def env_name(name: str) -> str:
    return f"PAMPHLETEER_{name.upper()}_SOCKET"


# The services this process started for itself (none given by an owner), by name; like
# pandoc_server's pool, process state by nature: each is stopped when the process exits.
_own: dict[str, Service] = {}
_own_lock = threading.Lock()


def address(name: str, start: Callable[[], Service]) -> Path:
    """The socket of the ``name`` service: the one the owner named in the environment, else
    this process's own (started with ``start`` the first time)."""
    if given := os.environ.get(env_name(name)):
        return Path(given)
    with _own_lock:
        if name not in _own:
            _own[name] = start()
        return _own[name].socket


def shutdown() -> None:
    """Stop the services this process started for itself."""
    with _own_lock:
        services = list(_own.values())
        _own.clear()
    for service in services:
        service.close()


atexit.register(shutdown)
# A worker process of a multiprocessing pool ends without atexit: its finalizers run instead.
multiprocessing.util.Finalize(None, shutdown, exitpriority=10)
