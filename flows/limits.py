"""The limits every input and every piece of work is held to, with their defaults.

Set in ``pamphleteer.yaml`` under ``limits:`` (e.g. ``limits: {raw_file_mb: 4}``). Each limit says
what it protects; going past one is a one-line message naming the file, never a crash or a
silent cut. Pure: no heavy imports, read while a build is planned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.model import PamphleteerError


@dataclass(frozen=True)
class Limits:
    #: Bytes of one file in raw/ (a text, a page, a sidecar). Bigger scrapes are refused: an 8 MB
    #: text is a 3,000-page PDF and gigabytes of Pandoc memory, not an article.
    raw_file_mb: float = 4.0
    #: Bytes of one fetched body, counted as it streams and after decompression (gzip bombs).
    fetch_body_mb: float = 16.0
    #: Seconds one fetch may take in all: connecting, redirects, every byte of the body.
    fetch_seconds: float = 60.0
    #: Bytes of one list of articles a source sends (a feed, a sitemap, a page of WordPress's
    #: API), decompressed: a real one is well under a megabyte.
    source_list_mb: float = 4.0
    #: Redirects followed for one fetch.
    fetch_redirects: int = 5
    #: Images of one text kept with ``images`` (``--images``); those past it are reported and
    #: left out, the text still built.
    images: int = 50
    #: Bytes of one image, downloaded or saved beside the page: past it, reported and left out.
    image_mb: float = 8.0
    #: Pixels of one image, in millions: a file of a few kilobytes can decode to gigabytes.
    image_megapixels: float = 40.0
    #: Pages of one reading PDF.
    pdf_pages: int = 1500
    #: Notes of one text.
    notes: int = 10_000
    #: Depth of nested elements kept as structure; deeper content is flattened, not dropped.
    nesting: int = 200
    #: Aliases in one YAML file (sidecar, editions.yaml, settings): more is an alias bomb.
    yaml_aliases: int = 100
    #: A Pandoc process that converted a source bigger than this is stopped once the source's
    #: formats are written: Pandoc keeps hundreds of bytes of memory per byte of source, which
    #: typst and EPUBCheck would otherwise have to share the machine with. Smaller sources keep
    #: their process, whose start-up would cost more than the memory it holds.
    pandoc_keep_mb: float = 0.5
    #: Seconds one document (or anthology) may take to build, its checks included; past it, its
    #: worker and Pandoc are stopped and it fails alone. The slowest article of the corpora takes
    #: a few seconds; 300 s allows a long book on a busy machine and still ends a stuck one.
    document_seconds: float = 300.0
    #: Memory (MB, resident) of one worker process and its Pandoc together; past it, they are
    #: stopped and the document fails alone. An article needs 350-450 MB (~150 MB of it pages
    #: shared with the fork server), a 2 MB text ~0.9 GB; with it, a build's processes together
    #: (the command, two workers, the JVM) stay under 2 GB even for a text at the raw_file_mb limit.
    worker_memory_mb: float = 1024.0
    #: Heap of each validator's resident JVM (MB; EPUBCheck's is shared by a build's workers):
    #: its memory stays bounded however many EPUBs it checks; one that runs out is restarted
    #: and only the check it was making fails.
    checker_heap_mb: float = 256.0
    #: Seconds a validator's JVM may take to start and load its schemas, before its first
    #: check: 4 s on an idle two-core machine, 12 s beside four busy processes, and minutes
    #: when other builds or tests are starting JVMs of their own.
    checker_start_seconds: float = 180.0
    #: Seconds one validator check may take once its JVM listens.
    check_seconds: float = 120.0
    #: Seconds Prefect's server (the project's resident one, or a temporary one) may take to
    #: start. Prefect's own limit (20 s) was missed on a busy two-core machine: a slow start is
    #: not a failure, only one that never ends.
    server_start_seconds: float = 180.0
    #: Minutes the project's resident Prefect server waits, with no build and no request, before
    #: it stops itself. Idle, it still costs ~1-2 % of a core (Prefect's services).
    server_idle_minutes: float = 60.0

    def override(self, data: Mapping[str, Any], where: str) -> Limits:
        known = {f.name: f.type for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for key, value in data.items():
            name = str(key).lower().replace("-", "_")
            if name not in known:
                raise PamphleteerError(
                    f"{where}: unknown limit {key}: known are {', '.join(sorted(known))}"
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise PamphleteerError(f"{where}: limit {key} must be a positive number")
            default = getattr(self, name)
            changes[name] = int(value) if isinstance(default, int) else float(value)
        return dataclasses.replace(self, **changes)

    @property
    def raw_file_bytes(self) -> int:
        return int(self.raw_file_mb * 1024 * 1024)

    @property
    def worker_memory_bytes(self) -> int:
        return int(self.worker_memory_mb * 1024 * 1024)

    @property
    def pandoc_keep_bytes(self) -> int:
        return int(self.pandoc_keep_mb * 1024 * 1024)

    @property
    def image_bytes(self) -> int:
        return int(self.image_mb * 1024 * 1024)

    @property
    def fetch_body_bytes(self) -> int:
        return int(self.fetch_body_mb * 1024 * 1024)
