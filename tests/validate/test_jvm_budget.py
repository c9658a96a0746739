"""A checker's two time limits: its start (a JVM listens once warm, slowly on a busy machine)
and its answer. A fake checker on a Unix socket stands in for the JVM: no Java needed."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.validate import jvm


@pytest.fixture
def folder() -> Iterator[Path]:
    made = jvm.socket_folder("budget")
    yield made
    shutil.rmtree(made, ignore_errors=True)


def _checker(path: Path, listen_after: float, answer_after: float) -> threading.Thread:
    """A checker that binds its socket ``listen_after`` seconds from now and answers one request
    ``answer_after`` seconds after reading it, as EpubCheckServer.java answers."""

    def run() -> None:
        time.sleep(listen_after)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(str(path))
            server.listen()
            client, _ = server.accept()
            with client, client.makefile("rb") as lines:
                while lines.readline().strip():
                    pass
                time.sleep(answer_after)
                with contextlib.suppress(OSError):  # the client gave up
                    client.sendall(b"json 0 2\n{}")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_checker_slower_to_start_than_to_answer_is_waited_for(folder: Path) -> None:
    _checker(folder / "socket", listen_after=1.0, answer_after=0)
    answer = jvm.request(folder / "socket", ["book.epub"], start=30, answer=0.5)
    assert answer == jvm.Answer(0, b"{}")


def test_a_checker_that_never_listens_fails_after_its_start_limit(folder: Path) -> None:
    with pytest.raises(jvm.CheckerStopped, match="did not start in time"):
        jvm.request(folder / "socket", ["book.epub"], start=0.3, answer=30)


def test_a_checker_that_listens_but_does_not_answer_fails_after_its_check_limit(
    folder: Path,
) -> None:
    _checker(folder / "socket", listen_after=0, answer_after=5)
    with pytest.raises(jvm.CheckerStopped, match="did not answer in time"):
        jvm.request(folder / "socket", ["book.epub"], start=30, answer=0.5)
