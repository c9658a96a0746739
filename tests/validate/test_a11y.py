"""The build's accessibility audit, the heading outline every format gets, and the small things a
reader of an anthology or a Kindle shop sees: notes styled, the colophon's spaces, the publisher."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.assemble.anthology import assemble_anthology
from flows.assemble.edition import human_date
from flows.model import Document, PamphleteerError
from flows.read.editions import Edition
from flows.render import formats as render
from flows.render.epub import CONFORMS_TO, read_members
from flows.settings import Press, Settings
from flows.validate.a11y import audit_page

from ..epubxml import parse, text_of, xpath

PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" {lang}><head><title>T</title></head>
<body>{body}</body></html>"""


def _page(body: str, lang: str = 'lang="en"') -> bytes:
    return PAGE.format(lang=lang, body=body).encode()


def test_a_clean_page_has_nothing_to_report() -> None:
    body = (
        '<h1>T</h1><p>x <a href="#n">1</a></p><h2>A</h2><h3>B</h3><h2>C</h2><img src="a" alt=""/>'
    )
    assert audit_page("ch.xhtml", _page(body)) == []


@pytest.mark.parametrize(
    ("body", "lang", "problem"),
    [
        ("<h1>T</h1><h3>Lone</h3>", 'lang="en"', "h3 'Lone' follows an h1"),
        ("<h1>T</h1><h2> </h2>", 'lang="en"', "an empty h2"),
        ('<p><a href="#x"> </a></p>', 'lang="en"', "a link without text (#x)"),
        ('<p><img src="fig.png"/></p>', 'lang="en"', "an image without alt text (fig.png)"),
        ("<p>x</p>", "", "no language (lang) on <html>"),
    ],
)
def test_what_keeps_a_page_from_passing_ace_is_named(body: str, lang: str, problem: str) -> None:
    assert audit_page("text/ch001.xhtml", _page(body, lang)) == [f"text/ch001.xhtml: {problem}"]


SOURCE = """---
title: A Text
lang: en
---

An opening paragraph, long enough to be one.

### A heading the page set as h3

Text.

##### Then an h5

More.

## Back to two

#### And a four
"""


def test_headings_skip_no_level_in_any_format() -> None:
    html = render.html(SOURCE, Settings()).data.decode()
    assert re.findall(r"<h(\d)", html) == ["1", "2", "3", "2", "3"]
    typ = render.typst_source(SOURCE, Settings()).data.decode()
    assert re.findall(r"^(=+) ", typ, re.M) == ["==", "===", "==", "==="]
    epub = render.epub(SOURCE, Settings(), {"title": "A Text"}, b"")
    members = read_members(epub.data)
    chapter = parse(members["EPUB/text/ch001.xhtml"])
    levels = [e.tag[-1] for e in xpath(chapter, "//x:h1|//x:h2|//x:h3|//x:h4|//x:h5")]
    assert levels == ["1", "2", "3", "2", "3"]
    assert epub.warnings == ()  # the audit passed: the claim is made
    opf = parse(members["EPUB/content.opf"])
    claims = [text_of(m) for m in xpath(opf, "//opf:meta[@property='dcterms:conformsTo']")]
    assert claims == [CONFORMS_TO]


def test_a_text_without_publisher_is_published_by_the_press() -> None:
    press = Settings(press=Press(publisher_name="Pamphleteer Editions"))
    opf = parse(read_members(render.epub(SOURCE, press, {}, b"").data)["EPUB/content.opf"])
    assert [text_of(p) for p in xpath(opf, "//dc:publisher")] == ["Pamphleteer Editions"]
    assert xpath(opf, "//dc:creator") == []  # no author: none is made up ("Unknown")
    own = SOURCE.replace("lang: en", "lang: en\npublisher: The Review")
    meta = {"publisher": "The Review"}
    opf = parse(read_members(render.epub(own, press, meta, b"").data)["EPUB/content.opf"])
    assert [text_of(p) for p in xpath(opf, "//dc:publisher")] == ["The Review"]


def _anthology(settings: Settings) -> str:
    docs = [
        Document(Path(f"{n}.txt"), n, body="Text.", meta={"title": f"Text {n}", "date": date,
                 "publication": "The Review", "source_url": f"https://example.org/{n}"})
        for n, date in (("a", "2021-03-18"), ("b", "2017"))
    ]  # fmt: skip
    edition = Edition("both", {"title": "Both"}, (Path("a.txt"), Path("b.txt")), "", "e: both")
    return assemble_anthology(edition, docs, settings)


def test_anthology_colophon_keeps_its_spaces_and_a_year_stays_a_year() -> None:
    source = _anthology(Settings())
    assert "18 March 2021.\nSource: <https://example.org/a>" in source
    assert "First published in The Review, 2017.\nSource:" in source
    assert human_date("2017") == "2017" and human_date("2017-01") == "January 2017"
    html = render.html(source, Settings(), contents=True).data.decode()
    assert "2021. Source:" in " ".join(html.split())


def test_what_breaks_pdf_ua_costs_the_claim_not_the_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    compile_pdf = render.typst_compile

    def refuse_ua(*args: object, standards: tuple[str, ...] = (), **kw: object) -> object:
        if standards:
            raise PamphleteerError("typst could not compile main.typ: PDF/UA-1 error: missing alt")
        return compile_pdf(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "typst_compile", refuse_ua)
    done = render.pdf(SOURCE, Settings(), {"title": "A Text"})
    assert done.data.startswith(b"%PDF") and b"pdfuaid" not in done.data
    assert [m.code for m in done.warnings] == ["a11y-002"]
    assert "missing alt" in done.warnings[0].text
