"""The library published: an OPDS 1.2 catalogue (``build/opds.xml``) and an Atom feed of new
editions (``build/feed.atom``), written with the index from the same list of editions.

``opds.xml`` is the catalogue's root, an acquisition feed of every edition: title, authors,
date, summary, the cover (as image and thumbnail), the EPUB and the PDF as acquisition links and
the HTML as the alternate. It links navigation feeds by author and by year (``opds/authors.xml``,
``opds/years.xml``), each entry leading to an acquisition feed of that author's or that year's
editions. ``feed.atom`` lists the newest editions first, for feed
readers. Links are relative to the file, or absolute under ``base_url`` when the settings give
one (e-reader apps resolve relative links, but a catalogue passed around needs absolute ones).

Every value comes from a scraped page: the XML is built with lxml (escaped for XML) and stripped
of the characters XML cannot carry. An entry's ``updated`` is when its outputs were last written,
never later than ``SOURCE_DATE_EPOCH`` when that is set (the same input gives the same bytes).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from flows.files import write_atomic
from flows.read.sidecar import slugify
from flows.settings import Settings

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
CATALOGUE = "opds.xml"
FEED = "feed.atom"
FOLDER = "opds"
#: Editions in the Atom feed of new editions: feed readers want the latest, not the library.
FEED_SIZE = 50
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SUMMARY = 2000  # characters of a description kept as the summary
_NAMESPACE = uuid.UUID("6f0b0d5e-5a3b-4b8e-9a57-2f1d1f4c7a61")  # the editions' urn:uuid ids
_XML_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


@dataclass(frozen=True)
class Book:
    """An edition as the catalogue lists it."""

    slug: str
    title: str
    authors: tuple[str, ...]
    date: str  # as the edition prints it: 2021, 2021-03 or 2021-03-18; or ""
    summary: str
    updated: dt.datetime
    #: (relation, file relative to build/, media type), only for files that exist.
    files: tuple[tuple[str, str, str], ...]

    @property
    def year(self) -> str:
        return self.date[:4] if re.match(r"\d{4}", self.date) else ""


_FILES = (
    ("http://opds-spec.org/image", "{slug}-cover.png", "image/png"),
    ("http://opds-spec.org/image/thumbnail", "{slug}-cover.png", "image/png"),
    ("http://opds-spec.org/acquisition", "{slug}.epub", "application/epub+zip"),
    ("http://opds-spec.org/acquisition", "{slug}.pdf", "application/pdf"),
    ("alternate", "{slug}.html", "text/html"),
)


def _clean(text: object) -> str:
    return _NOT_XML.sub("", " ".join(str(text).split()))


def _epoch() -> dt.datetime | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    return dt.datetime.fromtimestamp(int(value), dt.UTC) if value.isdigit() else None


def books(out_dir: Path, documents: Iterable[dict[str, Any]]) -> list[Book]:
    """The editions of a build's report (its ``documents``) with their files on disk."""
    latest = _epoch()
    found = []
    for data in documents:
        slug = str(data.get("slug") or "")
        if not slug or "/" in slug or slug.startswith("."):
            continue
        folder = out_dir / slug
        files = tuple(
            (rel, f"{slug}/{name.format(slug=slug)}", kind)
            for rel, name, kind in _FILES
            if (folder / name.format(slug=slug)).is_file()
        )
        if not any(rel.startswith("http://opds-spec.org/acquisition") for rel, _, _ in files):
            continue  # nothing to download: not a catalogue entry
        stamps = [(out_dir / path).stat().st_mtime for _, path, _ in files]
        updated = dt.datetime.fromtimestamp(int(max(stamps)), dt.UTC)
        if latest and updated > latest:
            updated = latest
        found.append(Book(
            slug, _clean(data.get("title") or slug),
            tuple(_clean(a) for a in data.get("authors") or () if _clean(a)),
            _clean(data.get("date") or ""), _summary(folder, slug), updated, files,
        ))  # fmt: skip
    return sorted(found, key=lambda b: (b.title.casefold(), b.slug))


