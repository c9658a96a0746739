"""Sources that bring their own articles: ``sources.yaml`` beside ``raw/`` (no Prefect here).

Each source is a feed (RSS or Atom, read by feedparser), a sitemap (or a sitemap index), or a
WordPress site (its REST API, ``wp-json/wp/v2/posts``, page by page), with filters::

    sources:
      - name: collective                 # the articles' sidecars say `from_source: collective`
        feed: https://example.org/feed/  # or sitemap: …/sitemap.xml, or wordpress: https://…/
        since: 2024-01-01                # published on or after (undated articles are left out)
        categories: [essays]             # any of these categories or tags (feeds: either)
        tags: [kronstadt]
        url_pattern: "/20(23|24)/"       # a regular expression the article's address must match
        at_most: 50                      # the newest N that pass the other filters

A new article becomes a sidecar ``raw/<slug>.yaml`` (``source_url``, ``from_source`` and what the
source says of it: title, author, date), its slug from its title. A feed's or a sitemap's page is
then downloaded by :mod:`flows.fetch.pages` like any page a sidecar names; a WordPress post comes
whole with the API's answer and is written as ``raw/<slug>.html`` at once, and again when the API
says it was modified. An article is known by its GUID (what the source last said, in
``raw/.fetch/sources/<name>.json``) or by its address (any sidecar's ``source_url``): known
articles are never added twice, and nothing is ever removed.

Every request goes through :func:`flows.fetch.pages.download`: the same deadline, redirect checks
and bounded bodies as pages, the lists held to ``source_list_mb``. A source that cannot be read (a
feed that is an HTML page, a body too big, a sitemap that is not XML, an API's error) gives one line
and changes nothing; a sitemap index that loops is read once per sitemap, and said so.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import yaml

from flows.fetch import pages
from flows.fetch.pages import Bound, Refused, TransientFetchError, address_problem, download
from flows.files import SIDECAR_SUFFIXES, write_atomic
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.sidecar import read_sidecar, slugify
from flows.yamlfile import load_yaml

SOURCES_FILE = "sources.yaml"
STATE_DIR = Path(pages.STATE_DIR) / "sources"
KINDS = ("feed", "sitemap", "wordpress")
_KEYS = {"name", "since", "categories", "tags", "url_pattern", "at_most", *KINDS}
_ALIASES = {"category": "categories", "tag": "tags", "pattern": "url_pattern", "max": "at_most",
            "limit": "at_most", "rss": "feed", "atom": "feed", "wp": "wordpress"}  # fmt: skip
_FEED_TYPES = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"
_XML_TYPES = "application/xml, text/xml;q=0.9"
#: A sitemap index may name sitemaps that name sitemaps; past these, the rest is not read.
_SITEMAPS = 50
_WP_PAGES = 100  # pages of 100 posts: 10,000 posts
_WP_PER_PAGE = 100


@dataclass(frozen=True)
class SourceSpec:
    """One source of ``sources.yaml``, checked."""

    name: str
    kind: str  # feed, sitemap, wordpress
    url: str
    since: dt.date | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    url_pattern: str = ""
    at_most: int | None = None


@dataclass(frozen=True)
class Article:
    """What a source says of one article."""

    url: str
    guid: str
    title: str = ""
    authors: tuple[str, ...] = ()
    date: str = ""  # YYYY-MM-DD, or ""
    categories: frozenset[str] = frozenset()  # casefolded names and slugs
    tags: frozenset[str] = frozenset()
    #: The article itself, when the source sends it (WordPress), and when it was last modified.
    html: bytes | None = None
    modified: str = ""


@dataclass(frozen=True)
class Listing:
    """A source's articles, and what was odd about the list (one line each)."""

    articles: tuple[Article, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceResult:
    """What one source brought: the stems of the sidecars it added and of the pages it
    refreshed; ``status`` is ``updated`` or ``kept`` (nothing changed, with the reason)."""

    name: str
    url: str
    status: str
    reason: str = ""
    added: tuple[str, ...] = ()
    refreshed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def line(self) -> str:
        if self.status == "kept":
            return f"source {self.name}: kept: {self.reason}"
        known = f", {self.reason}" if self.reason else ""
        notes = "".join(f"; {n}" for n in self.notes)
        return (
            f"source {self.name}: {len(self.added)} new, {len(self.refreshed)} refreshed"
            f"{known}{notes}"
        )


def _one_line(text: object, width: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else f"{line[: width - 1]}…"


def sources_file(raw_dir: Path) -> Path:
    return raw_dir.resolve().parent / SOURCES_FILE


def load_sources(path: Path, limits: Limits | None = None) -> tuple[list[SourceSpec], list[str]]:
    """The sources ``path`` lists, and a one-line problem for each that cannot be used (it is
    left out; the others are read). None at all when the file does not exist."""
    if not path.is_file():
        return [], []
    try:
        data = load_yaml(path, limits, "sources file")
    except PamphleteerError as exc:
        return [], [str(exc)]
    items = (data or {}).get("sources") if isinstance(data, dict | None) else None
    if not isinstance(items, list):
        return [], [f"{path.name}: 'sources' must be a list of sources (feed:, sitemap: …)"]
    specs: list[SourceSpec] = []
    problems: list[str] = []
    for index, item in enumerate(items, start=1):
        try:
            spec = _spec(item, index, path.name)
            if any(s.name == spec.name for s in specs):
                raise PamphleteerError(f"{path.name}: two sources are named {spec.name!r}")
            specs.append(spec)
        except PamphleteerError as exc:
            problems.append(str(exc))
    return specs, problems


def _spec(item: Any, index: int, file: str) -> SourceSpec:
    where = f"{file}: source {index}"
    if not isinstance(item, dict):
        raise PamphleteerError(f"{where} must be a mapping (name, feed: URL, …)")
    data = {_ALIASES.get(str(k).lower(), str(k).lower()): v for k, v in item.items()}
    if isinstance(data.get("name"), str) and data["name"].strip():
        where = f"{file}: source {data['name'].strip()!r}"
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise PamphleteerError(f"{where}: unknown key {', '.join(unknown)}")
    kinds = [k for k in KINDS if data.get(k)]
    if len(kinds) != 1:
        raise PamphleteerError(f"{where}: give one of feed:, sitemap:, wordpress: (an address)")
    kind, url = kinds[0], str(data[kinds[0]]).strip()
    if problem := address_problem(url):
        raise PamphleteerError(f"{where}: {kind} {problem}")
    name = slugify(str(data.get("name") or urlsplit(url).hostname or kind))
    since = data.get("since")
    if since is not None and not isinstance(since, dt.date):
        try:
            since = dt.date.fromisoformat(str(since))
        except ValueError:
            raise PamphleteerError(f"{where}: 'since' must be a date (2024-01-31)") from None
    if isinstance(since, dt.datetime):
        since = since.date()
    pattern = data.get("url_pattern") or ""
    try:
        re.compile(str(pattern))
    except re.error as exc:
        raise PamphleteerError(f"{where}: url_pattern is not a regular expression: {exc}") from None
    at_most = data.get("at_most")
    if at_most is not None and (isinstance(at_most, bool) or not isinstance(at_most, int)
                                or at_most < 1):  # fmt: skip
        raise PamphleteerError(f"{where}: 'at_most' must be a whole number above 0")
    return SourceSpec(name, kind, url, since, _terms(data.get("categories"), where),
                      _terms(data.get("tags"), where), str(pattern), at_most)  # fmt: skip


def _terms(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str | int) for v in values):
        raise PamphleteerError(f"{where}: categories and tags are names, or lists of names")
    return tuple(str(v).strip().casefold() for v in values if str(v).strip())


# -- Reading a source ------------------------------------------------------------------------


async def discover(
    client: httpx.AsyncClient, spec: SourceSpec, limits: Limits, rate: pages.RateLimit | None
) -> Listing:
    """The articles ``spec`` lists. Raises :class:`Refused` (the list cannot be read) or
    :class:`TransientFetchError` (another try may succeed)."""
    reader = {"feed": _feed, "sitemap": _sitemap, "wordpress": _wordpress}[spec.kind]
    return await reader(client, spec, limits, rate)


def _most(limits: Limits) -> Bound:
    return Bound(limits.source_list_mb, "source_list_mb", "the answer")


def _not_html(answer: Any, what: str) -> None:
    kind = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") or pages.sniffs_as_html(answer.body):
        raise Refused(f"an HTML page, not {what}: {_one_line(answer.url)}")


async def _feed(
    client: httpx.AsyncClient, spec: SourceSpec, limits: Limits, rate: pages.RateLimit | None
) -> Listing:
    import feedparser

    answer = await download(client, spec.url, limits, _FEED_TYPES, rate, bound=_most(limits))
    _not_html(answer, "a feed")
    # Bytes, never an address: feedparser fetches nothing itself. The address the answer came
    # from resolves relative links.
    parsed = feedparser.parse(answer.body, response_headers={"content-location": answer.url})
    if not parsed.entries and (parsed.bozo or not parsed.version):
        why = _one_line(parsed.get("bozo_exception") or "no RSS or Atom in it", 120)
        raise Refused(f"not a feed ({why})")
    articles: list[Article] = []
    seen: set[str] = set()
    duplicates: list[str] = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "").strip()
        if not link or address_problem(link):
            continue
        guid = str(entry.get("id") or link).strip()
        if guid in seen:
            duplicates.append(guid)
            continue
        seen.add(guid)
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        names = [a.get("name", "") for a in entry.get("authors", []) if isinstance(a, dict)]
        names = [n for n in names if n.strip()] or [entry.get("author", "")]
        terms = frozenset(
            str(t.get(k, "")).strip().casefold()
            for t in entry.get("tags", [])
            for k in ("term", "label")
            if str(t.get(k) or "").strip()
        )
        articles.append(Article(
            link, guid, _text(entry.get("title", "")), tuple(n for n in names if n.strip()),
            dt.date(*when[:3]).isoformat() if when else "", terms, terms,
        ))  # fmt: skip
    notes = []
    if duplicates:
        notes.append(
            f"{len(duplicates)} entr{'y' if len(duplicates) == 1 else 'ies'} with a GUID seen "
            f"before (kept the first): {_one_line(duplicates[0], 80)}"
        )
    return Listing(tuple(articles), tuple(notes))


