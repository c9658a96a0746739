"""What Prefect's server costs a one-document build: its temporary server against the project's
resident one (flows/resident.py), on an idle machine and with the cores loaded.

    .venv/bin/python bench/prefect_start.py [--load 4] [--only temporary|resident]

Each case builds one small document, validators on (EPUBCheck), in a fresh project folder in a
temporary directory: a cold build (no .prefect/, no build/), then the same with ``--force``.
Then, with ``--load`` busy-loop processes running (each stops by itself after ``--load-seconds``,
or when the benchmark ends), one cold build with each server and one with the resident server
running. Prints wall seconds and the CPU seconds of the build's process tree (plus, when a
resident server was running already, the server's CPU during the build), and the load average
before each run: the figures are as noisy as the machine. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402  (the benchmark next door: its measured runs)

from flows.prefect import resident  # noqa: E402

DOCUMENT = (
    "A Small Pamphlet\n\nThe first paragraph of a small document, with a note.[1]\n\n"
    "A second paragraph says a little more about the matter at hand, and then stops.\n\n"
    "Notes\n\n[1] The note.\n"
)
BUSY = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def project(work: Path, name: str) -> Path:
    raw = work / name / "raw"
    raw.mkdir(parents=True)
    (raw / "small.txt").write_text(DOCUMENT)
    return raw


def build(raw: Path, *extra: str) -> scale.Run:
    env = {**os.environ, "PREFECT_HOME": str(raw.parent / ".prefect")}
    env.pop("PREFECT_API_URL", None)
    cmd = [scale.PY, "-m", "flows.cli", "build", "--raw", str(raw), "--out",
           str(raw.parent / "build"), *extra]  # fmt: skip
    home = raw.parent / ".prefect"
    record = resident.read_record(home)
    scale.SERVER[:] = [psutil.Process(record.pid)] if record and resident.answers(record) else []
    return scale.measured(cmd, env)


def show(label: str, run: scale.Run) -> None:
    print(f"  {label:<44} {run.seconds:6.1f} s wall {run.cpu:6.1f} s CPU", flush=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def case(work: Path, name: str, temporary: bool) -> None:
    extra = ("--temporary-server",) if temporary else ()
    raw = project(work, name)
    print(f"{name} ({load()}):", flush=True)
    show("cold project", build(raw, *extra))
    show("again (--force)", build(raw, "--force", *extra))
    show("again (--force --no-check: no EPUBCheck)", build(raw, "--force", "--no-check", *extra))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--load", type=int, default=4, help="busy-loop processes (0: none)")
    p.add_argument("--load-seconds", type=float, default=400)
    p.add_argument("--only", choices=["temporary", "resident"])
    args = p.parse_args()
    kinds = [k for k in ("temporary", "resident") if args.only in (None, k)]
    print(f"{os.cpu_count()} cores; {load()}")
    with tempfile.TemporaryDirectory(prefix="pamphleteer-prefect-") as tmp:
        work = Path(tmp)
        try:
            for kind in kinds:
                case(work, kind, kind == "temporary")
            if not args.load:
                return
            busy = [
                subprocess.Popen([sys.executable, "-c", BUSY.format(seconds=args.load_seconds)])
                for _ in range(args.load)
            ]
            try:
                print(f"with {args.load} busy loops ({load()}):", flush=True)
                for kind in kinds:
                    extra = ("--temporary-server",) if kind == "temporary" else ()
                    raw = project(work, f"{kind}-loaded")
                    show(f"{kind}: cold project", build(raw, *extra))
                    if kind == "resident":
                        show(f"{kind}: again (--force)", build(raw, "--force"))
            finally:
                for proc in busy:
                    proc.kill()
                    proc.wait()
        finally:
            for home in work.glob("*/.prefect"):
                resident.stop(home)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
