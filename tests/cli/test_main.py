"""The command's answers to a user's mistakes: one line each, no traceback, nothing started.

Each runs ``pamphleteer`` as a user does (a subprocess); none needs Prefect's server: the mistake
is found before anything starts, and "nothing started" is checked (no server record, no build/).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli.main import _progress
from flows.outcome import Outcome
from flows.prefect import resident

from ..conftest import ROOT


def _run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:  # a port nobody listens on once it is closed
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["build", "fetch"])
def test_a_missing_raw_folder_is_one_line(tmp_path: Path, command: str) -> None:
    raw = tmp_path / "raw"
    line = _one_line(_run(command, "--raw", str(raw), home=tmp_path / ".prefect"))
    assert line == f"pamphleteer: {raw}: no such folder of raw texts"
    assert not (tmp_path / ".prefect" / resident.RECORD).exists()


def test_an_empty_raw_folder_says_so_and_starts_nothing(tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "notes.yaml").write_text("title: A sidecar alone is no text\n")
    line = _one_line(_run("build", "--raw", str(raw), "--out", str(out), home=tmp_path / ".pf"))
    assert line == (
        f"pamphleteer: {raw} holds no texts (.txt, .md, .html): nothing to build, nothing started"
    )
    assert not out.exists()
    assert not (tmp_path / ".pf").exists()  # Prefect never ran: it would have made its home


def test_a_bad_cron_is_one_line_before_any_server_starts(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    home = tmp_path / ".prefect"
    line = _one_line(_run("serve", "--cron", "every day", "--raw", str(raw), home=home))
    assert line == (
        "pamphleteer: --cron 'every day': not a cron expression: five fields, minute hour day "
        'month weekday, e.g. "0 3 * * *" (03:00 every day)'
    )
    assert not (home / resident.RECORD).exists()


def test_an_unreachable_dask_scheduler_is_one_line_before_anything_starts(
    tmp_path: Path,
) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "a.txt").write_text("A Title\n\nA paragraph.\n")
    address = f"tcp://127.0.0.1:{_free_port()}"
    home = tmp_path / ".prefect"
    proc = _run("build", "--raw", str(raw), "--out", str(out), "--dask-address", address,
                home=home)  # fmt: skip
    line = _one_line(proc)
    assert line.startswith(f"pamphleteer: the Dask scheduler at {address} does not answer (")
    assert line.endswith("or leave out --dask-address to build on this machine")
    assert not out.exists()
    assert not (home / resident.RECORD).exists()


def test_an_unknown_option_shows_its_commands_usage(tmp_path: Path) -> None:
    proc = _run("build", "--bogus", home=tmp_path / ".prefect")
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: pamphleteer build [-h] [--raw RAW]"), proc.stderr
    assert proc.stderr.strip().endswith("pamphleteer build: error: unrecognized arguments: --bogus")


def test_server_status_and_stop_with_no_server_say_so(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    status = _run("server", "status", "--raw", str(raw), home=tmp_path / ".prefect")
    assert status.returncode == 0
    assert status.stderr == f"Prefect's server of {tmp_path}: not running (a build starts it)\n"
    stop = _run("server", "stop", "--raw", str(raw), home=tmp_path / ".prefect")
    assert stop.stderr == f"No Prefect server of {tmp_path} was running\n"


def _outcomes() -> list[Outcome]:
    record = {"source": "a.txt", "slug": "a", "notes": {"found": 1, "linked": 1}}
    ok = Outcome("built", "doc-a.txt", "a.txt", record=record)
    bad = Outcome("failed", "doc-b.txt", "b.txt", reason="b.txt: not a text")
    return [ok, bad]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_line_per_document_when_not_on_a_terminal(tmp_path: Path) -> None:
    stream = io.StringIO()
    with _progress(tmp_path, 2, stream) as progress:
        for done, item in enumerate(_outcomes(), 1):
            progress(done, 2, item)
    assert stream.getvalue().splitlines() == [
        f"[1/2] ok     a.txt -> {tmp_path / 'a'}/ (1/1 notes)",
        "[2/2] FAILED b.txt: not a text",
    ]


def test_progress_is_a_bar_on_a_terminal_with_failures_above_it(tmp_path: Path) -> None:
    stream = _Terminal()
    with _progress(tmp_path, 2, stream) as progress:
        for done, item in enumerate(_outcomes(), 1):
            progress(done, 2, item)
    shown = stream.getvalue()
    assert "FAILED b.txt: not a text" in shown
    assert "ok     a.txt" not in shown  # a document that built moves the bar, no line
    assert "\x1b[" in shown  # drawn with the terminal's control sequences…
    assert "Building" in shown and "2/2" in shown  # …as a bar that counts the documents