def _safe_xml(body: bytes, what: str) -> Any:
    """An XML document parsed with nothing from outside: no DTD, no entities, no network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                             huge_tree=False, remove_comments=True, remove_pis=True)  # fmt: skip
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise Refused(f"not {what} (not XML: {_one_line(exc, 100)})") from None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


async def _sitemap(
    client: httpx.AsyncClient, spec: SourceSpec, limits: Limits, rate: pages.RateLimit | None
) -> Listing:
    todo, read, notes = [spec.url], [], []
    articles: dict[str, Article] = {}
    while todo:
        url = todo.pop(0)
        if len(read) >= _SITEMAPS:
            notes.append(f"more than {_SITEMAPS} sitemaps: the rest were not read")
            break
        read.append(url)
        try:
            answer = await download(client, url, limits, _XML_TYPES, rate, bound=_most(limits))
            _not_html(answer, "a sitemap")
            root = _safe_xml(answer.body, "a sitemap")
        except Refused as exc:
            if url == spec.url:
                raise
            notes.append(f"{_one_line(url, 100)}: {exc}")
            continue
        kind = _local(root.tag)
        if kind not in ("urlset", "sitemapindex"):
            raise Refused(f"not a sitemap (its root is <{_one_line(kind, 40)}>)")
        for node in root:
            loc = next((_text(c.text or "") for c in node if _local(c.tag) == "loc"), "")
            if not loc or address_problem(loc):
                continue
            if kind == "sitemapindex":
                if loc in read or loc in todo:
                    notes.append(f"the sitemap index loops back to {_one_line(loc, 100)}: "
                                 "read once")  # fmt: skip
                else:
                    todo.append(loc)
                continue
            lastmod = next((c.text or "" for c in node if _local(c.tag) == "lastmod"), "")
            date = m.group(0) if (m := re.match(r"\d{4}-\d{2}-\d{2}", lastmod.strip())) else ""
            articles.setdefault(loc, Article(loc, loc, date=date))
    return Listing(tuple(articles.values()), tuple(dict.fromkeys(notes)))


async def _wordpress(
    client: httpx.AsyncClient, spec: SourceSpec, limits: Limits, rate: pages.RateLimit | None
) -> Listing:
    base = spec.url.rstrip("/")
    query: dict[str, Any] = {"per_page": _WP_PER_PAGE, "_embed": "1", "orderby": "date",
                             "order": "desc"}  # fmt: skip
    if spec.since:
        query["after"] = f"{spec.since.isoformat()}T00:00:00"
    articles: list[Article] = []
    notes: list[str] = []
    total = 1
    page = 1
    while page <= min(total, _WP_PAGES):
        url = f"{base}/wp-json/wp/v2/posts?{urlencode({**query, 'page': page})}"
        try:
            answer = await download(client, url, limits, "application/json", rate,
                                    bound=_most(limits))  # fmt: skip
            posts = json.loads(answer.body)
            if not isinstance(posts, list):
                raise Refused("the WordPress API did not answer with a list of posts")
        except (Refused, ValueError) as exc:
            why = str(exc) if isinstance(exc, Refused) else "its answer is not JSON"
            if page == 1:
                raise Refused(f"WordPress API at {base}: {why}") from None
            notes.append(f"page {page} of the WordPress API: {why} (the pages before are kept)")
            break
        total_pages = answer.headers.get("x-wp-totalpages", "1")
        total = int(total_pages) if total_pages.isdigit() else 1
        articles.extend(a for post in posts if (a := _post(post)) is not None)
        if spec.at_most and len(_filtered(articles, spec)) >= spec.at_most:
            break
        page += 1
    return Listing(tuple(articles), tuple(notes))


def _post(post: Any) -> Article | None:
    """One post of WordPress's API, as an article with its text; None if it names no page."""
    if not isinstance(post, dict):
        return None
    link = post.get("link")
    if not isinstance(link, str) or address_problem(link):
        return None

    def rendered(key: str) -> str:
        value = post.get(key)
        value = value.get("rendered") if isinstance(value, dict) else value
        return value if isinstance(value, str) else ""

    guid = rendered("guid") or str(post.get("id") or link)
    embedded = post.get("_embedded") if isinstance(post.get("_embedded"), dict) else {}
    authors = tuple(
        _text(a["name"]) for a in embedded.get("author", []) or []
        if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
    )  # fmt: skip
    terms: dict[str, set[str]] = {"category": set(), "post_tag": set()}
    for group in embedded.get("wp:term", []) or []:
        for term in group if isinstance(group, list) else []:
            if isinstance(term, dict) and term.get("taxonomy") in terms:
                terms[term["taxonomy"]] |= {
                    str(term[k]).strip().casefold() for k in ("name", "slug") if term.get(k)
                }
    title = _text(rendered("title"))
    date = str(post.get("date") or "")[:10]
    date = date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else ""
    page = _page(title, rendered("content"), link, str(post.get("lang") or ""))
    return Article(link, guid, title, authors, date, frozenset(terms["category"]),
                   frozenset(terms["post_tag"]), page,
                   str(post.get("modified_gmt") or post.get("modified") or ""))  # fmt: skip


