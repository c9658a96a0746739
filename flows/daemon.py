"""What a project's resident processes share: Prefect's server (:mod:`flows.prefect.resident`) and
the checker (:mod:`flows.validate.resident`). Each started by the first command that needs it,
reused by the next, stopped after an idle time or by ``pamphleteer server stop``; its record and
its two locks live in the project's state folder:

- ``NAME.lock`` (exclusive, short): one command at a time checks and, if need be, starts it;
- ``NAME.lease``: a command that uses it holds it shared for as long as it runs; the resident
  stops only when it can take it exclusively (:func:`watch_idle`), and keeps it while stopping,
  so a command never uses one that is going away (it waits, then starts a new one).

A process is signalled only when it proved to be the record's: its command line carries the
record's token. Standard library only: a command that finds its residents running pays little.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from flows.model import PamphleteerError

R = TypeVar("R")


def alive(pid: int) -> bool:
    """The process runs (an ended child not yet waited for, a zombie, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def carries(pid: int, token: str) -> bool | None:
    """Whether the process's command line carries ``token``; None where /proc cannot say."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return False if Path("/proc/self").exists() else None
    except OSError:
        return None
    return token.encode() in cmdline


def end(pid: int, grace: float) -> None:
    """SIGTERM, then SIGKILL after ``grace`` s (call only for a process proved to be ours)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_record(path: Path, data: Mapping[str, Any]) -> None:
    """Replace the record at once (a reader never sees half of it)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(dict(data)), encoding="utf-8")
    temporary.replace(path)


@contextlib.contextmanager
def locked(path: Path, mode: int = fcntl.LOCK_EX) -> Iterator[None]:
    with path.open("a+") as handle:
        fcntl.flock(handle, mode)
        yield


@contextlib.contextmanager
def lease(path: Path, what: str, wait: float = 60.0) -> Iterator[None]:
    """Hold the resident ``what`` for the duration (shared with other commands): it does not stop
    meanwhile. Waits for one that is stopping to end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PamphleteerError(
                        f"{what} is stopping and did not end within {wait:.0f} s: try "
                        "`pamphleteer server stop`"
                    ) from None
                time.sleep(0.1)
        yield


def stop(
    record_path: Path, lock_path: Path, read: Callable[[], R | None],
    ours: Callable[[R], bool], end: Callable[[R], None],
) -> R | None:  # fmt: skip
    """Stop the resident a record names, if it is ours (``end``), and remove the record: the
    record of the one stopped, None if none was running."""
    if not record_path.exists():
        return None
    with locked(lock_path):
        record = read()
        if record is None:
            return None
        running = ours(record)
        if running:
            end(record)
        record_path.unlink(missing_ok=True)
        return record if running else None


def unmarked(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without a build's marks: a resident outlives the build that starts it, so it is
    never one of that build's processes (:mod:`flows.lifeline` ends those), nor in its TMPDIR."""
    from flows.lifeline import MARKER

    if MARKER not in env:
        return dict(env)
    return {k: v for k, v in env.items() if k not in (MARKER, "TMPDIR")}


def watch_idle(
    lease_path: Path, idle: float, ours: Callable[[], bool], stop: Callable[[str], None],
    last_active: Callable[[], float] = lambda: 0.0,
) -> None:  # fmt: skip
    """A resident's watchdog (a daemon thread): call ``stop`` once, after ``idle`` seconds with
    no activity (``last_active``: a monotonic time) and no command holding the lease, or as soon
    as ``ours()`` turns false (its record names another). The lease stays taken until the
    process ends: a command waits for it, then starts a new one."""
    period = min(30.0, max(idle / 4, 0.5))
    quiet_since = time.monotonic()
    with lease_path.open("a+") as handle:
        while True:
            time.sleep(period)
            if not ours():
                stop("no longer the project's: stopping")
                return
            quiet_since = max(quiet_since, last_active())
            if time.monotonic() - quiet_since < idle:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a command holds it
                quiet_since = time.monotonic()
                continue
            stop(f"idle for {idle / 60:g} min: stopping")
            threading.Event().wait()
