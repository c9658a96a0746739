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
from pathlib import Path
from typing import Any

from flows.model import Message
from flows.render import epub as epub_finish
from flows.render import pandoc as pandoc_server
from flows.render.figures import Figure
from flows.render.typeset import cover_files, plain, typst_compile, typst_data
from flows.settings import Settings


@dataclass(frozen=True)
class Rendered:
    data: bytes
    warnings: tuple[Message, ...] = ()


Figures = tuple[Figure, ...]


def pandoc(source: str, request: pandoc_server.Request, figures: Figures = ()) -> Rendered:
    """Convert the edition source with Pandoc; its warnings come back as report messages. The
    ``figures`` are the images it keeps (for typst by name: typst reads their files)."""
    bytes_too = request.to != "typst"
    media = tuple(pandoc_server.Media(f.name, f.mime, f.data if bytes_too else b"")
                  for f in figures)  # fmt: skip
    done = pandoc_server.convert(request, source, media)
    warnings = tuple(Message("pdc-001", f"pandoc ({request.to}): {w}") for w in done.warnings)
    return Rendered(done.data, warnings)


def _request(
    to: str, settings: Settings, template: str | None = None, **options: Any
) -> pandoc_server.Request:
    path = str(settings.template(template)) if template else None
    return pandoc_server.Request(to, settings.source_date_epoch, path, **options)


_NOTES_SECTION = re.compile(r'(<section id="footnotes"[^>]*>)\s*<hr />')


def html(
    source: str, settings: Settings, contents: bool = False, figures: Figures = ()
) -> Rendered:
    """The HTML edition; the notes section gets a heading (Pandoc gives it only a rule).

    An anthology (``contents``) gets a table of contents and each article's notes after it.
    """
    toc = {"toc": True, "toc_depth": 1, "reference_location": "end-of-section"} if contents else {}
    # The stylesheet as a variable, from the first templates folder that has it: a user may
    # replace edition.css alone (a partial would come from beside edition.html).
    css = settings.template("pandoc/edition.css").read_text(encoding="utf-8")
    variables = (("stylesheet", css),)
    rendered = pandoc(
        source,
        _request("html5", settings, "pandoc/edition.html", variables=variables, **toc),
        figures,
    )
    page = _NOTES_SECTION.sub(r'\1\n<h2 id="notes">Notes</h2>', rendered.data.decode(), count=1)
    return Rendered(page.encode(), rendered.warnings)


#: Accessibility metadata (schema.org, through Pandoc's EPUB fields). What is claimed is earned by
#: every edition: the text is the content (the cover image has a text alternative), in reading
#: order, with headings, a table of contents and restylable text; nothing flashes or moves.
#: No ``dcterms:conformsTo`` is claimed: that needs an audit (DAISY Ace) this build does not run.
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


def epub(
    source: str, settings: Settings, meta: Mapping[str, Any], cover: bytes, figures: Figures = ()
) -> Rendered:
    """Pandoc writes the EPUB (the ``figures`` from its media bag); :func:`flows.render.epub.
    finish` adds what the sandbox kept out, the ``cover`` PNG among them."""
    request = _request("epub3", settings, split_level=1, meta=ACCESSIBILITY)
    rendered = pandoc(source, request, figures)
    title, author = plain(meta.get("title")), plain(meta.get("author"))
    alt = f"Cover: {title}" + (f", by {author}" if author else "")
    extras = epub_finish.Finish(
        css=settings.template("pandoc/epub.css").read_bytes(),
        modified=f"{settings.build_date:%Y-%m-%d}T00:00:00Z",
        cover=epub_finish.Cover(cover, alt, str(meta.get("lang") or "en")) if cover else None,
        source_url=str(meta.get("source_url") or ""),
    )
    return Rendered(epub_finish.finish(rendered.data, extras), rendered.warnings)


def pandoc_done(settings: Settings) -> None:
    """Pandoc has converted the source for the last time: a big one's memory goes back."""
    pandoc_server.release(settings.limits.pandoc_keep_bytes)


def typst_source(source: str, settings: Settings, figures: Figures = ()) -> Rendered:
    filters = (str(settings.template("pandoc/classes.lua")),)
    request = _request("typst", settings, "pandoc/edition.typ", filters=filters)
    return pandoc(source, request, figures)


def pdf(
    source: str,
    settings: Settings,
    meta: Mapping[str, Any],
    contents: bool = False,
    figures: Figures = (),
) -> Rendered:
    """Pandoc writes Typst; the typst binding compiles it with templates/typst/ to PDF, the
    ``figures`` beside it in typst's root."""
    typ = typst_source(source, settings, figures)
    pandoc_done(settings)  # before typst compiles
    data = typst_data(meta, settings, contents)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    files: dict[str, Path | bytes] = {**cover_files(meta), **{f.name: f.data for f in figures}}
    pdf_bytes, warnings = typst_compile(typ.data, settings, inputs, files)
    return Rendered(pdf_bytes, typ.warnings + warnings)
