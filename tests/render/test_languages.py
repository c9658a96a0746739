"""Any language, any script: the same short text (a quotation, two notes) editions in twelve
languages, as a user with a sidecar saying `language:` would build it. Every PDF has a glyph for
every character, every HTML and EPUB part says its language and direction, the quotation marks
are the language's, the editions' own words are in it, and EPUBCheck passes them all.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from flows.assemble.i18n import direction, human_date, words
from flows.build.pipeline import DocumentResult, build_document
from flows.render import booklet, fonts
from flows.settings import Settings
from flows.validate.validators import epubcheck, java_missing, nu_html

from ..epubxml import parse, xpath
from .languages import RTL, SAMPLES

LANGS = tuple(SAMPLES)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _build(raw: Path, out: Path, lang: str, settings: Settings) -> DocumentResult:
    sample = SAMPLES[lang]
    text = raw / f"commune-{lang}.txt"
    text.write_text(sample.text(), encoding="utf-8")
    sidecar = (
        f"language: {lang}\ntitle: {sample.title}\nauthor: Louise Michel\n"
        "date: 2021-03-18\npublication: Libcom.org\n"
    )
    text.with_suffix(".yaml").write_text(sidecar, encoding="utf-8")
    return build_document(text, out, settings)


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DocumentResult]:
    """Every sample, every format (EPUBCheck apart: the slow test runs it on these)."""
    base = tmp_path_factory.mktemp("languages")
    raw = base / "raw"
    raw.mkdir()
    settings = Settings(check=False)
    return {lang: _build(raw, base / "build", lang, settings) for lang in LANGS}


def _missing_fonts(lang: str) -> str | None:
    text = SAMPLES[lang].text()
    absent = [f for s in fonts.scripts(text) if not (f := fonts.SCRIPT_FONTS[s][0]).installed]
    if absent:
        return f"{absent[0].family} is not installed ({absent[0].package}: make system-deps)"
    return None


def _visible(text: str) -> set[str]:
    return {c for c in text if unicodedata.category(c)[0] in "LMNPS" and c not in "[]"}


# -- the PDF: every glyph ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_pdf_has_every_glyph(editions: dict[str, DocumentResult], lang: str) -> None:
    if reason := _missing_fonts(lang):
        pytest.skip(reason)
    result = editions[lang]
    codes = {m.code for m in result.report.messages}
    assert not codes & {"fnt-001", "fnt-002", "typ-001"}, result.report.messages
    pdf = result.outputs["pdf"].read_bytes()
    assert fonts.missing_glyphs(pdf, SAMPLES[lang].text()) == (False, [])
    reader = PdfReader(io.BytesIO(pdf))
    # Every font is embedded (a reader's machine has none of them) ...
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile2", "/FontFile3"} & set(descriptor), descendant["/BaseFont"]
    # ... and the text reads back: every character of the sample is in the PDF's text.
    extracted = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))
    sample = SAMPLES[lang]
    wanted = _visible(unicodedata.normalize("NFKC", sample.quoted + "".join(sample.notes)))
    assert wanted <= set(extracted), sorted(wanted - set(extracted))


def test_a_character_no_font_has_is_a_warning(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "signs.txt").write_text("Signs\n\nThe sign \U00013000 is older than writing.\n")
    result = build_document(raw / "signs.txt", tmp_path / "build", Settings(formats=("pdf",)))
    [warning] = [m for m in result.report.messages if m.code == "fnt-001"]
    assert "\U00013000 (U+13000)" in warning.text


def test_the_users_font_comes_first_then_the_scripts() -> None:
    chosen = fonts.choose("Hello, 日本語", "ja", "My Serif", fonts.DEFAULT_FONT)
    assert chosen.body[0] == "My Serif"
    assert chosen.body[1] == "Noto Serif CJK JP"
    assert chosen.headings[0] == "Noto Serif CJK JP"  # no heading font of the user's
    assert fonts.choose("漢字", "zh-Hant-TW", "x", "x").body[1] == "Noto Serif CJK TC"
    assert fonts.choose("Just Latin", "en", fonts.DEFAULT_FONT, fonts.DEFAULT_FONT).dirs == ()
    # Kanji and kana quoted in an English text are Japanese.
    assert fonts.choose("In 日本語 ひらがな", "en", "x", "x").body[1] == "Noto Serif CJK JP"


# -- words and dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ("2021-03-18", "en", "18 March 2021"),
        ("2021-03", "en", "March 2021"),
        ("2021-03-18", "de", "18. März 2021"),
        ("2021-03", "de-AT", "März 2021"),
        ("2021-03-18", "ja", "2021年3月18日"),
        ("2021-03-18", "xx-unknown", "18 March 2021"),
        ("Spring 1921", "de", "Spring 1921"),
        ("2021-02-30", "fr", "2021-02-30"),
    ],
)
def test_dates_in_the_texts_language(value: str, lang: str, expected: str) -> None:
    assert human_date(value, lang) == expected


def test_a_users_words_win_word_by_word(tmp_path: Path) -> None:
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "de.yaml").write_text('notes: "Fußnoten"\n', encoding="utf-8")
    settings = Settings().with_overrides(tmp_path)
    said = words(settings, "de-AT")
    assert said.notes == "Fußnoten"
    assert said.contents == "Inhalt"  # ours, for what the user's file leaves out
    assert words(settings, "tlh").notes == "Notes"  # a language without a table: English


# -- HTML and EPUB: language and direction -------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_html_says_its_language_and_direction(
    editions: dict[str, DocumentResult], lang: str
) -> None:
    page = BeautifulSoup(editions[lang].outputs["html"].read_text(encoding="utf-8"), "html.parser")
    root = page.find("html")
    assert root["lang"] == lang
    assert root.get("dir", "ltr") == ("rtl" if lang in RTL else "ltr")
    notes = page.find(id="notes")
    assert notes is not None and notes.get_text() == words(Settings(), lang).notes
    shown = page.find(class_="publication").get_text()
    assert shown == f"Libcom.org, {human_date('2021-03-18', lang)}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_epub_part_says_its_language_and_direction(
    editions: dict[str, DocumentResult], lang: str
) -> None:
    with zipfile.ZipFile(editions[lang].outputs["epub"]) as z:
        parts = {n: z.read(n) for n in z.namelist() if n.endswith(".xhtml")}
        opf = parse(z.read("EPUB/content.opf"))
    assert {"EPUB/nav.xhtml", "EPUB/text/cover.xhtml", "EPUB/text/title_page.xhtml"} <= set(parts)
    for name, data in parts.items():
        root = parse(data)
        assert root.get("lang") == lang and root.get(XML_LANG) == lang, name
        assert root.get("dir", "ltr") == direction(lang), name
    if lang in RTL:  # note markers are bidi isolates
        chapters = [parse(d) for n, d in parts.items() if "/ch" in n]
        refs = [a for c in chapters for a in xpath(c, "//x:a[@epub:type='noteref']")]
        assert len(refs) == 2 and all(a.get("dir") == "ltr" for a in refs)
    spine = xpath(opf, "//opf:spine")[0]
    expected = "rtl" if lang in RTL else None
    assert spine.get("page-progression-direction") == expected
    assert xpath(opf, "//dc:language/text()") == [lang]


@pytest.mark.parametrize("lang", LANGS)
def test_quotes_follow_the_languages_rules(editions: dict[str, DocumentResult], lang: str) -> None:
    sample = SAMPLES[lang]
    html = editions[lang].outputs["html"].read_text(encoding="utf-8")
    assert f"{sample.open}{sample.quoted}{sample.close}" in html
    assert '"' + sample.quoted not in html


@pytest.mark.parametrize("lang", ["ar", "he", "fa"])
def test_boilerplate_is_isolated_in_a_right_to_left_text(
    editions: dict[str, DocumentResult], lang: str
) -> None:
    page = BeautifulSoup(editions[lang].outputs["html"].read_text(encoding="utf-8"), "html.parser")
    colophon = page.find(class_="colophon")
    spans = {" ".join(s.get_text().split()): s["dir"] for s in colophon.find_all("span", dir=True)}
    assert spans["Libcom.org"] == "ltr"
    assert human_date("2021-03-18", lang) in spans


def test_no_pandoc_translation_warnings(editions: dict[str, DocumentResult]) -> None:
    messages = [m for r in editions.values() for m in r.report.messages if m.code == "pdc-001"]
    assert not messages


# -- the booklet of a right-to-left book ---------------------------------------------------------


def test_a_right_to_left_booklet_opens_on_the_right() -> None:
    ltr = booklet.placements(8, (100.0, 200.0), 0.0, 0.0)
    rtl = booklet.placements(8, (100.0, 200.0), 0.0, 0.0, rtl=True)
    # The outer sheet's front: the back cover on the left and the cover on the right (LTR);
    # mirrored for RTL: the cover on the left, where a right-to-left reader turns it.
    assert [(n, x) for n, x, _ in ltr[0]] == [(8, 0.0), (1, 100.0)]
    assert [(n, x) for n, x, _ in rtl[0]] == [(1, 0.0), (8, 100.0)]


# -- EPUBCheck ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_epubcheck_passes_every_language(editions: dict[str, DocumentResult]) -> None:
    if reason := java_missing():
        pytest.skip(reason)
    verdicts = {lang: epubcheck(r.outputs["epub"]) for lang, r in editions.items()}
    found = {lang: (v.errors, v.warnings, v.messages) for lang, v in verdicts.items()}
    assert all(e == 0 and w == 0 for e, w, _ in found.values()), found


@pytest.mark.slow
def test_the_nu_checker_passes_every_language(editions: dict[str, DocumentResult]) -> None:
    if reason := java_missing():
        pytest.skip(reason)
    pages = [r.outputs["html"] for r in editions.values()]
    verdicts = nu_html(pages)
    found = {p.name: [str(m) for m in v.messages] for p, v in verdicts.items() if not v.passed}
    assert not found, found
