"""Finishing Pandoc's EPUB: what ``--sandbox`` keeps Pandoc from doing, and note back-links.

Pandoc runs sandboxed, so it cannot read a stylesheet or a cover image from disk. These pure
``bytes -> bytes`` steps put them into its EPUB afterwards, and add what readers need that Pandoc
3.9 does not write:

- the stylesheet, replacing Pandoc's default one;
- a cover: the image, its own XHTML page first in the spine, ``properties="cover-image"`` (EPUB 3)
  and ``<meta name="cover">`` (read by Kindle and Kobo for the library thumbnail);
- landmarks for the cover, the table of contents and the start of the text;
- ``dc:source`` with the page's address, and the build's date as ``dcterms:modified``;
- ``dc:date`` only for a dated text: its own date, never the clock's;
- the NCX's contents as the nav's (no extra title-page entry);
- an accessibility conformance claim, written only when the book passes the audit of
  :mod:`flows.validate.a11y` (docs/accessibility.md says why that audit and not Ace);
- a back-link at the start of every note (``role="doc-backlink"``), pointing at its marker in
  whichever chapter file the marker is, so a reader without pop-up notes can go back.

Only Pandoc's own output is edited, at places its EPUB writer always produces; each step fails
loudly (:class:`PamphleteerError`) if Pandoc's output ever changes shape.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from html import escape

from flows.model import PamphleteerError
from flows.validate import a11y

OPF = "EPUB/content.opf"
NAV = "EPUB/nav.xhtml"
STYLESHEET = "EPUB/styles/stylesheet1.css"
COVER_IMAGE = "EPUB/media/cover.png"
COVER_PAGE = "EPUB/text/cover.xhtml"


@dataclass(frozen=True)
class Cover:
    png: bytes
    alt: str  # what the cover shows, for readers who cannot see it
    lang: str = "en"
    title: str = "Cover"  # the page's title, in the text's language


# --- zip handling ------------------------------------------------------------------------------


def read_members(data: bytes) -> dict[str, bytes]:
    """The EPUB's members in their order (``mimetype`` first, as the zip has it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def write_members(members: dict[str, bytes]) -> bytes:
    """A zip with ``mimetype`` first and stored, the rest deflated, all dated 1980-01-01."""
    if next(iter(members), None) != "mimetype":
        raise PamphleteerError("an EPUB must start with its mimetype member")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, content)
    return out.getvalue()


def _text(members: dict[str, bytes], name: str) -> str:
    if name not in members:
        raise PamphleteerError(f"pandoc's EPUB has no {name}")
    return members[name].decode("utf-8")


def _insert(text: str, anchor: str, addition: str, where: str, name: str) -> str:
    """``addition`` put before or after the first ``anchor`` in ``text``; the anchor must exist."""
    if anchor not in text:
        raise PamphleteerError(f"pandoc's {name} has no {anchor!r}: cannot finish the EPUB")
    new = addition + anchor if where == "before" else anchor + addition
    return text.replace(anchor, new, 1)


# --- note back-links ---------------------------------------------------------------------------

_NOTEREF = re.compile(r'<a\b[^>]*\bepub:type="noteref"[^>]*>')
_ATTR = re.compile(r'\b(id|href)="([^"]*)"')
_FOOTNOTE = re.compile(r'(<aside\b[^>]*\bepub:type="footnote"[^>]*>\s*)(<p>)?')


