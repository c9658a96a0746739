"""Refresh sources: download the pages that sidecars name into ``raw/`` (no Prefect here).

A sidecar ``raw/<stem>.yaml`` with a ``source_url`` and no copy the user made by hand beside it
(``raw/<stem>.txt``, or a ``raw/<stem>.html`` that no fetch wrote: those are never overwritten)
names a page to keep fresh as ``raw/<stem>.html``. A sidecar that cannot be read, or names no
http(s) address, fails alone. Each download is one conditional GET (``If-None-Match`` /
``If-Modified-Since`` from the validators the last download saved in ``raw/.fetch/<stem>.json``),
with a clear User-Agent and a polite pause between requests to one host.

A server is not trusted with anything (the limits are :class:`~flows.limits.Limits`): the body
is streamed and counted as it is inflated (``fetch_body_mb``; one gzip or deflate layer, no
other encoding); the whole fetch, from connecting through every redirect to the last byte, has
one deadline (``fetch_seconds``); redirects are followed here, hop by hop (``fetch_redirects``),
only to http(s), and to another origin only on its scheme's default port. The page is written
only when it is one (an HTML content type, or bytes that sniff as HTML, and not an empty or
error page); otherwise the previous copy stays and the reason is reported in one line.
Retries with back-off are the orchestrator's job (:mod:`flows.prefect.fetch`): :func:`fetch_one`
makes one attempt and raises :class:`TransientFetchError` when another attempt may succeed.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from flows.files import HTML_SUFFIXES, SIDECAR_SUFFIXES, TEXT_SUFFIXES, stem, write_atomic
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.decode import read_sidecar

USER_AGENT = "pamphleteer/0.1 (+https://pypi.org/project/pamphleteer/; scheduled source refresh)"
STATE_DIR = ".fetch"
_SCHEMES = ("http", "https")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Content types that say nothing about the bytes: the bytes are sniffed instead.
_UNKNOWN_TYPES = ("", "application/octet-stream", "application/unknown", "unknown/unknown", "*/*")
#: The encodings asked for, and the only ones read (inflated within the limit, see _Inflater):
#: a body in any other, or in two layers, is refused before it is read.
_ENCODINGS = ("gzip", "deflate")
#: The HTML patterns of the WHATWG MIME Sniffing standard ("rules for identifying an unknown
#: MIME type"): after leading whitespace, one of these tags and the end of its name.
_HTML_START = re.compile(
    rb"[\t\n\x0c\r ]*<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|"
    rb"b|body|br|p|!--)[\t\n\x0c\r >]",
    re.I,
)
_SNIFFED = 1445  # bytes the standard looks at
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
_SHOWN = 200  # characters of an address a server sent that a reason quotes


class TransientFetchError(Exception):
    """A failure another attempt may not have: no connection, the deadline, 429 or a 5xx."""


class _Refused(Exception):
    """A failure another attempt would repeat: the previous copy stays, with this reason."""


@dataclass(frozen=True)
class Source:
    stem: str
    url: str
    target: Path  # raw/<stem>.html


@dataclass(frozen=True)
class FetchResult:
    stem: str
    url: str  # "" when the sidecar names no address to fetch
    # "updated", "not-modified", "kept" (the previous copy, or none, stays), or "failed" (the
    # sidecar names no page that could be fetched; the reason starts with its name)
    status: str
    reason: str = ""
    bytes: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Found:
    """What raw/ asks to fetch: the pages, and the sidecars that failed, each alone."""

    pages: tuple[Source, ...]
    failed: tuple[FetchResult, ...]


def _line(text: object, width: int | None = None) -> str:
    """``text`` on one line (and at most ``width`` characters)."""
    line = " ".join(str(text).split())
    return line if width is None or len(line) <= width else f"{line[: width - 1]}…"


def address_problem(url: str) -> str | None:
    """Why ``url`` is no address to fetch a page from, or None."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return f"is not a valid address ({_line(exc)}): {_line(url, _SHOWN)}"
    if parsed.scheme not in _SCHEMES:
        return f"must be an http(s) address: {_line(url, _SHOWN)}"
    if not parsed.host:
        return f"names no host: {_line(url, _SHOWN)}"
    return None


