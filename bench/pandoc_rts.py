"""Pandoc's runtime options against its CPU time and memory, on real edition sources.

    nice .venv/bin/python bench/pandoc_rts.py [--count 60] [--rounds 3] [VARIANT ...]

Each variant (``+RTS`` options, e.g. ``"-A64m"`` or ``"-H1m"``; ``""`` is the binary's own, which
was built with ``-H64m``) converts ``--count`` corpus articles' edition sources to HTML, EPUB and
Typst in one fresh long-lived Pandoc process (``flows.render.pandoc``), as a worker's does. The
variants take turns, ``--rounds`` times (the machine's speed drifts). Prints each one's Pandoc CPU
seconds (median and all) and its process's RSS and PSS after the last source. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import make_corpus, pss, sources_for_naive  # noqa: E402

from flows.render import formats, pandoc  # noqa: E402

MB = 2**20


def run(variant: str, sources: list) -> tuple[float, float, float, float]:
    """Pandoc CPU seconds, and its RSS, PSS and largest RSS (MB), for every source's formats."""
    pandoc.shutdown()
    pandoc.RTS_OPTIONS = tuple(variant.split())
    proc: psutil.Process | None = None
    top = 0
    for source, meta, settings in sources:
        formats.html(source, settings, meta=meta)
        formats.pandoc(source, formats._request("epub3", settings, split_level=1))
        formats.typst_source(source, settings, formats.language_meta(settings, meta))
        if proc is None:
            proc = psutil.Process(pandoc._all[0].proc.pid)
        top = max(top, proc.memory_info().rss)
    assert proc is not None
    cpu = sum(proc.cpu_times()[:2])
    rss, proportional = proc.memory_info().rss, pss(proc.pid)
    pandoc.shutdown()
    return cpu, rss / MB, proportional / MB, top / MB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("variants", nargs="*", default=["-A64m", "", "-H1m", "-H1m -A16m"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pamphleteer-rts-") as tmp:
        raw = Path(tmp) / "raw"
        make_corpus(args.corpus, raw, args.count, html=False)
        sources = sources_for_naive(raw, Path(tmp) / "sources")
    results: dict[str, list[tuple[float, float, float, float]]] = {v: [] for v in args.variants}
    for _ in range(args.rounds):
        for variant in args.variants:
            results[variant].append(run(variant, sources))
    print(f"{len(sources)} sources × HTML, EPUB, Typst in one Pandoc process, {args.rounds} rounds")
    print(f"  {'+RTS':<14}{'CPU s (median)':>15}  {'RSS':>6} {'PSS':>6} {'max RSS':>8}  all CPU")
    for variant, each in results.items():
        cpu = statistics.median(e[0] for e in each)
        rss, proportional, top = (max(e[i] for e in each) for i in (1, 2, 3))
        all_cpu = ", ".join(f"{e[0]:.2f}" for e in each)
        print(f"  {variant or '(built-in -H64m)':<14}{cpu:15.2f}  {rss:6.0f} {proportional:6.0f}"
              f" {top:8.0f}  {all_cpu}")  # fmt: skip


if __name__ == "__main__":
    main()