def _noterefs(members: dict[str, bytes]) -> dict[tuple[str, str], tuple[str, str]]:
    """(note's file, note's id) -> (marker's file, marker's id), over every content file."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for name in members:
        if not name.endswith(".xhtml") or name == NAV:
            continue
        for tag in _NOTEREF.findall(members[name].decode("utf-8")):
            attrs = dict(_ATTR.findall(tag))
            target, _, note_id = attrs.get("href", "").partition("#")
            if not note_id or "id" not in attrs:
                continue
            note_file = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            found[(note_file if target else name, note_id)] = (name, attrs["id"])
    return found


def add_backlinks(members: dict[str, bytes]) -> dict[str, bytes]:
    """Start every note with its number, linked back to its marker (Kindle's and DAISY's way)."""
    refs = _noterefs(members)
    out = dict(members)
    for name, content in members.items():
        if not name.endswith(".xhtml"):
            continue
        text = content.decode("utf-8")

        def backlink(m: re.Match[str], name: str = name) -> str:
            note_id = dict(_ATTR.findall(m.group(1))).get("id", "")
            if (name, note_id) not in refs:
                raise PamphleteerError(f"note {note_id} in {name} has no marker to link back to")
            ref_file, ref_id = refs[(name, note_id)]
            href = "" if ref_file == name else posixpath.relpath(ref_file, posixpath.dirname(name))
            number = note_id.removeprefix("fn")
            link = (f'<a href="{escape(href)}#{escape(ref_id)}" class="footnote-back" '
                    f'role="doc-backlink">{escape(number)}</a>. ')  # fmt: skip
            return m.group(1) + (f"<p>{link}" if m.group(2) else f"<p>{link}</p>")

        new = _FOOTNOTE.sub(backlink, text)
        if new != text:
            out[name] = new.encode("utf-8")
    return out


# --- cover, landmarks, source ------------------------------------------------------------------

_COVER_XHTML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" \
lang="{lang}" xml:lang="{lang}">
<head>
  <meta charset="utf-8" />
  <title>{title}</title>
  <style>html, body {{ height: 100%; margin: 0; padding: 0; }} body {{ text-align: center; }} \
img {{ display: block; margin: 0 auto; height: 100%; max-width: 100%; }}</style>
</head>
<body epub:type="cover">
<img src="../media/cover.png" alt="{alt}" role="doc-cover" />
</body>
</html>
"""


def add_cover(members: dict[str, bytes], cover: Cover) -> dict[str, bytes]:
    """The cover image and its page, first in the spine. No ``<guide>`` entry names the page:
    calibre takes a guide's cover page for a title page and drops it from Kindle and Kobo
    books, leaving the landmarks' link to it broken; the image's ``cover-image`` and
    ``<meta name="cover">`` are what readers use for the thumbnail."""
    opf = _text(members, OPF)
    items = (
        '    <item id="cover-image" href="media/cover.png" media-type="image/png" '
        'properties="cover-image" />\n'
        '    <item id="cover_xhtml" href="text/cover.xhtml" media-type="application/xhtml+xml" />\n'
    )
    opf = _insert(opf, "  </manifest>", items, "before", OPF)
    opf = _insert(opf, "  </metadata>", '    <meta name="cover" content="cover-image" />\n',
                  "before", OPF)  # fmt: skip
    opf, found = re.subn(r"(<spine\b[^>]*>\n)", r'\1    <itemref idref="cover_xhtml" />\n', opf,
                         count=1)  # fmt: skip
    if not found:
        raise PamphleteerError(f"pandoc's {OPF} has no spine: cannot add the cover")
    page = _COVER_XHTML.format(
        lang=escape(cover.lang), alt=escape(cover.alt), title=escape(cover.title)
    )
    out = dict(members)
    out[OPF] = opf.encode("utf-8")
    out[COVER_PAGE] = page.encode("utf-8")
    out[COVER_IMAGE] = cover.png
    return out


def _spine_hrefs(opf: str) -> list[str]:
    hrefs = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    return [hrefs[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf) if i in hrefs]


def add_landmarks(
    members: dict[str, bytes], labels: tuple[str, str, str] = ("Cover", "Contents", "Start of text")
) -> dict[str, bytes]:
    """Landmarks for the cover (when there is one), the contents and the start of the text,
    named by ``labels`` (in the text's language)."""
    cover, contents, start_label = (escape(label) for label in labels)
    nav = _text(members, NAV)
    opf = _text(members, OPF)
    start = next((h for h in _spine_hrefs(opf) if h.startswith("text/ch")), None)
    wanted = [("toc", "nav.xhtml#toc", contents)]
    if COVER_PAGE in members:
        wanted.insert(0, ("cover", "text/cover.xhtml", cover))
    if start:
        wanted.append(("bodymatter", start, start_label))
    if 'idref="nav"' not in opf:  # a landmark may only point into the spine
        opf = _insert(opf, "  </spine>", '    <itemref idref="nav" linear="no" />\n', "before", OPF)
    entries = "".join(
        f'    <li>\n      <a href="{href}" epub:type="{kind}">{label}</a>\n    </li>\n'
        for kind, href, label in wanted
        if f'epub:type="{kind}"' not in nav.split('epub:type="landmarks"', 1)[-1]
    )
    landmarks = nav.index('epub:type="landmarks"') if 'epub:type="landmarks"' in nav else -1
    if landmarks < 0:
        raise PamphleteerError(f"pandoc's {NAV} has no landmarks")
    end = nav.index("  </ol>\n</nav>", landmarks)
    nav = nav[:end] + entries + nav[end:]
    return {**members, NAV: _landmarks_first(nav).encode("utf-8"), OPF: _guide_toc(opf).encode()}