def sources(raw_dir: Path) -> Found:
    """The pages to keep fresh: sidecars with a ``source_url`` and no hand-made copy (a text
    file, or an HTML page that no fetch wrote); and each sidecar that fails, alone."""
    try:
        entries = list(raw_dir.iterdir())
    except OSError as exc:
        raise PamphleteerError(f"{raw_dir}: cannot list the folder ({exc.strerror})") from None
    readable = (*TEXT_SUFFIXES, *HTML_SUFFIXES)
    copies: dict[str, list[Path]] = {}  # the texts and pages of raw/, by stem
    for p in entries:
        if p.name.lower().endswith(readable) and not p.name.startswith((".", "_")):
            copies.setdefault(stem(p), []).append(p)
    pages: list[Source] = []
    failed: list[FetchResult] = []
    for side in sorted(p for p in entries if p.suffix.lower() in SIDECAR_SUFFIXES):
        target = side.with_suffix(".html")
        if side.name.startswith((".", "_")) or any(
            p != target
            for p in copies.get(side.stem, ())  # a text, a page saved as .htm…
        ):
            continue
        try:
            url = read_sidecar(side).get("source_url")
        except PamphleteerError as exc:
            failed.append(FetchResult(side.stem, "", "failed", _line(exc)))
            continue
        except OSError as exc:
            why = f"{side.name}: cannot be read ({exc.strerror or type(exc).__name__})"
            failed.append(FetchResult(side.stem, "", "failed", why))
            continue
        if not url:
            continue
        if problem := address_problem(str(url)):
            failed.append(
                FetchResult(side.stem, "", "failed", f"{side.name}: source_url {problem}")
            )
            continue
        source = Source(side.stem, str(url), target)
        if source.target.exists() and not _state_path(source).exists():
            continue  # a page the user saved by hand: never overwritten
        pages.append(source)
    return Found(tuple(pages), tuple(failed))


class RateLimit:
    """At most one request per ``interval`` seconds to each host (thread-safe)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, url: str) -> float:
        """Book the next slot for ``url``'s host: the seconds to wait until it."""
        host = urlsplit(url).netloc
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, 0.0))
            self._next[host] = at + self.interval
        return at - now


def _state_path(source: Source) -> Path:
    return source.target.parent / STATE_DIR / f"{source.stem}.json"


