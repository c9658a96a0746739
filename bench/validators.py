"""What the validators cost: EPUBCheck per check, cold and warm, and in a build.

    nice .venv/bin/python bench/validators.py [--count 20] [--corpus ../shared/corpus]
                                              [--old-rev REV] [--checks 10]

Copies ``--count`` gold body texts of the shared corpus into a temporary folder (never into the
repository) and prints:

- builds of them with ``pamphleteer build`` (Prefect's temporary server), with and without
  ``--no-check``: wall time, CPU time (of every process the command started, see
  :func:`measured`) and peak memory (the largest sum of the resident memory of the command's
  process tree: workers, Pandoc, the JVM), and what the checks add; with
  ``--old-rev`` the same two builds again with the code of that commit (exported with
  ``git archive`` into the temporary folder, run with this environment), e.g. the commit
  before the resident checker, which started a JVM per EPUB;
- one EPUB checked by a JVM of its own (``check.epubcheck_once``, the old way) twice, then by
  a resident EPUBCheck (``check.epubcheck``): from its start to its first answer (cold, the
  warm-up on the sample book included), then ``--checks`` answers on the build's EPUBs
  (warm): wall time and the JVM's CPU time per check, its resident memory.

Nothing is asserted: read the figures. The machine may be shared: CPU time is the steadier
figure.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import PY, make_corpus  # noqa: E402

from flows.validate import jvm  # noqa: E402
from flows.validate import validators as check  # noqa: E402


@dataclass
class Run:
    seconds: float
    peak_mb: float
    cpu: float  # user + system seconds of every process the command started
    java_cpu: float  # of those, the JVMs' (as last sampled: a short one may be missed)
    stderr: str


#: prctl(2): this process adopts the orphans of its descendants (Linux).
PR_SET_CHILD_SUBREAPER = 36


def measured(cmd: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a command: wall time, the CPU time of every process it started, the peak of the
    resident memory of its process tree.

    The CPU time comes from the kernel's accounting of reaped children. The build's workers are
    children of a fork server that outlives the command for a moment, orphaned, so nobody's
    children: this process adopts such orphans (a child subreaper) and reaps them, and their
    CPU time, their children's included (a JVM per EPUB), is counted. Orphans still alive a
    minute after the command are named: nothing should outlive it.
    """
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    root, peak, stop = psutil.Process(proc.pid), 0, threading.Event()
    java: dict[tuple[int, float], float] = {}  # each JVM's CPU seconds when last sampled

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.1):
            total = 0
            with contextlib.suppress(psutil.Error):  # the command ended meanwhile
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):  # this one ended meanwhile
                        total += p.memory_info().rss
                        if p.name() == "java":
                            java[(p.pid, p.create_time())] = sum(p.cpu_times()[:2])
            peak = max(peak, total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no child left
            break
        if pid == 0:
            time.sleep(0.05)
    else:
        left = [" ".join(p.cmdline()[:3]) for p in psutil.Process().children()]
        print(f"    still running a minute after the command: {left}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(seconds, peak / 2**20, cpu, sum(java.values()), stderr)


def build(code: Path, raw: Path, out: Path, *extra: str) -> Run:
    """``pamphleteer build`` with the code in ``code`` (this checkout, or an exported commit):
    run from that folder, whose ``flows`` comes first (before the checkout's editable install)."""
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("PAMPHLETEER_")]:
        del env[key]
    cmd = [PY, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out), "--force",
           *extra]  # fmt: skip
    return measured(cmd, env, code)


def export(rev: str, into: Path) -> Path:
    """The tree of commit ``rev`` (its flows/ and templates/), for running its command."""
    tree = subprocess.run(["git", "archive", rev, "flows", "templates", "pamphleteer.yaml"],
                          cwd=ROOT, capture_output=True, check=True).stdout  # fmt: skip
    with tarfile.open(fileobj=BytesIO(tree)) as tar:
        tar.extractall(into, filter="data")
    return into


def line(label: str, run: Run, base: Run | None = None) -> str:
    added = ""
    if base:
        added = (f", checks add {run.seconds / base.seconds - 1:+.0%} wall, "
                 f"{run.cpu / base.cpu - 1:+.0%} CPU")  # fmt: skip
    jvms = f" (JVMs {run.java_cpu:.1f})" if run.java_cpu else ""
    return (f"  {label:<30} {run.seconds:6.1f} s wall {run.cpu:6.1f} s CPU{jvms} "
            f"{run.peak_mb:6.0f} MB peak{added}")  # fmt: skip


