"""The command users run, measured as they run it: ``pamphleteer build`` with its defaults.

    nice .venv/bin/python bench/default_path.py [--count 60] [--busy 4] [--corpus ../shared/corpus]

Validators on, no ``PREFECT_API_URL`` (so Prefect's own choice of server, as a fresh project gets
it), ``--count`` corpus articles (gold bodies as .txt, in a temporary folder, never in the
repository). Against the naive script (bench/naive.py --epubcheck: two articles at a time, pandoc
×3, typst in a fresh process, ``java -jar epubcheck.jar`` per EPUB). Prints, in one run:

- the project's first build (which starts its Prefect server), then cold (empty build/, the
  server running), the same with ``--no-check``, no change, one article changed, and one
  document alone (a project of one text, rebuilt with ``--force`` once its server runs);
- peak memory of each: the sum of the process tree's resident memory (RSS) and of its
  proportional memory (PSS, shared pages divided among their processes), sampled;
- the cold build again with ``--busy`` busy-loop processes loading the cores (each stops by itself
  after a bounded time), three times: exit code and how many texts the index lists.

Nothing is asserted: read the figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from scale import Run, load, make_corpus, measured, sources_for_naive, wait_warm  # noqa: E402

PY = sys.executable


def build(raw: Path, out: Path, *extra: str) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL",)}
    cmd = [PY, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out), *extra]
    return measured(cmd, env, any_exit=True)


def empty(out: Path) -> None:
    """Remove build/ (twice, ignoring errors: the last build's lifeline may still be removing
    its private folder under build/ as the command's exit returns)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


def indexed(out: Path) -> int:
    """How many editions build/index.html lists (links to an edition's HTML)."""
    index = out / "index.html"
    return (
        len(set(re.findall(r'href="([^"/]+)/\1\.html"', index.read_text())))
        if index.exists()
        else 0
    )


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def busy(count: int, seconds: float) -> list[multiprocessing.Process]:
    procs = [
        multiprocessing.Process(target=_spin, args=(seconds,), daemon=True) for _ in range(count)
    ]
    for p in procs:
        p.start()
    return procs


def row(label: str, run: Run, naive: Run | None = None, note: str = "") -> str:
    ratio = f"{run.seconds / naive.seconds:5.2f}×" if naive else ""
    return (f"  {label:<42}{run.seconds:8.2f} s {ratio:>7} {run.cpu:8.1f} s CPU "
            f"{run.peak_mb:7.0f} MB {run.pss_mb:7.0f} MB  {note}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--busy", type=int, default=4)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    print(f"Before: {load()}")
    with tempfile.TemporaryDirectory(prefix="pamphleteer-bench-") as tmp:
        work = Path(tmp)
        raw = work / "project" / "raw"
        print(make_corpus(args.corpus, raw, args.count, html=False))
        sources_for_naive(raw, work / "sources")
        naive = measured([PY, str(ROOT / "bench" / "naive.py"), str(work / "sources"),
                          str(work / "naive"), "--epubcheck"])  # fmt: skip
        out = work / "project" / "build"
        first = build(raw, out)  # the project's first build: it also starts its Prefect server
        warm = wait_warm(raw.parent)  # and, once done, its warm command
        empty(out)
        cold = build(raw, out)  # cold outputs, the project's server running
        nothing = build(raw, out)
        victim = sorted(raw.iterdir())[len(list(raw.iterdir())) // 2]
        victim.write_text(victim.read_text() + "\n\nOne more paragraph.\n")
        changed = build(raw, out)
        empty(out)
        unchecked = build(raw, out, "--no-check")
        alone_raw = work / "alone" / "raw"
        alone_raw.mkdir(parents=True)
        shutil.copy(victim, alone_raw / victim.name)
        build(alone_raw, work / "alone" / "build")  # its project's server starts
        warm_alone = wait_warm(alone_raw.parent)
        alone = build(alone_raw, work / "alone" / "build", "--force")
        one_naive_dir = work / "one-source"
        one_naive_dir.mkdir()
        for suffix in (".md", ".json"):
            shutil.copy(work / "sources" / f"{victim.stem}{suffix}", one_naive_dir)
        one_naive = measured([PY, str(ROOT / "bench" / "naive.py"), str(one_naive_dir),
                              str(work / "naive-one"), "--epubcheck"])  # fmt: skip

        print(f"\n{args.count} articles, `pamphleteer build` with its defaults (validators on)")
        print(f"  {'':<42}{'wall':>10} {'÷naive':>7} {'CPU':>12} {'peak RSS':>10} {'PSS':>7}")
        print(row("naive script (+ java -jar epubcheck.jar)", naive))
        started = "its warm command ready" if warm and warm_alone else "NO warm command"
        print(row("first build of the project", first, naive, f"(starts its server; {started})"))
        print(row("cold", cold, naive, f"exit {cold_code(cold)}, index lists {indexed(out)}"))
        ratio = cold.seconds / unchecked.seconds
        print(row("cold, --no-check", unchecked, naive, f"cold is {ratio:.2f}× this"))
        print(row("no change", nothing, naive, f"{nothing.seconds / cold.seconds:.1%} of cold"))
        print(row("one article changed", changed, one_naive,
                  f"÷ the naive script for that article ({one_naive.seconds:.2f} s)"))  # fmt: skip
        print(row("one document alone (--force)", alone, one_naive))

        print(f"\nCold, with {args.busy} busy-loop processes on {os.cpu_count()} cores:")
        for attempt in range(3):
            shutil.rmtree(out, ignore_errors=True)
            procs = busy(args.busy, seconds=min(900.0, max(60.0, cold.seconds * 3)))
            try:
                run = build(raw, out)
            finally:
                for p in procs:
                    p.terminate()
            print(
                row(
                    f"run {attempt + 1}",
                    run,
                    naive,
                    f"exit {cold_code(run)}, index lists {indexed(out)} of {args.count}",
                )
            )
    print(f"\nAfter: {load()}")


def cold_code(run: Run) -> str:
    return (
        "1 (a document failed)" if "failed" in run.stderr and " 0 failed" not in run.stderr else "0"
    )


if __name__ == "__main__":
    main()
