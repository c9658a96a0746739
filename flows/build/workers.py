"""Worker processes, so that a build keeps every core busy, each call held to a time and a memory
limit (no Prefect here).

Threads are not enough: cleaning is Python and typst's binding holds the GIL while it compiles,
so two threads share one core. The build queues its units on these processes instead, one unit a
call; Pandoc runs in processes of its own, children of the worker.

A small supervised pool rather than ``concurrent.futures``: there one dead worker breaks the whole
pool and every call it held. Here each worker runs one call at a time, in a process group of its
own (it and its Pandoc), watched by a thread of this process. A call that runs past its time, or
whose worker's process group grows past its memory, has that group killed and fails alone, with
the limit named; so does a call whose worker dies (a crash in native code). The worker is
replaced; the other calls go on.

The workers are forked from a ``forkserver`` process that has imported the build's modules once:
safe in a process that runs Prefect's threads (``pamphleteer serve``), and each worker starts in
milliseconds.
"""

from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import multiprocessing.forkserver
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from flows.limits import Limits
from flows.model import PamphleteerError
from flows.settings import Settings
from flows.validate import jvm
from flows.validate.validators import checks_epubs, epubcheck_service

T = TypeVar("T")

#: What the fork server imports before forking the workers (:mod:`flows.build.preload`: the
#: build's modules and the language model, whose pages the workers then share rather than each
#: load a copy); the HTML cleaner (trafilatura and its kin) only for builds with HTML to clean.
PRELOAD = ["flows.build.preload"]
PRELOAD_HTML = ["flows.clean.html.extract"]


def start_fork_server(html: bool = True) -> None:
    """Start the workers' fork server now: it loads what it preloads while this process goes on
    (the command imports Prefect meanwhile), not when the pool opens. Without it a
    one-document build waits for those imports; the pool uses this fork server when it opens."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD + (PRELOAD_HTML if html else []))
    multiprocessing.forkserver.ensure_running()  # returns at once: the imports run there


#: How often a worker's memory is looked at while it works, in seconds.
WATCH_EVERY = 0.2
#: Why a call did not run, or did not end: its build was stopped first (Ctrl-C…).
STOPPED = "not built: the build was stopped before it was done"


class LimitExceeded(PamphleteerError):
    """A call ran past its time or its worker past its memory: it was stopped. The message names
    the limit, not the file (the caller knows which file the call was for)."""


class WorkerDied(PamphleteerError):
    """A worker ended while it ran a call (a crash in Pandoc's or typst's native code…)."""


def _exit_with_owner() -> None:
    """End the worker when the process that owns the pool dies without closing it (killed, or a
    cancelled flow run): it would otherwise wait for work forever, it and its Pandoc holding the
    owner's output pipes open."""
    owner = multiprocessing.parent_process()
    if owner is None:
        return

    def watch() -> None:
        owner.join()  # returns when the owner's end of the worker's pipe closes
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-owner", daemon=True).start()


#: glibc's ``mallopt`` parameters (malloc.h) and the values the workers set (see
#: :func:`tune_allocator`): 32 MiB is the largest threshold glibc accepts.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20