_LANDMARKS_NAV = re.compile(r'<nav epub:type="landmarks".*?</nav>\n', re.S)
_TOC_NAV = '<nav epub:type="toc"'


def _landmarks_first(nav: str) -> str:
    """The hidden landmarks ahead of the contents. Kindle books made by calibre keep this page
    as their contents page, and calibre reads the contents of a one-chapter book from the
    links after ``#toc``: landmarks after it became four extra entries ("Title Page", "Cover",
    "Contents", "Start of text")."""
    m = _LANDMARKS_NAV.search(nav)
    if m is None or _TOC_NAV not in nav:
        raise PamphleteerError(f"pandoc's {NAV} has no landmarks or no contents")
    nav = nav[: m.start()] + nav[m.end() :]
    return _insert(nav, _TOC_NAV, m.group(0), "before", NAV)


_GUIDE_TOC = re.compile(r'(<reference type="toc"[^>]*href="nav\.xhtml)(")')


def _guide_toc(opf: str) -> str:
    """The EPUB 2 guide's contents at the list itself (``nav.xhtml#toc``), not the page."""
    return _GUIDE_TOC.sub(r"\1#toc\2", opf, count=1)


NCX = "EPUB/toc.ncx"
_NCX_TITLE_PAGE = re.compile(
    r'[ \t]*<navPoint id="[^"]*">\s*<navLabel>\s*<text>[^<]*</text>\s*</navLabel>\s*'
    r'<content src="text/title_page\.xhtml" />\s*</navPoint>\n?'
)


def drop_ncx_title_page(members: dict[str, bytes]) -> dict[str, bytes]:
    """The NCX (read by Kobo's and older readers) lists what the nav's contents list: Pandoc
    adds the title page to it under the book's title, an entry the nav does not have."""
    if NCX not in members:
        return members
    ncx = _NCX_TITLE_PAGE.sub("", _text(members, NCX), count=1)
    return {**members, NCX: ncx.encode("utf-8")}


def add_source(members: dict[str, bytes], url: str) -> dict[str, bytes]:
    opf = _text(members, OPF)
    opf = _insert(opf, "  </metadata>", f"    <dc:source>{escape(url)}</dc:source>\n",
                  "before", OPF)  # fmt: skip
    return {**members, OPF: opf.encode("utf-8")}


_MODIFIED = re.compile(r'(<meta property="dcterms:modified">)[^<]*(</meta>)')


def set_modified(members: dict[str, bytes], stamp: str) -> dict[str, bytes]:
    """The build's date as ``dcterms:modified`` (sandboxed Pandoc's clock says 1970)."""
    opf = _text(members, OPF)
    opf, found = _MODIFIED.subn(lambda m: m.group(1) + escape(stamp) + m.group(2), opf, count=1)
    if not found:
        raise PamphleteerError(f"pandoc's {OPF} has no dcterms:modified")
    return {**members, OPF: opf.encode("utf-8")}


_DATE = re.compile(r'[ \t]*<dc:date id="epub-date">(?P<date>[^<]*)</dc:date>\n?')
_W3C_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")


