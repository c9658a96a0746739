"""Hostile metadata: whatever a sidecar says, in every key it can give, every format the build
writes stays well-formed, gains no element or attribute, and shows the value as text.

The fast tests feed the pure functions (the sidecar reader, the edition's YAML block, the EPUB's
cover page, the index, typst's inputs); the slow one runs real builds (Pandoc and typst).
"""

from __future__ import annotations

import json
import shutil
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from flows.assemble.edition import yaml_block
from flows.build.pipeline import build_document
from flows.model import PamphleteerError, PartialDate
from flows.read.language import language_tag
from flows.read.sidecar import SIDECAR_KEYS, read_sidecar
from flows.render import epub, typeset
from flows.report.index import Entry, entries_from_results, render_index
from flows.settings import PRESS_KEYS, Press, Settings
from flows.typography import blank, printable, typogrify

from .epubxml import parse

#: What has broken out of a value somewhere: quotes and brackets of HTML and XML, CDATA's end,
#: Typst's code and math, Markdown's emphasis and links, Pandoc's and Jinja's template syntax,
#: characters XML cannot hold, bidirectional overrides, line breaks that start a new block.
FRAGMENTS = [
    '"', "'", "<script>alert(1)</script>", '"><', "'><", " onfocus=alert(1) autofocus ", "]]>",
    "<![CDATA[", '#panic("injected")', '$#panic("injected")$', '] #panic("injected") [', "\\",
    "#", "$", "]", "[", "*", "_", "`", "~", "^", "<!--", "-->", "&amp;", "&#0;", "&lt;",
    "[x](javascript:alert(1))", "<http://e.org>", "{{ 7 * 7 }}", "{% raw %}", "$if(x)$",
    "\x00", "\x01", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u2028", "\ud800", "\ufffe",
    "\n", "\n\n# heading\n\n", "\n---\n", "- ", "1. ", "> ", ": ", "%", "@", "|", "\t",
]  # fmt: skip
hostile = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(string.ascii_letters + " ", max_size=6)),
    min_size=1, max_size=10,
).map("".join)  # fmt: skip
#: Now and then a very long one (a title of 600 words).
long = hostile.map(lambda s: (s + " word") * (4000 // (len(s) + 5)))
values = st.one_of(hostile, hostile, hostile, long)

#: The keys whose values are free text: whatever they hold, the edition is built.
FREE_TEXT = sorted(
    {
        "title",
        "subtitle",
        "author",
        "date",
        "lang",
        "publisher",
        "publication",
        "description",
        "rights",
        "source_url",
        "slug",
        "publisher_line",
        "licence",
    }  # fmt: skip
)
#: The keys whose values are checked (a paper name, a colour, a font, a length, a flag, an
#: image inside raw/): a hostile value is refused with a message naming the sidecar.
CHECKED = sorted(SIDECAR_KEYS - set(FREE_TEXT))
#: Hypothesis and pytest's tmp_path: each example writes its own sidecar over the last one.
FIXTURE = [HealthCheck.function_scoped_fixture]


def test_every_key_a_sidecar_knows_is_fed_hostile_values() -> None:
    assert set(FREE_TEXT) | set(CHECKED) == SIDECAR_KEYS
    assert set(FREE_TEXT) <= SIDECAR_KEYS and "cover" in CHECKED and PRESS_KEYS <= SIDECAR_KEYS


def _sidecar(tmp: Path, data: dict[str, object]) -> Path:
    # JSON is YAML too, and its escapes give any character: a NUL, a lone surrogate.
    path = tmp / "a.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _shown(value: str) -> str:
    """A value as a reader sees it: typeset, one line."""
    return " ".join(typogrify(printable(value)).split())


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    return (el for el in root.iter() if isinstance(el.tag, str))


def _shape(root: etree._Element) -> tuple[set[str], set[str]]:
    """The element and attribute names in a document."""
    tags = {etree.QName(el).localname for el in _elements(root)}
    attributes = {etree.QName(a).localname for el in _elements(root) for a in el.attrib}
    return tags, attributes


def _no_markup_from_values(root: etree._Element, where: str) -> None:
    tags, attributes = _shape(root)
    assert "script" not in tags, where
    assert not [a for a in attributes if a.startswith("on") or a == "autofocus"], where
    for el in _elements(root):
        for name, value in el.attrib.items():
            if name.endswith("lang"):
                assert language_tag(value) == value, (where, value)
            if name in ("href", "src"):
                assert not value.lower().lstrip().startswith(("javascript:", "data:")), where


# --- fast: the pure functions ------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE)
@given(data=st.fixed_dictionaries({k: values for k in FREE_TEXT}))
def test_a_hostile_sidecar_reads_as_plain_values(tmp_path: Path, data: dict[str, str]) -> None:
    meta = read_sidecar(_sidecar(tmp_path, data))
    for key, value in meta.items():
        if key == "date" and isinstance(value, PartialDate):
            continue  # a date the sidecar wrote in words or numbers, read as one
        assert isinstance(value, str) and value == printable(value), key
    assert set(meta.get("slug", "x")) <= set(string.ascii_lowercase + string.digits + "-")
    # The edition's metadata block is YAML that reads back as the values, escaped for Markdown.
    block = yaml.safe_load(str(yaml_block({**meta, "identifier": "urn:x"})))
    assert set(block) <= {*meta, "identifier", "date-shown"}
    for key in block:
        assert isinstance(block[key], str)
    # typst's inputs are JSON; the language, whatever the sidecar said, is a tag or the default.
    data_in = typeset.typst_data(meta, Settings())
    assert json.loads(json.dumps(data_in, ensure_ascii=False)) == data_in
    assert data_in["lang"].isalpha() and data_in["lang"].isascii()


@settings(max_examples=60, deadline=None)
@given(alt=values, lang=values)
def test_the_epub_cover_page_holds_any_alt_text(alt: str, lang: str) -> None:
    cover = epub.Cover(b"\x89PNG", printable(alt), language_tag(lang) or "en")
    members = {"mimetype": b"application/epub+zip", epub.OPF: _OPF}
    page = epub.add_cover(members, cover)[epub.COVER_PAGE]
    root = parse(page)
    _no_markup_from_values(root, "cover.xhtml")
    [img] = root.iter("{http://www.w3.org/1999/xhtml}img")
    # (XML reads a line break or a tab in an attribute as a space)
    assert img.get("alt") == printable(alt).replace("\r", " ").replace("\n", " ").replace("\t", " ")


_OPF = b"""<?xml version="1.0" encoding="UTF-8"?>
<package version="3.0" xmlns="http://www.idpf.org/2007/opf">
  <metadata>
  </metadata>
  <manifest>
  </manifest>
  <spine toc="ncx">
  </spine>
</package>
"""


@settings(max_examples=40, deadline=None)
@given(title=values, authors=st.lists(values, max_size=3), date=values)
def test_the_index_shows_any_title_as_text(title: str, authors: list[str], date: str) -> None:
    entry = Entry(printable(title), tuple(map(printable, authors)), printable(date), ())
    root = html.fromstring(render_index([entry], Settings()))
    _no_markup_from_values(root, "index.html")
    [h2] = root.xpath("//li[@class='edition']/h2")
    assert h2.text_content() == printable(title).replace("\r", "\n")


@settings(max_examples=200, deadline=None)
@given(values)
def test_a_language_tag_is_ascii_subtags_or_nothing(value: str) -> None:
    tag = language_tag(value)
    assert tag is None or set(tag) <= set(string.ascii_letters + string.digits + "-")


@pytest.mark.parametrize("key", CHECKED)
@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURE)
@given(value=values)
def test_a_checked_key_refuses_what_it_cannot_use(tmp_path: Path, key: str, value: str) -> None:
    try:
        meta = read_sidecar(_sidecar(tmp_path, {key: value}))
    except PamphleteerError as exc:
        assert str(exc).startswith("a.yaml: ") and "\n" not in str(exc)
        return
    if key in PRESS_KEYS:  # what it accepted is one of the forms it knows
        press = Press().override(meta, "a.yaml")
        assert json.loads(json.dumps(press.__dict__)) == press.__dict__


# --- slow: real builds, every format -----------------------------------------------------------

TEXT = "A Title\n\nA paragraph long enough to be a paragraph of its own, with nothing in it.\n"
BENIGN = {k: "Plain words" for k in FREE_TEXT} | {
    "lang": "en", "date": "2020-01-02", "source_url": "https://example.org/a"
}  # fmt: skip


def _build(tmp: Path, data: dict[str, object]) -> tuple[dict[str, Path], str]:
    shutil.rmtree(tmp, ignore_errors=True)
    raw = tmp / "raw"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_text(TEXT)
    _sidecar(raw, data)
    build = Settings(formats=("html", "epub", "pdf"), check=False)
    result = build_document(raw / "a.txt", tmp / "out", build)
    index = render_index(entries_from_results([result], tmp / "out"), build)
    return result.outputs, index


def _parts(outputs: dict[str, Path], index: str) -> dict[str, etree._Element]:
    """Every XML and HTML part: the HTML edition, each XML member of the EPUB, the index."""
    parts = {"edition.html": html.fromstring(outputs["html"].read_bytes()),
             "index.html": html.fromstring(index)}  # fmt: skip
    for name, data in epub.read_members(outputs["epub"].read_bytes()).items():
        if name.endswith((".xhtml", ".opf", ".ncx")):
            parts[name] = parse(data)  # well-formed, or this raises
    return parts


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[set[str], set[str]]]:
    """The elements and attributes of each part when every value is plain words."""
    parts = _parts(*_build(tmp_path_factory.mktemp("benign"), BENIGN))
    return {name: _shape(root) for name, root in parts.items()}


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=FIXTURE)
@given(data=st.fixed_dictionaries({k: values for k in FREE_TEXT}))
def test_hostile_values_in_every_key_stay_text_in_every_format(
    tmp_path: Path, baseline: dict[str, tuple[set[str], set[str]]], data: dict[str, str]
) -> None:
    outputs, index = _build(tmp_path / "build", data)  # typst would fail on an injected #panic
    parts = _parts(outputs, index)
    # A title with nothing printable in it is no title: the text's own title line stands.
    title = "A Title" if blank(_shown(data["title"])) else _shown(data["title"])
    for name, root in parts.items():
        _no_markup_from_values(root, name)
        tags, attributes = _shape(root)
        known_tags, known_attributes = baseline.get(name, (set(), set()))
        assert tags <= known_tags | _MAY_VARY, (name, tags - known_tags)
        assert attributes <= known_attributes, (name, attributes - known_attributes)
    edition = parts["edition.html"]
    assert " ".join(edition.xpath("string(//h1[@class='title'])").split()) == title
    opf_title = parts["EPUB/content.opf"].xpath("string(//*[local-name()='title'])")
    assert " ".join(opf_title.split()) == title
    assert " ".join(parts["index.html"].xpath("string(//li/h2)").split()) == title
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(outputs["pdf"])
    assert " ".join(pdf.get_metadata_dict().get("Title", "").split()) == title


#: Elements a value may bring as text: an empty description drops none, a line break (<br>).
_MAY_VARY: set[str] = set()


def test_a_sidecar_value_with_nothing_printable_is_as_if_not_given(tmp_path: Path) -> None:
    data = {"title": "\x00\u202e", "author": ["", "Jane Doe", "\x7f"], "subtitle": ""}
    meta = read_sidecar(_sidecar(tmp_path, data | {"publisher": "Press"}))
    assert "title" not in meta and "subtitle" not in meta
    assert meta["author"] == ["Jane Doe"] and meta["publisher"] == "Press"
