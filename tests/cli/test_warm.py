"""The warm command (:mod:`flows.cli.warm`): the first build of a project starts it, the next
ones run in it — with the user's streams, folder, exit status and signals — and a command that
is killed takes its build along."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli import warm
from flows.daemon import alive

from ..conftest import ROOT, foreground

pytestmark = pytest.mark.slow  # real builds, each with a Prefect server


def _env(project: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(project / ".prefect"), **extra}
    env.pop("PREFECT_API_URL", None)
    return env


def _command(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli", *args, "--raw", str(project / "raw")]


def _build(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    cmd = _command(project, "build", "--out", str(project / "build"), "--no-check",
                   "--formats", "html", *args)  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=_env(project, **env), capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def _log(project: Path) -> str:
    return (project / ".prefect" / warm.LOG).read_text()


def _ready(project: Path, limit: float = 60) -> warm.Record:
    """The warm command, once it listens (its log says so)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        record = warm.read_record(project / ".prefect")
        if record is not None and f"warm: ready (pid {record.pid})" in _log(project):
            return record
        time.sleep(0.2)
    raise AssertionError(f"no warm command ready in {limit:.0f} s: {_log(project)}")


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:  # it ended meanwhile: no children
        pass
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project of the two seeds, built once (in the command, which starts the warm one)."""
    if sys.platform != "linux":
        pytest.skip("the warm command is Linux's (fork, SCM_RIGHTS, abstract sockets)")
    project = tmp_path_factory.mktemp("warm")
    (project / "raw").mkdir()
    for path in (ROOT / "raw").glob("00[04]_*"):
        shutil.copy(path, project / "raw" / path.name)
    first = _build(project)
    assert first.returncode == 0, first.stderr
    yield project
    subprocess.run(_command(project, "server", "stop"), cwd=ROOT, env=_env(project),
                   capture_output=True, timeout=120)  # fmt: skip


def test_the_next_build_runs_in_the_warm_command_and_says_the_same(project: Path) -> None:
    record = _ready(project)
    again = _build(project, "--force")
    assert again.returncode == 0, again.stderr
    assert "Built 2 document(s) and 0 anthologies, 0 failed" in again.stderr
    assert again.stderr.count("] ok ") == 2, again.stderr
    assert "warm: build " in _log(project)  # it ran there…
    assert warm.read_record(project / ".prefect") == record  # …and the same one goes on


def test_a_failing_build_exits_1_through_the_warm_command(project: Path) -> None:
    _ready(project)
    broken = project / "raw" / "scan.txt"
    broken.write_bytes(b"%PDF-1.7\x00\x00binary")
    try:
        failed = _build(project)
    finally:
        broken.unlink()
    assert failed.returncode == 1, failed.stderr
    assert "FAILED scan.txt" in failed.stderr
    assert failed.stderr.count("warm: build") == 0  # the log's lines stay in the log


def test_server_status_shows_it_and_other_prefect_settings_build_in_the_command(
    project: Path,
) -> None:
    record = _ready(project)
    status = subprocess.run(_command(project, "server", "status"), cwd=ROOT, env=_env(project),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert f"The warm command of {project}: running (pid {record.pid}" in status.stderr
    builds = _log(project).count("warm: build ")
    other = _build(project, "--force", PREFECT_LOGGING_COLORS="false")
    assert other.returncode == 0, other.stderr
    previous = (project / ".prefect" / f"{warm.LOG}.previous").read_text()
    assert previous.count("warm: build ") == builds  # not handed over
    replaced = warm.read_record(project / ".prefect")  # a warm command for these settings now
    assert replaced is not None and replaced.pid != record.pid
    assert not alive(record.pid)
    _build(project, "--force")  # the usual settings again: the next tests' warm command


@pytest.mark.parametrize(
    ("sent", "code"), [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)]
)
def test_the_build_ends_with_its_command(project: Path, sent: int, code: int) -> None:
    record = _ready(project)
    raw = project / f"raw-{sent}"  # 24 texts: when the first is built, most of the work is left
    raw.mkdir()
    for copy in range(12):
        for path in (project / "raw").glob("00[04]_*"):
            shutil.copy(path, raw / f"{copy:02}{path.name}")
    builds = _log(project).count("warm: build ")
    cmd = [*_command(project, "build", "--out", str(project / f"build-{sent}"), "--force")[:-1],
           str(raw)]  # fmt: skip
    client = subprocess.Popen(cmd, cwd=ROOT, env=_env(project), stderr=subprocess.PIPE,
                              text=True, preexec_fn=foreground)  # fmt: skip
    assert client.stderr is not None
    seen = []
    for line in client.stderr:  # under way: one text built, 23 to go
        seen.append(line)
        if line.startswith("[1/24] "):
            break
    assert _log(project).count("warm: build ") == builds + 1, "".join(seen)  # it ran there
    client.send_signal(sent)
    _, rest = client.communicate(timeout=120)
    stderr = "".join(seen) + rest
    assert client.returncode == code, stderr
    assert "Built 24 document(s)" not in stderr
    if sent == signal.SIGINT:
        assert stderr.rstrip().endswith("pamphleteer: interrupted"), stderr
    deadline = time.monotonic() + 30
    while _children(record.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _children(record.pid), "the build outlived its command"
    assert alive(record.pid)  # the warm command goes on


def test_server_stop_stops_it(project: Path) -> None:
    record = _ready(project)
    stopped = subprocess.run(_command(project, "server", "stop"), cwd=ROOT, env=_env(project),
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert f"Stopped the warm command of {project} (pid {record.pid})" in stopped.stderr
    deadline = time.monotonic() + 10
    while alive(record.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(record.pid)
    assert warm.read_record(project / ".prefect") is None
