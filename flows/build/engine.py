"""A build, top to bottom (no Prefect here): plan → run units → record → index and reports.

:func:`build` is the whole of it; :class:`Build` is one build's state, made by :meth:`Build.plan`
before anything starts (so a build with nothing to do answers in milliseconds). Prefect is the
orchestrator around it (``flows.prefect.build``): its flow calls :func:`build` and hands it a
``run`` that maps the batches over task runs; without Prefect (the tests, a script) the batches
run one after the other, on the worker processes all the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from flows.build import cache, units, workers
from flows.files import Skipped, is_html, scan
from flows.outcome import Outcome
from flows.report.files import write_reports
from flows.report.summary import BuildReport
from flows.settings import Settings

#: Told of each unit as it is done: (done, total, its outcome).
Progress = Callable[[int, int, Outcome], None]
#: A unit to build and its fingerprint (recorded with its outputs).
Item = tuple[cache.Unit, str]
#: Runs the batches (each a list of items), reporting each outcome to the callback as it comes;
#: the flow's maps them over task runs.
Runner = Callable[["Build", list[list[Item]], Callable[[Outcome], None]], list[Outcome]]

#: The fewest units per batch when this machine's worker processes build them: the pool, not
#: the batches, spreads the work (one queue, biggest first), and each batch is a Prefect task
#: run, which costs Prefect CPU.
POOLED_BATCH = 25


def all_units(raw_dir: Path, editions: Sequence[Any] = ()) -> list[cache.Unit]:
    """Every unit a build of ``raw_dir`` and the anthologies ``editions`` (editions.yaml) has."""
    return [*cache.document_units(raw_dir), *cache.anthology_units(editions)]


def weight(unit: cache.Unit) -> int:
    """How big a unit's inputs are: the build starts with the biggest."""
    total = 0
    for path in unit.inputs:
        with suppress(OSError):
            total += path.stat().st_size
    return total


