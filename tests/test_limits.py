"""Hostile and oversized input: every limit of ``flows/limits.py`` refuses with one line naming the
file, or keeps the text; nothing is dropped in silence, one bad input fails alone, and an undated
text builds the same bytes on every run."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from flows.build import cache, units
from flows.build.pipeline import build_document, prepare
from flows.clean.html.extract import html_to_markdown
from flows.limits import Limits
from flows.model import PamphleteerError
from flows.read.editions import load_editions
from flows.read.sidecar import read_sidecar
from flows.render import formats as render
from flows.render import pandoc as pandoc_server
from flows.settings import Settings, load_limits, load_press
from flows.validate.validators import epubcheck

from .conftest import ROOT, java_missing

# -- raw_file_mb ---------------------------------------------------------------------------------


def test_a_raw_file_past_the_limit_is_refused_by_name(tmp_path: Path) -> None:
    settings = Settings(limits=Limits(raw_file_mb=0.01))  # 10 KiB
    big = tmp_path / "big.txt"
    big.write_text("A Title\n\n" + "Words and words. " * 1000)
    with pytest.raises(PamphleteerError, match=r"^big\.txt: refused: bigger than 0\.01 MB"):
        prepare(big, settings=settings)
    small = tmp_path / "small.txt"
    small.write_text("A Title\n\nA few words.\n")
    (tmp_path / "small.yaml").write_text("title: T\ndescription: " + "x" * 20_000 + "\n")
    with pytest.raises(PamphleteerError, match=r"^small\.yaml: refused: bigger than 0\.01 MB"):
        prepare(small, settings=settings)


def test_a_gzip_bomb_is_refused_without_inflating_it(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(b"<p>" + b"a" * 50_000_000 + b"</p>"))  # 50 MB in ~50 KB
    assert page.stat().st_size < 100_000
    with pytest.raises(PamphleteerError, match=r"^page\.html\.gz: refused: bigger than 4 MB"):
        prepare(page)


def test_an_8_mb_text_fails_alone_and_the_build_goes_on(tmp_path: Path) -> None:
    """The issue's 8 MB text (a 3,096-page PDF, 5.9 GB of memory) is refused before it is read."""
    raw, out = tmp_path / "raw", tmp_path / "build"
    raw.mkdir()
    (raw / "huge.txt").write_bytes(b"A Title\n\n" + b"Many words in a sentence. " * 330_000)
    (raw / "letter.txt").write_text("A Letter\n\nDear comrades, the meeting is on Friday.\n")
    settings = Settings(formats=("html",), check=False)
    plan = cache.plan(cache.document_units(raw), out, settings)
    outcomes = units.build_batch([(u, plan.fingerprints[u.key]) for u in plan.stale], out, settings)
    by_source = {o.source: o for o in outcomes}
    assert by_source["huge.txt"].status == "failed"
    assert by_source["huge.txt"].reason == (
        "huge.txt: refused: bigger than 4 MB (limits: raw_file_mb)"
    )
    assert by_source["letter.txt"].status == "built"


# -- pdf_pages -----------------------------------------------------------------------------------


