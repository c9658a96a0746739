"""The EPUB as readers get it: metadata, cover, landmarks, notes that link both ways.

Runs the real render stage (sandboxed Pandoc + the finishing steps) on the seeds and on a
two-article source shaped like an anthology, and follows every link inside the book.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from flows import render
from flows.assemble import assemble, identifier
from flows.check import epubcheck
from flows.cover import cover_png
from flows.epub import read_members
from flows.pipeline import prepare
from flows.settings import Settings

from .conftest import ROOT, java_missing

SEED = ROOT / "raw" / "004_1239671bb178580e.txt"

ANTHOLOGY = """---
title: Two Articles
author: [Jane Doe, John Roe]
publisher: The Workers' Review
date: 2021-03-18
lang: en
description: Two short articles.
source_url: https://example.org/2021/03/18/two/?a=1&b=2
identifier: urn:uuid:00000000-0000-4000-8000-000000000001
---

# The First Article

A first sentence with a note.[^1] And a second one.[^2]

[^1]: The first note of the first article, long enough.

[^2]: Ibid.

# The Second Article

Another article, another note.[^3]

## A Section

More text.[^4]

[^3]: The note of the second article, in its own file.

[^4]: A last note, also in the second file.
"""


@pytest.fixture(scope="module")
def seed_epub() -> bytes:
    doc = prepare(SEED)
    settings = Settings()
    return render.epub(
        assemble(doc, settings), settings, doc.meta, cover_png(doc.meta, settings)
    ).data


@pytest.fixture(scope="module")
def anthology_epub() -> bytes:
    meta = {"title": "Two Articles", "author": ["Jane Doe", "John Roe"], "lang": "en",
            "source_url": "https://example.org/2021/03/18/two/?a=1&b=2"}  # fmt: skip
    return render.epub(ANTHOLOGY, Settings(), meta, cover_png(meta, Settings())).data


def _xml(members: dict[str, bytes], name: str) -> BeautifulSoup:
    return BeautifulSoup(members[name], "xml")


def _ids(members: dict[str, bytes]) -> dict[str, set[str]]:
    return {
        name: {t["id"] for t in _xml(members, name).find_all(id=True)}
        for name in members
        if name.endswith(".xhtml")
    }


def _internal_links(members: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(file, target file, fragment) for every relative link in every XHTML file."""
    links = []
    for name in members:
        if not name.endswith(".xhtml"):
            continue
        for a in _xml(members, name).find_all("a", href=True):
            href = a["href"]
            if re.match(r"^[a-z]+:", href):
                continue
            path, _, fragment = href.partition("#")
            folder = posixpath.dirname(name)
            target = posixpath.normpath(posixpath.join(folder, path)) if path else name
            links.append((name, target, fragment))
    return links


@pytest.mark.parametrize("which", ["seed_epub", "anthology_epub"])
def test_every_link_inside_the_book_arrives(which: str, request: pytest.FixtureRequest) -> None:
    members = read_members(request.getfixturevalue(which))
    ids = _ids(members)
    links = _internal_links(members)
    assert links
    for source, target, fragment in links:
        assert target in members, (source, target)
        assert not fragment or fragment in ids[target], (source, target, fragment)


@pytest.mark.parametrize("which", ["seed_epub", "anthology_epub"])
def test_each_note_pops_up_and_links_back(which: str, request: pytest.FixtureRequest) -> None:
    """The chosen markup: a bare-number marker ``<a epub:type="noteref" role="doc-noteref">``
    (no <sup> inside: Apple Books ignores the pop-up then), the note an
    ``<aside epub:type="footnote" role="doc-footnote">`` at the end of the marker's own file, and
    its number first, linked back with ``role="doc-backlink"``."""
    members = read_members(request.getfixturevalue(which))
    refs = 0
    for name in (n for n in members if n.endswith(".xhtml")):
        soup = _xml(members, name)
        for ref in soup.find_all("a", attrs={"epub:type": "noteref"}):
            refs += 1
            assert ref.get("role") == "doc-noteref" and not ref.find(True), ref
            note_file, _, note_id = ref["href"].partition("#")
            assert note_file == "", "the note is in the marker's own file"
            note = soup.find(id=note_id)
            assert note.name == "aside" and note["epub:type"] == "footnote"
            assert note.get("role") == "doc-footnote"
            back = note.find("a")
            assert back["role"] == "doc-backlink" and back["href"] == f"#{ref['id']}"
            assert back.get_text() == ref.get_text()  # the note starts with its number
            assert note.get_text().strip().startswith(f"{ref.get_text()}. ")
    assert refs == {"seed_epub": 13, "anthology_epub": 4}[which]


