"""A build's processes and temporary files end with the build, even when it is killed.

``pamphleteer build`` runs in a private folder (:func:`private_run`): ``out/.cache/tmp/run-…``.
Every process it starts — the worker processes and their fork server, Pandoc, the JVMs of
EPUBCheck, Prefect's temporary server (uvicorn) — inherits two variables: ``TMPDIR``, a folder
inside it (so Pandoc's, typst's and multiprocessing's temporary files land there, not in
``/tmp``), and :data:`MARKER`, naming it. A small guardian process (this file, run with the
standard library alone) waits for the command to end, however it ends (``kill -9`` included),
then kills every process still carrying the marker and removes the folder. It runs in a session
of its own, so a ``kill -9`` of the command's process group does not take it along.

Linux's ``PR_SET_PDEATHSIG`` reaches only a process's own children and fires when the *thread*
that started them ends; the marker reaches grandchildren too (a worker's Pandoc, Prefect's
server) whoever started them. No ``flows`` import here: the guardian starts in milliseconds.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: The variable every process of a build inherits: the build's private folder.
MARKER = "PAMPHLETEER_RUN"
#: A file in the private folder naming the processes' ``TMPDIR`` when it had to live elsewhere.
POINTER = "tmpdir"
#: The longest ``TMPDIR`` kept inside the output folder. multiprocessing binds its fork server
#: to a Unix socket at ``$TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX``, and a socket's path has
#: at most 107 bytes; a deeper output folder gets a ``TMPDIR`` in the system's temporary folder,
#: named in :data:`POINTER` so it is removed all the same.
LONGEST_TMPDIR = 70
#: Rounds of killing: a process may start another while the guardian looks.
ROUNDS = 50


def remove_run(folder: Path) -> None:
    """Remove a build's private folder, and the ``TMPDIR`` it points to elsewhere."""
    pointer = folder / POINTER
    try:
        elsewhere = Path(pointer.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        elsewhere = None
    if elsewhere is not None and elsewhere.name.startswith("pamphleteer-run-"):
        shutil.rmtree(elsewhere, ignore_errors=True)
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)
    else:
        folder.unlink(missing_ok=True)


def members(folder: Path) -> list[int]:
    """The processes (but this one) that carry ``folder`` as their :data:`MARKER`."""
    wanted = f"{MARKER}={folder}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
        except OSError:  # gone, or not ours
            continue
        if wanted in environ.split(b"\0"):
            found.append(int(name))
    return found


def reap(folder: Path) -> int:
    """Kill every process of the build of ``folder``; how many there were."""
    killed: set[int] = set()
    for _ in range(ROUNDS):
        found = [pid for pid in members(folder) if pid not in killed or _alive(pid)]
        if not found:
            break
        for pid in found:
            with suppress(OSError):  # gone meanwhile
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        time.sleep(0.05)
    return len(killed)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def wait_for_owner(owner: int) -> None:
    """Return when ``owner``, the process that started this one, has ended (at once if it
    ended before this one looked: an orphan is adopted by another process at once)."""
    try:
        handle = os.pidfd_open(owner)  # readable when it ends (Linux 5.3)
    except (AttributeError, OSError):
        handle = None
    while os.getppid() == owner:
        if handle is not None:
            select.select([handle], [], [], 5.0)
        else:
            time.sleep(0.5)


def guardian(folder: Path, owner: int) -> None:
    """The guardian's life: wait for the command, then leave nothing of its build behind."""
    wait_for_owner(owner)
    reap(folder)
    remove_run(folder)


def spawn_guardian(folder: Path) -> int:
    """Start the guardian of ``folder`` (its own session; nothing of ours open in it)."""
    env = {k: v for k, v in os.environ.items() if k != MARKER}
    devnull = os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0),
    ]
    # The owner's pid, not the guardian's parent as it finds it: a command killed before the
    # guardian looks has left it to another parent already.
    script = str(Path(__file__).resolve())
    argv = [sys.executable, "-I", "-S", script, str(folder), str(os.getpid())]
    return os.posix_spawn(sys.executable, argv, env, file_actions=actions, setsid=True)


@contextmanager
def guarded(folder: Path) -> Iterator[Path]:
    """Every process this one starts from now on carries ``folder`` as its :data:`MARKER`; a
    guardian ends them, and removes ``folder``, once this process has ended."""
    saved = os.environ.get(MARKER)
    os.environ[MARKER] = str(folder)
    try:
        if sys.platform == "linux":
            spawn_guardian(folder)
        yield folder
    finally:
        if saved is None:
            os.environ.pop(MARKER, None)
        else:
            os.environ[MARKER] = saved


@contextmanager
def private_run(temp_root: Path) -> Iterator[Path]:
    """A private folder for this build inside ``temp_root`` (``out/.cache/tmp``), the
    ``TMPDIR`` of this process and every process it starts from now on, and its guardian.

    The folder outlives the block: the guardian removes it once this process has ended (the
    ones it started, and multiprocessing's own clean-up at exit, may still use it until then).
    """
    temp_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=temp_root))
    tmpdir = folder / "t"
    if len(str(tmpdir)) > LONGEST_TMPDIR:
        tmpdir = Path(tempfile.mkdtemp(prefix="pamphleteer-run-"))
        (folder / POINTER).write_text(f"{tmpdir}\n", encoding="utf-8")
    else:
        tmpdir.mkdir()
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmpdir)
    tempfile.tempdir = None  # found again from TMPDIR
    try:
        with guarded(folder):
            yield folder
    finally:
        if saved is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved
        tempfile.tempdir = None


@contextmanager
def guarded_service() -> Iterator[Path]:
    """:func:`guarded` for a long-running command (``pamphleteer serve``): its processes end
    with it; their ``TMPDIR`` stays the system's (an output folder removed while it serves
    must not take the temporary folder of its next runs along)."""
    with guarded(Path(tempfile.mkdtemp(prefix="pamphleteer-run-serve-"))) as folder:
        yield folder


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C of the build is not the guardian's
    guardian(Path(sys.argv[1]), int(sys.argv[2]))