def builds(code: Path, name: str, raw: Path, tmp: Path) -> Path:
    out = tmp / f"build-{name}"
    where = subprocess.run([PY, "-c", "import flows; print(flows.__file__)"], cwd=code,
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    print(f"  {name}: {Path(where).parent}", flush=True)
    quick = build(code, raw, out, "--no-check")
    checked = build(code, raw, out)
    print(line(f"{name}, --no-check", quick), flush=True)
    print(line(f"{name}, with EPUBCheck", checked, quick), flush=True)
    for run in (quick, checked):
        if " 0 failed" not in run.stderr:
            print(f"    (that build reported failures: {run.stderr.strip().splitlines()[-1]})")
    return out


def cpu_of(pid: int) -> float:
    proc = psutil.Process(pid)
    return sum(proc.cpu_times()[:2])


def per_check(epubs: list[Path], checks: int) -> None:
    epub = epubs[0]
    print(f"One check of {epub.name} ({epub.stat().st_size // 1024} KB):")
    for n in (1, 2):
        before = os.times()
        start = time.perf_counter()
        result = check.epubcheck_once(epub)
        after = os.times()
        cpu = sum(after[2:4]) - sum(before[2:4])  # children's user and system time
        print(f"  a JVM of its own #{n}:{'':<12} {time.perf_counter() - start:6.2f} s wall "
              f"{cpu:6.2f} s CPU  ({result.summary()})", flush=True)  # fmt: skip
    start = time.perf_counter()
    with check.epubcheck_service() as service:
        os.environ[jvm.env_name("epubcheck")] = str(service.socket)
        try:
            result = check.epubcheck(epub)
            cold_wall = time.perf_counter() - start
            cold_cpu = cpu_of(service.pid)
            print(f"  resident, start to first answer: {cold_wall:6.2f} s wall {cold_cpu:6.2f} s "
                  f"CPU  ({result.summary()})", flush=True)  # fmt: skip
            walls, cpus = [], []
            for n in range(checks):
                before_cpu, begin = cpu_of(service.pid), time.perf_counter()
                check.epubcheck(epubs[n % len(epubs)])
                walls.append(time.perf_counter() - begin)
                cpus.append(cpu_of(service.pid) - before_cpu)
            rss = psutil.Process(service.pid).memory_info().rss / 2**20
            heap = service.cmd[1].removeprefix("-Xmx")
            print(f"  resident, warm (median of {checks}):   {statistics.median(walls):6.2f} s "
                  f"wall {statistics.median(cpus):6.2f} s CPU  (max {max(walls):.2f} s wall); "
                  f"the JVM holds {rss:.0f} MB (-Xmx{heap})")  # fmt: skip
        finally:
            del os.environ[jvm.env_name("epubcheck")]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--corpus", type=Path, default=ROOT.parent.parent / "shared" / "corpus")
    p.add_argument("--old-rev", help="also build with this commit's code (a JVM per EPUB)")
    p.add_argument("--checks", type=int, default=10, help="warm checks to time")
    args = p.parse_args()
    if check.java_missing():
        raise SystemExit("Java is not installed: nothing to measure")
    with tempfile.TemporaryDirectory(prefix="pamphleteer-bench-validators-") as tmp_name:
        tmp = Path(tmp_name)
        raw = tmp / "raw"
        print(make_corpus(args.corpus, raw, args.count, html=False), f"on {os.cpu_count()} cores")
        print("Builds (pamphleteer build --force, Prefect's temporary server):", flush=True)
        # Untimed: Prefect's first run in a project folder creates its database (~8 s of CPU),
        # which the first timed build would otherwise pay alone.
        build(ROOT, raw, tmp / "build-first", "--no-check")
        out = builds(ROOT, "this checkout", raw, tmp)
        if args.old_rev:
            builds(export(args.old_rev, tmp / "old"), f"{args.old_rev}", raw, tmp)
        per_check(sorted(out.glob("*/*.epub")), args.checks)


if __name__ == "__main__":
    main()
