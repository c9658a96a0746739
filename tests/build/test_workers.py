"""The build's worker processes: work runs in them, and a worker that dies fails only its own
call."""

from __future__ import annotations

import concurrent.futures
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.build import workers
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.settings import Settings

from ..conftest import ROOT


def _pid() -> int:
    return os.getpid()


def _die() -> None:
    os._exit(3)  # a crash in native code looks like this from outside


def test_work_runs_in_other_processes_and_a_dead_worker_fails_only_its_call() -> None:
    with workers.local(2) as pool:
        assert pool.run(_pid) != os.getpid()
        with pytest.raises(PamphleteerError, match="its worker process died .exit code 3"):
            pool.run(_die)
        assert pool.run(_pid) != os.getpid()  # a new worker took over


def _slow(path: str) -> int:
    """A call that is under way (it has written its file) when another one crashes."""
    Path(path).write_text("started")
    time.sleep(1.5)
    return os.getpid()


def test_a_call_under_way_when_another_crashes_goes_on(tmp_path: Path) -> None:
    started = tmp_path / "started"
    with workers.local(2) as pool:
        slow = pool.submit(_slow, str(started))
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        with pytest.raises(workers.WorkerDied):
            pool.run(_die)  # kills its worker while the other one runs _slow
        assert slow.result(timeout=60) != os.getpid()


def test_a_build_stopped_early_ends_every_call_and_says_why(tmp_path: Path) -> None:
    """Ctrl-C in a build: the pool closes at once. The call under way, the calls still queued
    and a call submitted after the close all end (no one waits forever), each "not built"."""
    started = tmp_path / "started"
    pool = workers.Pool(1)
    calls = [pool.submit(_slow, str(started))] + [pool.submit(_pid) for _ in range(3)]
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    pool.close(now=True)
    calls.append(pool.submit(_pid))
    done = list(concurrent.futures.as_completed(calls, timeout=30))
    assert len(done) == 5
    for call in calls:
        with pytest.raises(PamphleteerError, match="^not built: the build was stopped"):
            call.result()


def test_a_call_made_after_a_worker_was_killed_runs_on_a_new_one() -> None:
    with workers.local(1) as pool:
        first = pool.run(_pid)
        os.kill(first, signal.SIGKILL)  # a worker dies between two calls
        _wait_gone(first)
        assert pool.run(_pid) not in (first, os.getpid())  # no failure: it never ran there


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _sleep_with_a_child(path: str) -> None:
    """A call stuck for good, with a child process (as a worker has its Pandoc)."""
    child = subprocess.Popen(["sleep", "600"])
    Path(path).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(600)


def _grow(mib: int) -> int:
    """A call whose memory grows by 32 MiB steps up to ``mib``."""
    held = []
    for _ in range(mib // 32):
        held.append(bytearray(32 * 2**20))
        held[-1][::4096] = b"\1" * len(range(0, 32 * 2**20, 4096))  # every page resident
        time.sleep(0.02)
    return len(held)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_call_past_its_time_is_stopped_with_its_children_and_fails_alone(
    tmp_path: Path,
) -> None:
    pids = tmp_path / "pids"
    limits = Limits(document_seconds=5)
    with workers.local(2, settings=Settings(check=False, limits=limits)) as pool:
        for warm in [pool.submit(time.sleep, 1) for _ in range(2)]:  # both workers started
            warm.result(timeout=120)
        stuck = pool.submit(_sleep_with_a_child, str(pids))
        others = [pool.submit(_pid) for _ in range(4)]
        with pytest.raises(workers.LimitExceeded) as failure:
            stuck.result(timeout=120)
        assert str(failure.value) == (
            "took longer than its time limit (document_seconds: 5 s) and was stopped"
        )
        assert all(o.result(timeout=120) != os.getpid() for o in others)
        worker, child = map(int, pids.read_text().split())
        _wait_gone(child)
        assert not _alive(worker) and not _alive(child)  # its child went with it
        assert pool.run(_pid) != worker  # a new worker took its place


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_call_past_its_memory_is_stopped_and_fails_alone() -> None:
    limits = Limits(worker_memory_mb=400)
    with workers.local(1, settings=Settings(check=False, limits=limits)) as pool:
        assert pool.run(_grow, 64) == 2  # within the limit
        with pytest.raises(workers.LimitExceeded, match=r"memory .*worker_memory_mb: 400 MB"):
            pool.run(_grow, 1024)
        assert pool.run(_grow, 64) == 2  # the next call, on a new worker


_OWNER = """
import os, sys, time
from flows.render import pandoc as pandoc_server
from flows.build import units, workers

def pids():
    return [os.getpid(), *(p.proc.pid for p in pandoc_server._all)]

if __name__ == "__main__":
    # Warmed as a build's are: each worker has its Pandoc before its first call, so a worker
    # and its Pandoc are found even when one worker takes every call.
    with workers.local(2, warm=units.warm_up) as pool:
        found = {pid for _ in range(8) for pid in pool.run(pids)}
        print(" ".join(map(str, sorted(found))), flush=True)
        time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Any of its threads still runs: a killed process's first thread shows Z while its other
    threads (a worker's exit-with-owner thread) still end, and its pipes are still open."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            if (task / "stat").read_text().rpartition(")")[2].split()[0] != "Z":
                return True
        except OSError:
            continue  # that thread ended meanwhile
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_workers_and_their_pandoc_end_when_the_owner_is_killed(tmp_path: Path) -> None:
    """A cancelled flow run is killed, not closed: its workers must not live on (they would
    hold the output pipes of `pamphleteer serve` open, and leak)."""
    script = tmp_path / "owner.py"
    script.write_text(_OWNER)
    owner = subprocess.Popen(
        [sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert owner.stdout is not None
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) >= 2 and all(map(_alive, pids))  # a worker and its Pandoc at least
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 20
    while any(map(_alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in pids if _alive(pid)]


def _in_heap(size: int) -> bool:
    """Whether a new buffer of ``size`` bytes lies in this process's heap (below the program
    break) rather than in a mapping of its own."""
    libc = ctypes.CDLL(None)
    libc.sbrk.restype, libc.sbrk.argtypes = ctypes.c_void_p, [ctypes.c_ssize_t]
    buffer = bytearray(size)
    address = ctypes.addressof((ctypes.c_char * size).from_buffer(buffer))
    return bool(address < libc.sbrk(0))


# Not by calling tune_allocator(): a worker imports this module to run its functions.
GLIBC = pytest.mark.skipif(
    not hasattr(ctypes.CDLL(None), "mallopt"), reason="needs glibc's mallopt (Linux)"
)

#: Ten buffers of 17 to 26 MiB, each written and freed before the next, twice; the page faults
#: of each round are printed.
_ROUNDS = """
import resource, sys
from flows.build import workers
if sys.argv[1] == "tuned":
    workers.tune_allocator()
