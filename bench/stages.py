"""Time each stage and each format on the seed texts, and Prefect's start-up.

    .venv/bin/python bench/stages.py [RAW_DIR] [--repeat N] [--no-check]

Prints medians in milliseconds. Nothing here is asserted: speed is read, not tested.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.build.pipeline import Timer, build_document  # noqa: E402
from flows.files import discover  # noqa: E402
from flows.settings import Settings  # noqa: E402

PREFECT_START = """
import time, os
t0 = time.perf_counter()
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
from prefect import flow
t1 = time.perf_counter()
@flow
def nothing() -> int:
    return 1
nothing()
t2 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw", nargs="?", default=str(ROOT / "raw"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-check", action="store_true", help="leave EPUBCheck out")
    args = parser.parse_args()

    settings = Settings(check=not args.no_check)
    sources = discover(Path(args.raw))
    print(f"{len(sources)} document(s) from {args.raw}, median of {args.repeat} runs, in ms\n")
    steps = ["read", "clean", "footnotes", "assemble", "html", "epub", "pdf", "booklet", "cover",
             "epubcheck"]  # fmt: skip
    print(f"{'document':<28}" + "".join(f"{s:>10}" for s in steps) + f"{'total':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for source in sources:
            runs: list[Timer] = []
            for _ in range(args.repeat):
                result = build_document(source, Path(tmp), settings)
                runs.append(Timer(result.seconds))
            medians = {
                s: statistics.median(r.seconds.get(s, 0.0) for r in runs) * 1000 for s in steps
            }
            row = "".join(f"{medians[s]:>10.1f}" for s in steps)
            print(f"{source.name[:27]:<28}{row}{sum(medians.values()):>10.1f}")

    print("\nPrefect in a fresh process (temporary server, PREFECT_HOME in a temporary folder):")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PREFECT_HOME": home, "PREFECT_LOGGING_LEVEL": "WARNING"}
        for label in ("first run (creates the database)", "second run"):
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", PREFECT_START], env=env, capture_output=True, text=True
            )
            total = time.perf_counter() - start
            imports, first_flow = out.stdout.split()
            print(
                f"  {label}: import {imports} s, first flow {first_flow} s, process {total:.1f} s"
            )


if __name__ == "__main__":
    main()
