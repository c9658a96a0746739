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
from lxml import etree

from flows.assemble.edition import assemble, identifier
from flows.build.pipeline import prepare
from flows.render import formats as render
from flows.render.cover import cover_png
from flows.render.epub import read_members
from flows.settings import Settings
from flows.validate.validators import epubcheck

from ..conftest import ROOT, java_missing
from ..epubxml import EPUB_TYPE, one, parse, text_of, xpath

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


def _xml(members: dict[str, bytes], name: str) -> etree._Element:
    return parse(members[name])


def _ids(members: dict[str, bytes]) -> dict[str, set[str]]:
    return {
        name: set(xpath(_xml(members, name), "//@id"))
        for name in members
        if name.endswith(".xhtml")
    }


def _internal_links(members: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(file, target file, fragment) for every relative link in every XHTML file."""
    links = []
    for name in members:
        if not name.endswith(".xhtml"):
            continue
        for href in xpath(_xml(members, name), "//x:a/@href"):
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
        root = _xml(members, name)
        for ref in xpath(root, "//x:a[@epub:type='noteref']"):
            refs += 1
            assert ref.get("role") == "doc-noteref" and len(ref) == 0, etree.tostring(ref)
            note_file, _, note_id = ref.get("href").partition("#")
            assert note_file == "", "the note is in the marker's own file"
            note = one(root, f"//*[@id='{note_id}']")
            assert etree.QName(note).localname == "aside" and note.get(EPUB_TYPE) == "footnote"
            assert note.get("role") == "doc-footnote"
            back = xpath(note, ".//x:a")[0]
            assert back.get("role") == "doc-backlink" and back.get("href") == f"#{ref.get('id')}"
            assert text_of(back) == text_of(ref)  # the note starts with its number
            assert text_of(note).strip().startswith(f"{text_of(ref)}. ")
    assert refs == {"seed_epub": 13, "anthology_epub": 4}[which]


def test_anthology_is_split_per_article(anthology_epub: bytes) -> None:
    members = read_members(anthology_epub)
    chapters = sorted(n for n in members if re.search(r"/ch\d+\.xhtml$", n))
    assert len(chapters) == 2
    texts = [text_of(_xml(members, c), " ") for c in chapters]
    assert "The First Article" in texts[0] and "The Second Article" not in texts[0]
    assert "A Section" in texts[1] and "last note" in texts[1]
    nav = _xml(members, "EPUB/nav.xhtml")
    toc = [text_of(a) for a in xpath(nav, "//x:nav[@epub:type='toc']//x:a")]
    assert toc == ["The First Article", "The Second Article", "A Section"]


def test_metadata_cover_and_landmarks(anthology_epub: bytes) -> None:
    members = read_members(anthology_epub)
    opf = _xml(members, "EPUB/content.opf")
    md = one(opf, "/opf:package/opf:metadata")

    def dc(name: str) -> list[str]:
        return [text_of(e) for e in xpath(md, f"dc:{name}")]

    assert dc("title") == ["Two Articles"]
    assert dc("creator") == ["Jane Doe", "John Roe"]
    assert dc("publisher") == ["The Workers' Review"]
    assert dc("date") == ["2021-03-18"]
    assert dc("language") == ["en"]
    assert dc("identifier") == ["urn:uuid:00000000-0000-4000-8000-000000000001"]
    assert dc("description") == ["Two short articles."]
    assert dc("source") == ["https://example.org/2021/03/18/two/?a=1&b=2"]
    props: dict[str, list[str]] = {}
    for m in xpath(md, "opf:meta[@property]"):
        props.setdefault(m.get("property"), []).append(text_of(m))
    assert props["schema:accessMode"] == ["textual", "visual"]
    assert props["schema:accessModeSufficient"] == ["textual"]
    assert props["schema:accessibilityHazard"] == ["none"]
    assert "structuralNavigation" in props["schema:accessibilityFeature"]
    assert props["schema:accessibilitySummary"][0]
    # the book passed the build's audit, so it claims conformance and says who checked
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert props["a11y:certifiedBy"][0].startswith("pamphleteer ")

    cover_item = one(opf, "//opf:manifest/opf:item[@properties='cover-image']")
    assert one(md, "opf:meta[@name='cover']").get("content") == cover_item.get("id")
    png = members["EPUB/" + cover_item.get("href")]
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) >= (1400, 2100)
    hrefs = {i.get("id"): i.get("href") for i in xpath(opf, "//opf:manifest/opf:item")}
    spine = [hrefs[idref] for idref in xpath(opf, "//opf:spine/opf:itemref/@idref")]
    assert spine[0] == "text/cover.xhtml"
    cover_img = one(_xml(members, "EPUB/text/cover.xhtml"), "//x:img")
    assert cover_img.get("alt") == "Cover: Two Articles, by Jane Doe, John Roe"

    nav = _xml(members, "EPUB/nav.xhtml")
    kinds = {
        a.get(EPUB_TYPE): a.get("href") for a in xpath(nav, "//x:nav[@epub:type='landmarks']//x:a")
    }
    assert kinds["cover"] == "text/cover.xhtml"
    assert kinds["toc"] == "nav.xhtml#toc"
    assert kinds["bodymatter"] == "text/ch001.xhtml"
    # calibre (Kindle, Kobo) reads a short book's contents from the links after the guide's
    # toc: the hidden landmarks come first, the guide points at the list itself, and no guide
    # entry makes calibre drop the cover page
    navs = [n.get(EPUB_TYPE) for n in xpath(nav, "//x:nav")]
    assert navs == ["landmarks", "toc"]
    guide = {r.get("type"): r.get("href") for r in xpath(opf, "//opf:guide/opf:reference")}
    assert guide == {"toc": "nav.xhtml#toc"}
    # the NCX (Kobo) lists the nav's contents, no more
    ncx = _xml(members, "EPUB/toc.ncx")
    ncx_ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    labels = [t.text for t in ncx.iterfind(".//n:navPoint/n:navLabel/n:text", ncx_ns)]
    toc = [text_of(a) for a in xpath(nav, "//x:nav[@epub:type='toc']//x:a")]
    assert labels == toc == ["The First Article", "The Second Article", "A Section"]


def test_identifier_is_stable_and_zip_is_reproducible(seed_epub: bytes) -> None:
    doc = prepare(SEED)
    settings = Settings()
    again = render.epub(
        assemble(doc, settings), settings, doc.meta, cover_png(doc.meta, settings)
    ).data
    assert again == seed_epub
    opf = _xml(read_members(seed_epub), "EPUB/content.opf")
    assert xpath(opf, "//dc:identifier/text()") == [identifier(doc)]
    with zipfile.ZipFile(BytesIO(seed_epub)) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED


@pytest.mark.slow  # Java
def test_anthology_passes_epubcheck(anthology_epub: bytes, tmp_path: Path) -> None:
    if reason := java_missing():
        pytest.skip(reason)
    path = tmp_path / "anthology.epub"
    path.write_bytes(anthology_epub)
    result = epubcheck(path)
    assert (result.errors, result.warnings, [str(m) for m in result.messages]) == (0, 0, [])


def test_modified_date_is_the_build_date(seed_epub: bytes) -> None:
    opf = _xml(read_members(seed_epub), "EPUB/content.opf")
    modified = text_of(one(opf, "//opf:meta[@property='dcterms:modified']"))
    assert modified == f"{Settings().build_date:%Y-%m-%d}T00:00:00Z"
    assert not modified.startswith("1970")
