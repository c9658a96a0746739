"""How a build's stale units are split into batches, and how the first batches start before the
flow run exists (no Prefect here, and nothing heavy: a build with nothing to do imports this).

A batch is one task run. The command line plans the build (:func:`plan_build`), and when there is
work it starts the first batch of each worker process at once (:func:`start_early`): the workers
build while Prefect is imported and the flow run starts (~1.5 s). The flow then takes that plan
back (:func:`take_early`) and maps its task runs over the same batches; a task run whose batch is
already under way waits for it instead of building it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flows import cache
from flows.settings import Settings

if TYPE_CHECKING:
    from flows.workers import Pool


def batches(stale: Sequence[cache.Unit], workers: int, most: int = 16) -> list[list[cache.Unit]]:
    """Stale units in batches (a batch is one task run: the fewer, the less Prefect costs).
    Biggest inputs first, and each batch a third of the remaining units' share per worker (at
    most ``most``, at least 3): the batches shrink towards the end, so the cores finish
    together."""
    ordered = sorted(stale, key=lambda u: -sum(_size(p) for p in u.inputs))
    groups = []
    while ordered:
        size = max(3, min(most, -(-len(ordered) // (workers * 3))))
        groups.append(ordered[:size])
        ordered = ordered[size:]
    return groups


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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

    def batch(self, group: list[cache.Unit]) -> list[tuple[cache.Unit, str]]:
        return [(u, self.plan.fingerprints[u.key]) for u in group]


def plan_build(
    raw_dir: Path, out_dir: Path, settings: Settings, force: bool, todo: Sequence[cache.Unit],
    workers: int,
) -> Planned:  # fmt: skip
    plan = cache.plan(todo, out_dir, settings, force)
    return Planned(raw_dir, out_dir, settings, force, plan, batches(plan.stale, workers))


#: Builds whose first batches were started before their flow run (see :func:`start_early`).
_EARLY: list[Planned] = []


def start_early(planned: Planned, pool: Pool) -> None:
    """Start the first batch of each worker now, before the flow run exists (the command line
    does, so the workers build while Prefect is imported and starts). The flow takes the plan
    back with :func:`take_early`, and its first task runs take these batches over: the pool
    hands a task run the batch already under way (``workers.Pool.start``)."""
    from flows.units import build_batch

    for group in planned.groups[: pool.count]:
        pool.start(build_batch, planned.batch(group), planned.out_dir, planned.settings)
    _EARLY.append(planned)


def take_early(raw_dir: Path, out_dir: Path, settings: Settings, force: bool) -> Planned | None:
    """The plan :func:`start_early` began for these arguments, once; None when there is none.
    The flow must use that plan, not a new one: the early batches record their units in the
    cache as they finish, and a new plan would take them for up to date."""
    for i, planned in enumerate(_EARLY):
        if (planned.raw_dir, planned.out_dir, planned.settings, planned.force) == (
            raw_dir, out_dir, settings, force,
        ):  # fmt: skip
            return _EARLY.pop(i)
    return None