for _ in range(2):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for mib in range(17, 27):
        buffer = bytearray(mib * 2**20)
        buffer[::4096] = b"\\1" * len(range(0, len(buffer), 4096))  # every page written
        del buffer
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _huge_pages_always() -> bool:
    try:
        return "[always]" in Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False


@GLIBC
@pytest.mark.skipif(
    _huge_pages_always(), reason="transparent huge pages (always) fault 2 MiB at a time"
)
def test_a_tuned_allocator_reuses_large_buffers_instead_of_faulting_them_in_again() -> None:
    def faults(mode: str) -> list[int]:
        run = subprocess.run([sys.executable, "-c", _ROUNDS, mode], cwd=ROOT, check=True,
                             capture_output=True, text=True)  # fmt: skip
        return [int(n) for n in run.stdout.split()]

    # glibc's defaults map each larger buffer afresh (215 MiB: ~55,000 faults, ~0.1 s of the
    # kernel's time); tuned, the heap grows to the largest (26 MiB: ~7,000 faults, more when
    # the kernel reclaims pages of a busy machine meanwhile) and keeps it for the second round.
    default, tuned = faults("default"), faults("tuned")
    assert default[0] > 40_000, default
    assert tuned[0] < default[0] / 3 and tuned[1] < 1_000, (default, tuned)


@GLIBC
def test_workers_keep_large_buffers_in_their_heap() -> None:
    # A cover's 12 MiB pixmap and the PDFs, freed after each document, are reused by the next
    # one instead of being mapped and faulted in afresh (~6,000 faults a document).
    with workers.local(1) as pool:
        assert pool.run(_in_heap, 31 * 2**20)


_TEXT_ONLY_POOL = """
import sys
from flows.build import workers
from tests.build.test_workers import _clean_in_worker
if __name__ == "__main__":
    with workers.local(1, html=False) as pool:
        print(pool.run(_clean_in_worker, sys.argv[1]))
"""


def _clean_in_worker(path: str) -> str:
    """Whether trafilatura was loaded before and after cleaning ``path``, and the start of its
    text."""
    from flows.build.pipeline import prepare

    before = "trafilatura" in sys.modules
    body = prepare(Path(path)).body
    return f"{before} {'trafilatura' in sys.modules} {' '.join(body.split()[:6])}"


def test_a_pool_for_text_files_skips_the_html_cleaner_yet_cleans_a_page_it_is_given() -> None:
    # A build of text files does not make its workers import trafilatura (~85 ms of CPU); an
    # HTML page that reaches such a worker (a pool shared with a later build) still gets
    # cleaned. A fresh process: this one's fork server may have the cleaner already.
    page = ROOT / "tests" / "cases" / "html-substack" / "in" / "general-strike.html"
    run = subprocess.run([sys.executable, "-c", _TEXT_ONLY_POOL, str(page)], cwd=ROOT,
                         check=True, capture_output=True, text=True, timeout=120)  # fmt: skip
    before, after, text = run.stdout.strip().split(" ", 2)
    assert (before, after) == ("False", "True")
    assert text, run.stdout
