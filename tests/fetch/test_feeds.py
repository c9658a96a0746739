"""Sources of sources.yaml, read from fake sites on 127.0.0.1 (never the network): what a user
finds in raw/ afterwards, and the one line each source gives."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from flows.fetch import feeds, pages
from flows.limits import Limits
from flows.read.editions import load_editions
from tests.fetch.sites import WordPress, blog, page, posts, rss
from tests.localhttp import Reply, Script, serving

LIMITS = Limits(fetch_seconds=10)


def run(raw: Path, spec: feeds.SourceSpec, limits: Limits = LIMITS) -> feeds.SourceResult:
    async def go() -> feeds.SourceResult:
        async with pages.client(limits) as client:
            return await feeds.refresh_source(client, raw, spec, limits)

    return asyncio.run(go())


def sidecars(raw: Path) -> dict[str, dict[str, object]]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted(raw.glob("*.yaml"))}


def snapshot(raw: Path) -> dict[str, bytes]:
    return {str(p.relative_to(raw)): p.read_bytes() for p in raw.rglob("*") if p.is_file()}


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder


def test_a_feed_adds_a_sidecar_per_article_once(raw: Path) -> None:
    items = posts("blog", 3)
    script = Script()
    with serving(script) as base:
        blog(script, base, items)
        spec = feeds.SourceSpec("blog", "feed", f"{base}/feed/")
        first = run(raw, spec)
        again = run(raw, spec)
        blog(script, base, [*items, *posts("late", 1, dt.date(2024, 6, 1))])
        third = run(raw, spec)
    assert first.line() == "source blog: 3 new, 0 refreshed"
    assert again.line() == "source blog: 0 new, 0 refreshed, 3 known"
    assert third.added == ("late-article-1",)
    found = sidecars(raw)
    assert found["blog-article-2"] == {
        "title": "Blog article 2",
        "author": "Author blog 2",
        "date": "2024-01-05",
        "source_url": f"{base}/blog-2/",
        "from_source": "blog",
    }
    assert not list(raw.glob("*.html"))  # the pages are fetched next, by the page fetcher


def test_filters_since_categories_pattern_and_at_most(raw: Path) -> None:
    items = posts("blog", 10)  # every 4 days from 2024-01-01; odd ones are "essays"
    script = Script()
    with serving(script) as base:
        blog(script, base, items)
        spec = feeds.SourceSpec(
            "blog",
            "feed",
            f"{base}/feed/",
            since=dt.date(2024, 1, 10),
            categories=("essays",),
            url_pattern=r"blog-[0-9]/$",
            at_most=2,
        )
        result = run(raw, spec)
    # since 01-10: posts 4..10; essays: 5, 7, 9; pattern: one digit; newest two: 9 and 7.
    assert sorted(result.added) == ["blog-article-7", "blog-article-9"]


def test_a_feed_that_is_an_html_page_changes_nothing(raw: Path) -> None:
    (raw / "mine.txt").write_text("Mine.\n")
    before = snapshot(raw)
    script = Script({"/feed/": [Reply(body=page(posts("x", 1)[0]))]})
    with serving(script) as base:
        result = run(raw, feeds.SourceSpec("blog", "feed", f"{base}/feed/"))
    assert result.line() == f"source blog: kept: an HTML page, not a feed: {base}/feed/"
    assert snapshot(raw) == before


def test_a_10_mb_feed_is_refused(raw: Path) -> None:
    script = Script(
        {
            "/feed/": [
                Reply(
                    body=b"<?xml version='1.0'?><rss><channel>",
                    headers={"Content-Type": "application/rss+xml"},
                    stream=10 * 1024 * 1024,
                )
            ]
        }
    )
    with serving(script) as base:
        result = run(raw, feeds.SourceSpec("blog", "feed", f"{base}/feed/"))
    assert result.line() == "source blog: kept: the answer is bigger than 4 MB (source_list_mb)"
    assert snapshot(raw) == {}


def test_not_a_feed_at_all(raw: Path) -> None:
    script = Script({"/feed/": [Reply(body=b"{}", headers={"Content-Type": "application/json"})]})
    with serving(script) as base:
        result = run(raw, feeds.SourceSpec("blog", "feed", f"{base}/feed/"))
    assert result.status == "kept" and result.reason.startswith("not a feed")


def test_duplicate_guids_keep_the_first_and_say_so(raw: Path) -> None:
    items = posts("blog", 3)
    script = Script()
    with serving(script) as base:
        body = rss(base, items, guids=["same", "same", "other"])
        script.routes["/feed/"] = [Reply(body=body, headers={"Content-Type": "text/xml"})]
        result = run(raw, feeds.SourceSpec("blog", "feed", f"{base}/feed/"))
    assert result.line() == (
        "source blog: 2 new, 0 refreshed; 1 entry with a GUID seen before (kept the first): same"
    )
    assert sorted(result.added) == ["blog-article-1", "blog-article-3"]


def test_an_article_already_in_raw_is_not_added_again(raw: Path) -> None:
    items = posts("blog", 2)
    script = Script()
    with serving(script) as base:
        blog(script, base, items)
        # Saved by hand before, its address written differently (no slash, upper-case host).
        (raw / "mine.yaml").write_text(
            f"source_url: {base.upper()}/blog-1\n".replace("HTTP", "http")
        )
        result = run(raw, feeds.SourceSpec("blog", "feed", f"{base}/feed/"))
    assert result.added == ("blog-article-2",)


def sitemap(urls: list[str]) -> bytes:
    locs = "".join(f"<url><loc>{u}</loc><lastmod>2024-02-01</lastmod></url>" for u in urls)
    return (
        f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"{locs}</urlset>"
    ).encode()


def index(urls: list[str]) -> bytes:
    locs = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (
        f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/"
        f"sitemap/0.9'>{locs}</sitemapindex>"
    ).encode()


def test_a_sitemap_index_that_loops_is_read_once(raw: Path) -> None:
    xml = {"Content-Type": "application/xml"}
    script = Script()
    with serving(script) as base:
        script.routes["/sitemap.xml"] = [
            Reply(body=index([f"{base}/a.xml", f"{base}/b.xml"]), headers=xml)
        ]
        script.routes["/a.xml"] = [Reply(body=index([f"{base}/sitemap.xml"]), headers=xml)]
        script.routes["/b.xml"] = [
            Reply(body=sitemap([f"{base}/2024/one/", f"{base}/two.html"]), headers=xml)
        ]
        result = run(raw, feeds.SourceSpec("site", "sitemap", f"{base}/sitemap.xml"))
        hits = [p for p, _ in script.requests]
    assert result.line() == (
        f"source site: 2 new, 0 refreshed; the sitemap index loops back to {base}/sitemap.xml: "
        "read once"
    )
    assert hits.count("/sitemap.xml") == 1
    assert sorted(result.added) == ["one", "two"]  # named after the address without a title
    assert sidecars(raw)["one"] == {
        "date": "2024-02-01",
        "source_url": f"{base}/2024/one/",
        "from_source": "site",
    }


def test_a_sitemap_with_an_entity_is_not_expanded(raw: Path) -> None:
    evil = (
        b"<?xml version='1.0'?><!DOCTYPE u [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
        b"<urlset><url><loc>http://127.0.0.1/&x;</loc></url></urlset>"
    )
    script = Script({"/s.xml": [Reply(body=evil, headers={"Content-Type": "text/xml"})]})
    with serving(script) as base:
        run(raw, feeds.SourceSpec("site", "sitemap", f"{base}/s.xml"))
    assert "root:" not in "".join(p.read_text() for p in raw.glob("*.yaml"))


def test_wordpress_posts_come_whole_page_by_page(raw: Path) -> None:
    script = Script()
    with serving(script) as base:
        wp = WordPress(base, posts("wp", 25))
        script.dynamic = wp
        spec = feeds.SourceSpec("wp", "wordpress", f"{base}/")
        first = run(raw, spec)
        again = run(raw, spec)
        wp.items[0] = dataclasses.replace(wp.items[0], modified="2024-09-09T00:00:00")
        changed = run(raw, spec)
    assert first.line() == "source wp: 25 new, 0 refreshed"
    assert len(wp.requests) == 3 * 3  # pages of 10 (the site's cap), three runs
    assert again.line() == "source wp: 0 new, 0 refreshed, 25 known"
    assert changed.refreshed == ("wp-article-1",)
    side = sidecars(raw)["wp-article-1"]
    assert side["author"] == "Author wp 1" and side["date"] == "2024-01-01"
    html = (raw / "wp-article-1.html").read_text()
    assert "<h1>Wp article 1</h1>" in html and "shipyard at dawn" in html
    # The page fetcher leaves the posts alone: they are not pages to download.
    assert pages.sources(raw).pages == ()


@pytest.mark.parametrize("status", [401, 404])
def test_a_wordpress_api_that_refuses_changes_nothing(raw: Path, status: int) -> None:
    script = Script()
    with serving(script) as base:
        script.dynamic = WordPress(base, posts("wp", 3), fail=status)
        result = run(raw, feeds.SourceSpec("wp", "wordpress", f"{base}/"))
    assert result.line() == (
        f"source wp: kept: WordPress API at {base}: the server answered {status}"
    )
    assert snapshot(raw) == {}


def test_a_wordpress_api_failing_on_a_later_page_keeps_the_first(raw: Path) -> None:
    script = Script()
    with serving(script) as base:
        script.dynamic = WordPress(base, posts("wp", 25), fail=403, fail_from=2)
        result = run(raw, feeds.SourceSpec("wp", "wordpress", f"{base}/"))
    assert len(result.added) == 10
    assert result.notes == (
        "page 2 of the WordPress API: the server answered 403 (the pages before are kept)",
    )


def test_a_wordpress_api_error_5xx_is_worth_another_try(raw: Path) -> None:
    script = Script()
    with serving(script) as base:
        script.dynamic = WordPress(base, posts("wp", 3), fail=503)
        with pytest.raises(pages.TransientFetchError, match="503"):
            run(raw, feeds.SourceSpec("wp", "wordpress", f"{base}/"))


def test_sources_yaml_problems_are_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {name: ok, feed: 'https://example.org/feed/', since: 2024-01-01, category: essays}\n"
        "  - {name: two, feed: 'https://a.org/', sitemap: 'https://a.org/s.xml'}\n"
        "  - {name: bad, wordpress: 'ftp://example.org/'}\n"
        "  - {name: odd, feed: 'https://a.org/', colour: red}\n"
        "  - {name: many, feed: 'https://a.org/', at_most: 0}\n"
    )
    specs, problems = feeds.load_sources(path)
    assert specs == [
        feeds.SourceSpec(
            "ok", "feed", "https://example.org/feed/", dt.date(2024, 1, 1), ("essays",)
        )
    ]
    assert problems == [
        "sources.yaml: source 'two': give one of feed:, sitemap:, wordpress: (an address)",
        "sources.yaml: source 'bad': wordpress must be an http(s) address: ftp://example.org/",
        "sources.yaml: source 'odd': unknown key colour",
        "sources.yaml: source 'many': 'at_most' must be a whole number above 0",
    ]


def test_an_anthology_takes_every_article_of_a_source_in_a_year(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, source, date in [
        ("a", "wp", "2024-05-01"),
        ("b", "wp", "2023-12-31"),
        ("c", "blog", "2024-02-01"),
        ("d", "wp", "2024-01-02"),
        ("e", "wp", None),
    ]:
        (raw / f"{name}.txt").write_text(f"Title {name}\n\nText.\n")
        date_line = f"date: {date}\n" if date else ""
        (raw / f"{name}.yaml").write_text(f"from_source: {source}\n{date_line}")
    (tmp_path / "editions.yaml").write_text(
        "editions:\n"
        "  - {title: WP 2024, documents: {source: wp, year: 2024}}\n"
        "  - {title: None 2022, documents: {source: wp, year: 2022}}\n"
    )
    good, empty = load_editions(tmp_path / "editions.yaml", raw)
    assert [p.name for p in good.documents] == ["d.txt", "a.txt"]  # oldest first
    assert (
        empty.problem
        == "editions.yaml: none-2022: no article of the source 'wp' dated 2022 in raw/"
    )


def test_a_feed_entity_reads_no_file(raw: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    evil = (
        f"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY x SYSTEM 'file://{secret}'>"
        "<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
        "<rss version='2.0'><channel><title>t</title><item><title>&x;&b;</title>"
        "<link>http://127.0.0.1/one/</link><guid>one</guid></item></channel></rss>"
    ).encode()
    script = Script({"/feed/": [Reply(body=evil, headers={"Content-Type": "text/xml"})]})
    with serving(script) as base:
        run(raw, feeds.SourceSpec("blog", "feed", f"{base}/feed/"))
    text = "".join(p.read_text() for p in raw.glob("*.yaml"))
    assert "TOP-SECRET" not in text
