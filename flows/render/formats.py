"""Render stage: the one place that runs Pandoc and Typst.

Pandoc (the binary bundled by pypandoc-binary) runs as long-lived processes
(:mod:`flows.render.pandoc`), sandboxed as ``pandoc --sandbox`` would be: the edition source comes
from scraped pages and may not make it read any file. Typst compiles in process through its
Python binding. Every output is written atomically (a temporary file, then a rename) inside the
output folder, so a crash never leaves half an EPUB behind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows import __version__
from flows.model import Message, PamphleteerError
from flows.render import epub as epub_finish
from flows.render import pandoc as pandoc_server
from flows.render.typeset import cover_files, plain, typst_compile, typst_data
from flows.settings import Settings


@dataclass(frozen=True)
class Rendered:
    data: bytes
    warnings: tuple[Message, ...] = ()


def pandoc(source: str, request: pandoc_server.Request) -> Rendered:
    """Convert the edition source with Pandoc; its warnings come back as report messages."""
    done = pandoc_server.convert(request, source)
    warnings = tuple(Message("pdc-001", f"pandoc ({request.to}): {w}") for w in done.warnings)
    return Rendered(done.data, warnings)


def _request(
    to: str, settings: Settings, template: str | None = None, **options: Any
) -> pandoc_server.Request:
    path = str(settings.template(template)) if template else None
    # Every format gets headings that skip no level (an accessible outline, PDF bookmarks).
    filters = (str(settings.template("pandoc/headings.lua")), *options.pop("filters", ()))
    return pandoc_server.Request(
        to,
        settings.source_date_epoch,
        path,
        remote_images=settings.images,
        filters=filters,
        **options,
    )


_NOTES_SECTION = re.compile(r'(<section id="footnotes"[^>]*>)\s*<hr />')


def html(source: str, settings: Settings, contents: bool = False) -> Rendered:
    """The HTML edition; the notes section gets a heading (Pandoc gives it only a rule).

    An anthology (``contents``) gets a table of contents and each article's notes after it.
    """
    toc = {"toc": True, "toc_depth": 1, "reference_location": "end-of-section"} if contents else {}
    # The stylesheet as a variable, from the first templates folder that has it: a user may
    # replace edition.css alone (a partial would come from beside edition.html).
    css = settings.template("pandoc/edition.css").read_text(encoding="utf-8")
    variables = (("stylesheet", css),)
    rendered = pandoc(
        source, _request("html5", settings, "pandoc/edition.html", variables=variables, **toc)
    )
    page = _NOTES_SECTION.sub(r'\1\n<h2 id="notes">Notes</h2>', rendered.data.decode(), count=1)
    return Rendered(page.encode(), rendered.warnings)


#: Accessibility metadata (schema.org, through Pandoc's EPUB fields). What is claimed is earned by
#: every edition: the text is the content (the cover image has a text alternative), in reading
#: order, with headings, a table of contents and restylable text; nothing flashes or moves.
#: The conformance claim (``dcterms:conformsTo``) is added by :func:`flows.render.epub.finish`
#: only to a book that passes the build's audit (docs/accessibility.md).
ACCESSIBILITY: tuple[tuple[str, str], ...] = (
    ("accessModes", "textual"),
    ("accessModes", "visual"),
    ("accessModeSufficient", "textual"),
    ("accessibilityFeatures", "alternativeText"),
    ("accessibilityFeatures", "readingOrder"),
    ("accessibilityFeatures", "structuralNavigation"),
    ("accessibilityFeatures", "tableOfContents"),
    ("accessibilityFeatures", "displayTransformability"),
    ("accessibilityHazards", "none"),
    (
        "accessibilitySummary",
        "A text-only edition: headings, a table of contents and landmarks for navigation; notes "
        "linked both ways; the cover image has a text alternative; no fixed fonts or colours.",
    ),
)


#: Who vouches for the claim: this build's audit, which the test suite holds to DAISY Ace's.
CERTIFIED_BY = f"pamphleteer {__version__} (its accessibility audit; tested against DAISY Ace)"


def epub(source: str, settings: Settings, meta: Mapping[str, Any], cover: bytes) -> Rendered:
    """Pandoc writes the EPUB; :func:`flows.render.epub.finish` adds what the sandbox kept out,
    the ``cover`` PNG among them."""
    # A text that names no publisher is published by the press (never left blank for a shop).
    name = settings.press.publisher_name
    press = (("publisher", name),) if name else ()
    own = () if meta.get("publisher") else press
    rendered = pandoc(source, _request("epub3", settings, split_level=1, meta=ACCESSIBILITY + own))
    title, author = plain(meta.get("title")), plain(meta.get("author"))
    alt = f"Cover: {title}" + (f", by {author}" if author else "")
    extras = epub_finish.Finish(
        css=settings.template("pandoc/epub.css").read_bytes(),
        modified=f"{settings.build_date:%Y-%m-%d}T00:00:00Z",
        cover=epub_finish.Cover(cover, alt, str(meta.get("lang") or "en")) if cover else None,
        source_url=str(meta.get("source_url") or ""),
        certified_by=CERTIFIED_BY,
    )
    done = epub_finish.finish(rendered.data, extras)
    unclaimed = tuple(Message("a11y-001", f"no accessibility claim: {p}") for p in done.problems)
    return Rendered(done.data, rendered.warnings + unclaimed)


def pandoc_done(settings: Settings) -> None:
    """Pandoc has converted the source for the last time: a big one's memory goes back."""
    pandoc_server.release(settings.limits.pandoc_keep_bytes)


def typst_source(source: str, settings: Settings) -> Rendered:
    filters = (str(settings.template("pandoc/classes.lua")),)
    return pandoc(source, _request("typst", settings, "pandoc/edition.typ", filters=filters))


#: The reading PDF is PDF/UA-1 (universal accessibility): typst tags it, checks it as it
#: writes it (a title, alternative text, headings in order) and says so in its metadata.
PDF_STANDARDS = ("ua-1",)


def pdf(
    source: str, settings: Settings, meta: Mapping[str, Any], contents: bool = False
) -> Rendered:
    """Pandoc writes Typst; the typst binding compiles it with templates/typst/ to PDF."""
    typ = typst_source(source, settings)
    pandoc_done(settings)  # before typst compiles
    data = typst_data(meta, settings, contents)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    files = cover_files(meta)
    try:
        pdf_bytes, warnings = typst_compile(
            typ.data, settings, inputs, files, standards=PDF_STANDARDS
        )
    except PamphleteerError as exc:
        if "PDF/UA" not in str(exc):
            raise
        # What breaks PDF/UA (an image of the page without a description, say) costs the
        # claim, not the PDF: it is written tagged, without the identification, and reported.
        pdf_bytes, warnings = typst_compile(typ.data, settings, inputs, files)
        warnings += (Message("a11y-002", f"the PDF is not PDF/UA-1: {exc}"),)
    return Rendered(pdf_bytes, typ.warnings + warnings)
