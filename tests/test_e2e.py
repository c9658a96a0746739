"""End to end: `pamphleteer build` on the seeds (and two broken files) as a user runs it.

One build per session through the CLI, Prefect's temporary server, Pandoc and typst; each test
then looks at what a reader would get.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from flows.build.pipeline import build_document, prepare
from flows.markdown import unescape
from flows.settings import Settings
from flows.validate import validators as check

from .conftest import ROOT, java_missing
from .epubxml import one, parse, text_of

pytestmark = pytest.mark.slow  # Prefect, Java or a browser

SEEDS = {
    "000_3360b08886504e93": {"notes": 3, "title": "The October Revolution, a Hundred Years On"},
    "004_1239671bb178580e": {"notes": 13, "title": "An Epitaph for the October Revolution?"},
}
# The word each note's marker follows, as the pages show it (the issue's own list).
MARKED_WORDS = {
    "000_3360b08886504e93": ["past", "situation.”", "time”."],
    "004_1239671bb178580e": [
        "translated", "Kommunist", "Osinsky", "Poland", "Martynov", "government",
        "_Kerenschina_", "months,", "stables,", "“conciliators”.", "Moltke", "Russia.",
        "communists,",
    ],
}  # fmt: skip
CHROME = [
    "Leave a Reply",
    "Your email address",
    "Bjorn-Olav Kvidal",
    "To hold the October revolution is a failure",
    "Revolutionary Perspectives",
    "Journal of the Communist Workers",
]


def _stem_slug(stem: str) -> str:
    return stem.replace("_", "-")


def _outputs(built: Path, stem: str) -> dict[str, Path]:
    slug = _stem_slug(stem)  # a slug is its own stem
    return {ext: built / slug / f"{slug}.{ext}" for ext in ("html", "epub", "pdf")}


def test_failures_name_the_file_and_the_reason(built: Path) -> None:
    report = json.loads((built / "report.json").read_text())
    failures = {f["source"]: f["reason"] for f in report["failures"]}
    assert failures["scan.txt"] == "scan.txt: not a text file (it contains NUL bytes)"
    assert failures["broken.txt"] == (
        "broken.yaml: not valid YAML (line 2, column 1): "
        "expected ',' or ']', but got '<stream end>'"
    )
    documents = sorted(d["source"] for d in report["documents"] if "edition" not in d)
    assert documents == [f"{s}.txt" for s in SEEDS]
    anthologies = [d["edition"] for d in report["documents"] if "edition" in d]
    assert anthologies == ["october-1917-2017"]


@pytest.mark.parametrize("stem", SEEDS)
def test_html_has_every_note_linked_at_its_word(built: Path, stem: str) -> None:
    soup = BeautifulSoup(_outputs(built, stem)["html"].read_text(), "lxml")
    refs = soup.select("a.footnote-ref")
    assert len(refs) == SEEDS[stem]["notes"]
    for n, ref in enumerate(refs, start=1):
        assert ref["href"] == f"#fn{n}"
        note = soup.find(id=f"fn{n}")
        assert note is not None and note.name == "li"
        assert note.find("a", class_="footnote-back")["href"] == f"#{ref['id']}"
        before = ref.previous_sibling
        assert isinstance(before, str)
        assert before.split()[-1] == MARKED_WORDS[stem][n - 1], (n, before[-40:])
    assert soup.title.string == SEEDS[stem]["title"]
    assert soup.select_one("h1.title").get_text() == SEEDS[stem]["title"]


def test_five_months_on_is_a_heading(built: Path) -> None:
    soup = BeautifulSoup(_outputs(built, "004_1239671bb178580e")["html"].read_text(), "lxml")
    headings = [h.get_text() for h in soup.find_all("h2") if not h.find_parent(class_="footnotes")]
    assert headings == ["Five Months On"]
    assert soup.select_one("section.footnotes h2").get_text() == "Notes"


def _epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(
            text_of(parse(z.read(n)), " ")
            for n in z.namelist()
            if n.endswith((".xhtml", ".opf", ".ncx"))
        )


def _pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


@pytest.mark.parametrize("stem", SEEDS)
def test_no_comment_form_or_chrome_in_any_output(built: Path, stem: str) -> None:
    outputs = _outputs(built, stem)
    texts = {
        "html": BeautifulSoup(outputs["html"].read_text(), "lxml").get_text(" "),
        "epub": _epub_text(outputs["epub"]),
        "pdf": " ".join(_pdf_pages(outputs["pdf"])),
    }
    for fmt, text in texts.items():
        flat = " ".join(text.replace("’", "'").split())
        for chrome in CHROME:
            assert chrome not in flat, f"{chrome!r} in the {fmt} edition of {stem}"
        assert "<script" not in flat


def test_every_epub_passes_epubcheck_in_the_build_report(built: Path) -> None:
    """The build ran EPUBCheck on every edition it made; each has 0 errors and 0 warnings."""
    if reason := java_missing():
        pytest.skip(reason)
    report = json.loads((built / "report.json").read_text())
    assert len(report["documents"]) >= len(SEEDS)
    for doc in report["documents"]:
        check = doc["checks"]["epubcheck"]
        assert check["version"].startswith("5."), check
        assert (check["errors"], check["warnings"], check["messages"]) == (0, 0, []), doc["slug"]
        per_document = json.loads((built / doc["slug"] / f"{doc['slug']}.report.json").read_text())
        assert per_document["checks"]["epubcheck"] == check


def test_every_html_page_passes_the_nu_checker(built: Path) -> None:
    """Every edition's page and the index, in one run of the Nu HTML Checker."""
    if reason := java_missing():
        pytest.skip(reason)
    pages = sorted(built.glob("*/*.html")) + [built / "index.html"]
    assert len(pages) >= len(SEEDS) + 1
    results = check.nu_html(pages)
    assert {p.name: [str(m) for m in r.messages] for p, r in results.items()} == {
        p.name: [] for p in pages
    }
    assert all(r.passed and r.version for r in results.values())


