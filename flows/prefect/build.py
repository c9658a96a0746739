"""The Prefect layer: a flow that brings ``build/`` up to date with ``raw/``.

The decisions are plain Python made before any task run exists: :mod:`flows.build.cache` plans which
units are stale (content hashes), :mod:`flows.build.units` builds a batch of them. This module maps
the batches over a task runner — by default threads that hand each batch to a worker process
(:mod:`flows.build.workers`: typst holds the GIL, so threads alone would share one core), or an
existing Dask cluster —, removes the outputs of deleted raw files, writes
``report.json``/``report.html`` and publishes the report as Prefect artifacts.

With no Prefect server configured, Prefect starts a temporary one in this process.
"""

import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

import pydantic_core
from prefect import Flow, flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.states import State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows.build import cache, schedule, units, workers
from flows.build.units import Outcome
from flows.read.editions import Edition
from flows.report.files import write_reports
from flows.report.summary import BuildReport
from flows.settings import Settings

Progress = Callable[[int, int, Outcome], None]


T = TypeVar("T")


class Sealed(Generic[T]):
    """A return value Prefect does not walk into: ``.value`` is it.

    Prefect walks what a task or a flow returns, every list, dict and dataclass in it, looking for
    futures: ~47 ms for 200 units' outcomes, twice (the task runs', then the flow's), at the end of
    a build. Outcomes hold no futures. (Prefect's own ``opaque`` is a tuple: from the Dask task
    runner it came back around a list holding the outcomes' list.)
    """

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


# CPU work, not I/O: a failure here is a property of the input and would fail again, so no
# retries. Each unit is recorded in the cache as soon as it is built.
@task(name="build-batch", task_run_name="build {label}", cache_policy=NO_CACHE)
def build_batch_task(
    batch: list[tuple[cache.Unit, str]], out_dir: Path, settings: Settings, label: str,
    each: Callable[[Outcome], None] | None = None,
) -> Sealed[list[Outcome]]:  # fmt: skip
    if pool := workers.active():
        return Sealed(units.build_in_pool(pool, batch, out_dir, settings, each))
    return Sealed(units.build_batch(batch, out_dir, settings))


class _Progress:
    """Reports each outcome once, as it comes: from the task runs' threads when the local
    worker pool builds (unit by unit), else from the flow as each task run ends."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total = progress, total
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def each(self, outcome: Outcome) -> None:
        with self._lock:
            if outcome["key"] in self._seen:
                return
            self._seen.add(outcome["key"])
            if self.progress:
                self.progress(len(self._seen), self.total, outcome)


@flow(name="build-editions", log_prints=False)
def build_editions(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    force: bool = False,
    progress: Progress | None = None,
    editions: Sequence[Edition] = (),
) -> Sealed[BuildReport]:
    """Rebuild what changed in ``raw_dir`` and the anthologies ``editions`` defines
    (editions.yaml) — everything with ``force`` —, remove what was deleted, write the reports
    and the index. The report comes sealed (``.value``; see :class:`Sealed`)."""
    pooled = workers.active() is not None
    planned = schedule.take_early(raw_dir, out_dir, settings, force)
    if planned is None:  # no command line planned it (a scheduled run)
        todo = schedule.all_units(raw_dir, editions)
        planned = schedule.plan_build(raw_dir, out_dir, settings, force, todo, workers.count(),
                                      pooled)  # fmt: skip
    plan, groups = planned.plan, planned.groups
    report = BuildReport([units.unchanged(e) for e in plan.fresh])
    report.outcomes += [units.skipped(s) for s in planned.skipped]
    forgotten = [units.removed(e, cache.forget(out_dir, e, plan)) for e in plan.orphans]
    report.outcomes += forgotten
    told = _Progress(progress, len(plan.stale))
    each = told.each if pooled else None  # a Dask worker could not call back
    futures = [
        build_batch_task.submit(planned.batch(group), out_dir, settings, _label(group), each)
        for group in groups
    ]
    by_future = dict(zip(futures, groups, strict=True))
    for future in as_completed(futures):
        try:
            outcomes = future.result().value
        except Exception as exc:  # the task runner itself failed (a lost Dask worker…)
            outcomes = [units.failed(u, units.reason(exc)) for u in by_future[future]]
        for outcome in outcomes:
            report.outcomes.append(outcome)
            told.each(outcome)
    for entry, outcome in zip(plan.orphans, forgotten, strict=True):
        # what a deleted text left in a folder another text builds into, if that one failed
        outcome["removed_outputs"] += cache.sweep(out_dir, cache.held_back(entry, plan))
    report.seconds = time.perf_counter() - planned.started  # the units started early count
    write_reports(out_dir, report, settings)
    create_markdown_artifact(report.markdown(), key="build-summary", description="pamphleteer")
    create_table_artifact(report.rows(), key="build-table", description="pamphleteer, per unit")
    return Sealed(report)


def _label(group: list[cache.Unit]) -> str:
    first = group[0].source.name
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


def json_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """A flow run's parameters as Prefect records them (its UI shows them): what Prefect's own
    ``Flow.serialize_parameters`` makes, through pydantic instead of FastAPI's
    ``jsonable_encoder``. Importing FastAPI, a web framework, only for this cost a build against
    a Prefect server ~0.1 s of CPU. A value JSON cannot hold is recorded as ``<its type>`` (FastAPI
    gave a function's attributes: ``{}``)."""

    def placeholder(value: Any) -> str:
        return f"<{type(value).__name__}>"

    recorded = {}
    for key, value in parameters.items():
        if isinstance(value, (PrefectFuture, State)):
            recorded[key] = placeholder(value)  # as Prefect does: never look into these
            continue
        try:
            recorded[key] = pydantic_core.to_jsonable_python(value, fallback=placeholder)
        except (TypeError, ValueError, RecursionError):
            recorded[key] = placeholder(value)
    return recorded


def build_flow(dask_address: str | None = None) -> Flow[..., Sealed[BuildReport]]:
    """:func:`build_editions` on the task runner for this build (:func:`task_runner`), its
    parameters recorded with :func:`json_parameters`."""
    runnable = build_editions.with_options(task_runner=task_runner(dask_address))
    runnable.serialize_parameters = json_parameters  # type: ignore[method-assign]
    return runnable


def run_build(
    raw_dir: Path,
    out_dir: Path,
    settings: Settings,
    force: bool = False,
    progress: Progress | None = None,
    dask_address: str | None = None,
    editions: Sequence[Edition] = (),
) -> BuildReport:
    runnable = build_flow(dask_address)
    with ExitStack() as stack:
        if not dask_address:
            stack.enter_context(workers.local(settings=settings))  # they start while Prefect does
        stack.enter_context(lean_prefect())
        return runnable(raw_dir, out_dir, settings, force, progress, editions).value


if __name__ == "__main__":  # python -m flows.prefect.build RAW OUT
    print(run_build(Path(sys.argv[1]), Path(sys.argv[2]), Settings()).markdown())
