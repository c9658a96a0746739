"""`pamphleteer add URL…` as a user runs it, against pages served on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
import yaml

from flows.cli.main import main
from flows.fetch import pages
from flows.report import publish
from tests.fetch.sites import Post, page
from tests.localhttp import Reply, Script, serving

POST = Post("kronstadt", "Kronstadt, 1921", "Jane Doe", dt.date(2021, 3, 18))


def add(raw: Path, *urls: str) -> int:
    return main(["add", "--raw", str(raw), "--interval", "0", *urls])


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    return folder


def test_add_saves_the_page_and_a_sidecar_to_review(
    raw: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script({"/2021/kronstadt/": [Reply(body=page(POST), etag='"v1"')]})
    with serving(script) as base:
        assert add(raw, f"{base}/2021/kronstadt/") == 0
        # The same page again, its address written differently: it is there already.
        assert add(raw, f"{base}/2021/kronstadt") == 1
        again = pages.sources(raw).pages
    err = capsys.readouterr().err
    assert (
        f'added    kronstadt-1921.html <- {base}/2021/kronstadt/: title "Kronstadt, 1921"; '
        "author Jane Doe; date 2021-03-18 (check kronstadt-1921.yaml)"
    ) in err
    assert f"refused  {base}/2021/kronstadt: already in raw/ as kronstadt-1921.yaml" in err
    assert (raw / "kronstadt-1921.html").read_bytes() == page(POST)
    side = yaml.safe_load((raw / "kronstadt-1921.yaml").read_text())
    assert side == {
        "title": "Kronstadt, 1921",
        "author": "Jane Doe",
        "date": "2021-03-18",
        "source_url": f"{base}/2021/kronstadt/",
    }
    # Later fetches refresh it with a conditional GET.
    (source,) = again
    assert pages.conditional_headers(source)["If-None-Match"] == '"v1"'


def test_add_refuses_a_page_whose_canonical_address_is_known(
    raw: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = Script()
    with serving(script) as base:
        body = page(POST).replace(
            b"</head>", f"<link rel='canonical' href='{base}/k/'></head>".encode()
        )
        script.routes["/k/?utm_source=x"] = [Reply(body=body)]
        (raw / "mine.yaml").write_text(f"source_url: {base}/k/\n")
        assert add(raw, f"{base}/k/?utm_source=x") == 1
    assert "already in raw/ as mine.yaml (its canonical address" in capsys.readouterr().err
    assert sorted(p.name for p in raw.iterdir()) == ["mine.yaml"]


def test_add_says_why_a_page_was_not_added(raw: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = Script({"/feed": [Reply(body=b"{}", headers={"Content-Type": "application/json"})]})
    with serving(script) as base:
        assert add(raw, f"{base}/gone", f"{base}/feed", "ftp://example.org/x") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"failed   {base}/gone: the server answered 404",
        f"failed   {base}/feed: not an HTML page (application/json)",
        "failed   ftp://example.org/x: the address must be an http(s) address: ftp://example.org/x",
        "0 of 3 page(s) added to " + str(raw),
    ]
    assert list(raw.iterdir()) == []


def test_serve_http_serves_build_but_not_its_records(tmp_path: Path) -> None:
    out = tmp_path / "build"
    (out / ".cache").mkdir(parents=True)
    (out / ".cache" / "secret.json").write_text("{}")
    (out / "opds.xml").write_text("<feed/>")
    (out / "a").mkdir()
    server = publish.start(out, "127.0.0.1", 0)
    try:
        url = publish.url_of(server)
        got = httpx.get(f"{url}opds.xml")
        assert got.status_code == 200
        assert got.headers["content-type"] == "application/atom+xml;profile=opds-catalog"
        assert httpx.get(f"{url}.cache/secret.json").status_code == 404
        assert httpx.get(f"{url}a/").status_code == 404  # no listing of folders
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("bad", ["8000", "localhost", "host:99999", "[::1]"])
def test_serve_http_address_must_be_host_and_port(bad: str) -> None:
    from flows.model import PamphleteerError

    with pytest.raises(PamphleteerError, match="expected HOST:PORT"):
        publish.parse_address(bad)
