"""build/index.html from a build's results, and what the validators say where Java is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from flows.build.pipeline import DocumentResult
from flows.model import Report
from flows.report.index import entries_from_results, render_index
from flows.settings import Settings
from flows.validate import validators as check


def _result(slug: str, title: str, authors: tuple[str, ...] = (), date: str = "") -> DocumentResult:
    return DocumentResult(
        Path(f"{slug}.txt"), slug, title, {}, Report(), {}, authors=authors, date=date
    )


def _touch(out: Path, slug: str, *names: str) -> None:
    (out / slug).mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / slug / name).write_bytes(b"x")


def test_links_only_to_files_that_exist_and_the_booklet_when_made(tmp_path: Path) -> None:
    _touch(tmp_path, "kronstadt", "kronstadt.html", "kronstadt.epub", "kronstadt.pdf",
           "kronstadt-booklet.pdf")  # fmt: skip
    _touch(tmp_path, "commune", "commune.html", "commune.epub")
    results = [
        _result("kronstadt", "Kronstadt, 1921", ("Jane Doe", "John Roe"), "18 March 2021"),
        _result("commune", "The Commune"),
    ]
    entries = entries_from_results(results, tmp_path)
    assert [e.title for e in entries] == ["Kronstadt, 1921", "The Commune"]
    assert dict(entries[0].links) == {
        "Read online": "kronstadt/kronstadt.html",
        "EPUB": "kronstadt/kronstadt.epub",
        "PDF": "kronstadt/kronstadt.pdf",
        "Booklet PDF": "kronstadt/kronstadt-booklet.pdf",
    }
    assert dict(entries[1].links) == {"Read online": "commune/commune.html",
                                      "EPUB": "commune/commune.epub"}  # fmt: skip

    soup = BeautifulSoup(render_index(entries, Settings()), "lxml")
    first = soup.select("li.edition")[0]
    assert first.h2.a["href"] == "kronstadt/kronstadt.html"
    assert first.select_one(".byline").get_text() == "Jane Doe · John Roe, 18 March 2021"
    assert [a.get_text() for a in first.select(".formats a")] == [
        "Read online", "EPUB", "PDF", "Booklet PDF",
    ]  # fmt: skip
    assert soup.select_one("header .publication").get_text().startswith("2 editions")


def test_titles_and_names_are_text_not_markup(tmp_path: Path) -> None:
    _touch(tmp_path, "x", "x.html")
    evil = '<script>alert("x")</script> & <b>bold</b>'
    entries = entries_from_results([_result("x", evil, (evil,), evil)], tmp_path)
    page = render_index(entries, Settings())
    soup = BeautifulSoup(page, "lxml")
    assert soup.find("script") is None and soup.find("b") is None
    assert soup.select_one("li.edition h2").get_text() == evil


def test_validators_say_skipped_not_passed_without_java(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(check.shutil, "which", lambda name: None)
    result = check.epubcheck(tmp_path / "any.epub")
    assert result.skipped == "Java is not installed" and not result.passed
    assert result.summary() == "epubcheck skipped: Java is not installed"
    (page,) = check.nu_html([tmp_path / "any.html"]).values()
    assert page.skipped and not page.passed


def test_the_built_index_links_the_build_report(built: Path) -> None:
    soup = BeautifulSoup((built / "index.html").read_text(), "lxml")
    links = {a.get_text(): a["href"] for a in soup.select("footer a")}
    assert list(links) == ["OPDS catalogue", "Atom feed", "Build report"]
    assert all((built / href).is_file() for href in links.values())