def tune_allocator() -> bool:
    """Keep large buffers in this process's heap for reuse; True when the C library took it.

    glibc's malloc gives each buffer over 128 KiB a mapping of its own and hands freed heap back
    to the kernel, so the next one is faulted in again page by page: a cover is a 12 MiB pixmap
    typst allocates and frees for every document (a million page faults over 200 documents).
    With these thresholds the heap keeps them (a worker's memory stays at its peak until it
    ends). A C library without ``mallopt`` (musl, macOS) is left as it is.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def _serve(conn: Connection, env: dict[str, str], warm: Callable[[], object] | None) -> None:
    """A worker: in a process group of its own (so that it and its Pandoc can be stopped
    together), it runs the calls it receives, one at a time, until its pipe closes."""
    os.setpgid(0, 0)
    _exit_with_owner()
    tune_allocator()
    os.environ.update(env)  # the owner's services: the sockets of its resident checkers
    if warm is not None:
        warm()  # a Pandoc process started, typst's fonts loaded, before the first call
    try:
        conn.send((True, None))  # ready: a call's time counts from now
    except OSError:  # the pool closed meanwhile
        return
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # the call's own error, for its caller
            answer = (False, exc)
        try:
            conn.send(answer)
        except OSError:  # the pool closed meanwhile
            return
        except Exception as exc:  # an exception that does not pickle: its message does
            conn.send((False, PamphleteerError(f"{type(answer[1]).__name__}: {exc}")))


def tree_memory(pid: int) -> int:
    """Bytes of resident memory of a process and its descendants (Linux's /proc; 0 elsewhere)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
    return total


class _Worker:
    """One worker process and this process's end of its pipe."""

    def __init__(self, context: Any, env: dict[str, str], warm: Callable[[], object] | None):
        self.conn, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(theirs, env, warm), daemon=True
        )
        self.process.start()
        theirs.close()
        self.ready = False
        self.halted = False  # stopped by its pool (the build ends early), not dead by itself

    def _wait_ready(self) -> None:
        """The worker's start (the fork server's imports, the warm-up) is not a call's time."""
        try:
            self.conn.recv()
        except (EOFError, OSError):
            raise WorkerDied(self._died()) from None
        self.ready = True

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], limits: Limits) -> Any:
        """Run ``fn(*args)`` in the worker; raise :class:`LimitExceeded` (the worker stopped)
        past the limits, :class:`WorkerDied` when it ends."""
        if not self.ready:
            self._wait_ready()
        try:
            self.conn.send((fn, args))
        except (OSError, ValueError):
            raise WorkerDied(self._died()) from None
        deadline = time.monotonic() + limits.document_seconds
        while not self.conn.poll(WATCH_EVERY):
            if time.monotonic() > deadline:
                self.stop()
                raise LimitExceeded(
                    f"took longer than its time limit (document_seconds: "
                    f"{limits.document_seconds:g} s) and was stopped"
                )
            if tree_memory(self.process.pid or 0) > limits.worker_memory_bytes:
                self.stop()
                raise LimitExceeded(
                    f"needed more memory than its limit (worker_memory_mb: "
                    f"{limits.worker_memory_mb:g} MB, Pandoc's included) and was stopped"
                )
        try:
            ok, value = self.conn.recv()
        except (EOFError, OSError):
            raise WorkerDied(self._died()) from None
        if not ok:
            raise value
        return value

    def _died(self) -> str:
        self.stop()
        if self.halted:
            return STOPPED
        code = self.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return f"its worker process died ({how}: a crash in Pandoc's or typst's native code?)"

    def halt(self) -> None:
        """Kill it because its build ends early (interrupted). Only killed: the thread that
        waits for its call sees it die, says why, and closes its pipe (not two threads at once)."""
        self.halted = True
        self._kill()

    def stop(self) -> None:
        """End the worker and every process of its group (its Pandoc), now."""
        self._kill()
        self.process.join(timeout=10)
        if not self.conn.closed:
            self.conn.close()

    def _kill(self) -> None:
        pid = self.process.pid
        if pid is not None:
            with suppress(ProcessLookupError, PermissionError):  # its group (none yet: fine)
                os.killpg(pid, signal.SIGKILL)
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Let the worker end (its pipe closes), then make sure its group did."""
        if not self.conn.closed:
            self.conn.close()
        self.process.join(timeout=5)
        if self.process.exitcode is None:
            self.stop()
        elif self.process.pid is not None:
            with suppress(ProcessLookupError, PermissionError):  # a Pandoc it left
                os.killpg(self.process.pid, signal.SIGKILL)

    @property
    def alive(self) -> bool:
        """Whether it can take a call: an idle worker's pipe has nothing to read unless the
        worker ended (its end closed)."""
        if self.conn.closed or not self.ready:
            return not self.conn.closed
        try:
            return not self.conn.poll(0)
        except OSError:
            return False


@dataclass(order=True)
class _Job:
    order: float
    seq: int
    fn: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    future: Future[Any] = field(compare=False)


#: Queued after every job: a dispatcher that takes it stops.
_STOP = float("inf")


class Pool:
    """``count`` worker processes. :meth:`submit` queues a call, :meth:`run` waits for it.

    Calls wait in one queue, lowest ``order`` first (the build puts the biggest documents first,
    so the workers finish together). A thread per worker hands it one call at a time and watches
    it (see the module's docstring).
    """

    def __init__(
        self, count: int, html: bool = True, env: dict[str, str] | None = None,
        limits: Limits | None = None, warm: Callable[[], object] | None = None,
    ) -> None:  # fmt: skip
        self.count = count
        self.limits = limits or Limits()
        self._env, self._warm = dict(env or {}), warm
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD + (PRELOAD_HTML if html else []))
        self._queue: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._closing = False
        # Each thread starts its worker at once, in the background: the first start waits for
        # the fork server's imports, and the caller goes on meanwhile.
        self._threads = [
            threading.Thread(target=self._dispatch, name=f"worker-{n}", daemon=True)
            for n in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _new_worker(self) -> _Worker | None:
        """A new worker; None once the pool closes. A worker that cannot start is an error
        for the calls that would have run on it."""
        with self._lock:
            if self._closing:
                return None
            worker = _Worker(self._context, self._env, self._warm)
            self._workers.append(worker)
            return worker

    def _dispatch(self) -> None:
        failed: list[Exception] = []  # why its worker could not start, if it could not

        def start() -> _Worker | None:
            try:
                return self._new_worker()
            except Exception as exc:  # e.g. no fork server: said to each call instead
                failed[:] = [exc]
                return None

        worker = start()  # at once: it starts while the caller goes on
        while True:
            job = self._queue.get()
            if job.order == _STOP:
                break
            if not job.future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            if worker is None or not worker.alive:  # stopped, or it died between two calls
                if worker is not None:
                    worker.stop()
                worker = start()
            if worker is None:
                why = f"could not start a worker process: {failed[0]}" if failed else STOPPED
                job.future.set_exception(PamphleteerError(why))
                continue
            try:
                result = worker.call(job.fn, job.args, self.limits)
            except (LimitExceeded, WorkerDied) as exc:
                job.future.set_exception(exc)  # the worker was stopped: the next call's is new
            except BaseException as exc:  # the call's own error, for its caller
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

    def submit(self, fn: Callable[..., T], *args: Any, order: float = 0) -> Future[T]:
        """Queue ``fn(*args)``: it runs in a worker once the calls of lower ``order`` have."""
        job = _Job(order, next(self._seq), fn, args, Future())
        with self._lock:  # not after close() emptied the queue: no dispatcher would take it
            if self._closing:
                _refuse(job.future)
            else:
                self._queue.put(job)
        return job.future

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        return self.submit(fn, *args).result()

    def close(self, now: bool = False) -> None:
        """Cancel the calls still waiting; let the ones under way end (stop them ``now``); stop
        the workers and their Pandoc."""
        with self._lock:
            self._closing = True
            workers = list(self._workers)
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            _refuse(job.future)
        if now:
            for worker in workers:
                worker.halt()  # its thread's call fails at once
        for _ in self._threads:
            self._queue.put(_Job(_STOP, next(self._seq), _noop, (), Future()))
        for thread in self._threads:
            thread.join()
        for worker in workers:
            worker.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(now=kind is not None)


def _noop() -> None:
    pass


def _refuse(future: Future[Any]) -> None:
    """End a call that will not run, telling whoever waits for it (``as_completed`` is not
    told of a plain ``cancel()``)."""
    if future.set_running_or_notify_cancel():
        future.set_exception(PamphleteerError(STOPPED))


def count() -> int:
    """Units built at once: the machine's cores (at most 8)."""
    return max(1, min(8, os.cpu_count() or 1))


@contextmanager
def local(
    workers: int | None = None, html: bool = True, settings: Settings | None = None,
    warm: Callable[[], object] | None = None,
) -> Iterator[Pool]:  # fmt: skip
    """Worker processes for one build, and the services they share: a build that checks EPUBs
    has one resident EPUBCheck that every worker asks: the project's, when the command named it
    (:mod:`flows.validate.resident`), else one of the build's own (it loads its schemas while
    the workers start), stopped after the workers when the block ends, however it ends."""
    limits = settings.limits if settings else Limits()
    with ExitStack() as stack:
        env = {}
        if settings and checks_epubs(settings.check, settings.formats):
            variable = jvm.env_name("epubcheck")
            if not (socket := os.environ.get(variable)):
                socket = str(stack.enter_context(epubcheck_service(limits)).socket)
            env[variable] = socket
        yield stack.enter_context(Pool(workers or count(), html, env, limits, warm))