def load_state(source: Source) -> dict[str, str]:
    try:
        data = json.loads(_state_path(source).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("url") == source.url else {}


_VALIDATORS = ("If-None-Match", "If-Modified-Since")


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


def sniffs_as_html(body: bytes) -> bool:
    """Whether a body without a telling content type is HTML, as a browser decides it."""
    return _HTML_START.match(body[:_SNIFFED].removeprefix(b"\xef\xbb\xbf")) is not None


def redirect_refusal(current: httpx.URL | str, target: httpx.URL | str) -> str | None:
    """Why a redirect from ``current`` to ``target`` is not followed, or None. Only to http(s);
    to another origin (scheme, host and port) only on its scheme's default port, so that a page
    cannot send the fetch to another service of its host or of the network it is in."""
    here, there = httpx.URL(current), httpx.URL(target)
    if there.scheme not in _SCHEMES:
        return "not an http(s) address"
    origin = (there.scheme, there.host, there.port)
    if there.port is not None and origin != (here.scheme, here.host, here.port):
        return "another origin on a port that is not its scheme's default"
    return None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes = b""
    url: str = ""  # where the answer came from, after the redirects


#: Why an answer is refused for good (another attempt would repeat it): the public name.
Refused = _Refused


async def download(
    client: httpx.AsyncClient,
    url: str,
    limits: Limits,
    accept: str,
    rate: RateLimit | None = None,
    validators: dict[str, str] | None = None,
    bound: Bound | None = None,
) -> _Answer:
    """One GET of anything (a feed, a sitemap, an API's JSON) held to the same limits as a
    page: the deadline, the redirects checked hop by hop, the body counted as it is inflated.
    ``validators``: ``{"etag": …, "last_modified": …}`` of the last answer, for a conditional
    GET (a 304 comes back as it is); ``bound``: the body's limit, if not ``fetch_body_mb``.
    Raises :class:`Refused` (a 4xx, a body too big, a refused redirect) or
    :class:`TransientFetchError` (no connection, the deadline, a 429 or a 5xx)."""
    if rate:
        await asyncio.sleep(rate.reserve(url))
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if validators and validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators and validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    try:
        async with asyncio.timeout(limits.fetch_seconds):
            answer = await _get(client, url, headers, limits, bound)
    except TimeoutError:
        raise TransientFetchError(
            f"no complete answer within {limits.fetch_seconds:g} s (fetch_seconds)"
        ) from None
    except httpx.TransportError as exc:
        raise TransientFetchError(f"{type(exc).__name__}: {_line(exc)}") from exc
    if answer.status == 429 or answer.status >= 500:
        raise TransientFetchError(f"the server answered {answer.status}")
    if answer.status not in (200, 304):
        raise _Refused(f"the server answered {answer.status}")
    return answer


async def fetch_one(
    client: httpx.AsyncClient, source: Source, limits: Limits, rate: RateLimit | None = None
) -> FetchResult:
    """One conditional GET (with the redirects it takes) within ``limits``: the page and its
    validators are written only when the answer is a real page."""
    if rate:
        await asyncio.sleep(rate.reserve(source.url))
    try:
        async with asyncio.timeout(limits.fetch_seconds):
            return await _fetch(client, source, limits)
    except _Refused as exc:
        return FetchResult(source.stem, source.url, "kept", str(exc))
    except TimeoutError:
        raise TransientFetchError(
            f"no complete answer within {limits.fetch_seconds:g} s (fetch_seconds)"
        ) from None
    except httpx.TransportError as exc:  # no connection, a broken answer, httpx's own timeouts
        raise TransientFetchError(f"{type(exc).__name__}: {_line(exc)}") from exc


async def _fetch(client: httpx.AsyncClient, source: Source, limits: Limits) -> FetchResult:
    headers = conditional_headers(source)
    answer = await _get(client, source.url, headers, limits)
    if answer.status == 304:
        asked = any(name in headers for name in _VALIDATORS)
        if asked and source.target.is_file():
            return FetchResult(source.stem, source.url, "not-modified")
        # Not modified since a copy we do not have: once more, without validators.
        plain = {k: v for k, v in headers.items() if k not in _VALIDATORS}
        answer = await _get(client, source.url, plain, limits)
        if answer.status == 304:
            copy = "a request that asked nothing" if source.target.is_file() else "no copy"
            raise _Refused(f"the server answered 304 (not modified), and there is {copy}")
    code = answer.status
    if code == 429 or code >= 500:
        raise TransientFetchError(f"the server answered {code}")
    if code != 200:
        raise _Refused(f"the server answered {code}")
    if why := _not_the_page(answer):
        raise _Refused(why)
    write_atomic(source.target, answer.body)
    state = {
        "url": source.url,
        "etag": answer.headers.get("etag", ""),
        "last_modified": answer.headers.get("last-modified", ""),
    }
    write_atomic(_state_path(source), json.dumps(state, indent=1).encode() + b"\n")
    return FetchResult(source.stem, source.url, "updated", bytes=len(answer.body))


@dataclass(frozen=True)
class Bound:
    """How big a body may be, and how a refusal names it."""

    most_mb: float
    setting: str = "fetch_body_mb"
    what: str = "the page"


class FetchFailed(Exception):
    """One GET of :func:`get_bytes` that gave nothing: the reason, in one line; ``too_big``
    when the body went past its bound."""

    def __init__(self, reason: str, too_big: bool = False) -> None:
        super().__init__(reason)
        self.too_big = too_big


class _TooBig(_Refused):
    """A body past its bound."""


async def get_bytes(
    client: httpx.AsyncClient, url: str, limits: Limits, bound: Bound, accept: str
) -> bytes:
    """The body of a 200 answer to one GET of ``url`` (redirects checked and counted), within
    ``bound`` and the deadline (``fetch_seconds``); :class:`FetchFailed` with the reason."""
    try:
        async with asyncio.timeout(limits.fetch_seconds):
            answer = await _get(client, url, {"Accept": accept}, limits, bound)
    except _Refused as exc:
        raise FetchFailed(str(exc), too_big=isinstance(exc, _TooBig)) from None
    except TimeoutError:
        why = f"no complete answer within {limits.fetch_seconds:g} s (fetch_seconds)"
        raise FetchFailed(why) from None
    except httpx.TransportError as exc:
        raise FetchFailed(f"{type(exc).__name__}: {_line(exc)}") from None
    if answer.status != 200:
        raise FetchFailed(f"the server answered {answer.status}")
    return answer.body


async def _get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], limits: Limits,
    bound: Bound | None = None,
) -> _Answer:  # fmt: skip
    """GET ``url`` and follow at most ``fetch_redirects`` redirects, each checked first."""
    if problem := address_problem(url):
        raise _Refused(f"source_url {problem}" if bound is None else f"the address {problem}")
    request = client.build_request("GET", url, headers=headers)
    hops = [str(request.url)]
    for _ in range(limits.fetch_redirects + 1):
        response = await _send(client, request)
        try:
            if response.next_request is None:
                return await _read(response, bound or Bound(limits.fetch_body_mb))
            location = _line(response.headers.get("location", ""), _SHOWN)
            if why := redirect_refusal(request.url, response.next_request.url):
                raise _Refused(f"refused a redirect to {location}: {why}")
            request = response.next_request
            hops.append(str(request.url))
        finally:
            await response.aclose()
    # Followed to the end rather than stopped at the first address seen twice: a site may send
    # a page back to itself once, having set a cookie.
    for i, url in enumerate(hops):
        if url in hops[:i]:
            loop = hops[hops.index(url) : i + 1]
            raise _Refused(f"the redirects loop: {' -> '.join(_line(u, _SHOWN) for u in loop)}")
    raise _Refused(f"more than {limits.fetch_redirects} redirects (fetch_redirects)")


