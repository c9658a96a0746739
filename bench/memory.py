"""What the default command's memory is made of: its peak, process by process.

    nice .venv/bin/python bench/memory.py [--count 20] [--cold 2] [--corpus ../shared/corpus]

``pamphleteer build --raw raw --out build`` with its defaults (validators on, no
``PREFECT_API_URL``) on ``--count`` corpus articles in a temporary project: its first build
(which starts the project's Prefect server), then ``--cold`` cold builds (build/ emptied, the
server running). For each: wall and CPU time, the peak of the process tree's resident memory
(RSS: pages shared between processes counted in each) and of its proportional memory (PSS: the
memory the build costs the machine), and what each process held at the PSS peak
(``scale.measured``). The project's server is stopped at the end. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import psutil  # noqa: E402
from scale import Run, load, make_corpus, measured, pss, wait_warm  # noqa: E402

PY = sys.executable


def build(raw: Path, out: Path, *extra: str) -> Run:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    cmd = [PY, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out), *extra]
    return measured(cmd, env, any_exit=True)


def resident(project: Path) -> str:
    """The project's resident processes, which outlive the build (their memory is not in the
    build's tree after the first build, but the machine still holds it): Prefect's server,
    the warm command (its builds, forked from it, are in the build's tree) and EPUBCheck."""
    lines = []
    for record, what in (("server.json", "Prefect server"), ("command.json", "warm command"),
                         ("checker.json", "EPUBCheck (its Python)")):  # fmt: skip
        try:
            pid = json.loads((project / ".prefect" / record).read_text())["pid"]
            proc = psutil.Process(pid)
            lines.append(f"  the project's resident {what} (outside the build's tree): "
                         f"{proc.memory_info().rss / 2**20:.0f} MB RSS, "
                         f"{pss(pid) / 2**20:.0f} MB PSS")  # fmt: skip
        except (OSError, ValueError, KeyError, psutil.Error):
            lines.append(f"  the project's resident {what}: not running")
    return "\n".join(lines)


def table(label: str, run: Run) -> None:
    print(f"\n{label}: {run.seconds:.2f} s wall, {run.cpu:.1f} s CPU, exit {run.code}; "
          f"peak RSS {run.peak_mb:.0f} MB, peak PSS {run.pss_mb:.0f} MB")  # fmt: skip
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for what, rss, proportional in run.at_peak:
        groups[what].append((rss, proportional))
    print(f"  at the PSS peak:  {'processes':>9} {'RSS MB':>8} {'PSS MB':>8}  each (RSS/PSS)")
    for what, each in sorted(groups.items(), key=lambda g: -sum(p for _, p in g[1])):
        rss, proportional = sum(r for r, _ in each), sum(p for _, p in each)
        per = ", ".join(f"{r:.0f}/{p:.0f}" for r, p in each)
        print(f"  {what:<17}{len(each):>9} {rss:8.0f} {proportional:8.0f}  {per}")
    print(f"  {'total':<17}{len(run.at_peak):>9} {sum(r for _, r, _ in run.at_peak):8.0f} "
          f"{sum(p for _, _, p in run.at_peak):8.0f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--cold", type=int, default=2, help="cold builds after the first")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("extra", nargs="*", help="more options for the build command")
    args = parser.parse_args()
    print(f"Before: {load()}")
    with tempfile.TemporaryDirectory(prefix="pamphleteer-memory-") as tmp:
        project = Path(tmp) / "project"
        raw, out = project / "raw", project / "build"
        print(make_corpus(args.corpus, raw, args.count, html=False))
        try:
            table("first build of the project (starts its Prefect server)",
                  build(raw, out, *args.extra))  # fmt: skip
            wait_warm(project)  # the later builds run in its warm command
            for n in range(args.cold):
                # ignore_errors: a child of the last build may still be removing its temporary
                # folder under build/ as the command's exit returns.
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
                table(f"cold {n + 1}", build(raw, out, *args.extra))
                print(resident(project))
        finally:
            subprocess.run([PY, "-m", "flows.cli", "server", "stop"], cwd=project,
                           capture_output=True, check=False)  # fmt: skip
    print(f"\nAfter: {load()}")


if __name__ == "__main__":
    main()
