"""Refreshing sources against a local HTTP server on 127.0.0.1 (offline; pure functions)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flows import sources
from flows.model import PamphleteerError

from .localhttp import Reply, Script, serving

ARTICLE = (
    b"<html><head><title>Kronstadt, 1921</title></head><body><article><p>"
    + b"The sailors of Kronstadt demanded free elections to the soviets. " * 5
    + b"</p></article></body></html>"
)
NEWER = ARTICLE.replace(b"free elections", b"freely elected soviets")


def _raw(tmp_path: Path, url: str, stem: str = "kronstadt") -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / f"{stem}.yaml").write_text(f"title: Kronstadt\nsource_url: {url}\n")
    return raw


def _fetch(raw: Path) -> list[sources.FetchResult]:
    with sources.client(timeout=5) as client:
        return [sources.fetch_one(client, s) for s in sources.sources(raw)]


def test_first_fetch_writes_the_page_then_a_conditional_get_keeps_it(tmp_path: Path) -> None:
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT",
    }
    script = Script({"/a": [Reply(body=ARTICLE, etag='"v1"', headers=headers)]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        first = _fetch(raw)
        assert [r.status for r in first] == ["updated"]
        assert (raw / "kronstadt.html").read_bytes() == ARTICLE
        second = _fetch(raw)
    assert [r.status for r in second] == ["not-modified"]
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE
    hits = script.hits("/a")
    assert "if-none-match" not in hits[0]
    assert hits[1]["if-none-match"] == '"v1"'
    assert hits[1]["if-modified-since"] == "Tue, 01 Oct 2024 10:00:00 GMT"
    assert all(h["user-agent"].startswith("pamphleteer/") for h in hits)


def test_a_changed_page_replaces_the_copy(tmp_path: Path) -> None:
    script = Script({"/a": [Reply(body=ARTICLE, etag='"v1"'), Reply(body=NEWER, etag='"v2"')]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        _fetch(raw)
        assert [r.status for r in _fetch(raw)] == ["updated"]
    assert (raw / "kronstadt.html").read_bytes() == NEWER


@pytest.mark.parametrize(
    "title, error",
    [("404 Not Found", True), ("Page not found – The Site", True), ("The Site | Error", True),
     ("503 Service Unavailable", True), ("Trial and Error – The Site", False),
     ("The 404 Club: a history", False)],
)  # fmt: skip
def test_an_error_title_is_a_title_that_says_only_that(title: str, error: bool) -> None:
    page = f"<html><title>{title}</title><body><p>{'Words of an article. ' * 8}</p></body></html>"
    assert (sources.looks_like_error_page(page.encode()) is not None) is error


@pytest.mark.parametrize(
    "reply, why",
    [
        (Reply(200, b""), "empty page"),
        (Reply(200, b"<html><title>404 Not Found</title><body>Nope</body></html>"), "error page"),
        (Reply(200, b"<html><body><div></div></body></html>"), "no text"),
        (Reply(404, b"<title>Not here</title>"), "answered 404"),
        (Reply(200, b"%PDF-1.7", {"Content-Type": "application/pdf"}), "not an HTML page"),
    ],
)
def test_a_bad_answer_keeps_the_previous_copy(tmp_path: Path, reply: Reply, why: str) -> None:
    script = Script({"/a": [Reply(body=ARTICLE), reply]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        _fetch(raw)
        [result] = _fetch(raw)
    assert result.status == "kept" and why in result.reason
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


def test_server_errors_and_no_connection_are_transient(tmp_path: Path) -> None:
    script = Script({"/a": [Reply(503, b"busy")]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        with pytest.raises(sources.TransientFetchError, match="503"):
            _fetch(raw)
    # The server is gone now: no connection is transient too, and nothing was written.
    with pytest.raises(sources.TransientFetchError, match="ConnectError"):
        _fetch(raw)
    assert not (raw / "kronstadt.html").exists()


def test_only_sidecars_without_a_hand_made_copy_are_fetched(tmp_path: Path) -> None:
    raw = _raw(tmp_path, "http://127.0.0.1:9/x")
    (raw / "mine.txt").write_text("My own copy.\n")
    (raw / "mine.yaml").write_text("source_url: http://127.0.0.1:9/mine\n")
    (raw / "nourl.yaml").write_text("title: No address\n")
    (raw / "saved.html").write_text("<p>Saved from the browser.</p>")
    (raw / "saved.yaml").write_text("source_url: http://127.0.0.1:9/saved\n")
    (raw / "older.htm").write_text("<p>Saved long ago, as .htm.</p>")  # any page the reader reads
    (raw / "older.yaml").write_text("source_url: http://127.0.0.1:9/older\n")
    assert [s.stem for s in sources.sources(raw)] == ["kronstadt"]
    (raw / "bad.yaml").write_text("source_url: file:///etc/passwd\n")
    with pytest.raises(PamphleteerError, match="bad.yaml: source_url must be an http"):
        sources.sources(raw)


def test_rate_limit_spaces_requests_to_one_host() -> None:
    limit = sources.RateLimit(0.2)
    start = time.monotonic()
    for _ in range(3):
        limit.wait("http://127.0.0.1:1/a")
    limit.wait("http://127.0.0.1:2/b")  # another host (and port) does not wait
    assert time.monotonic() - start >= 0.4