def _page(title: str, content: str, link: str, lang: str) -> bytes:
    """A post of the API as the page the cleaner reads: the title and the post's own HTML."""
    e = html.escape
    lang_attr = (
        f' lang="{e(lang)}"' if re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", lang) else ""
    )
    return (
        f'<!DOCTYPE html>\n<html{lang_attr}><head><meta charset="utf-8">'
        f"<title>{e(title)}</title>"
        f'<link rel="canonical" href="{e(link)}"></head>\n'
        f"<body><article><h1>{e(title)}</h1>\n{content}\n</article></body></html>\n"
    ).encode()


def _text(value: str) -> str:
    """Markup as its text: a title of a feed or an API is HTML, entities and all."""
    if "<" in value:
        from lxml import html as lxml_html

        try:
            value = lxml_html.fragment_fromstring(value, create_parent="div").text_content()
        except Exception:  # lxml refuses an empty or odd fragment: the text as it is
            value = re.sub(r"<[^>]*>", "", value)
    return " ".join(html.unescape(value).split())


def _filtered(articles: list[Article] | tuple[Article, ...], spec: SourceSpec) -> list[Article]:
    """The articles that pass the source's filters, newest first, at most ``at_most``."""
    pattern = re.compile(spec.url_pattern) if spec.url_pattern else None
    kept = []
    for a in articles:
        if spec.since and (not a.date or a.date < spec.since.isoformat()):
            continue
        if spec.categories and not (set(spec.categories) & a.categories):
            continue
        if spec.tags and not (set(spec.tags) & a.tags):
            continue
        if pattern and not pattern.search(a.url):
            continue
        kept.append(a)
    kept.sort(key=lambda a: a.date, reverse=True)  # stable: a source's own order otherwise
    return kept[: spec.at_most] if spec.at_most else kept


