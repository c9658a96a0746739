"""`pamphleteer serve` as a user runs it, with a short interval: the scheduled run fetches the
sources (from a local HTTP server on 127.0.0.1) and rebuilds; the next runs find nothing to do.

With no Prefect server configured, serve starts a local one (schedules need a real server), so
this test takes about half a minute.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT
from .localhttp import Reply, Script, serving
from .test_fetch import ARTICLE

pytestmark = pytest.mark.slow


def _wait_for(predicate: object, proc: subprocess.Popen[str], limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    raise AssertionError("no scheduled run finished in time:\n" + proc.communicate()[0][-3000:])


def test_serve_fetches_and_rebuilds_on_schedule(seeds_raw: Path, tmp_path: Path) -> None:
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    seed = "000_3360b08886504e93"
    for path in seeds_raw.glob(f"{seed}.*"):
        (raw / path.name).write_bytes(path.read_bytes())
    script = Script({"/article": [Reply(body=ARTICLE, etag='"v1"')]})
    with serving(script) as base:
        (raw / "kronstadt.yaml").write_text(f"title: Kronstadt\nsource_url: {base}/article\n")
        env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
        env.pop("PREFECT_API_URL", None)
        cmd = [sys.executable, "-m", "flows.cli", "serve", "--interval", "3",
               "--raw", str(raw), "--out", str(out), "--formats", "html"]  # fmt: skip
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        try:
            report = out / "report.json"
            _wait_for(report.is_file, proc)
            first = json.loads(report.read_text())
            built = out / "000-3360b08886504e93" / "000-3360b08886504e93.html"
            stamp = built.stat().st_mtime_ns
            # A later scheduled run: the page is asked for again, conditionally.
            _wait_for(lambda: len(script.hits("/article")) >= 2, proc)
            _wait_for(lambda: json.loads(report.read_text())["counts"]["unchanged"] >= 1, proc)
        finally:
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=60)
    assert f"{seed}.txt" in [d["source"] for d in first["documents"]], output[-3000:]
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE
    hits = script.hits("/article")
    assert hits[0]["user-agent"].startswith("pamphleteer/")
    assert hits[1]["if-none-match"] == '"v1"'
    assert built.stat().st_mtime_ns == stamp  # nothing changed: not rebuilt
