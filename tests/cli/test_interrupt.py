"""Ctrl-C at the terminal: the signal reaches the command's whole foreground process group, and
the build ends at once with 130, saying so, however it reaches Prefect."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import ROOT, foreground

pytestmark = pytest.mark.slow  # a real build on a temporary Prefect server


def _servers_of(home: Path) -> list[int]:
    """Prefect servers (uvicorn) started with this ``PREFECT_HOME``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:  # not a process, or it ended meanwhile
            continue
        if b"uvicorn" in command and f"PREFECT_HOME={home}".encode() in environ:
            found.append(int(proc.name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the server left behind")
def test_ctrl_c_ends_a_build_on_the_temporary_server_at_once(tmp_path: Path) -> None:
    raw = tmp_path / "raw"  # 24 texts: when the first is built, most of the work is left
    raw.mkdir()
    for copy in range(12):
        for path in (ROOT / "raw").glob("00[04]_*"):
            shutil.copy(path, raw / f"{copy:02}{path.name}")
    home = tmp_path / ".prefect"
    env = {**os.environ, "PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "flows.cli", "build", "--temporary-server", "--no-check",
           "--raw", str(raw), "--out", str(tmp_path / "build")]  # fmt: skip
    command = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=foreground)  # fmt: skip
    assert command.stderr is not None
    seen = []
    for line in command.stderr:
        seen.append(line)
        if line.startswith("[1/24] "):
            break
    os.killpg(command.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    try:
        _, rest = command.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(command.pid, signal.SIGKILL)
    stderr = "".join(seen) + rest
    assert command.returncode == 130, stderr
    assert stderr.rstrip().endswith("pamphleteer: interrupted"), stderr
    assert "Traceback" not in stderr
    assert "Built 24 document(s)" not in stderr
    deadline = time.monotonic() + 30
    while _servers_of(home) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _servers_of(home), "Prefect's temporary server outlived the command"