def _summary(folder: Path, slug: str) -> str:
    """The edition's description, as its EPUB (else its HTML page) carries it."""
    text = ""
    epub = folder / f"{slug}.epub"
    try:
        with zipfile.ZipFile(epub) as z:
            container = etree.fromstring(_member(z, "META-INF/container.xml"), _XML_PARSER)
            opf_name = container.xpath("string(//*[local-name()='rootfile']/@full-path)")
            opf = etree.fromstring(_member(z, opf_name), _XML_PARSER)
            text = opf.xpath("string(//*[local-name()='description'])")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError):
        text = ""
    if not text:
        page = folder / f"{slug}.html"
        try:
            with page.open("rb") as f:
                head = f.read(256 * 1024)
            found = etree.HTML(head).xpath("string(//meta[@name='description']/@content)")
            text = str(found or "")
        except (OSError, ValueError, AttributeError):
            text = ""
    text = _clean(text)
    return text if len(text) <= _SUMMARY else f"{text[: _SUMMARY - 1]}…"


def _member(z: zipfile.ZipFile, name: str) -> bytes:
    """One small file of an EPUB; a big one is not read (it is no metadata)."""
    if z.getinfo(name).file_size > 1024 * 1024:
        raise ValueError(f"{name} is too big")
    return z.read(name)


class _Writer:
    """The catalogue's feeds for one build: links relative to each feed, or under base_url."""

    def __init__(self, settings: Settings, updated: dt.datetime) -> None:
        self.base = settings.base_url
        self.updated = updated
        self.publisher = _clean(settings.press.publisher_line or "") or "pamphleteer"

    def href(self, target: str, here: str) -> str:
        """``target`` (relative to build/) as a link from the feed ``here``."""
        if self.base:
            return self.base + target
        depth = here.count("/")
        return "../" * depth + target

    def feed(
        self, here: str, title: str, kind: str, ident: str, start: bool = True
    ) -> etree._Element:
        root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DC, "opds": OPDS})
        _text(root, "id", ident)
        _text(root, "title", title)
        _text(root, "updated", _stamp(self.updated))
        author = etree.SubElement(root, f"{{{ATOM}}}author")
        _text(author, "name", self.publisher)
        self.link(root, "self", here, here, kind)
        if start:
            self.link(root, "start", CATALOGUE, here, ACQUISITION)
        return root

    def link(
        self, parent: etree._Element, rel: str, target: str, here: str, kind: str, **attrs: str
    ) -> etree._Element:
        link = etree.SubElement(parent, f"{{{ATOM}}}link")
        link.set("rel", rel)
        link.set("href", self.href(target, here))
        link.set("type", kind)
        for key, value in attrs.items():
            link.set(f"{{{OPDS}}}{key}" if key in ("facetGroup", "activeFacet") else key, value)
        return link

    def entry(self, parent: etree._Element, book: Book, here: str, acquisition: bool) -> None:
        entry = etree.SubElement(parent, f"{{{ATOM}}}entry")
        _text(entry, "title", book.title)
        _text(entry, "id", _uuid(book.slug))
        _text(entry, "updated", _stamp(book.updated))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", book.date):
            _text(entry, "published", f"{book.date}T00:00:00Z")
        for name in book.authors:
            author = etree.SubElement(entry, f"{{{ATOM}}}author")
            _text(author, "name", name)
        if book.date and re.fullmatch(r"\d{4}(-\d{2}){0,2}", book.date):
            etree.SubElement(entry, f"{{{DC}}}issued").text = book.date
        if book.summary:
            _text(entry, "summary", book.summary).set("type", "text")
        alternate = any(rel == "alternate" for rel, _, _ in book.files)
        for rel, path, kind in book.files:
            if acquisition or rel == "alternate":
                self.link(entry, rel, path, here, kind)
            elif rel == "http://opds-spec.org/acquisition":
                # A feed reader's entry needs an alternate: the first format, without HTML.
                self.link(entry, "enclosure" if alternate else "alternate", path, here, kind)
                alternate = True

    def acquisition(self, here: str, title: str, items: Sequence[Book], facets: bool) -> bytes:
        root = self.feed(here, title, ACQUISITION, _uuid(f"feed:{here}"))
        if here != CATALOGUE:
            self.link(root, "up", CATALOGUE, here, ACQUISITION)
        if facets:
            self.link(root, "related", f"{FOLDER}/authors.xml", here, NAVIGATION,
                      title="By author")  # fmt: skip
            self.link(root, "related", f"{FOLDER}/years.xml", here, NAVIGATION, title="By year")
        for book in items:
            self.entry(root, book, here, acquisition=True)
        return _bytes(root)

    def navigation(self, here: str, title: str, groups: Sequence[tuple[str, str, int]]) -> bytes:
        """A navigation feed: one entry per group (its name, its feed, how many editions)."""
        root = self.feed(here, title, NAVIGATION, _uuid(f"feed:{here}"))
        self.link(root, "up", CATALOGUE, here, ACQUISITION)
        for name, target, count in groups:
            entry = etree.SubElement(root, f"{{{ATOM}}}entry")
            _text(entry, "title", name)
            _text(entry, "id", _uuid(f"feed:{target}"))
            _text(entry, "updated", _stamp(self.updated))
            _text(entry, "content", f"{count} edition{'' if count == 1 else 's'}").set(
                "type", "text"
            )
            self.link(entry, "subsection", target, here, ACQUISITION)
        return _bytes(root)