def drop_clock_date(members: dict[str, bytes]) -> dict[str, bytes]:
    """``dc:date`` only when it is the text's own date. For an undated text Pandoc writes the
    clock's time (or ``SOURCE_DATE_EPOCH``'s, a time of day included), for a date it cannot
    read ("Spring 1921") an empty element: a publication date the text does not have."""
    opf = _text(members, OPF)
    m = _DATE.search(opf)
    if m is None:
        raise PamphleteerError(f"pandoc's {OPF} has no dc:date")
    if _W3C_DATE.match(m["date"]):
        return members
    opf = opf[: m.start()] + opf[m.end() :]
    return {**members, OPF: opf.encode("utf-8")}


_HTML_TAG = re.compile(r"<html\b[^>]*>")


def set_direction(members: dict[str, bytes], direction: str) -> dict[str, bytes]:
    """``dir`` on the root of every content document (Pandoc's EPUB writer sets ``lang`` and
    ``xml:lang`` there, never ``dir``): a right-to-left text reads right to left in the nav,
    the title page, the chapters and the cover alike. Each note marker gets ``dir="ltr"``,
    which makes it a bidi isolate (EPUB style sheets may not say ``unicode-bidi``): else, in
    Arabic, "1871." and marker 1 read as the number 1871.1, the full stop on the wrong side."""
    out = dict(members)
    for name, content in members.items():
        if not name.endswith(".xhtml"):
            continue
        text = _NOTEREF.sub(lambda m: m[0][:-1] + ' dir="ltr">', content.decode("utf-8"))
        tag = _HTML_TAG.search(text)
        if tag is None:
            raise PamphleteerError(f"pandoc's {name} has no <html> element")
        if " dir=" not in tag[0]:
            new = tag[0][:-1].rstrip("/") + f' dir="{escape(direction)}">'
            text = text[: tag.start()] + new + text[tag.end() :]
        out[name] = text.encode("utf-8")
    return out


def replace_stylesheet(members: dict[str, bytes], css: bytes) -> dict[str, bytes]:
    _text(members, STYLESHEET)
    return {**members, STYLESHEET: css}


#: What the EPUB claims when its audit passes (EPUB Accessibility 1.1, section 2.2's wording).
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def add_conformance(members: dict[str, bytes], certified_by: str) -> dict[str, bytes]:
    """``dcterms:conformsTo`` and who checked it (``a11y:certifiedBy``; both prefixes are
    reserved in EPUB 3, so the package declares neither)."""
    opf = _text(members, OPF)
    claim = (f'    <meta property="dcterms:conformsTo">{escape(CONFORMS_TO)}</meta>\n'
             f'    <meta property="a11y:certifiedBy">{escape(certified_by)}</meta>\n')  # fmt: skip
    opf = _insert(opf, "  </metadata>", claim, "before", OPF)
    return {**members, OPF: opf.encode("utf-8")}


@dataclass(frozen=True)
class Finish:
    """What to put into Pandoc's EPUB."""

    css: bytes
    modified: str  # e.g. 2023-11-14T00:00:00Z
    cover: Cover | None = None
    source_url: str = ""
    direction: str = "ltr"  # the text's: "rtl" marks every content document
    landmarks: tuple[str, str, str] = ("Cover", "Contents", "Start of text")  # their labels
    #: Who audits the book, named in its conformance claim; empty: no claim.
    certified_by: str = ""


@dataclass(frozen=True)
class Finished:
    data: bytes
    #: Why the book claims no accessibility conformance (the audit's findings); empty if it does.
    problems: tuple[str, ...] = ()


def finish(data: bytes, extras: Finish) -> Finished:
    """Pandoc's EPUB with our stylesheet, cover, landmarks, source and note back-links, and
    the accessibility claim when the finished book passes :func:`flows.validate.a11y.audit`."""
    members = replace_stylesheet(read_members(data), extras.css)
    members = set_modified(members, extras.modified)
    members = drop_clock_date(members)
    members = add_backlinks(members)
    if extras.cover:
        members = add_cover(members, extras.cover)
    members = add_landmarks(members, extras.landmarks)
    members = drop_ncx_title_page(members)
    if extras.direction == "rtl":
        members = set_direction(members, "rtl")
    if extras.source_url:
        members = add_source(members, extras.source_url)
    problems = tuple(a11y.audit(members))
    if extras.certified_by and not problems:
        members = add_conformance(members, extras.certified_by)
    return Finished(write_members(members), problems)
