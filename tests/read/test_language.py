"""A language tag reaches attributes (``<html lang>``, ``xml:lang``) in every format: whatever a
sidecar, editions.yaml or a page says, only a well-formed BCP 47 tag gets there."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree, html

from flows.build.pipeline import build_anthology, build_document
from flows.read.editions import Edition
from flows.read.language import language_tag
from flows.render.epub import read_members
from flows.settings import Settings

from ..epubxml import parse

TEXT = "A Title\n\nA paragraph long enough to be a paragraph of its own, with nothing in it.\n"
#: Values that closed the attribute and opened an event handler or a script in the editions.
HOSTILE = ['en" onfocus="alert(1)', 'en"><script>alert(1)</script>', "en' autofocus x='"]
SETTINGS = Settings(formats=("html", "epub"), check=False)


def _attributes(root: etree._Element) -> set[str]:
    return {etree.QName(name).localname for el in root.iter() for name in el.attrib}


def assert_only_tag(outputs: dict[str, Path], tag: str) -> None:
    """The HTML edition and every XML part of the EPUB: no script, no event handler, and every
    language attribute is ``tag``."""
    page = html.fromstring(outputs["html"].read_bytes())
    assert page.get("lang") == tag
    assert not page.xpath("//script") and not any(a.startswith("on") for a in _attributes(page))
    for name, data in read_members(outputs["epub"].read_bytes()).items():
        if not name.endswith((".xhtml", ".opf", ".ncx")):
            continue
        root = parse(data)  # well-formed, or this raises
        assert not root.xpath("//*[local-name()='script']"), name
        assert not any(a.startswith("on") or a == "autofocus" for a in _attributes(root)), name
        langs = {v for el in root.iter() for k, v in el.attrib.items() if k.endswith("lang")}
        # Pandoc's own default is "en-US" where the HTML template's is "en"
        assert {v.split("-")[0] for v in langs} <= {tag.split("-")[0]}, (name, langs)
        assert all(language_tag(v) == v for v in langs), (name, langs)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_sidecar_language_that_is_no_tag_is_not_used(tmp_path: Path, value: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(TEXT)
    (raw / "a.yaml").write_text(f"language: {value!r}\n")
    result = build_document(raw / "a.txt", tmp_path / "out", SETTINGS)
    assert_only_tag(result.outputs, "en")  # the default: a text file says no language itself
    [warning] = [m for m in result.report.messages if m.code == "met-001"]
    assert warning.text.startswith("a.yaml: ") and warning.level == "warning"


def test_a_bad_sidecar_language_gives_way_to_the_pages_own(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    body = "<p>" + "Ein Absatz, lang genug, um ein Absatz zu sein, und nichts weiter. " * 3 + "</p>"
    (raw / "a.html").write_text(f"<html lang='de-AT'><head><title>T</title></head><body>"
                                f"<article><h1>T</h1>{body}</article></body></html>")  # fmt: skip
    (raw / "a.yaml").write_text("lang: 'de\"><script>x</script>'\n")
    result = build_document(raw / "a.html", tmp_path / "out", SETTINGS)
    assert_only_tag(result.outputs, "de-AT")
    assert [m.code for m in result.report.messages].count("met-001") == 1


def test_a_page_language_that_is_no_tag_is_a_warning(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    body = "<p>" + "A paragraph long enough to be a paragraph, and nothing else. " * 3 + "</p>"
    (raw / "p.html").write_text(f"<html lang='en x'><head><title>T</title></head><body>"
                                f"<article><h1>T</h1>{body}</article></body></html>")  # fmt: skip
    result = build_document(raw / "p.html", tmp_path / "out", SETTINGS)
    assert_only_tag(result.outputs, "en")
    [warning] = [m for m in result.report.messages if m.code == "met-001"]
    assert warning.text.startswith("p.html: ")


def test_an_editions_yaml_language_that_is_no_tag_is_not_used(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(TEXT)
    edition = Edition("book", {"title": "A Book", "lang": HOSTILE[1]}, (raw / "a.txt",), "",
                      "editions.yaml: book")  # fmt: skip
    result = build_anthology(edition, tmp_path / "out", SETTINGS)
    assert_only_tag(result.outputs, "en")
    [warning] = [m for m in result.report.messages if m.code == "met-001"]
    assert warning.text.startswith("editions.yaml: book: ")


@pytest.mark.parametrize(
    ("given", "used"),
    [("en", "en"), ("pt_BR", "pt-BR"), ("zh-Hant-TW", "zh-Hant-TW"), ("de-DE-u-co-phonebk",
     "de-DE-u-co-phonebk"), (" fr ", "fr"), ("x-klingon", "x-klingon")],
)  # fmt: skip
def test_well_formed_tags_are_kept(given: str, used: str) -> None:
    assert language_tag(given) == used


@pytest.mark.parametrize(
    "given", ["", "english language", "en-", "en\u202e", "ën", "en\x00", "abcdefghi", 7, None,
              "en-US-US", *HOSTILE],
)  # fmt: skip
def test_anything_else_is_no_tag(given: object) -> None:
    assert language_tag(given) is None
