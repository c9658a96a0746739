"""The project's resident Prefect server (flows/resident.py): started once and reused, replaced
when its record leads nowhere good, stopped by `pamphleteer server stop` or by its own watchdog.

Each test starts a real server (a few seconds of CPU on an idle machine, far more on a busy
one); the session's ``_no_server_left`` fixture stops whatever is left and checks it ended.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.prefect import resident

from ..conftest import ROOT
from ..localhttp import Reply, Script, serving

pytestmark = pytest.mark.slow

LIMIT = 600  # seconds a start may take on a very busy machine


def _server(home: Path, idle_minutes: float = 60) -> resident.Record:
    with resident.lease(home):
        return resident.start(home, idle_minutes).wait(LIMIT)


def _rewrite(home: Path, **changes: object) -> None:
    record = resident.read_record(home)
    assert record is not None
    (home / resident.RECORD).write_text(json.dumps(dataclasses.replace(record, **changes).__dict__))


def _ended(pid: int, limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while resident.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not resident.alive(pid)


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_server_is_reused_replaced_for_another_prefect_and_stopped(tmp_path: Path) -> None:
    home = tmp_path / ".prefect"
    first = _server(home)
    assert httpx.get(f"{first.url}/health", timeout=10).json() is True  # Prefect's own API
    assert first.prefect == resident.prefect_version()
    with resident.lease(home):
        again = resident.start(home, 60)
    assert not again.started and again.wait(LIMIT) == first  # reused, not started again

    _rewrite(home, prefect="3.0.0")  # as a server left by an older Prefect records itself
    second = _server(home)
    assert second.token != first.token and second.prefect == resident.prefect_version()
    assert _ended(first.pid)  # the old one was stopped, not left running beside it

    status = _cli("server", "status", "--raw", str(tmp_path / "raw"), home=home)
    assert f"Prefect's server of {tmp_path}: running at {second.ui} (pid {second.pid}" in (
        status.stderr
    )
    stop = _cli("server", "stop", "--raw", str(tmp_path / "raw"), home=home)
    assert stop.stderr == f"Stopped Prefect's server of {tmp_path} (pid {second.pid})\n"
    assert _ended(second.pid)
    assert not (home / resident.RECORD).exists()


def test_a_stale_record_is_replaced_and_an_idle_server_stops_itself(tmp_path: Path) -> None:
    home = tmp_path / ".prefect"
    home.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that has ended
    script = Script({resident.IDENTITY: [Reply(body=b'{"token": "not ours"}')]})
    with serving(script) as other:  # the record's port is now another program's
        port = int(other.rsplit(":", 1)[1])
        stale = resident.Record(dead.pid, port, "0" * 32, resident.prefect_version(),
                                sys.executable, time.time(), 60)  # fmt: skip
        (home / resident.RECORD).write_text(json.dumps(stale.__dict__))
        with resident.lease(home):  # a build under way: the idle server must not stop
            record = resident.start(home, idle_minutes=0.02).wait(LIMIT)
            assert record.port != port and record.token != stale.token
            time.sleep(5)  # several of its watchdog's rounds, each past its idle time
            assert resident.answers(record)
        assert httpx.get(f"{other}{resident.IDENTITY}").json() == {"token": "not ours"}
    assert _ended(record.pid)  # the lease let go: idle, it stopped by itself
    assert not (home / resident.RECORD).exists()
    assert "resident: idle for" in (home / resident.LOG).read_text()


def test_a_server_that_fails_to_start_is_one_line_naming_its_log(tmp_path: Path) -> None:
    raw, out, home = tmp_path / "raw", tmp_path / "build", tmp_path / ".prefect"
    raw.mkdir()
    (raw / "a.txt").write_text("A Title\n\nA paragraph.\n")
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        # A database Prefect cannot create: its server ends while starting.
        "PREFECT_API_DATABASE_CONNECTION_URL": "sqlite+aiosqlite:////nonexistent/prefect.db",
    }
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out),
         "--no-check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=LIMIT,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("pamphleteer: Prefect's server stopped while starting (exit ")
    assert last.endswith(f"(see {home / resident.LOG})")
    assert "Traceback" in (home / resident.LOG).read_text()  # the details are in its log
