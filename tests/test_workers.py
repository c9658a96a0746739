"""The build's worker processes: work runs in them, and a worker that dies fails one batch."""

from __future__ import annotations

import os

import pytest

from flows import workers
from flows.model import PamphleteerError


def _pid() -> int:
    return os.getpid()


def _die() -> None:
    os._exit(3)  # a crash in native code looks like this from outside


def test_work_runs_in_other_processes_and_a_dead_worker_fails_only_its_batch() -> None:
    with workers.local(2) as pool:
        assert workers.active() is pool
        assert pool.run(_pid) != os.getpid()
        with pytest.raises(PamphleteerError, match="a worker process died"):
            pool.run(_die)
        assert pool.run(_pid) != os.getpid()  # a new pool took over
        with workers.local() as inner:
            assert inner is pool  # a nested block shares the outer pool
    assert workers.active() is None
