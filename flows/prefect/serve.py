"""Scheduled rebuilds: the ``scheduled-rebuild`` flow (fetch, then build) and ``serve``.

Schedules need a real Prefect server (the temporary in-process one cannot schedule). When
``PREFECT_API_URL`` names one, ``serve`` registers the deployment there; when it does not, on the
project's resident server (:mod:`flows.prefect.resident`), which the command starts if need be and
holds while ``serve`` runs.
"""

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prefect import flow
from prefect.runner import Runner
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.build import cache
from flows.model import PamphleteerError
from flows.prefect.build import build_flow, lean_prefect
from flows.prefect.fetch import fetch_sources
from flows.read.project import project_editions, project_settings


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
    fetch_interval: float = 1.0,
) -> dict[str, Any]:
    """Refresh the sources (sources.yaml's new articles, then the pages sidecars name; at most one
    request per ``fetch_interval`` seconds to a host), then rebuild what changed. A failed run
    changes no good output: each output is replaced atomically, and only by a successful build
    of its document."""
    raw_dir, out_dir = Path(raw), Path(out)
    build_settings = project_settings(raw, formats, templates, settings, check, keep_comments,
                                      images)  # fmt: skip
    fetched = (
        fetch_sources(
            raw_dir, limits=build_settings.limits, backoff=fetch_backoff, interval=fetch_interval
        )
        if fetch
        else []
    )
    anthologies = project_editions(raw, editions, build_settings.limits)
    with cache.exclusive(out_dir), lean_prefect():
        build = build_flow()
        report = build(raw_dir, out_dir, build_settings, editions=anthologies)
    print(report.markdown().split("\n\n")[0])
    if not report.ok:
        raise PamphleteerError(
            f"{report.counts['failed']} document(s) failed: see {out}/report.html"
        )
    return {"fetched": [r.to_dict() for r in fetched], "counts": report.counts}


#: The deployment ``serve`` registers: ``scheduled-rebuild/pamphleteer``.
DEPLOYMENT = "pamphleteer"


def check_cron(cron: str) -> None:
    """A cron expression Prefect accepts, or one line saying what is expected."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError:  # pydantic's ValidationError: Prefect's message is pages of it
        raise PamphleteerError(
            f"--cron {cron!r}: not a cron expression: five fields, minute hour day month "
            f'weekday, e.g. "0 3 * * *" (03:00 every day)'
        ) from None


def serve(parameters: dict[str, Any], cron: str | None, interval: float | None) -> None:
    """Serve ``scheduled-rebuild`` on a schedule until interrupted (Ctrl-C, SIGTERM), on the
    Prefect server ``PREFECT_API_URL`` names (the command set it: the project's own server, or
    the user's). When it stops, the deployment's schedule is paused, and of the runs that were
    due and never started only the latest is kept: the next ``serve`` catches up once, not once
    per missed run."""
    url = os.environ["PREFECT_API_URL"]
    with temporary_settings({PREFECT_API_URL: url}):  # Prefect read its settings already
        settle(pause=False)  # a serve killed before it could pause: its overdue runs
        print(f"Serving scheduled-rebuild on {url}", file=sys.stderr, flush=True)
        runner = Runner(name=DEPLOYMENT, limit=1,  # never two rebuilds of one build/ at once
                        # Prefect's own pause runs while asyncio cancels the runner (Ctrl-C) and
                        # did not reach the server: :func:`settle` pauses once it has stopped.
                        pause_on_shutdown=False)  # fmt: skip
        runner.add_flow(
            scheduled_rebuild, name=DEPLOYMENT, cron=cron, interval=interval,
            parameters=parameters, paused=False,  # resumes the schedule the last serve paused
        )  # fmt: skip
        # SIGTERM (a service manager's stop) as Ctrl-C: Prefect's own handler exits from inside
        # the event loop, which logs a traceback for each connection it cuts.
        runner.handle_sigterm = _interrupt  # type: ignore[method-assign]
        try:
            asyncio.run(_run(runner))
        except KeyboardInterrupt:
            pass
        finally:
            paused = settle(pause=True)
            print(
                "Stopped serving: the schedule is paused until the next `pamphleteer serve`"
                if paused
                else "Stopped serving",
                file=sys.stderr,
                flush=True,
            )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


async def _run(runner: Runner) -> None:
    """The runner, until cancelled. Its control channel's connections, cancelled as it stops,
    reach asyncio's handler as errors (a traceback each): that is the stop, not a failure."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not isinstance(context.get("exception"), asyncio.CancelledError):
            loop.default_exception_handler(context)

    asyncio.get_running_loop().set_exception_handler(handle)
    await runner.start()


def settle(pause: bool) -> bool:
    """Pause the deployment's schedule (with ``pause``) and delete its runs that were due and
    never started, all but the latest. False when there is no deployment, or the server does not
    answer (the next ``serve`` settles it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            try:
                deployment = client.read_deployment_by_name(
                    f"{scheduled_rebuild.name}/{DEPLOYMENT}"
                )
            except ObjectNotFound:
                return False
            if pause:
                client.pause_deployment(deployment.id)
            overdue = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    ),
                    expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC)),
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            )
            for run in overdue[1:]:
                client.delete_flow_run(run.id)
            return True
    except (httpx.HTTPError, RuntimeError) as exc:
        print(f"Could not pause the schedule on {os.environ.get('PREFECT_API_URL')}: {exc}",
              file=sys.stderr)  # fmt: skip
        return False
