"""Worker processes, so that a build keeps every core busy (no Prefect here).

Threads are not enough: cleaning is Python and typst's binding holds the GIL while it
compiles, so two threads share one core (two covers at once take as long as one after the
other). The build's task runs queue their units on these processes instead, one unit per
call; Pandoc runs in processes of its own beside them.

The workers are forked from a fresh ``forkserver`` process that has imported the build's
modules once: safe in a process that runs Prefect's threads (``pamphleteer serve``), and each
worker starts in milliseconds. A worker that dies (a crash in a native library) breaks the pool,
which is replaced; the calls it held are tried once more, and only the call that kills a worker
twice fails (see :class:`Pool`).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flows.model import PamphleteerError
from flows.settings import Settings
from flows.validate import jvm
from flows.validate.validators import epubcheck_service, java_missing

T = TypeVar("T")

#: What the fork server imports before forking the workers; the HTML cleaner (trafilatura and
#: its kin, ~85 ms of CPU) only for builds that have HTML to clean.
PRELOAD = ["flows.build.units", "flows.build.pipeline"]
PRELOAD_HTML = ["flows.clean.html.extract"]


def _ready() -> bool:
    """Warm a new worker while the caller starts Prefect: its Pandoc process started, typst's
    fonts loaded (no document is touched)."""
    from flows.build import units

    units.warm_up()
    return True


def _exit_with_owner() -> None:
    """A watcher that ends the worker when the process that owns the pool dies without closing
    it (killed, or a cancelled flow run). A worker would otherwise wait for work forever, it and
    its Pandoc holding the owner's output pipes open."""
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

    glibc's malloc gives each buffer over 128 KiB a mapping of its own and hands freed heap
    back to the kernel, so the next one is faulted in again page by page. A cover is a
    1440 × 2160 pixmap (12 MiB) that typst allocates and frees for every document: ~6,100 page
    faults a cover, 1.2 million over 200 documents, ~2 s of the kernel's CPU time. With these
    thresholds the heap keeps them (a worker's memory stays at its peak until it ends; workers
    end with their build). A C library without ``mallopt`` (musl, macOS) is left as it is.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def _init_worker(env: dict[str, str]) -> None:
    """Each worker's first act: end with its owner, keep large buffers for reuse, know the
    owner's services (``env``: the sockets of its resident checkers, see
    :mod:`flows.validate.jvm`)."""
    _exit_with_owner()
    tune_allocator()
    os.environ.update(env)


@dataclass(order=True)
class _Job:
    order: float
    seq: int
    fn: Callable[..., Any] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    future: Future[Any] = field(compare=False)
    tries: int = field(default=0, compare=False)


#: Queued after every job: a dispatcher that takes it stops.
_STOP = float("inf")


