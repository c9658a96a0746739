"""How a build's stale units are split into batches, and how the first units start before the
flow run exists (no Prefect here, and nothing heavy: a build with nothing to do imports this).

A batch is one task run. The command line plans the build (:func:`plan_build`), and when there is
work it starts the first units on the worker processes at once (:func:`start_early`): the workers
build while Prefect is imported and the flow run starts (~1.5 s with a Prefect server). The flow
then takes that plan back (:func:`take_early`) and maps its task runs over the same batches; a
task run whose unit is already under way waits for it instead of building it again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.build import cache
from flows.files import Skipped, is_html, scan
from flows.settings import Settings

if TYPE_CHECKING:
    from flows.build.workers import Pool


def all_units(raw_dir: Path, editions: Sequence[Any] = ()) -> list[cache.Unit]:
    """Every unit a build of ``raw_dir`` and the anthologies ``editions`` (editions.yaml) has."""
    return [*cache.document_units(raw_dir), *cache.anthology_units(editions)]


def weight(unit: cache.Unit) -> int:
    """How big a unit's inputs are: the build starts with the biggest."""
    return sum(_size(path) for path in unit.inputs)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


#: The fewest units per task run when a local worker pool builds them (one task run a worker).
POOLED_BATCH = 25


def batches(
    stale: Sequence[cache.Unit], workers: int, pooled: bool = True, most: int = 16
) -> list[list[cache.Unit]]:
    """Stale units in batches, one task run each, biggest inputs first.

    ``pooled`` (the worker processes of this machine): a batch per worker, of at least
    :data:`POOLED_BATCH` units, because the pool, not the task runs, spreads the work: it builds
    one unit at a time on each worker from one queue, biggest first, so the workers end
    together however the batches fall, and each task run costs Prefect CPU (~5 ms in the
    command, ~25 ms in a Prefect server, which records its events). Otherwise (a Dask
    cluster, where a batch runs on one worker): batches that shrink towards the end, a third of
    the remaining units' share per worker (at most ``most``, at least 3), so the workers end
    together there too.
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


@dataclass
class Planned:
    """A build decided before any task run exists: its plan and its batches, for one
    ``raw_dir``, ``out_dir``, ``settings`` and ``force``."""

    raw_dir: Path
    out_dir: Path
    settings: Settings
    force: bool
    plan: cache.Plan
    groups: list[list[cache.Unit]]
    started: float = field(default_factory=time.perf_counter)
    #: What raw/ holds that is not read (links out of it, pipes…), for the report.
    skipped: tuple[Skipped, ...] = ()

    def batch(self, group: list[cache.Unit]) -> list[tuple[cache.Unit, str]]:
        return [(u, self.plan.fingerprints[u.key]) for u in group]

    @property
    def html(self) -> bool:
        """Whether a unit to build has an HTML page to clean (the workers then preload the
        cleaner, see ``workers.PRELOAD_HTML``)."""
        return any(is_html(path) for unit in self.plan.stale for path in unit.inputs)


def plan_build(
    raw_dir: Path, out_dir: Path, settings: Settings, force: bool, todo: Sequence[cache.Unit],
    workers: int, pooled: bool = True,
) -> Planned:  # fmt: skip
    plan = cache.plan(todo, out_dir, settings, force)
    groups = batches(plan.stale, workers, pooled)
    return Planned(raw_dir, out_dir, settings, force, plan, groups, skipped=scan(raw_dir).skipped)


#: Plans made before their flow run, for it to take back (see :func:`hand_over`).
_EARLY: list[Planned] = []


def hand_over(planned: Planned) -> None:
    """Keep a plan made before the flow run for the flow to take back (:func:`take_early`)
    instead of hashing every input again."""
    _EARLY.append(planned)


def early_units(workers: int) -> int:
    """How many units to start before the flow run exists: enough to keep the workers busy
    while Prefect starts — about 1.5 s against a Prefect server, 2.5 s while the workers share
    the cores with it, 5 s or more when Prefect starts a temporary one — at 0.1–0.3 s a unit
    (the biggest go first). Too many costs nothing: the flow takes them over."""
    return workers * (12 if os.environ.get("PREFECT_API_URL") else 24)


def start_early(planned: Planned, pool: Pool) -> None:
    """Start the first units now, before the flow run exists: the command line does, so the
    workers build while Prefect is imported and starts. The flow takes the plan back with
    :func:`take_early`, and its task runs take these units over from the pool
    (``workers.Pool.start``) instead of queueing them again."""
    from flows.build.units import build_batch

    first = [u for group in planned.groups for u in group][: early_units(pool.count)]
    for unit in first:
        item = (unit, planned.plan.fingerprints[unit.key])
        pool.start(build_batch, [item], planned.out_dir, planned.settings, order=-weight(unit))
    hand_over(planned)


def take_early(raw_dir: Path, out_dir: Path, settings: Settings, force: bool) -> Planned | None:
    """The plan handed over for these arguments, once; None when there is none.
    The flow must use that plan, not a new one: the early units are recorded in the cache as
    they finish, and a new plan would take them for up to date."""
    for i, planned in enumerate(_EARLY):
        if (planned.raw_dir, planned.out_dir, planned.settings, planned.force) == (
            raw_dir, out_dir, settings, force,
        ):  # fmt: skip
            return _EARLY.pop(i)
    return None
