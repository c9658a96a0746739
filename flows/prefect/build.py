"""The Prefect layer: a flow that brings ``build/`` up to date with ``raw/``.

The build itself is :func:`flows.build.engine.build` (plain Python: plan → run units → record →
index and reports). The flow runs it, maps its batches over task runs — on threads that hand each
unit to the build's worker processes, or on an existing Dask cluster — and publishes the report as
Prefect artifacts. ``pamphleteer build``, ``serve`` and the deployment all run this flow.
"""

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import Flow, flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.build import engine, units, workers
from flows.outcome import Outcome
from flows.read.editions import Edition
from flows.report.summary import BuildReport
from flows.settings import Settings


# CPU work, not I/O: a failure here is a property of the input and would fail again, so no
# retries. Each unit is recorded in the cache as soon as it is built.
@task(name="build-batch", task_run_name="build {label}", cache_policy=NO_CACHE)
def build_batch_task(
    job: engine.Build, batch: list[engine.Item], label: str,
    each: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:  # fmt: skip
    return job.run(batch, each or _ignore)


def _ignore(outcome: Outcome) -> None:
    pass


def in_task_runs(
    job: engine.Build, groups: list[list[engine.Item]], each: Callable[[Outcome], None]
) -> list[Outcome]:
    """The engine's batches as task runs. On this machine's workers each outcome is told as its
    unit ends; from a Dask worker (which could not call back) as its task run ends."""
    pooled = job.pool is not None
    futures = [
        build_batch_task.submit(job, group, _label(group), each if pooled else None)
        for group in groups
    ]
    by_future = dict(zip(futures, groups, strict=True))
    done: list[Outcome] = []
    for future in as_completed(futures):
        try:
            outcomes, told = future.result(), pooled
        except Exception as exc:  # the task runner itself failed (a lost Dask worker…)
            outcomes = [units.failed(u, units.reason(exc)) for u, _ in by_future[future]]
            told = False
        for outcome in outcomes if not told else ():
            each(outcome)
        done += outcomes
    return done


@flow(name="build-editions", log_prints=False)
def build_editions(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    force: bool = False,
    progress: engine.Progress | None = None,
    editions: Sequence[Edition] = (),
    local: bool = True,
) -> BuildReport:
    """Rebuild what changed in ``raw_dir`` and the anthologies ``editions`` defines
    (editions.yaml) — everything with ``force`` —, remove what was deleted, write the reports
    and the index. ``local``: on this machine's workers, not a Dask cluster."""
    job = engine.Build.planned(raw_dir, out_dir, settings, force, editions)
    report = engine.build(job, in_task_runs, progress, local)
    create_markdown_artifact(report.markdown(), key="build-summary", description="pamphleteer")
    create_table_artifact(report.rows(), key="build-table", description="pamphleteer, per unit")
    return report


def _label(group: list[engine.Item]) -> str:
    first = group[0][0].source.name
    return first if len(group) == 1 else f"{first} and {len(group) - 1} more"


@contextmanager
def lean_prefect() -> Iterator[None]:
    """Prefect settings that cut its cost for a build: no flow heartbeat (a sync flow run waits
    about a second for the heartbeat thread at exit)."""
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def task_runner(dask_address: str | None = None) -> TaskRunner[Any]:
    if dask_address:
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            from flows.model import PamphleteerError

            raise PamphleteerError(
                "--dask-address needs prefect-dask: pip install 'pamphleteer[dask]'"
            ) from None
        return DaskTaskRunner(address=dask_address)
    return ThreadPoolTaskRunner(max_workers=workers.count())


def build_flow(dask_address: str | None = None) -> Flow[..., BuildReport]:
    """:func:`build_editions` on the task runner for this build (:func:`task_runner`)."""
    return build_editions.with_options(task_runner=task_runner(dask_address))


def run_build(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    force: bool = False,
    progress: engine.Progress | None = None,
    dask_address: str | None = None,
    editions: Sequence[Edition] = (),
) -> BuildReport:
    with lean_prefect():
        return build_flow(dask_address)(raw_dir, out_dir, settings, force, progress, editions,
                                        local=not dask_address)  # fmt: skip


if __name__ == "__main__":  # python -m flows.prefect.build RAW OUT
    print(run_build(Path(sys.argv[1]), Path(sys.argv[2]), Settings()).markdown())


def warm_up() -> None:
    """Import now what a flow run imports on first use (its engines, FastAPI's encoder for the
    parameters, the graph of tasks, telemetry, the report pages): for a warm command
    (:mod:`flows.cli.warm`), whose builds then start with all of it loaded."""
    import fastapi.encoders  # noqa: F401
    import prefect.concurrency.context  # noqa: F401
    import prefect.concurrency.v1.context  # noqa: F401
    import prefect.engine  # noqa: F401
    import prefect.flow_engine  # noqa: F401
    import prefect.task_engine  # noqa: F401
    import prefect.telemetry.run_telemetry  # noqa: F401
    import prefect.utilities.visualization  # noqa: F401

    import flows.report.catalogue  # noqa: F401
    import flows.report.index  # noqa: F401
    import flows.validate.resident  # noqa: F401