def test_nu_checker_reports_what_is_wrong(tmp_path: Path) -> None:
    if reason := java_missing():
        pytest.skip(reason)
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div>unclosed</p>")
    (result,) = check.nu_html([page]).values()
    assert result.errors >= 1 and not result.passed
    assert any("div" in m.text for m in result.messages)


@pytest.mark.parametrize("stem", SEEDS)
def test_epub_notes_are_epub3_footnotes(built: Path, stem: str) -> None:
    with zipfile.ZipFile(_outputs(built, stem)["epub"]) as z:
        xhtml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert xhtml.count('epub:type="noteref"') == SEEDS[stem]["notes"]
    assert xhtml.count('epub:type="footnote"') == SEEDS[stem]["notes"]


def _key(text: str) -> str:
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", text)).lower()


@pytest.mark.parametrize("stem", SEEDS)
def test_pdf_is_a5_with_title_and_each_note_on_its_markers_page(built: Path, stem: str) -> None:
    pdf = _outputs(built, stem)["pdf"]
    reader = PdfReader(pdf)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (420, 595)  # A5 in points
    assert reader.metadata.title == SEEDS[stem]["title"]
    pages = [_key(p) for p in _pdf_pages(pdf)]
    assert _key(SEEDS[stem]["title"]) in pages[0]

    doc = prepare(ROOT / "raw" / f"{stem}.txt")
    body, _, notes = doc.body.partition("\n\n[^1]:")
    notes = "[^1]:" + notes
    for n in range(1, SEEDS[stem]["notes"] + 1):
        before = unescape(body.split(f"[^{n}]")[0]).split()[-5:]
        marker_pages = [i for i, p in enumerate(pages) if _key(" ".join(before)) + str(n) in p]
        note = unescape(notes.split(f"[^{n}]: ")[1]).split()[:6]
        note_pages = [i for i, p in enumerate(pages) if str(n) + _key(" ".join(note)) in p]
        assert marker_pages and note_pages, (n, before, note)
        assert note_pages[0] == marker_pages[0], f"note {n} not on the page of its marker"