def test_anthology_is_split_per_article(anthology_epub: bytes) -> None:
    members = read_members(anthology_epub)
    chapters = sorted(n for n in members if re.search(r"/ch\d+\.xhtml$", n))
    assert len(chapters) == 2
    texts = [_xml(members, c).get_text(" ") for c in chapters]
    assert "The First Article" in texts[0] and "The Second Article" not in texts[0]
    assert "A Section" in texts[1] and "last note" in texts[1]
    nav = _xml(members, "EPUB/nav.xhtml")
    toc = [a.get_text() for a in nav.find("nav", attrs={"epub:type": "toc"}).find_all("a")]
    assert toc == ["The First Article", "The Second Article", "A Section"]


def test_metadata_cover_and_landmarks(anthology_epub: bytes) -> None:
    members = read_members(anthology_epub)
    opf = _xml(members, "EPUB/content.opf")
    md = opf.find("metadata")
    assert md.find("title").get_text() == "Two Articles"
    assert [c.get_text() for c in md.find_all("creator")] == ["Jane Doe", "John Roe"]
    assert md.find("publisher").get_text() == "The Workers' Review"
    assert md.find("date").get_text() == "2021-03-18"
    assert md.find("language").get_text() == "en"
    assert md.find("identifier").get_text() == "urn:uuid:00000000-0000-4000-8000-000000000001"
    assert md.find("description").get_text() == "Two short articles."
    assert md.find("source").get_text() == "https://example.org/2021/03/18/two/?a=1&b=2"
    props = {m["property"]: [] for m in md.find_all("meta", property=True)}
    for m in md.find_all("meta", property=True):
        props[m["property"]].append(m.get_text())
    assert props["schema:accessMode"] == ["textual", "visual"]
    assert props["schema:accessModeSufficient"] == ["textual"]
    assert props["schema:accessibilityHazard"] == ["none"]
    assert "structuralNavigation" in props["schema:accessibilityFeature"]
    assert props["schema:accessibilitySummary"][0]
    assert "dcterms:conformsTo" not in props  # not claimed without an audit

    cover_item = opf.find("item", properties="cover-image")
    assert md.find("meta", attrs={"name": "cover"})["content"] == cover_item["id"]
    png = members["EPUB/" + cover_item["href"]]
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) >= (1400, 2100)
    spine = [opf.find("item", id=i["idref"])["href"] for i in opf.find("spine").find_all("itemref")]
    assert spine[0] == "text/cover.xhtml"
    cover_img = _xml(members, "EPUB/text/cover.xhtml").find("img")
    assert cover_img["alt"] == "Cover: Two Articles, by Jane Doe, John Roe"

    landmarks = _xml(members, "EPUB/nav.xhtml").find("nav", attrs={"epub:type": "landmarks"})
    kinds = {a["epub:type"]: a["href"] for a in landmarks.find_all("a")}
    assert kinds["cover"] == "text/cover.xhtml"
    assert kinds["toc"] == "nav.xhtml#toc"
    assert kinds["bodymatter"] == "text/ch001.xhtml"


def test_identifier_is_stable_and_zip_is_reproducible(seed_epub: bytes) -> None:
    doc = prepare(SEED)
    settings = Settings()
    again = render.epub(
        assemble(doc, settings), settings, doc.meta, cover_png(doc.meta, settings)
    ).data
    assert again == seed_epub
    opf = _xml(read_members(seed_epub), "EPUB/content.opf")
    assert opf.find("identifier").get_text() == identifier(doc)
    with zipfile.ZipFile(BytesIO(seed_epub)) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED


def test_anthology_passes_epubcheck(anthology_epub: bytes, tmp_path: Path) -> None:
    if reason := java_missing():
        pytest.skip(reason)
    path = tmp_path / "anthology.epub"
    path.write_bytes(anthology_epub)
    result = epubcheck(path)
    assert (result.errors, result.warnings, [str(m) for m in result.messages]) == (0, 0, [])


def test_modified_date_is_the_build_date(seed_epub: bytes) -> None:
    opf = _xml(read_members(seed_epub), "EPUB/content.opf")
    modified = opf.find("meta", property="dcterms:modified").get_text()
    assert modified == f"{Settings().build_date:%Y-%m-%d}T00:00:00Z"
    assert not modified.startswith("1970")
