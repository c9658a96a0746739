"""The warm command's process (:mod:`flows.cli.warm` says what it is for and how a command uses
it): :func:`serve`, started by :func:`flows.cli.warm.start` in the project's state folder. It
imports the command and Prefect, then forks a child for each build a command hands over."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flows.cli.main import finish, main
from flows.cli.warm import MAX_REQUEST, RECORD, address, identity, read_record
from flows.prefect.build import warm_up


def _send(connection: socket.socket, message: Mapping[str, Any]) -> None:
    with contextlib.suppress(OSError):  # its command is gone
        connection.sendall(json.dumps(dict(message)).encode() + b"\n")


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]] | None:
    """A request and the client's three streams; None for a client not this user's, or
    malformed."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    if struct.unpack("3i", credentials)[1] != os.getuid():
        return None
    connection.settimeout(5)
    head, fds, _flags, _address = socket.recv_fds(connection, 4, 3)
    if len(head) != 4 or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return None
    (length,) = struct.unpack("!I", head)
    body = b""
    while len(body) < min(length, MAX_REQUEST):
        chunk = connection.recv(min(length, MAX_REQUEST) - len(body))
        if not chunk:
            break
        body += chunk
    try:
        request = json.loads(body) if length <= MAX_REQUEST else None
    except ValueError:
        request = None
    if not isinstance(request, dict):
        for fd in fds:
            os.close(fd)
        return None
    return request, fds


def _become(request: Mapping[str, Any], fds: list[int]) -> None:
    """In the child: take the command's streams, folder, environment and umask."""
    os.setsid()  # out of the warm process's group: its stop does not reach the build
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        if fd != target:
            os.close(fd)
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["pamphleteer", *request["argv"]]
    tempfile.tempdir = None  # read TMPDIR again
    sys.stdout.reconfigure(line_buffering=sys.stdout.isatty())  # type: ignore[union-attr]
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)


def _child(connection: socket.socket, request: Mapping[str, Any], fds: list[int],
           run: Callable[[list[str]], int]) -> None:  # fmt: skip
    """The forked child: the command's build. Never returns."""
    code = 1
    try:
        connection.settimeout(None)
        _become(request, fds)
        _send(connection, {"pid": os.getpid()})

        def watch() -> None:  # the command gone: end as if it had been killed
            with contextlib.suppress(OSError):
                while connection.recv(1024):
                    pass
            os.kill(os.getpid(), signal.SIGKILL)

        threading.Thread(target=watch, daemon=True).start()
        code = run(list(request["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001  # the child never returns into the warm loop
        import traceback

        traceback.print_exc()
    finally:
        try:  # a Ctrl-C after the build ended changes nothing, nor sends this child back
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            _send(connection, {"exit": code})
        finally:
            os._exit(code)


def serve(token: str, idle: str) -> None:
    """The warm process's life: import, then fork a build for each request until idle."""
    home, idle_minutes = Path.cwd(), float(idle)
    warm_up()
    wanted = identity(os.environ)
    record = read_record(home)
    if record is None or record.token != token or record.identity != wanted:
        # replaced meanwhile, or the code changed as it started: the next build starts another
        print("warm: not what the project's record names: stopping", flush=True)
        return
    if threading.active_count() > 1:  # a fork would inherit another thread's locks
        threads = threading.active_count()
        print(f"warm: {threads} threads after the imports: not forking", flush=True)
        return

    def ours() -> bool:
        record = read_record(home)
        return record is not None and record.token == token

    def build(argv: list[str]) -> int:
        return finish(main(argv, hand_over=False))

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address(token))
    listener.listen(16)
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_read, False)
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    builds: dict[int, socket.socket] = {}
    quiet_since = time.monotonic()
    print(f"warm: ready (pid {os.getpid()})", flush=True)
    try:
        while True:
            ready = select.select([listener, wakeup_read], [], [], 30.0)[0]
            with contextlib.suppress(OSError):
                os.read(wakeup_read, 512)
            while builds:  # report the builds that ended without a word (killed)
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                connection = builds.pop(pid)
                if os.WIFSIGNALED(status):
                    _send(connection, {"signal": os.WTERMSIG(status)})
                connection.close()
                quiet_since = time.monotonic()
            if listener in ready:
                connection, _ = listener.accept()
                received = _receive(connection)
                if received is None or received[0].get("identity") != wanted:
                    connection.close()
                    continue
                request, fds = received
                pid = os.fork()
                if pid == 0:
                    listener.close()
                    for other in builds.values():
                        other.close()
                    _child(connection, request, fds, build)
                for fd in fds:
                    os.close(fd)
                print(f"warm: build {pid}: {' '.join(request['argv'])}", flush=True)
                builds[pid] = connection
                quiet_since = time.monotonic()
            if not ours():
                print("warm: no longer the project's: stopping", flush=True)
                break
            if not builds and time.monotonic() - quiet_since > idle_minutes * 60:
                print(f"warm: idle for {idle_minutes:g} min: stopping", flush=True)
                break
    finally:
        listener.close()
        if ours():
            (home / RECORD).unlink(missing_ok=True)
        print("warm: stopped", flush=True)
