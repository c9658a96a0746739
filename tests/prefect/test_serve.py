"""`pamphleteer serve` as a user runs it, with a short interval: the scheduled run fetches the
sources (from a local HTTP server on 127.0.0.1) and rebuilds; the next runs find nothing to do.
Stopped as a service manager stops it (SIGTERM), it pauses its schedule: no runs pile up for
the next start.

With no Prefect server configured, serve uses the project's resident server (schedules need a
real server), starting it, so this test takes about half a minute.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from flows.prefect import resident
from tests.fetch.test_pages import ARTICLE

from ..conftest import ROOT
from ..localhttp import Reply, Script, serving

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
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert "Stopped serving: the schedule is paused until the next `pamphleteer serve`" in output
    server = resident.read_record(tmp_path / "prefect")
    assert server is not None  # the project's server outlives serve, until idle
    api = httpx.Client(base_url=server.url, timeout=30)
    deployment = api.get("/deployments/name/scheduled-rebuild/pamphleteer").json()
    assert deployment["paused"] is True
    time.sleep(7)  # two intervals: a running schedule would have made runs meanwhile
    scheduled = api.post("/flow_runs/filter", json={
        "deployments": {"id": {"any_": [deployment["id"]]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
    }).json()  # fmt: skip
    assert len(scheduled) <= 1, scheduled  # the next serve catches up once at most
    assert f"{seed}.txt" in [d["source"] for d in first["documents"]], output[-3000:]
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE
    hits = script.hits("/article")
    assert hits[0]["user-agent"].startswith("pamphleteer/")
    assert hits[1]["if-none-match"] == '"v1"'
    assert built.stat().st_mtime_ns == stamp  # nothing changed: not rebuilt