def batches(stale: Sequence[cache.Unit], workers: int, pooled: bool = True,
            most: int = 16) -> list[list[cache.Unit]]:  # fmt: skip
    """Stale units in batches, one task run each, biggest inputs first.

    ``pooled`` (the worker processes of this machine): a batch per worker, of at least
    :data:`POOLED_BATCH` units. Otherwise (a Dask cluster, where a batch runs on one worker):
    batches that shrink towards the end, a third of the remaining units' share per worker (at
    most ``most``, at least 3), so that the workers end together.
    """
    ordered = sorted(stale, key=lambda u: -weight(u))
    if pooled:
        size = max(POOLED_BATCH, -(-len(ordered) // max(1, workers)))
        return [ordered[i : i + size] for i in range(0, len(ordered), size)]
    groups = []
    while ordered:
        size = max(3, min(most, -(-len(ordered) // (workers * 3))))
        groups.append(ordered[:size])
        ordered = ordered[size:]
    return groups


class Build:
    """One build of ``out_dir`` from ``raw_dir``: its plan, and its worker processes while
    :meth:`workers` is open. It pickles without them (a Dask worker builds its batch itself)."""

    def __init__(
        self, raw_dir: Path, out_dir: Path, settings: Settings, force: bool,
        plan: cache.Plan, skipped: Sequence[Skipped] = (),
    ) -> None:  # fmt: skip
        self.raw_dir, self.out_dir, self.settings, self.force = raw_dir, out_dir, settings, force
        self.plan = plan
        self.skipped = tuple(skipped)  # what raw/ holds that is not read (links out of it…)
        self.started = time.perf_counter()
        self.pool: workers.Pool | None = None

    @classmethod
    def planned(cls, raw_dir: Path, out_dir: Path, settings: Settings, force: bool = False,
                editions: Sequence[Any] = ()) -> Build:  # fmt: skip
        """Plan a build: which units are stale, up to date, or gone (content hashes)."""
        plan = cache.plan(all_units(raw_dir, editions), out_dir, settings, force)
        return cls(raw_dir, out_dir, settings, force, plan, scan(raw_dir).skipped)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "pool": None}

    @property
    def html(self) -> bool:
        """Whether a unit to build has an HTML page to clean (its workers preload the cleaner)."""
        return any(is_html(path) for unit in self.plan.stale for path in unit.inputs)

    def batches(self, pooled: bool = True) -> list[list[Item]]:
        return [[(u, self.plan.fingerprints[u.key]) for u in group]
                for group in batches(self.plan.stale, workers.count(), pooled)]  # fmt: skip

    @contextmanager
    def workers(self) -> Iterator[workers.Pool]:
        """This build's worker processes (and the resident EPUBCheck they share), stopped when
        the block ends, however it ends: the one place a build opens them."""
        with workers.local(html=self.html, settings=self.settings, warm=units.warm_up) as pool:
            self.pool = pool
            try:
                yield pool
            finally:
                self.pool = None

    def run(self, batch: Sequence[Item], each: Callable[[Outcome], None] = lambda o: None
            ) -> list[Outcome]:  # fmt: skip
        """Build a batch: unit by unit on the worker processes when they are open (queued by
        size with every other batch's), else one after the other here (a Dask worker). Each
        unit is recorded in the cache as soon as it is built."""
        if self.pool is None:
            done = []
            for unit, fp in batch:
                done.append(units.build_one(unit, fp, self.out_dir, self.settings))
                each(done[-1])
            return done
        calls = {
            self.pool.submit(units.build_one, unit, fp, self.out_dir, self.settings,
                             order=-weight(unit)): (unit, fp)
            for unit, fp in batch
        }  # fmt: skip
        outcomes = []
        for call in as_completed(calls):
            outcomes.append(self._outcome(call, *calls[call]))
            each(outcomes[-1])
        return outcomes

    def _outcome(self, call: Any, unit: cache.Unit, fp: str) -> Outcome:
        try:
            return call.result()
        except workers.LimitExceeded as exc:  # the input's fault: recorded, not tried again
            failure = units.failed(unit, f"{unit.source.name}: {exc}")
            cache.record_failure(self.out_dir, unit.key, fp, failure.to_json())
            return failure
        except Exception as exc:  # its worker died, or was stopped: not recorded
            return units.failed(unit, f"{unit.source.name}: {units.reason(exc)}")

    def settled(self) -> list[Outcome]:
        """What needs no work: the units up to date, the names skipped, and the outputs of
        deleted texts, removed now."""
        plan, out_dir = self.plan, self.out_dir
        return [
            *(units.unchanged(e) for e in plan.fresh),
            *(units.skipped(s) for s in self.skipped),
            *(units.removed(e, cache.forget(out_dir, e, plan)) for e in plan.orphans),
        ]

    def swept(self, outcomes: list[Outcome]) -> list[Outcome]:
        """What a deleted text left in a folder another text builds into, removed now that that
        one is built or failed."""
        gone = {e.key: e for e in self.plan.orphans}
        return [
            o.with_removed(cache.sweep(self.out_dir, cache.held_back(gone[o.key], self.plan)))
            if o.status == "removed" and o.key in gone else o
            for o in outcomes
        ]  # fmt: skip


def one_by_one(job: Build, groups: list[list[Item]], each: Callable[[Outcome], None]
               ) -> list[Outcome]:  # fmt: skip
    """The batches one after the other (their units still spread over the workers)."""
    return [o for group in groups for o in job.run(group, each)]


def build(job: Build, run: Runner = one_by_one, progress: Progress | None = None,
          local: bool = True) -> BuildReport:  # fmt: skip
    """Bring ``job.out_dir`` up to date: the whole build, its plan made (:meth:`Build.planned`).
    ``local``: on this machine's worker processes (else ``run`` sends the batches elsewhere)."""
    settled = job.settled()  # unchanged, skipped, and deleted texts' outputs removed
    told = _Told(progress, len(job.plan.stale))
    with job.workers() if local else nullcontext():
        built = run(job, job.batches(pooled=local), told.each)  # each recorded as it is built
    report = BuildReport(job.swept(settled) + built, time.perf_counter() - job.started)
    write_reports(job.out_dir, report, job.settings)  # the index and the reports, last
    return report


class _Told:
    """Tells ``progress`` of each outcome as it comes (from several threads)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self._lock = threading.Lock()

    def each(self, outcome: Outcome) -> None:
        with self._lock:
            self.done += 1
            if self.progress:
                self.progress(self.done, self.total, outcome)
