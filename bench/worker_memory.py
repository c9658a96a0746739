"""One worker's memory, step by step: what a build's worker process and its Pandoc hold.

    nice .venv/bin/python bench/worker_memory.py [--count 20] [--rts -A64m] [--allocator tuned]

In this process, as a worker does: the allocator set (``workers.tune_allocator``, or glibc's
defaults with ``--allocator default``), the fork server's imports, the warm-up (a Pandoc process,
typst's compiler), then ``--count`` corpus articles built one after the other (validators off:
their JVM is a process of its own). Prints this process's RSS and PSS and its Pandoc's after
each step, and the CPU time of the builds (this process's and Pandoc's). ``--rts`` sets Pandoc's
runtime options (``render.pandoc.RTS_OPTIONS``) for the run. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import make_corpus, pss  # noqa: E402

MB = 2**20


def pandocs() -> list[psutil.Process]:
    return [c for c in psutil.Process().children() if c.name().startswith("pandoc")]


def line(label: str) -> None:
    me = psutil.Process()
    kids = pandocs()
    each = ", ".join(f"{c.memory_info().rss / MB:.0f}/{pss(c.pid) / MB:.0f}" for c in kids)
    print(f"  {label:<34} worker {me.memory_info().rss / MB:5.0f} / {pss(me.pid) / MB:5.0f} MB"
          f"   pandoc {each or '-'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--rts", default=None, help="Pandoc's +RTS options, e.g. -A64m or ''")
    parser.add_argument("--allocator", choices=["tuned", "default"], default="tuned")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    from flows.build import workers

    print("RSS / PSS of this process (a worker) and of its Pandoc, MB")
    line("start")
    if args.allocator == "tuned":
        workers.tune_allocator()
    for name in workers.PRELOAD:
        importlib.import_module(name)
    line("the fork server's imports")
    from flows.build import cache, units
    from flows.render import pandoc
    from flows.settings import Settings

    if args.rts is not None:
        pandoc.RTS_OPTIONS = tuple(args.rts.split())
    units.warm_up()
    line("warmed up (Pandoc, typst)")
    settings = Settings(check=False)
    with tempfile.TemporaryDirectory(prefix="pamphleteer-worker-") as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "build"
        make_corpus(args.corpus, raw, args.count, html=False)
        plan = cache.plan(cache.document_units(raw), out, settings, False)
        stale = sorted(plan.stale, key=lambda u: -u.source.stat().st_size)  # as the pool does
        before = resource.getrusage(resource.RUSAGE_SELF)
        pandoc_before = sum(sum(c.cpu_times()[:2]) for c in pandocs())
        start = time.perf_counter()
        peak = (0, 0)
        for n, unit in enumerate(stale, 1):
            outcome = units.build_one(unit, plan.fingerprints[unit.key], out, settings)
            me = psutil.Process()
            total = me.memory_info().rss + sum(c.memory_info().rss for c in pandocs())
            peak = max(peak, (total, n))
            if n in (1, 2, 5) or n % 10 == 0 or n == len(stale):
                line(f"after {n} ({unit.source.stat().st_size // 1024} KB, {outcome.status})")
        after = resource.getrusage(resource.RUSAGE_SELF)
        own = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        pandoc_cpu = sum(sum(c.cpu_times()[:2]) for c in pandocs()) - pandoc_before
        print(f"{len(stale)} documents: {time.perf_counter() - start:.2f} s wall; CPU {own:.2f} s "
              f"in the worker ({after.ru_minflt - before.ru_minflt} page faults), "
              f"{pandoc_cpu:.2f} s in Pandoc; largest worker + Pandoc RSS {peak[0] / MB:.0f} MB "
              f"(after document {peak[1]})")  # fmt: skip


if __name__ == "__main__":
    main()