# -- Writing raw/ -----------------------------------------------------------------------------


def canonical(url: str) -> str:
    """The address two sidecars share when they name one article: scheme and host in lower
    case, no default port, no fragment, no trailing slash."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path.rstrip("/") or "/", parts.query, ""))


def known_addresses(raw_dir: Path, limits: Limits | None = None) -> dict[str, str]:
    """The canonical ``source_url`` of every sidecar of ``raw_dir``, with its stem."""
    known: dict[str, str] = {}
    for side in sorted(raw_dir.iterdir()):
        if side.suffix.lower() not in SIDECAR_SUFFIXES or side.name.startswith((".", "_")):
            continue
        try:
            url = read_sidecar(side, limits).get("source_url")
        except (PamphleteerError, OSError):
            continue
        if isinstance(url, str) and url:
            known.setdefault(canonical(url), side.stem)
    return known


def new_stem(raw_dir: Path, title: str, url: str) -> str:
    """A free name in ``raw_dir`` from the title (else the address's last part)."""
    base = slugify(title) if title.strip() else ""
    if not base or base == "document":
        last = [p for p in urlsplit(url).path.split("/") if p]
        base = slugify(re.sub(r"\.[a-z0-9]{2,5}$", "", last[-1], flags=re.I)) if last else "article"
    base = base[:60].strip("-") or "article"
    stem, n = base, 1
    taken = {p.stem.lower() for p in raw_dir.iterdir()} | {
        p.name.lower() for p in raw_dir.iterdir()
    }
    while stem.lower() in taken:
        n += 1
        stem = f"{base}-{n}"
    return stem


def sidecar_text(meta: Mapping[str, Any], note: str) -> bytes:
    """A sidecar of ``meta`` (keys in their order), with a comment line first."""
    body = yaml.safe_dump(dict(meta), allow_unicode=True, sort_keys=False, width=100)
    return f"# {note}\n{body}".encode()


def _state_path(raw_dir: Path, spec: SourceSpec) -> Path:
    return raw_dir / STATE_DIR / f"{spec.name}.json"


def _load_state(raw_dir: Path, spec: SourceSpec) -> dict[str, Any]:
    try:
        data = json.loads(_state_path(raw_dir, spec).read_bytes())
    except (OSError, ValueError):
        return {"guids": {}, "modified": {}}
    if not isinstance(data, dict):
        return {"guids": {}, "modified": {}}
    return {"guids": dict(data.get("guids") or {}), "modified": dict(data.get("modified") or {})}


def store(
    raw_dir: Path, spec: SourceSpec, listing: Listing, limits: Limits | None = None
) -> SourceResult:
    """Add the new articles of ``listing`` that pass the filters to ``raw_dir`` (sidecars, and a
    WordPress post's page), refresh a post the API says was modified; nothing is removed."""
    state = _load_state(raw_dir, spec)
    guids: dict[str, str] = state["guids"]
    modified: dict[str, str] = state["modified"]
    addresses = known_addresses(raw_dir, limits)
    added: list[str] = []
    refreshed: list[str] = []
    articles = _filtered(listing.articles, spec)
    for article in articles:
        stem = guids.get(article.guid) or addresses.get(canonical(article.url))
        if stem and (raw_dir / f"{stem}.yaml").is_file():
            guids[article.guid] = stem
            page = raw_dir / f"{stem}.html"
            # Refreshed only when this source wrote it: a page saved by hand stays.
            if article.html and stem in modified and modified[stem] != article.modified:
                write_atomic(page, article.html)
                modified[stem] = article.modified
                refreshed.append(stem)
            continue
        stem = new_stem(raw_dir, article.title, article.url)
        meta: dict[str, Any] = {}
        if article.title:
            meta["title"] = article.title
        if article.authors:
            meta["author"] = (
                article.authors[0] if len(article.authors) == 1 else list(article.authors)
            )
        if article.date:
            meta["date"] = article.date
        meta["source_url"] = article.url
        meta["from_source"] = spec.name
        if article.html is not None:  # the page first: a sidecar alone would be fetched
            write_atomic(raw_dir / f"{stem}.html", article.html)
            modified[stem] = article.modified
        note = f"Added from the source {spec.name!r} of {SOURCES_FILE}: review and edit freely."
        write_atomic(raw_dir / f"{stem}.yaml", sidecar_text(meta, note))
        guids[article.guid] = stem
        addresses[canonical(article.url)] = stem
        added.append(stem)
    if added or refreshed or guids != _load_state(raw_dir, spec)["guids"]:
        data = {"url": spec.url, "guids": guids, "modified": modified}
        write_atomic(
            _state_path(raw_dir, spec), json.dumps(data, indent=1, sort_keys=True).encode()
        )
    known = len(articles) - len(added)
    return SourceResult(spec.name, spec.url, "updated", f"{known} known" if known else "",
                        tuple(added), tuple(refreshed), listing.notes)  # fmt: skip


async def refresh_source(
    client: httpx.AsyncClient,
    raw_dir: Path,
    spec: SourceSpec,
    limits: Limits,
    rate: pages.RateLimit | None = None,
) -> SourceResult:
    """One source read and stored; a list that cannot be read keeps raw/ as it was. Raises
    :class:`TransientFetchError` when another attempt may succeed."""
    try:
        listing = await discover(client, spec, limits, rate)
    except Refused as exc:
        return SourceResult(spec.name, spec.url, "kept", str(exc))
    return store(raw_dir, spec, listing, limits)


__all__ = ["Article", "Listing", "SourceResult", "SourceSpec", "TransientFetchError",
           "canonical", "known_addresses", "load_sources", "refresh_source", "store"]  # fmt: skip
