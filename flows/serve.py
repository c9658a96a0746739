"""Scheduled rebuilds: the ``scheduled-rebuild`` flow (fetch, then build) and ``serve``.

Schedules need a real Prefect server (the temporary in-process one cannot schedule). When
``PREFECT_API_URL`` names one, ``serve`` registers the deployment there; when it does not,
``serve`` starts a local ``prefect server`` for as long as it runs (its state in
``PREFECT_HOME``) and stops it on exit.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prefect import flow
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows import cache, workers
from flows.build import build_flow, lean_prefect
from flows.cli import project_editions, project_settings
from flows.fetch import fetch_sources
from flows.model import PamphleteerError


@flow(name="scheduled-rebuild", log_prints=True)
def scheduled_rebuild(
    raw: str = "raw",
    out: str = "build",
    formats: str = "html,epub,pdf",
    templates: str | None = None,
    settings: str | None = None,
    editions: str | None = None,
    check: bool = True,
    keep_comments: bool = False,
    images: bool = False,
    fetch: bool = True,
    fetch_backoff: float = 2.0,
) -> dict[str, Any]:
    """Refresh the sources, then rebuild what changed. A failed run changes no good output: each
    output is replaced atomically, and only by a successful build of its document."""
    raw_dir, out_dir = Path(raw), Path(out)
    build_settings = project_settings(raw, formats, templates, settings, check, keep_comments,
                                      images)  # fmt: skip
    fetched = (
        fetch_sources(raw_dir, limits=build_settings.limits, backoff=fetch_backoff) if fetch else []
    )
    anthologies = project_editions(raw, editions, build_settings.limits)
    with cache.exclusive(out_dir), workers.local(settings=build_settings), lean_prefect():
        build = build_flow()
        report = build(raw_dir, out_dir, build_settings, editions=anthologies).value
    print(report.markdown().split("\n\n")[0])
    if not report.ok:
        raise PamphleteerError(
            f"{report.counts['failed']} document(s) failed: see {out}/report.html"
        )
    return {"fetched": [r.to_dict() for r in fetched], "counts": report.counts}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def prefect_server() -> Iterator[str]:
    """The configured Prefect API, or a local ``prefect server`` started for the duration."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = Path(os.environ["PREFECT_HOME"]) / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(url, proc, log)
        os.environ["PREFECT_API_URL"] = url  # for the flow runs, which run in subprocesses
        with temporary_settings({PREFECT_API_URL: url}):  # Prefect read its settings already
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PamphleteerError(f"prefect server stopped (exit {proc.returncode}); see {log}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise PamphleteerError(f"prefect server did not answer within {limit:.0f} s; see {log}")


def serve(parameters: dict[str, Any], cron: str | None, interval: float | None) -> None:
    """Serve ``scheduled-rebuild`` on a schedule until interrupted (Ctrl-C)."""
    with prefect_server() as url:
        print(f"Serving scheduled-rebuild on {url}", file=sys.stderr, flush=True)
        scheduled_rebuild.serve(
            name="pamphleteer",
            cron=cron,
            interval=interval,
            parameters=parameters,
            limit=1,  # never two rebuilds of one build/ at once
            pause_on_shutdown=False,
        )