def _text(parent: etree._Element, tag: str, value: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{ATOM}}}{tag}")
    child.text = _clean(value)
    return child


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uuid(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render(items: Sequence[Book], settings: Settings, title: str = "Editions") -> dict[str, bytes]:
    """Every file of the catalogue and the feed, by path relative to build/ (pure)."""
    newest = max((b.updated for b in items), default=None)
    updated = newest or _epoch() or dt.datetime.combine(settings.build_date, dt.time(), dt.UTC)
    w = _Writer(settings, updated)
    files: dict[str, bytes] = {}
    by_author: dict[str, list[Book]] = {}
    by_year: dict[str, list[Book]] = {}
    for book in items:
        for name in book.authors or ("Unknown author",):
            by_author.setdefault(name, []).append(book)
        by_year.setdefault(book.year or "Undated", []).append(book)

    def group_feeds(kind: str, groups: dict[str, list[Book]], order: list[str]) -> list[Any]:
        entries = []
        taken: set[str] = set()
        for name in order:
            slug = slugify(name)
            while slug in taken:
                slug += "-x"
            taken.add(slug)
            target = f"{FOLDER}/{kind}-{slug}.xml"
            books_of = sorted(groups[name], key=lambda b: (b.date, b.title.casefold()))
            files[target] = w.acquisition(target, f"{name}", books_of, facets=False)
            entries.append((name, target, len(books_of)))
        return entries

    authors = group_feeds("author", by_author, sorted(by_author, key=str.casefold))
    years = group_feeds("year", by_year, sorted(by_year, key=lambda y: (y[0].isdigit(), y),
                                                reverse=True))  # fmt: skip
    files[f"{FOLDER}/authors.xml"] = w.navigation(f"{FOLDER}/authors.xml", "By author", authors)
    files[f"{FOLDER}/years.xml"] = w.navigation(f"{FOLDER}/years.xml", "By year", years)
    files[CATALOGUE] = w.acquisition(CATALOGUE, title, items, facets=True)
    newest_first = sorted(items, key=lambda b: (b.updated, b.slug), reverse=True)[:FEED_SIZE]
    root = w.feed(FEED, f"{title}: new editions", "application/atom+xml", _uuid("feed:new"),
                  start=False)  # fmt: skip
    for book in newest_first:
        w.entry(root, book, FEED, acquisition=False)
    files[FEED] = _bytes(root)
    return files


def write_catalogue(
    out_dir: Path, documents: Iterable[dict[str, Any]], settings: Settings
) -> list[str]:
    """Write the catalogue and the feed into ``out_dir`` (the feeds of authors and years that
    are gone are removed); the paths written, relative to it."""
    files = render(books(out_dir, documents), settings)
    for path, data in files.items():
        write_atomic(out_dir / path, data)
    folder = out_dir / FOLDER
    for old in folder.glob("*.xml") if folder.is_dir() else ():
        if f"{FOLDER}/{old.name}" not in files:
            old.unlink(missing_ok=True)
    return sorted(files)
