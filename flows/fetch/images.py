"""A page's remote figures, downloaded once into the build's cache (``<out>/.cache/images/``).

Each address is fetched with the pages' fetcher (:func:`flows.fetch.pages.get_bytes`: redirects
checked hop by hop, the body counted as it streams against ``image_mb``, one deadline of
``fetch_seconds``), a few at a time and politely per host. What a download brought is kept in
the cache only once its bytes passed the figures' checks (:func:`store`), so a later build reads
it from there and asks no server again; a failed download is tried again when the text is
built again (``--force``, or a change to it).
Nothing is fetched when a reader opens an edition: the images are inside it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
from collections.abc import Iterable
from pathlib import Path

import httpx

from flows.fetch import pages
from flows.files import CACHE_DIR, write_atomic
from flows.limits import Limits

FOLDER = "images"
#: The kinds of image an edition can carry (see :mod:`flows.render.figures`), SVG last.
ACCEPT = "image/png,image/jpeg,image/gif,image/webp,image/svg+xml;q=0.8"
_AT_ONCE = 4  # downloads of one text at a time
_PER_HOST = 0.2  # seconds between two requests to one host


def cache_path(out_dir: Path, url: str) -> Path:
    return out_dir / CACHE_DIR / FOLDER / hashlib.sha256(url.encode()).hexdigest()


def cached(out_dir: Path, url: str, limits: Limits) -> bytes | None:
    """What an earlier build downloaded from ``url`` (and kept), if it is still within the
    limit."""
    path = cache_path(out_dir, url)
    try:
        with path.open("rb") as f:
            data = f.read(limits.image_bytes + 1)
    except OSError:
        return None
    return data if len(data) <= limits.image_bytes else None


def store(out_dir: Path, url: str, data: bytes) -> None:
    write_atomic(cache_path(out_dir, url), data)


def download(urls: Iterable[str], limits: Limits) -> dict[str, bytes | pages.FetchFailed]:
    """Each address's body, or why it could not be had."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: a worker thread with no loop of its own
        return asyncio.run(_download(wanted, limits))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # called from inside a loop
        return pool.submit(asyncio.run, _download(wanted, limits)).result()


async def _download(urls: list[str], limits: Limits) -> dict[str, bytes | pages.FetchFailed]:
    bound = pages.Bound(limits.image_mb, "limits: image_mb", "the image")
    rate = pages.RateLimit(_PER_HOST)
    gate = asyncio.Semaphore(_AT_ONCE)

    async def one(client: httpx.AsyncClient, url: str) -> bytes | pages.FetchFailed:
        async with gate:
            await asyncio.sleep(rate.reserve(url))
            try:
                return await pages.get_bytes(client, url, limits, bound, ACCEPT)
            except pages.FetchFailed as exc:
                return exc

    async with pages.client(limits) as client:
        got = await asyncio.gather(*(one(client, url) for url in urls))
    return dict(zip(urls, got, strict=True))