class Pool:
    """``count`` worker processes. :meth:`submit` queues a call, :meth:`run` waits for it.

    Calls wait in one queue, lowest ``order`` first (the build puts the biggest documents
    first, so the workers finish together). Two calls per worker are handed to the workers at a
    time, so a worker that finishes one finds the next waiting instead of waiting for this
    process to send it (~1 ms a call, half a second of a core over 200 documents).

    A worker that dies breaks the pool: it is replaced, and the calls the pool held (under way
    or waiting in it) are tried once more on the new one, one at a time, so that the call that
    killed the worker cannot take the others down again. A call that fails that way twice (the
    document that kills its worker) fails with the reason; the others go on.
    """

    def __init__(self, count: int, html: bool = True, env: dict[str, str] | None = None) -> None:
        self.count = count
        self.env = dict(env or {})
        self.preload = PRELOAD + (PRELOAD_HTML if html else [])
        self._lock = threading.Lock()
        self._queue: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._started: list[_Job] = []
        self._closing = False
        self._second_tries = threading.Semaphore(1)  # calls tried again run one at a time
        self._executor = self._start()
        self._dispatchers = [
            threading.Thread(target=self._dispatch, name=f"worker-{n}", daemon=True)
            for n in range(2 * count)  # a call under way and the next one, per worker
        ]
        for thread in self._dispatchers:
            thread.start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(self.preload)  # for a fork server not started yet
        executor = ProcessPoolExecutor(
            max_workers=self.count, mp_context=context, initializer=_init_worker,
            initargs=(self.env,),
        )  # fmt: skip

        def start() -> None:
            try:
                for _ in range(self.count):
                    executor.submit(_ready)
            except RuntimeError:  # closed already (cannot schedule new futures after shutdown)
                pass

        # Starting the fork server waits for its imports (~0.3 s): a thread does it, so the
        # caller goes on at once (the command line imports Prefect meanwhile).
        threading.Thread(target=start, name="start-workers", daemon=True).start()
        return executor

    def _dispatch(self) -> None:
        while True:
            job = self._queue.get()
            if job.order == _STOP:
                return
            if job.tries == 0 and not job.future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            executor = None
            try:
                with self._second_tries if job.tries else contextlib.nullcontext():
                    executor, call = self._call(job)
                    result = call.result()
            except BrokenProcessPool:  # a worker died while the pool held this
                if executor is not None:
                    self._replace(executor)
                with self._lock:
                    again = job.tries == 0 and not self._closing
                if again:  # perhaps another call's crash: once more, on the new pool
                    job.tries += 1
                    self._queue.put(job)
                    continue
                job.future.set_exception(
                    PamphleteerError(
                        "a worker process died twice while building this (a crash in Pandoc's or "
                        "typst's native code?); the rest goes on"
                    )
                )
            except BaseException as exc:  # the call's own error, for its caller
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)

    def _call(self, job: _Job) -> tuple[ProcessPoolExecutor, Future[Any]]:
        """Hand a job to the workers. Pools found broken by another job's crash (and not yet
        replaced) are replaced first: this job did not run, so it must not fail for it."""
        with self._lock:
            executor = self._executor
        try:
            return executor, executor.submit(job.fn, *job.args)
        except BrokenProcessPool:
            executor = self._replace(executor)
            return executor, executor.submit(job.fn, *job.args)

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A new pool for a broken one, once (not while closing); the current pool."""
        with self._lock:
            if self._executor is broken and not self._closing:
                broken.shutdown(wait=False)
                self._executor = self._start()
            return self._executor

    def submit(self, fn: Callable[..., T], *args: Any, order: float = 0) -> Future[T]:
        """Queue ``fn(*args)``; a call :meth:`start` made with equal arguments is taken over
        instead."""
        with self._lock:
            for i, job in enumerate(self._started):
                if job.fn is fn and job.args == args:
                    del self._started[i]
                    return job.future
        job = _Job(order, next(self._seq), fn, args, Future())
        self._queue.put(job)
        return job.future

    def start(self, fn: Callable[..., Any], *args: Any, order: float = 0) -> None:
        """Queue ``fn(*args)`` now, for a :meth:`submit` with equal arguments made later (by a
        task run that did not exist yet) to take over."""
        job = _Job(order, next(self._seq), fn, args, Future())
        with self._lock:
            self._started.append(job)
        self._queue.put(job)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        return self.submit(fn, *args).result()

    def close(self) -> None:
        """Cancel the calls still waiting, let the ones under way end, stop the workers."""
        with self._lock:
            self._closing = True  # a worker dying now (Ctrl-C reaches it too) is not replaced
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if not job.future.cancel():  # running: a call waiting to be tried again
                job.future.set_exception(PamphleteerError("stopped before it was tried again"))
        for _ in self._dispatchers:
            self._queue.put(_Job(_STOP, next(self._seq), _ready, (), Future()))
        for thread in self._dispatchers:
            thread.join()
        with self._lock:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count() -> int:
    """Batches built at once: the machine's cores (at most 8)."""
    return max(1, min(8, os.cpu_count() or 1))


_ACTIVE: list[Pool] = []


@contextmanager
def local(
    workers: int | None = None, html: bool = True, settings: Settings | None = None
) -> Iterator[Pool]:
    """Worker processes for the builds run inside this block; a block inside another shares
    the outer one's. The command line opens it first, so the workers start while Prefect is
    imported and started; it knows whether the build has ``html`` to clean, and its
    ``settings``: a build that checks EPUBs starts one resident EPUBCheck that every worker asks
    (it loads its schemas meanwhile), stopped after the workers when the block ends, however it
    ends."""
    if _ACTIVE:
        yield _ACTIVE[-1]
        return
    with ExitStack() as stack:
        env = {}
        if settings and settings.check and "epub" in settings.formats and not java_missing():
            service = stack.enter_context(epubcheck_service(settings.limits))
            env[jvm.env_name(service.name)] = str(service.socket)
        pool = stack.enter_context(Pool(workers or count(), html, env))
        _ACTIVE.append(pool)
        try:
            yield pool
        finally:
            _ACTIVE.remove(pool)


def active() -> Pool | None:
    """The pool of the enclosing :func:`local` block, if any (none on a Dask worker)."""
    return _ACTIVE[-1] if _ACTIVE else None