def test_a_reading_pdf_past_pdf_pages_fails_its_document(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("A Long Text\n\n" + "A paragraph of the text, with some words in it.\n\n" * 60)
    settings = Settings(formats=("html", "pdf"), check=False, limits=Limits(pdf_pages=2))
    with pytest.raises(
        PamphleteerError, match=r"^long\.txt: refused: the reading PDF has \d+ pages, more than 2"
    ):
        build_document(path, tmp_path / "out", settings)
    assert not (tmp_path / "out" / "long" / "long.pdf").exists()


def test_pandoc_lets_go_of_a_big_source_before_typst_compiles() -> None:
    """Pandoc keeps hundreds of bytes per byte of source: after a big source's last conversion
    its process ends, so typst and EPUBCheck do not share the machine with it."""
    request = pandoc_server.Request("typst", Settings().source_date_epoch)
    pandoc_server.convert(request, "Words of a long text.\n\n" * 30_000)  # 690 KB
    held = [p for p in pandoc_server._all if p.held > Limits().pandoc_keep_bytes]
    assert held
    pandoc_server.release(Limits().pandoc_keep_bytes)
    assert all(p.proc.poll() is not None for p in held)
    assert pandoc_server.convert(request, "Small.\n").data  # a fresh process takes over


# -- notes ---------------------------------------------------------------------------------------


def _many_notes(tmp_path: Path, count: int) -> Path:
    body = "\n\n".join(
        f"Paragraph {i} of the text says something.[{i}]" for i in range(1, count + 1)
    )
    notes = "\n\n".join(f"[{i}] Note number {i}." for i in range(1, count + 1))
    path = tmp_path / "many.txt"
    path.write_text(f"Many Notes\n\n{body}\n\nNotes\n\n{notes}\n")
    return path


def test_a_text_with_3000_notes_links_all_of_them(tmp_path: Path) -> None:
    doc = prepare(_many_notes(tmp_path, 3000))
    assert (doc.report.notes_found, doc.report.notes_linked) == (3000, 3000)
    assert "says something.[^1000]" in doc.body and "says something.[^3000]" in doc.body
    assert "[^3000]: Note number 3000." in doc.body
    assert "\\[1000\\]" not in doc.body and "[1000] Note" not in doc.body  # none left literal
    assert not [m for m in doc.report.messages if m.code.startswith("fn-")]


def test_an_html_page_with_1200_linked_notes_links_all_of_them(tmp_path: Path) -> None:
    numbers = range(1, 1201)
    body = "".join(
        f'<p>Paragraph {i} of the article says something.<sup><a href="#fn{i}" id="r{i}">'
        f"[{i}]</a></sup></p>"
        for i in numbers
    )
    notes = "".join(f'<li id="fn{i}">Note number {i}. <a href="#r{i}">↩</a></li>' for i in numbers)
    path = tmp_path / "many.html"
    path.write_text(
        f"<html><head><title>Many</title></head><body><article><h1>Many</h1>{body}"
        f"<ol class='footnotes'>{notes}</ol></article></body></html>"
    )
    doc = prepare(path)
    assert (doc.report.notes_found, doc.report.notes_linked) == (1200, 1200)
    assert "says something.[^1200]" in doc.body and "[^1200]: Note number 1200." in doc.body


def test_more_notes_than_the_limit_is_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(
        PamphleteerError, match=r"^many\.txt: refused: 300 notes, more than 100 \(limits: notes\)"
    ):
        prepare(_many_notes(tmp_path, 300), settings=Settings(limits=Limits(notes=100)))


def test_a_year_in_a_note_does_not_end_the_notes_list(tmp_path: Path) -> None:
    path = tmp_path / "years.txt"
    path.write_text(
        "Years\n\nOne claim.[1] Another.[2] A third.[3]\n\nNotes\n\n[1] First note.\n\n"
        "[2] Second note, of two paragraphs:\n\n[1917] was the year it began.\n\n"
        "[3] Third note.\n"
    )
    doc = prepare(path)
    assert (doc.report.notes_found, doc.report.notes_linked) == (3, 3)
    assert not [m for m in doc.report.messages if m.code == "fn-001"]


# -- nesting -------------------------------------------------------------------------------------

ARTICLE = (
    "<html><head><title>Deep</title></head><body><article>"
    "<p>Before the deep part of the article, which has enough words to count as an article for "
    "the extractor to find it where it stands.</p>{deep}"
    "<p>After the deep part, the article goes on with more words.</p></article></body></html>"
)


def _deep(levels: int) -> str:
    inner = "<p>Deep text one.</p><script>var hidden = 1;</script><p>Deep text <em>two</em>.</p>"
    return "<div>" * levels + inner + "</div>" * levels


def test_50000_levels_of_nesting_keep_their_text_in_order(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text(ARTICLE.format(deep=_deep(50_000)))
    result = build_document(path, tmp_path / "out", Settings(formats=("html",), check=False))
    page = result.outputs["html"].read_text()
    text = re.sub(r"<[^>]+>", "", page)
    assert "Deep text one." in text and "Deep text two." in text
    assert "hidden" not in text  # a script is no text, however deep
    assert (
        text.index("Before the deep part")
        < text.index("Deep text one.")
        < text.index("Deep text two.")
        < text.index("After the deep part")
    )


def test_nesting_within_the_limit_keeps_its_structure() -> None:
    shallow = html_to_markdown(ARTICLE.format(deep=_deep(20)), Settings())
    assert "Deep text one.\n\nDeep text _two_." in shallow.body
    flat = html_to_markdown(ARTICLE.format(deep=_deep(20)), Settings(limits=Limits(nesting=10)))
    assert "Deep text one." in flat.body and "Deep text" in flat.body.split("one.", 1)[1]
    assert flat.body.index("Before") < flat.body.index("Deep text one.") < flat.body.index("After")


# -- yaml_aliases --------------------------------------------------------------------------------

#: The issue's 426-byte alias bomb: nine levels of nine aliases, 9⁹ strings once expanded.
BOMB = "a: &a [lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)
#: Thirty alias nodes in the file (under the limit of 100) that expand to a thousand.
SMALL_BOMB = "a: &a [x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" + (
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
)


@pytest.mark.parametrize("bomb", [BOMB, SMALL_BOMB], ids=["issue", "nested"])
def test_an_alias_bomb_is_refused_in_every_yaml_file(tmp_path: Path, bomb: str) -> None:
    message = r": refused: more than 100 YAML aliases"
    sidecar = tmp_path / "doc.yaml"
    sidecar.write_text("title: T\n" + bomb)
    with pytest.raises(PamphleteerError, match=r"^doc\.yaml" + message):
        read_sidecar(sidecar)
    settings = tmp_path / "pamphleteer.yaml"
    settings.write_text("paper: a5\n" + bomb)
    with pytest.raises(PamphleteerError, match=r"^pamphleteer\.yaml" + message):
        load_press(settings)
    with pytest.raises(PamphleteerError, match=r"^pamphleteer\.yaml" + message):
        load_limits(settings)
    raw = tmp_path / "raw"
    raw.mkdir()
    editions = tmp_path / "editions.yaml"
    editions.write_text("editions: []\n" + bomb)
    [broken] = load_editions(editions, raw)  # it fails alone, as a unit of the build
    assert re.match(r"^editions\.yaml" + message, broken.problem)


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("author: &me Jane Doe\npublisher: *me\nkeywords: &k [a, b]\nother: *k\n")
    assert read_sidecar(path)["publisher"] == "Jane Doe"


# -- editions.yaml: one bad anthology fails alone ------------------------------------------------

EDITIONS = """\
editions:
  - title: Good One
    documents: [a.txt, b.txt]
  - title: Missing File
    documents: [a.txt, gone.txt]
  - title: Outside
    documents: [../secret.txt]
  - title: Bad Key
    documents: [a.txt]
    colour_of_the_moon: blue
  - title: Good One
    documents: [b.txt]
"""


def _project(tmp_path: Path) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("First Article\n\nThe first article's only paragraph.\n")
    (raw / "b.txt").write_text("Second Article\n\nThe second article's only paragraph.\n")
    (tmp_path / "secret.txt").write_text("Not for the build.\n")
    (tmp_path / "editions.yaml").write_text(EDITIONS)
    return raw, tmp_path / "build"


def test_a_bad_anthology_fails_alone_named_and_the_rest_is_built(tmp_path: Path) -> None:
    raw, out = _project(tmp_path)
    editions = load_editions(tmp_path / "editions.yaml", raw)
    settings = Settings(formats=("html",), check=False)
    todo = [*cache.document_units(raw), *cache.anthology_units(editions)]
    plan = cache.plan(todo, out, settings)
    outcomes = units.build_batch([(u, plan.fingerprints[u.key]) for u in plan.stale], out, settings)
    result = {o.label: (o.status, o.reason) for o in outcomes}
    assert result == {
        "a.txt": ("built", ""),
        "b.txt": ("built", ""),
        "editions.yaml: good-one": ("built", ""),
        "editions.yaml: missing-file": (
            "failed", "editions.yaml: missing-file: no document 'gone.txt' in raw/"),
        "editions.yaml: outside": (
            "failed", "editions.yaml: outside: the document '../secret.txt' is outside raw/"),
        "editions.yaml: bad-key": (
            "failed", "editions.yaml: bad-key: unknown key colour_of_the_moon"),
        "editions.yaml: good-one-5": (
            "failed", "editions.yaml: good-one: another edition has the same slug: give this "
            "one another 'slug:'"),
    }  # fmt: skip
    assert (out / "good-one" / "good-one.html").is_file()


@pytest.mark.slow
def test_the_command_builds_everything_but_the_bad_anthologies(tmp_path: Path) -> None:
    raw, out = _project(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "build", "--raw", str(raw), "--out", str(out),
         "--formats", "html", "--no-check"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # not 2: the build ran
    assert "Built 2 document(s) and 1 anthology, 4 failed" in proc.stderr, proc.stderr
    assert "FAILED editions.yaml: missing-file: no document 'gone.txt' in raw/" in proc.stderr
    assert (out / "good-one" / "good-one.html").is_file()


# -- reproducible: an undated text ---------------------------------------------------------------


def _undated(tmp_path: Path) -> Path:
    path = tmp_path / "raw" / "undated.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text("An Undated Text\n\nIts words, and nothing to say when they were written.\n")
    return path


def _today() -> list[str]:
    now = dt.datetime.now(dt.UTC)
    return [f"{now:%Y-%m-%d}", f"{now.day} {now:%B %Y}"]


def test_pandoc_gets_the_build_date_as_source_date_epoch() -> None:
    """The Lua side handed Pandoc "1700000000.0", which it rejects for the clock's time."""
    request = pandoc_server.Request("epub3", Settings().source_date_epoch)
    done = pandoc_server.convert(request, "---\ntitle: T\n---\n\nText.\n")
    opf = zipfile.ZipFile(io.BytesIO(done.data)).read("EPUB/content.opf").decode()
    assert f"{Settings().build_date:%Y-%m-%d}T00:00:00Z</dc:date>" in opf


def test_an_undated_text_carries_no_date_and_the_same_bytes(tmp_path: Path) -> None:
    path = _undated(tmp_path)
    settings = Settings(check=False)
    first = build_document(path, tmp_path / "one", settings)
    second = build_document(path, tmp_path / "two", settings)
    assert set(first.outputs) == {"html", "epub", "pdf", "booklet", "cover"}
    for fmt, output in first.outputs.items():
        assert output.read_bytes() == second.outputs[fmt].read_bytes(), fmt
    opf = zipfile.ZipFile(first.outputs["epub"]).read("EPUB/content.opf").decode()
    assert "<dc:date" not in opf
    assert 'dcterms:modified">2023-11-14T00:00:00Z<' in opf  # the build's date, fixed
    page = first.outputs["html"].read_text()
    assert "The text is undated." in page
    for output in first.outputs.values():
        data = output.read_bytes()
        if output.suffix == ".epub":
            with zipfile.ZipFile(output) as z:
                data = b"".join(z.read(name) for name in z.namelist())
        for today in _today():
            assert today.encode() not in data, (output.name, today)


def test_a_dated_text_keeps_its_own_date() -> None:
    epub = render.epub(
        "---\ntitle: T\ndate: 1921-03-18\n---\n\nText.\n", Settings(), {"title": "T"}, b""
    )
    opf = zipfile.ZipFile(io.BytesIO(epub.data)).read("EPUB/content.opf").decode()
    assert '<dc:date id="epub-date">1921-03-18</dc:date>' in opf


@pytest.mark.slow
@pytest.mark.skipif(java_missing() is not None, reason=str(java_missing()))
def test_an_undated_epub_passes_epubcheck(tmp_path: Path) -> None:
    settings = Settings(formats=("epub",), check=False)
    result = build_document(_undated(tmp_path), tmp_path / "out", settings)
    check = epubcheck(result.outputs["epub"])
    assert check.passed, check.messages


def test_every_limit_is_documented_with_its_default() -> None:
    """docs/limits.md, which the README points to, lists each limit a user can set."""
    import dataclasses

    from flows.limits import Limits

    from .conftest import ROOT

    page = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(Limits):
        assert f"| `{field.name}` | {getattr(Limits(), field.name):g} |" in page, field.name
