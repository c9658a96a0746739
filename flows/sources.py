"""Refresh sources: download the pages that sidecars name into ``raw/`` (no Prefect here).

A sidecar ``raw/<stem>.yaml`` with a ``source_url`` and no copy the user made by hand beside it
(``raw/<stem>.txt``, or a ``raw/<stem>.html`` that no fetch wrote: those are never overwritten)
names a page to keep fresh as ``raw/<stem>.html``. Each download is one conditional GET
(``If-None-Match`` / ``If-Modified-Since`` from the validators the last download saved in
``raw/.fetch/<stem>.json``), with a clear User-Agent and a polite pause between requests to one
host. The previous copy stays when the server fails, answers with an error, or sends an empty or
error page. Retries with back-off are the orchestrator's job (:mod:`flows.fetch`):
:func:`fetch_one` makes one attempt and raises :class:`TransientFetchError` when another attempt
may succeed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from flows.files import HTML_SUFFIXES, SIDECAR_SUFFIXES, TEXT_SUFFIXES, stem, write_atomic
from flows.model import PamphleteerError
from flows.read import read_sidecar

USER_AGENT = "pamphleteer/0.1 (+https://pypi.org/project/pamphleteer/; scheduled source refresh)"
STATE_DIR = ".fetch"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TITLE = re.compile(rb"<title[^>]*>([^<]*)<", re.I)
#: A part of a title that says the page is an error ("404 Not Found – Site", "Site | Error"):
#: the whole part, so that an article called "Trial and Error" is still an article.
_ERROR_PART = re.compile(
    r"(error )?(40[34]|50[0-4])?( error)?( -)? ?((page )?not found|forbidden|access denied|"
    r"service unavailable|internal server error|bad gateway|error)?",
    re.I,
)
_TITLE_SEPARATOR = re.compile(r"\s+[|–—·:-]\s+|:\s+")
_MIN_TEXT = 64  # characters of visible text below which a page counts as empty


class TransientFetchError(Exception):
    """A failure another attempt may not have: no connection, a timeout, 429 or a 5xx."""


@dataclass(frozen=True)
class Source:
    stem: str
    url: str
    target: Path  # raw/<stem>.html


@dataclass(frozen=True)
class FetchResult:
    stem: str
    url: str
    status: str  # "updated", "not-modified", "kept" (the previous copy, or none, stays)
    reason: str = ""
    bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def sources(raw_dir: Path) -> list[Source]:
    """The pages to keep fresh: sidecars with a ``source_url`` and no hand-made copy (a text
    file, or an HTML page that no fetch wrote)."""
    found = []
    entries = list(raw_dir.iterdir())
    readable = (*TEXT_SUFFIXES, *HTML_SUFFIXES)
    copies: dict[str, list[Path]] = {}  # the texts and pages of raw/, by stem
    for p in entries:
        if p.name.lower().endswith(readable) and not p.name.startswith((".", "_")):
            copies.setdefault(stem(p), []).append(p)
    for side in sorted(p for p in entries if p.suffix.lower() in SIDECAR_SUFFIXES):
        target = side.with_suffix(".html")
        if side.name.startswith((".", "_")) or any(
            p != target
            for p in copies.get(side.stem, ())  # a text, a page saved as .htm…
        ):
            continue
        url = read_sidecar(side).get("source_url")
        if not url:
            continue
        if urlsplit(str(url)).scheme not in ("http", "https"):
            raise PamphleteerError(f"{side.name}: source_url must be an http(s) address: {url}")
        source = Source(side.stem, str(url), target)
        if source.target.exists() and not _state_path(source).exists():
            continue  # a page the user saved by hand: never overwritten
        found.append(source)
    return found


class RateLimit:
    """At most one request per ``interval`` seconds to each host (thread-safe)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, url: str) -> None:
        host = urlsplit(url).netloc
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, 0.0))
            self._next[host] = at + self.interval
        time.sleep(at - now)


def _state_path(source: Source) -> Path:
    return source.target.parent / STATE_DIR / f"{source.stem}.json"


def load_state(source: Source) -> dict[str, str]:
    try:
        data = json.loads(_state_path(source).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("url") == source.url else {}


def conditional_headers(source: Source) -> dict[str, str]:
    state = load_state(source) if source.target.is_file() else {}
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def looks_like_error_page(body: bytes) -> str | None:
    """Why a 200 answer is not the article: empty, no visible text, or an error page's title."""
    if not body.strip():
        return "the server sent an empty page"
    if (title := _TITLE.search(body)) and any(
        part.strip() and _ERROR_PART.fullmatch(part.strip())
        for part in _TITLE_SEPARATOR.split(title[1].decode("utf-8", "replace"))
    ):
        return "the server sent an error page"
    text = re.sub(rb"<(script|style)\b.*?</\1>|<[^>]+>", b" ", body, flags=re.S | re.I)
    if len(b" ".join(text.split())) < _MIN_TEXT:
        return "the page has no text"
    return None


def fetch_one(client: httpx.Client, source: Source, limit: RateLimit | None = None) -> FetchResult:
    """One conditional GET; write the page and its validators only when it is a real page."""
    if limit:
        limit.wait(source.url)
    try:
        response = client.get(source.url, headers=conditional_headers(source))
    except (httpx.TransportError, httpx.TimeoutException) as exc:
        raise TransientFetchError(f"{source.url}: {type(exc).__name__}: {exc}") from exc
    code = response.status_code
    if code == 304:
        return FetchResult(source.stem, source.url, "not-modified")
    if code == 429 or code >= 500:
        raise TransientFetchError(f"{source.url}: the server answered {code}")
    if code != 200:
        return FetchResult(source.stem, source.url, "kept", f"the server answered {code}")
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind not in _HTML_TYPES:
        return FetchResult(source.stem, source.url, "kept", f"not an HTML page ({kind})")
    body = response.content
    if why := looks_like_error_page(body):
        return FetchResult(source.stem, source.url, "kept", why)
    write_atomic(source.target, body)
    state = {
        "url": source.url,
        "etag": response.headers.get("etag", ""),
        "last_modified": response.headers.get("last-modified", ""),
    }
    write_atomic(_state_path(source), json.dumps(state, indent=1).encode() + b"\n")
    return FetchResult(source.stem, source.url, "updated", bytes=len(body))


def client(timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT})
