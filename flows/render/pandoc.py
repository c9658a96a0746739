"""Long-lived Pandoc processes for the render stage (``pandoc lua pandoc_server.lua``).

Starting the 155 MB Pandoc binary costs about 15 ms of CPU, and reading an edition source as
much again: per document and format that was a third of the render stage. One process per
worker thread converts every document the thread renders, and reads a source once for its
three formats. ``pandoc server`` would do the same over HTTP, but the bundled binary is built
without it.

The processes wait in a pool: a call takes an idle one (or starts one), and gives it back when
it answered. A process that dies or answers nonsense is dropped, and only that call fails.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing.util
import queue
import subprocess
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import pypandoc

from flows.markdown import READER_FORMAT
from flows.model import PamphleteerError

SCRIPT = Path(__file__).with_name("pandoc.lua")
#: Haskell runtime options. The binary is built with ``-H64m`` (a 64 MB heap from the start,
#: most of it allocation area); ``-H1m -A16m`` holds ~45 MB less a process for ~8% more of
#: Pandoc's CPU, a few tenths of a second in 60 articles (``bench/pandoc_rts.py``).
RTS_OPTIONS = ("-H1m", "-A16m")


@dataclass(frozen=True)
class Request:
    """What to write and how: the writer options the render stage uses."""

    to: str  # "html5", "epub3", "typst"
    epoch: int  # SOURCE_DATE_EPOCH for the writer
    template: str | None = None  # a Pandoc template file; None: Pandoc's default
    toc: bool = False
    toc_depth: int = 3
    reference_location: str = "end-of-document"
    split_level: int = 1
    meta: tuple[tuple[str, str], ...] = ()  # like -M key=value; a repeated key is a list
    filters: tuple[str, ...] = ()  # Lua filter files
    variables: tuple[tuple[str, str], ...] = ()  # template variables, set as given (like -V)


@dataclass(frozen=True)
class Media:
    """An image the source names, handed to Pandoc with the request (never read from disk):
    the HTML embeds it, the EPUB carries it; for typst only its name counts (typst reads the
    file from its own root)."""

    name: str
    mime: str
    data: bytes = b""


@dataclass(frozen=True)
class Converted:
    data: bytes
    warnings: tuple[str, ...] = ()


class _Process:
    def __init__(self) -> None:
        # stderr to a file: a pipe nobody reads would fill up and stop Pandoc mid-build.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process)
        rts = ["+RTS", *RTS_OPTIONS, "-RTS"]
        self.held = 0  # bytes of the source it read last (it keeps that parsed)
        self.proc = subprocess.Popen(
            [pypandoc.get_pandoc_path(), *rts, "lua", str(SCRIPT), READER_FORMAT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )

    def convert(self, request: Request, source: bytes, media: tuple[Media, ...] = ()) -> Converted:
        stdin, stdout = self._pipes()
        options = {k: v for k, v in asdict(request).items() if v is not None}  # Lua has no null
        images = [[m.name, m.mime, len(m.data)] for m in media]
        header = {**options, "length": len(source), "images": images}
        self.held = len(source)
        try:
            stdin.write(json.dumps(header).encode() + b"\n" + source)
            for m in media:  # after the source, in the order the header lists them
                stdin.write(m.data)
            stdin.flush()
            answer = json.loads(stdout.readline() or b"null")
        except (OSError, ValueError) as exc:
            raise _Broken(self._why(exc)) from None
        if not isinstance(answer, dict):
            raise _Broken(self._why("no answer"))
        length = answer.get("length", 0)
        body = stdout.read(length)
        if len(body) != length:  # died while answering: never hand on half an output
            raise _Broken(self._why(f"{len(body)} of {length} bytes"))
        if not answer.get("ok"):
            raise PamphleteerError(f"pandoc could not write {request.to}: {answer.get('error')}")
        warnings = answer.get("warnings") or []
        return Converted(body, tuple(warnings) if isinstance(warnings, list) else ())

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return self.proc.stdin, self.proc.stdout

    def _why(self, what: object) -> str:
        self.close()
        self.stderr.seek(0)
        stderr = self.stderr.read()[-4000:].decode(errors="replace")
        return f"pandoc stopped ({what}; exit {self.proc.returncode}): {stderr.strip()[-2000:]}"

    def close(self) -> None:
        if self.proc.poll() is None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class _Broken(PamphleteerError):
    """The process died or answered nonsense: it is dropped."""


_idle: queue.SimpleQueue[_Process] = queue.SimpleQueue()
_all: list[_Process] = []
_lock = threading.Lock()


def convert(request: Request, source: str, media: tuple[Media, ...] = ()) -> Converted:
    """Convert an edition source with a pooled Pandoc process; ``media`` are the only images
    it keeps (any other becomes its description)."""
    try:
        process = _idle.get_nowait()
    except queue.Empty:
        process = _Process()
        with _lock:
            _all.append(process)
    try:
        result = process.convert(request, source.encode(), media)
    except _Broken:
        _drop(process)
        raise
    except PamphleteerError:  # pandoc refused this source; the process is fine
        _idle.put(process)
        raise
    except BaseException:  # interrupted mid-request: its pipes are out of step
        _drop(process)
        process.close()
        raise
    _idle.put(process)
    return result


def release(larger_than: int) -> None:
    """Stop the idle processes that read a source of more than ``larger_than`` bytes: Pandoc
    keeps its memory (and the parsed source) after converting, hundreds of bytes per byte of
    source, which the typst compile and EPUBCheck that follow would have to share the machine
    with. The next call starts a fresh process."""
    keep, stop = [], []
    while True:
        try:
            process = _idle.get_nowait()
        except queue.Empty:
            break
        (stop if process.held > larger_than else keep).append(process)
    for process in keep:
        _idle.put(process)
    for process in stop:
        _drop(process)
        process.close()


def _drop(process: _Process) -> None:
    with _lock:
        if process in _all:
            _all.remove(process)


def shutdown() -> None:
    """Stop every pooled process (they also stop when this process's pipes close)."""
    with _lock:
        processes, _all[:] = list(_all), []
    for process in processes:
        process.close()
    while True:
        try:
            _idle.get_nowait()
        except queue.Empty:
            break


atexit.register(shutdown)
# A worker process of a multiprocessing pool ends without atexit: its finalizers run instead.
multiprocessing.util.Finalize(None, shutdown, exitpriority=10)