async def _send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    try:
        return await client.send(request, stream=True)
    except httpx.InvalidURL as exc:  # httpx builds the next request before it answers
        raise _Refused(f"refused a redirect to an invalid address: {_line(exc)}") from None
    except httpx.RemoteProtocolError as exc:
        if str(exc).startswith("Invalid URL in location header"):
            raise _Refused(f"refused a redirect to an invalid address: {_line(exc)}") from None
        raise


async def _read(response: httpx.Response, bound: Bound) -> _Answer:
    """The answer; for a 200, its body as inflated, within ``bound`` (``fetch_body_mb``)."""
    if response.status_code != 200:
        return _Answer(response.status_code, response.headers, url=str(response.url))
    encodings = [e.strip().lower() for e in response.headers.get_list("content-encoding", True)]
    encodings = [e for e in encodings if e not in ("", "identity")]
    if len(encodings) > 1 or (encodings and encodings[0] not in _ENCODINGS):
        raise _Refused(f"an encoding that was not asked for: {_line(', '.join(encodings), 80)}")
    too_big = f"{bound.what} is bigger than {bound.most_mb:g} MB ({bound.setting})"
    limit = int(bound.most_mb * 1024 * 1024)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooBig(too_big)
    inflater = _Inflater(encodings[0]) if encodings else None
    chunks: list[bytes] = []
    size = 0
    async for data in response.aiter_raw():  # as sent, one read of the network at a time
        # One byte more than the room left, to know when the page is too big.
        chunk = inflater.inflate(data, limit - size + 1) if inflater else data
        size += len(chunk)
        if size > limit:
            raise _TooBig(too_big)
        chunks.append(chunk)
    if inflater:
        chunks.append(inflater.flush())
        if size + len(chunks[-1]) > limit:
            raise _TooBig(too_big)
    return _Answer(200, response.headers, b"".join(chunks), str(response.url))


class _Inflater:
    """One gzip or deflate layer undone, at most so many bytes at a time: zlib's own
    ``max_length``. httpx's decoders inflate a whole read of the network however much it holds
    (64 KiB of a gzip bomb is 64 MB), so the body is read raw and inflated here. "deflate" is
    zlib's format, or (as some servers send it, and httpx reads it) raw deflate."""

    def __init__(self, encoding: str) -> None:
        self._raw_deflate_next = encoding == "deflate"
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | (16 if encoding == "gzip" else 0))

    def inflate(self, data: bytes, at_most: int) -> bytes:
        """What ``data`` inflates to, up to ``at_most`` bytes (the rest is never inflated)."""
        # Only the first bytes tell which deflate it is.
        first, self._raw_deflate_next = self._raw_deflate_next, False
        try:
            return self._zlib.decompress(data, at_most)
        except zlib.error as exc:
            if first:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.inflate(data, at_most)
            raise _Refused(f"the body does not inflate: {_line(exc)}") from None

    def flush(self) -> bytes:
        try:
            return self._zlib.flush()
        except zlib.error as exc:
            raise _Refused(f"the body does not inflate: {_line(exc)}") from None


def _not_the_page(answer: _Answer) -> str | None:
    """Why a 200 answer is not the page a sidecar names: not HTML, empty, an error page."""
    kind = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in _UNKNOWN_TYPES:
        if not sniffs_as_html(answer.body):
            said = kind or "no content type"
            return f"not an HTML page ({said}, and the bytes are not HTML)"
    elif kind not in _HTML_TYPES:
        return f"not an HTML page ({_line(kind, 80)})"
    return looks_like_error_page(answer.body)


def page_refusal(answer: _Answer) -> str | None:
    """Why a 200 answer (of :func:`download`) is not an article page: not HTML, empty, an error
    page; None when it is one."""
    return _not_the_page(answer)


def client(limits: Limits) -> httpx.AsyncClient:
    """The client :func:`fetch_one` expects. It follows no redirect (:func:`fetch_one` checks
    each); its own timeouts only back up the deadline."""
    return httpx.AsyncClient(
        timeout=limits.fetch_seconds,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": ", ".join(_ENCODINGS)},
    )
