"""Refreshing sources against a local HTTP server on 127.0.0.1 (offline; no Prefect but in the
one test of the command), including servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

from flows.fetch import pages as sources
from flows.limits import Limits

from ..localhttp import Reply, Script, serving

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


#: Small limits, so that a test of each one takes a moment.
SMALL = Limits(fetch_body_mb=1, fetch_seconds=1, fetch_redirects=3)


def _fetch(raw: Path, limits: Limits = SMALL) -> list[sources.FetchResult]:
    async def run() -> list[sources.FetchResult]:
        async with sources.client(limits) as client:
            pages = sources.sources(raw).pages
            return [await sources.fetch_one(client, page, limits) for page in pages]

    return asyncio.run(run())


@contextmanager
def _saved_then(tmp_path: Path, reply: Reply) -> Iterator[tuple[Path, Script, str]]:
    """A raw/ whose page was fetched once (ARTICLE), served on: its next answer is ``reply``."""
    script = Script({"/a": [Reply(body=ARTICLE)]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        assert [r.status for r in _fetch(raw)] == ["updated"]
        script.routes["/a"] = [reply]
        yield raw, script, base


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
    found = sources.sources(raw)
    assert [s.stem for s in found.pages] == ["kronstadt"] and not found.failed


def test_rate_limit_spaces_requests_to_one_host() -> None:
    limit = sources.RateLimit(0.2)
    waits = [limit.reserve("http://127.0.0.1:1/a") for _ in range(3)]
    assert waits[0] == 0 and waits[1] > 0.1 and waits[2] > 0.3
    assert limit.reserve("http://127.0.0.1:2/b") == 0  # another host (and port) does not wait


# Hostile input and faults (issue 19). Each limit is tested small; bench/fetch_memory.py
# measures the real ones.


@cache
def _gzip_bomb(size: int) -> bytes:
    """A page of ``size`` bytes once inflated, a few hundred times smaller gzipped."""
    return gzip.compress(b"<html><body><p>" + b"a" * size, compresslevel=1)


@pytest.mark.parametrize("declared", [False, True])
def test_a_body_past_the_limit_is_refused_as_it_streams(tmp_path: Path, declared: bool) -> None:
    size = 128 * 1024 * 1024
    headers = {"Content-Type": "text/html"} | ({"Content-Length": str(size)} if declared else {})
    reply = Reply(body=b"<html>", headers=headers, stream=size)
    with _saved_then(tmp_path, reply) as (raw, script, _):
        [result] = _fetch(raw)
    assert result.status == "kept"
    assert result.reason == "the page is bigger than 1 MB (fetch_body_mb)"
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE
    # The rest was never read: what was sent is the limit plus what the sockets buffer.
    assert script.sent["/a"] - len(ARTICLE) < size // 4


def test_a_gzip_bomb_is_counted_inflated(tmp_path: Path) -> None:
    bomb = _gzip_bomb(64 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # smaller than the limit on the wire
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    with _saved_then(tmp_path, Reply(body=bomb, headers=headers)) as (raw, _, _):
        tracemalloc.start()
        try:
            [result] = _fetch(raw)
            held = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # Never much more than the limit in memory, however well the body compresses: one read
    # of the network (64 KiB of this bomb) would inflate to 64 MB at once.
    assert held < 8 * 1024 * 1024
    assert result.status == "kept"
    assert result.reason == "the page is bigger than 1 MB (fetch_body_mb)"
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


def test_only_one_gzip_or_deflate_layer_is_unpacked(tmp_path: Path) -> None:
    # Each layer multiplies what one read of the network inflates to: two are a bomb's bomb.
    twice = gzip.compress(gzip.compress(NEWER))
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}
    with _saved_then(tmp_path, Reply(body=twice, headers=headers)) as (raw, _, _):
        [result] = _fetch(raw)
    assert result.status == "kept"
    assert result.reason == "an encoding that was not asked for: gzip, gzip"
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


def _raw_deflate(data: bytes) -> bytes:
    pack = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return pack.compress(data) + pack.flush()


@pytest.mark.parametrize(
    "encoding, pack",
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", _raw_deflate)],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_a_compressed_page_is_read(
    tmp_path: Path, encoding: str, pack: Callable[[bytes], bytes]
) -> None:
    headers = {"Content-Type": "text/html", "Content-Encoding": encoding}
    with _saved_then(tmp_path, Reply(body=pack(NEWER), headers=headers)) as (raw, script, _):
        assert [r.status for r in _fetch(raw)] == ["updated"]
    assert (raw / "kronstadt.html").read_bytes() == NEWER
    assert script.hits("/a")[-1]["accept-encoding"] == "gzip, deflate"


def test_a_damaged_compressed_page_keeps_the_copy(tmp_path: Path) -> None:
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    damaged = gzip.compress(NEWER)[:12] + b"not deflate at all" * 20
    with _saved_then(tmp_path, Reply(body=damaged, headers=headers)) as (raw, _, _):
        [result] = _fetch(raw)
    assert result.status == "kept" and result.reason.startswith("the body does not inflate: ")
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


@pytest.mark.parametrize(
    "reply",
    [Reply(body=NEWER, drip=0.05), Reply(silent=True)],
    ids=["drip-feeding", "silent"],
)
def test_a_slow_server_ends_at_the_deadline_and_may_be_retried(
    tmp_path: Path, reply: Reply
) -> None:
    with (
        _saved_then(tmp_path, reply) as (raw, _, _),
        pytest.raises(sources.TransientFetchError) as failure,
    ):
        _fetch(raw)
    assert str(failure.value) == "no complete answer within 1 s (fetch_seconds)"
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


def test_redirects_are_followed_up_to_the_limit(tmp_path: Path) -> None:
    hop = {f"/r{i}": [Reply(301, headers={"Location": f"/r{i + 1}"})] for i in range(3)}
    hop["/r3"] = [Reply(302, headers={"Location": "/a"})]
    script = Script(hop | {"/a": [Reply(body=ARTICLE)]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/r1")
        assert [r.status for r in _fetch(raw)] == ["updated"]  # three redirects: the limit
        (raw / "kronstadt.yaml").write_text(f"source_url: {base}/r0\n")
        [result] = _fetch(raw)
    assert (result.status, result.reason) == ("kept", "more than 3 redirects (fetch_redirects)")


def test_a_redirect_loop_is_one_line(tmp_path: Path) -> None:
    script = Script({"/a": [Reply(302, headers={"Location": "/b"})],
                     "/b": [Reply(302, headers={"Location": "/a"})]})  # fmt: skip
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        [result] = _fetch(raw)
    assert result.status == "kept"
    assert result.reason == f"the redirects loop: {base}/a -> {base}/b -> {base}/a"
    assert len(script.requests) == 1 + SMALL.fetch_redirects  # followed to the end, once


@pytest.mark.parametrize(
    "location, refused",
    [("file:///etc/passwd", "not an http(s) address"),
     ("ftp://127.0.0.1/a", "not an http(s) address"),
     ("http://127.0.0.1:{other}/a", "another origin on a port that is not its scheme's default"),
     ("https://127.0.0.1:{port}/a", "another origin on a port that is not its scheme's default")],
)  # fmt: skip
def test_a_redirect_elsewhere_is_refused_for_good(
    tmp_path: Path, location: str, refused: str
) -> None:
    elsewhere = Script({"/a": [Reply(body=NEWER)]})  # another server on the same host
    with _saved_then(tmp_path, Reply(302)) as (raw, script, base), serving(elsewhere) as other:
        target = location.format(port=base.rsplit(":", 1)[1], other=other.rsplit(":", 1)[1])
        script.routes["/a"] = [Reply(302, headers={"Location": target})]
        [result] = _fetch(raw)  # no TransientFetchError: trying again would not help
    assert (result.status, result.reason) == ("kept", f"refused a redirect to {target}: {refused}")
    assert not elsewhere.requests
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


@pytest.mark.parametrize(
    "start, target, allowed",
    [("http://a.example/x", "https://a.example/x", True),  # to HTTPS on its own port
     ("http://a.example:8080/x", "http://a.example:8080/y", True),  # the same origin
     ("https://a.example/x", "https://b.example/y", True),  # another host, default port
     ("http://a.example/x", "http://a.example:80/y", True),  # the default port, spelled out
     ("http://a.example:8080/x", "http://a.example:8081/x", False),
     ("http://a.example/x", "http://a.example:22/x", False),
     ("http://a.example:8443/x", "https://a.example:8443/x", False),
     ("https://a.example/x", "ftp://a.example/x", False)],
)  # fmt: skip
def test_which_redirects_are_followed(start: str, target: str, allowed: bool) -> None:
    assert (sources.redirect_refusal(start, target) is None) is allowed


def test_random_bytes_without_a_content_type_keep_the_copy(tmp_path: Path) -> None:
    noise = random.Random(19).randbytes(4096)
    with _saved_then(tmp_path, Reply(body=noise, headers={})) as (raw, _, _):
        [result] = _fetch(raw)
    assert (result.status, result.reason) == (
        "kept", "not an HTML page (no content type, and the bytes are not HTML)",
    )  # fmt: skip
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE


@pytest.mark.parametrize("kind", [None, "application/octet-stream"])
def test_html_without_its_content_type_is_sniffed(tmp_path: Path, kind: str | None) -> None:
    headers = {"Content-Type": kind} if kind else {}
    page = b"\n  <!DOCTYPE html>" + NEWER
    with _saved_then(tmp_path, Reply(body=page, headers=headers)) as (raw, _, _):
        assert [r.status for r in _fetch(raw)] == ["updated"]


def test_a_304_without_a_copy_fetches_once_more_unconditionally(tmp_path: Path) -> None:
    script = Script({"/a": [Reply(304), Reply(body=ARTICLE)], "/b": [Reply(304)]})
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/a")
        _raw(tmp_path, f"{base}/b", stem="never")
        results = _fetch(raw)
    assert [(r.stem, r.status) for r in results] == [("kronstadt", "updated"), ("never", "kept")]
    assert results[1].reason == "the server answered 304 (not modified), and there is no copy"
    assert (raw / "kronstadt.html").read_bytes() == ARTICLE
    assert len(script.hits("/a")) == 2 and len(script.hits("/b")) == 2  # once more, not more
    assert not any("if-none-match" in h or "if-modified-since" in h for _, h in script.requests)


def test_a_bad_sidecar_fails_alone(tmp_path: Path) -> None:
    raw = _raw(tmp_path, "http://127.0.0.1:9/a")
    (raw / "broken.yaml").write_text("title: [unclosed\nsource_url: http://127.0.0.1:9/b\n")
    (raw / "local.yaml").write_text("source_url: file:///etc/passwd\n")
    (raw / "ftp.yaml").write_text("source_url: ftp://example.org/a.html\n")
    (raw / "nohost.yaml").write_text("source_url: 'http:///a.html'\n")
    (raw / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")  # a link out of raw/: not read
    found = sources.sources(raw)
    assert [p.stem for p in found.pages] == ["kronstadt"]
    failed = {r.stem: r for r in found.failed}
    assert sorted(failed) == ["broken", "ftp", "gone", "local", "nohost"]
    for stem, result in failed.items():
        assert result.status == "failed"
        assert result.reason.startswith(f"{stem}.yaml: ") and "\n" not in result.reason
    assert "not valid YAML (line 2" in failed["broken"].reason
    assert failed["local"].reason == (
        "local.yaml: source_url must be an http(s) address: file:///etc/passwd"
    )
    assert failed["gone"].reason == "gone.yaml: a link to a file outside raw/: not read"


@pytest.mark.slow
def test_fetch_reports_every_source_in_one_line_each(tmp_path: Path) -> None:
    """`pamphleteer fetch` as a user runs it: limits from pamphleteer.yaml beside raw/; a loop,
    bad sidecars and good pages each get their line; a 503 and a silent server are tried again."""
    script = Script({
        "/good": [Reply(body=ARTICLE)],
        "/loop": [Reply(302, headers={"Location": "/loop"})],
        "/far": [Reply(302, headers={"Location": "/far1"})],
        "/far1": [Reply(302, headers={"Location": "/far2"})],
        "/far2": [Reply(302, headers={"Location": "/good"})],
        "/busy": [Reply(503), Reply(body=ARTICLE)],
        "/silent": [Reply(silent=True), Reply(body=NEWER)],
    })  # fmt: skip
    (tmp_path / "pamphleteer.yaml").write_text("limits: {fetch_redirects: 2, fetch_seconds: 2}\n")
    with serving(script) as base:
        raw = _raw(tmp_path, f"{base}/loop", stem="a-loop")
        _raw(tmp_path, f"{base}/good", stem="b-good")
        _raw(tmp_path, f"{base}/far", stem="c-far")
        (raw / "d-broken.yaml").write_text("source_url: [\n")
        (raw / "e-local.yaml").write_text("source_url: file:///etc/passwd\n")
        _raw(tmp_path, f"{base}/busy", stem="f-busy")  # tried again after 2 s
        _raw(tmp_path, f"{base}/silent", stem="g-silent")  # again, with a deadline of its own
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli", "fetch", "--raw", str(raw), "--interval", "0"],
            capture_output=True, text=True, timeout=400, cwd=tmp_path,
            env=os.environ | {"PREFECT_LOGGING_LEVEL": "WARNING"},
        )  # fmt: skip
    lines = done.stderr.splitlines()
    assert done.returncode == 1, done.stderr
    assert lines == [
        f"kept         a-loop <- {base}/loop: the redirects loop: {base}/loop -> {base}/loop",
        f"updated      b-good <- {base}/good",
        f"kept         c-far <- {base}/far: more than 2 redirects (fetch_redirects)",
        "failed       d-broken.yaml: not valid YAML (line 2, column 1): expected the node "
        "content, but found '<stream end>'",
        "failed       e-local.yaml: source_url must be an http(s) address: file:///etc/passwd",
        f"updated      f-busy <- {base}/busy",
        f"updated      g-silent <- {base}/silent",
        "7 source(s), 4 not refreshed",
    ], done.stderr
    assert (raw / "b-good.html").read_bytes() == (raw / "f-busy.html").read_bytes() == ARTICLE
    assert (raw / "g-silent.html").read_bytes() == NEWER
    assert len(script.hits("/busy")) == len(script.hits("/silent")) == 2