def test_builds_are_reproducible(seeds_raw: Path, tmp_path: Path) -> None:
    settings = Settings(check=False)
    source = seeds_raw / "004_1239671bb178580e.txt"
    first = build_document(source, tmp_path / "a", settings).outputs
    second = build_document(source, tmp_path / "b", settings).outputs
    for fmt in first:
        assert first[fmt].read_bytes() == second[fmt].read_bytes(), fmt


def test_clean_command_prints_the_contract(seeds_raw: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "clean", str(seeds_raw / "004_1239671bb178580e.txt")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    out = proc.stdout
    assert out.startswith('---\ntitle: "An Epitaph for the October Revolution?"\n')
    assert len(re.findall(r"^\[\^\d+\]: ", out, re.M)) == 13

    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x00\x01")
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "clean", str(bad), "--out", str(tmp_path / "md")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "scan.txt: not a text file" in proc.stderr


TYPOGRAPHY = "“”‘’—–…\u00a0\u2009\u202f\"'"


def _typography(text: str) -> Counter[str]:
    return Counter(c for c in text if c in TYPOGRAPHY)


def test_same_quotes_dashes_and_spaces_in_all_three_formats(built: Path) -> None:
    """The text a reader sees carries the same typographic characters in HTML, EPUB and PDF.

    Title pages differ by design (the EPUB's also names the publisher), so the body is compared
    between HTML and EPUB; the PDF must hold at least the HTML's characters, title block included.
    """
    slugs = [d["slug"] for d in json.loads((built / "report.json").read_text())["documents"]]
    for slug in slugs:
        outputs = _outputs(built, slug)
        soup = BeautifulSoup(outputs["html"].read_text(), "lxml")
        for back in soup.select("a.footnote-back"):
            back.decompose()  # the HTML's ↩ back-links; the EPUB repeats the note number instead
        title = soup.select_one("header.title-block").extract().get_text()
        body = _typography(soup.article.get_text())
        with zipfile.ZipFile(outputs["epub"]) as z:
            epub = "".join(
                text_of(one(parse(z.read(n)), "//x:body"))
                for n in z.namelist()
                if re.match(r"EPUB/text/ch\d+\.xhtml$", n)
            )
        pdf = "".join(_pdf_pages(outputs["pdf"]))
        assert body['"'] == body["'"] == 0, slug
        assert body["’"] > 0 and body["“"] > 0, slug
        assert _typography(epub) == body, slug
        # The PDF adds a cover, running heads and a colophon (more of the same characters), but
        # every character of the text is there, and no straight quote anywhere.
        in_pdf = _typography(pdf)
        assert in_pdf['"'] == in_pdf["'"] == 0, slug
        assert all(in_pdf[c] >= n for c, n in (body + _typography(title)).items()), slug


def test_prefect_records_the_build_s_parameters_for_its_ui(built: Path) -> None:
    """What Prefect's UI shows of the build's flow run: its folders, settings, anthologies."""
    import os
    import sqlite3

    database = Path(os.environ["PREFECT_HOME"]) / "prefect.db"  # the temporary server's
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT parameters FROM flow_run WHERE json_extract(parameters, '$.out_dir') = ?",
            (str(built),),
        ).fetchall()
    assert len(rows) == 1, rows
    recorded = json.loads(rows[0][0])
    assert recorded["raw_dir"] == str(built.parent / "raw")
    assert recorded["force"] is False
    assert recorded["settings"]["formats"] == ["html", "epub", "pdf"]
    assert [e["slug"] for e in recorded["editions"]] == ["october-1917-2017"]
    assert recorded["progress"] == {}  # not JSON: Prefect records what it can of it
