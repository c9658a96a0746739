"""The OPDS catalogue and the Atom feed, as an e-reader app and a feed reader read them: valid
against the OPDS 1.2 and Atom RELAX NG schemas (tests/schemas), every edition with its EPUB, PDF,
cover and summary, browsable by author and by year, links relative or under ``base_url``."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from flows.report.catalogue import write_catalogue
from flows.report.files import Listed
from flows.report.index import entries_from_results, render_index
from flows.settings import Settings

SCHEMAS = Path(__file__).parent.parent / "schemas"
NS = {
    "a": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/terms/",
    "opds": "http://opds-spec.org/2010/catalog",
}
ACQ = "http://opds-spec.org/acquisition"


def schema(name: str) -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMAS / f"{name}.rng")))


def assert_valid(path: Path, name: str) -> None:
    rng = schema(name)
    doc = etree.parse(str(path))
    assert rng.validate(doc), f"{path.name}: {rng.error_log}"


def fake_edition(out: Path, slug: str, description: str, formats: tuple[str, ...]) -> None:
    folder = out / slug
    folder.mkdir(parents=True)
    if "epub" in formats:
        with zipfile.ZipFile(folder / f"{slug}.epub", "w") as z:
            z.writestr(
                "META-INF/container.xml",
                '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                '<rootfiles><rootfile full-path="EPUB/content.opf"/></rootfiles>'
                "</container>",
            )
            opf = (
                '<package xmlns="http://www.idpf.org/2007/opf" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/"><metadata>'
                f"<dc:description>{description}</dc:description></metadata></package>"
            )
            z.writestr("EPUB/content.opf", opf)
        (folder / f"{slug}-cover.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    if "pdf" in formats:
        (folder / f"{slug}.pdf").write_bytes(b"%PDF-1.7")
    if "html" in formats:
        (folder / f"{slug}.html").write_text(
            f'<html><head><meta name="description" content="{description}"></head></html>'
        )


DOCS = [
    {
        "slug": "kronstadt",
        "title": "Kronstadt, 1921",
        "authors": ["Jane Doe"],
        "date": "2021-03-18",
    },
    {
        "slug": "tricky",
        "title": "<b>Bold</b> & \x01 “quoted”",
        "authors": ["Jane Doe", "R. Roe"],
        "date": "2024",
    },
    {"slug": "undated", "title": "Undated", "authors": [], "date": ""},
]


@pytest.fixture
def fake_build(tmp_path: Path) -> Path:
    out = tmp_path / "build"
    fake_edition(out, "kronstadt", "The sailors &amp; the soviet.", ("epub", "pdf", "html"))
    fake_edition(out, "tricky", "A &lt;script&gt; summary", ("epub", "pdf"))
    fake_edition(out, "undated", "", ("html", "epub"))
    return out


def test_catalogue_is_valid_opds_and_lists_every_edition(fake_build: Path) -> None:
    written = write_catalogue(fake_build, DOCS, Settings())
    assert "opds.xml" in written and "feed.atom" in written
    for path in written:
        assert_valid(fake_build / path, "atom" if path == "feed.atom" else "opds")
        assert_valid(fake_build / path, "atom")  # OPDS is Atom too
    root = etree.parse(str(fake_build / "opds.xml"))
    entries = root.findall("a:entry", NS)
    assert [e.findtext("a:title", namespaces=NS) for e in entries] == [
        "<b>Bold</b> & “quoted”",  # text, escaped as XML: no markup, no control character
        "Kronstadt, 1921",
        "Undated",
    ]
    kron = entries[1]
    links = {(ln.get("rel"), ln.get("type")): ln.get("href") for ln in kron.findall("a:link", NS)}
    assert links[(ACQ, "application/epub+zip")] == "kronstadt/kronstadt.epub"
    assert links[(ACQ, "application/pdf")] == "kronstadt/kronstadt.pdf"
    assert links[("http://opds-spec.org/image", "image/png")] == "kronstadt/kronstadt-cover.png"
    assert ("http://opds-spec.org/image/thumbnail", "image/png") in links
    assert kron.findtext("a:summary", namespaces=NS) == "The sailors & the soviet."
    assert kron.findtext("dc:issued", namespaces=NS) == "2021-03-18"
    assert [a.text for a in kron.findall("a:author/a:name", NS)] == ["Jane Doe"]
    assert entries[0].findtext("a:summary", namespaces=NS) == "A <script> summary"


def test_navigation_by_author_and_by_year(fake_build: Path) -> None:
    write_catalogue(fake_build, DOCS, Settings())
    root = etree.parse(str(fake_build / "opds.xml"))
    nav = {ln.get("title"): ln.get("href") for ln in root.findall("a:link[@rel='related']", NS)}
    assert nav == {"By author": "opds/authors.xml", "By year": "opds/years.xml"}
    authors = etree.parse(str(fake_build / "opds/authors.xml"))
    groups = {
        e.findtext("a:title", namespaces=NS): e.find("a:link", NS).get("href")
        for e in authors.findall("a:entry", NS)
    }
    assert list(groups) == ["Jane Doe", "R. Roe", "Unknown author"]
    # Links are relative to the feed they are in: from opds/, up one.
    assert groups["Jane Doe"] == "../opds/author-jane-doe.xml"
    jane = etree.parse(str(fake_build / "opds/author-jane-doe.xml"))
    assert [e.findtext("a:title", namespaces=NS) for e in jane.findall("a:entry", NS)] == [
        "Kronstadt, 1921",
        "<b>Bold</b> & “quoted”",
    ]
    epub = jane.find(f"a:entry/a:link[@rel='{ACQ}']", NS).get("href")
    assert epub == "../kronstadt/kronstadt.epub"
    years = etree.parse(str(fake_build / "opds/years.xml"))
    assert [e.findtext("a:title", namespaces=NS) for e in years.findall("a:entry", NS)] == [
        "2024",
        "2021",
        "Undated",
    ]


def test_base_url_makes_every_link_absolute(fake_build: Path) -> None:
    settings = dataclasses.replace(Settings(), base_url="https://example.org/editions/")
    for path in write_catalogue(fake_build, DOCS, settings):
        for link in etree.parse(str(fake_build / path)).iter("{http://www.w3.org/2005/Atom}link"):
            assert link.get("href").startswith("https://example.org/editions/"), (path, link)
    jane = etree.parse(str(fake_build / "opds/author-jane-doe.xml"))
    epub = jane.find(f"a:entry/a:link[@rel='{ACQ}']", NS).get("href")
    assert epub == "https://example.org/editions/kronstadt/kronstadt.epub"


def test_atom_feed_lists_the_newest_first_for_feed_readers(fake_build: Path) -> None:
    import os

    os.utime(fake_build / "undated" / "undated.epub", (2_000_000_000, 2_000_000_000))
    write_catalogue(fake_build, DOCS, Settings())
    feed = etree.parse(str(fake_build / "feed.atom"))
    entries = feed.findall("a:entry", NS)
    assert entries[0].findtext("a:title", namespaces=NS) == "Undated"
    for entry in entries:  # every entry has somewhere to go
        assert entry.find("a:link[@rel='alternate']", NS) is not None


def test_same_input_and_epoch_give_the_same_bytes(
    fake_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    write_catalogue(fake_build, DOCS, Settings())
    first = (fake_build / "opds.xml").read_bytes()
    for p in fake_build.rglob("*"):
        os_time = 1_800_000_000
        import os

        os.utime(p, (os_time, os_time))
    write_catalogue(fake_build, DOCS, Settings())
    assert (fake_build / "opds.xml").read_bytes() == first
    assert b"2023-11-14T22:13:20Z" in first


def test_index_links_the_catalogue_and_the_feed(fake_build: Path) -> None:
    listed = [Listed.of(d) for d in DOCS]
    page = render_index(
        entries_from_results(listed, fake_build),
        Settings(),
        report="report.html",  # type: ignore[arg-type]
        catalogue="opds.xml",
        feed="feed.atom",
    )
    assert 'href="opds.xml"' in page and "profile=opds-catalog" in page
    assert '<link rel="alternate" type="application/atom+xml" href="feed.atom"' in page


@pytest.mark.slow
def test_a_real_build_publishes_a_valid_catalogue(built: Path) -> None:
    """`pamphleteer build` (the session's build of the seeds) writes the catalogue and the feed:
    valid, every edition with its EPUB, PDF and cover, and the anthology too."""
    for path in ["opds.xml", "feed.atom", "opds/authors.xml", "opds/years.xml"]:
        assert_valid(built / path, "atom" if path == "feed.atom" else "opds")
    entries = etree.parse(str(built / "opds.xml")).findall("a:entry", NS)
    assert len(entries) >= 3  # the two seeds and their anthology
    for entry in entries:
        hrefs = {ln.get("type"): ln.get("href") for ln in entry.findall("a:link", NS)}
        for kind in ("application/epub+zip", "application/pdf", "image/png"):
            assert (built / hrefs[kind]).is_file()
    summaries = [e.findtext("a:summary", namespaces=NS) for e in entries]
    assert sum(bool(s) for s in summaries) >= 2  # each text's opening (an anthology has none)


def test_editions_without_files_to_download_are_left_out(tmp_path: Path) -> None:
    out = tmp_path / "build"
    fake_edition(out, "only-html", "", ("html",))
    write_catalogue(out, [{"slug": "only-html", "title": "Only HTML"}], Settings())
    assert etree.parse(str(out / "opds.xml")).findall("a:entry", NS) == []
    assert_valid(out / "opds.xml", "opds")


def test_base_url_is_read_from_pamphleteer_yaml(tmp_path: Path) -> None:
    from flows.model import PamphleteerError
    from flows.read.project import project_settings

    (tmp_path / "raw").mkdir()
    settings = tmp_path / "pamphleteer.yaml"
    settings.write_text("paper: a5\nbase_url: https://example.org/editions\n")
    raw = str(tmp_path / "raw")
    assert project_settings(raw, "epub", None, None, False).base_url == (
        "https://example.org/editions/"
    )
    for bad in ("ftp://example.org/", "https://example.org/a b/", "[1, 2]", "/editions/"):
        settings.write_text(f"base_url: {bad}\n")
        with pytest.raises(PamphleteerError, match="base_url must be the http"):
            project_settings(raw, "epub", None, None, False)
