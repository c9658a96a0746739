"""Fake sites for the sources tests, served by tests/localhttp.py on 127.0.0.1: a blog with an
RSS feed and a sitemap, and a WordPress site's REST API (posts, paginated as WordPress does)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qs, urlsplit

from tests.localhttp import Reply, Script

LOREM = (
    "The assembly met in the shipyard at dawn and voted, after a long debate, to elect a "
    "committee of delegates who would answer to the workers who chose them. "
)


@dataclass(frozen=True)
class Post:
    slug: str
    title: str
    author: str
    date: dt.date
    categories: tuple[str, ...] = ()
    guid: str = ""
    modified: str = "2024-01-01T00:00:00"

    def paragraph(self) -> str:
        return f"<p>{escape(self.title)}: {LOREM * 3}</p><p>{LOREM * 2}</p>"


def posts(prefix: str, n: int, start: dt.date = dt.date(2024, 1, 1)) -> list[Post]:
    """``n`` posts, one every four days from ``start``: title "<Prefix> article 1" …"""
    return [
        Post(
            f"{prefix}-{i}",
            f"{prefix.title()} article {i}",
            f"Author {prefix} {i % 3}",
            start + dt.timedelta(days=4 * (i - 1)),
            ("essays" if i % 2 else "news",),
        )
        for i in range(1, n + 1)
    ]


def page(post: Post) -> bytes:
    """The article's page as the blog serves it: its metadata in the head, the text, chrome."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(post.title)} | The Blog</title>"
        f"<meta property='og:title' content='{escape(post.title)}'>"
        f"<meta name='author' content='{escape(post.author)}'>"
        f"<meta property='article:published_time' content='{post.date.isoformat()}T09:00:00Z'>"
        "</head><body><nav>Home · About</nav><article>"
        f"<h1>{escape(post.title)}</h1>{post.paragraph()}</article>"
        "<footer>© The Blog</footer></body></html>"
    ).encode()


def rss(base: str, items: list[Post], guids: list[str] | None = None) -> bytes:
    entries = []
    for i, p in enumerate(items):
        when = dt.datetime.combine(p.date, dt.time(9), dt.UTC)
        cats = "".join(f"<category>{escape(c)}</category>" for c in p.categories)
        guid = guids[i] if guids else p.guid or f"{base}/?p={p.slug}"
        entries.append(
            f"<item><title>{escape(p.title)}</title><link>{base}/{p.slug}/</link>"
            f"<guid isPermaLink='false'>{escape(guid)}</guid>"
            f"<dc:creator>{escape(p.author)}</dc:creator>"
            f"<pubDate>{format_datetime(when)}</pubDate>{cats}"
            f"<description>{escape(LOREM)}</description></item>"
        )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>"
        f"<title>The Blog</title><link>{base}/</link><description>A blog</description>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def blog(script: Script, base: str, items: list[Post], feed: str = "/feed/") -> None:
    """The blog's routes: the feed and every article's page (with an ETag)."""
    script.routes[feed] = [
        Reply(body=rss(base, items), headers={"Content-Type": "application/rss+xml"})
    ]
    for p in items:
        script.routes[f"/{p.slug}/"] = [Reply(body=page(p), etag=f'"{p.slug}-v1"')]


@dataclass
class WordPress:
    """WordPress's ``/wp-json/wp/v2/posts``: newest first, ``per_page`` (at most ``cap``),
    ``page`` and ``after``, ``X-WP-Total`` / ``X-WP-TotalPages``, ``_embed`` authors and terms.
    ``fail``: the status to answer on every page from ``fail_from`` on."""

    base: str
    items: list[Post] = field(default_factory=list)
    cap: int = 10
    fail: int = 0
    fail_from: int = 1
    requests: list[str] = field(default_factory=list)

    def __call__(self, path: str) -> Reply | None:
        parts = urlsplit(path)
        if parts.path.rstrip("/") != "/wp-json/wp/v2/posts":
            return None
        self.requests.append(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        number = int(query.get("page", "1"))
        if self.fail and number >= self.fail_from:
            return Reply(
                self.fail,
                json.dumps({"code": "rest_error"}).encode(),
                {"Content-Type": "application/json"},
            )
        per = min(int(query.get("per_page", "10")), self.cap)
        chosen = sorted(self.items, key=lambda p: p.date, reverse=True)
        if "after" in query:
            chosen = [p for p in chosen if p.date.isoformat() > query["after"][:10]]
        pages = max(1, -(-len(chosen) // per))
        if number > pages:
            return Reply(
                400,
                b'{"code":"rest_post_invalid_page_number"}',
                {"Content-Type": "application/json"},
            )
        body = [self.post(p) for p in chosen[(number - 1) * per : number * per]]
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "X-WP-Total": str(len(chosen)),
            "X-WP-TotalPages": str(pages),
        }
        return Reply(200, json.dumps(body).encode(), headers)

    def post(self, p: Post) -> dict[str, object]:
        return {
            "id": abs(hash(p.slug)) % 100000,
            "date": f"{p.date.isoformat()}T09:00:00",
            "modified_gmt": p.modified,
            "guid": {"rendered": p.guid or f"{self.base}/?p={p.slug}"},
            "link": f"{self.base}/{p.date:%Y/%m}/{p.slug}/",
            "title": {"rendered": escape(p.title).replace("&#x27;", "&#8217;")},
            "content": {"rendered": p.paragraph()},
            "_embedded": {
                "author": [{"name": p.author}],
                "wp:term": [
                    [{"taxonomy": "category", "name": c.title(), "slug": c} for c in p.categories],
                    [],
                ],
            },
        }
