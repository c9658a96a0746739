"""Memory of one fetch against hostile bodies, with the real limits (``Limits()``).

    .venv/bin/python bench/fetch_memory.py

A local server (tests/localhttp.py, on 127.0.0.1) answers with a 2 GiB page, declared and then
streamed without a length, and with a gzip bomb (about 1 MiB on the wire, 1 GiB inflated).
Each is fetched by :func:`flows.fetch.pages.fetch_one` in a fresh process, whose peak resident
memory (``ru_maxrss``) and time are printed beside a plain article's, the floor (Python, httpx, the
pipeline's imports); then ``pamphleteer fetch`` fetches the article alone (the floor with
Prefect), and all four, two at a time, measured the same way (the command's process; Prefect's
temporary server is a process of its own).
Nothing is asserted: read the figures.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.localhttp import Reply, Script, serving  # noqa: E402

GIB = 1024**3

#: Each run ends with its own process's peak resident memory: only the process that fetches,
#: not Prefect's temporary server (a process of its own) nor the test server here.
PEAK = """
import resource
print("peak-kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

ONE = (
    """
import asyncio, sys
from pathlib import Path
from flows.fetch import pages as sources
from flows.limits import Limits

async def main() -> None:
    limits = Limits()
    page = sources.Source("page", sys.argv[1], Path(sys.argv[2]) / "page.html")
    async with sources.client(limits) as client:
        try:
            result = await sources.fetch_one(client, page, limits)
            print(result.status, result.reason or f"{result.bytes} bytes")
        except sources.TransientFetchError as exc:
            print("transient", exc)

asyncio.run(main())
"""
    + PEAK
)

COMMAND = (
    """
import sys
from flows.cli.main import main
main(sys.argv[1:])
sys.stderr.flush()
"""
    + PEAK
)


def gzip_bomb(inflated: int) -> bytes:
    """``inflated`` bytes of one letter, gzipped (deflate's ratio tops out near 1:1000)."""
    pack = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    block = b"a" * (1024 * 1024)
    parts = [pack.compress(b"<html><body><p>")]
    parts += [pack.compress(block) for _ in range(inflated // len(block))]
    return b"".join([*parts, pack.flush()])


def run(code: str, *args: str) -> tuple[str, float, float]:
    """What ``code`` printed, the peak resident memory (MB) of its process and its time (s)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    *lines, peak = done.stdout.strip().splitlines()
    said = "\n".join([*lines, *done.stderr.strip().splitlines()])
    return said, int(peak.split()[-1]) / 1024, seconds


def measure(url: str) -> tuple[str, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        return run(ONE, url, folder)


def measure_command(base: str, paths: list[str]) -> tuple[str, float, float]:
    """``pamphleteer fetch`` (Prefect included) over a raw/ that names all of ``paths``."""
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw"
        raw.mkdir()
        for path in paths:
            (raw / f"{path[1:]}.yaml").write_text(f"source_url: {base}{path}\n")
        return run(COMMAND, "fetch", "--raw", str(raw), "--interval", "0")


def main() -> None:
    bomb = gzip_bomb(GIB)
    article = b"<html><title>An article</title><body><p>" + b"Words of an article. " * 200
    script = Script(
        {
            "/article": [Reply(body=article)],
            "/declared": [Reply(headers={"Content-Length": str(2 * GIB)}, stream=2 * GIB)],
            "/streamed": [Reply(stream=2 * GIB)],
            "/bomb": [Reply(body=bomb, headers={"Content-Encoding": "gzip"})],
        }
    )
    print(f"gzip bomb: {len(bomb) / 1024:.0f} KiB on the wire, {GIB / 1024**3:.0f} GiB inflated")
    print(f"{'page':<10} {'peak RSS':>9} {'time':>7}  result")
    with serving(script) as base:
        for path in script.routes:
            said, peak, seconds = measure(f"{base}{path}")
            sent = script.sent.get(path, 0) / 1024**2
            print(f"{path[1:]:<10} {peak:>6.0f} MB {seconds:>5.1f} s  {said}", end="")
            print(f" (the server sent {sent:.0f} MB)")
        for paths in (["/article"], list(script.routes)):
            said, peak, seconds = measure_command(base, paths)
            print(
                f"`pamphleteer fetch` of {', '.join(p[1:] for p in paths)}: {peak:.0f} MB, ", end=""
            )
            print(f"{seconds:.1f} s")
            print("\n".join(f"  {line}" for line in said.splitlines()))


if __name__ == "__main__":
    main()
