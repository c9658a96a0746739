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
from html import escape
from pathlib import Path
from typing import Any

from flows import __version__
from flows.assemble.i18n import direction, human_date, primary, words
from flows.model import Message, PamphleteerError
from flows.render import epub as epub_finish
from flows.render import fonts
from flows.render import pandoc as pandoc_server
from flows.render.figures import Figure
from flows.render.typeset import cover_files, font_choice, plain, typst_compile, typst_data
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
    warnings = tuple(
        Message("pdc-001", f"pandoc ({request.to}): {w}")
        for w in done.warnings
        if not _NO_TRANSLATIONS.match(w)
    )
    return Rendered(done.data, warnings)


def _request(
    to: str, settings: Settings, template: str | None = None, **options: Any
) -> pandoc_server.Request:
    path = str(settings.template(template)) if template else None
    # Every format gets headings that skip no level (an accessible outline, PDF bookmarks).
    filters = (str(settings.template("pandoc/headings.lua")), *options.pop("filters", ()))
    return pandoc_server.Request(to, settings.source_date_epoch, path, filters=filters, **options)


_NOTES_SECTION = re.compile(r'(<section id="footnotes"[^>]*>)\s*<hr />')
#: Pandoc's own words ("Table of Contents", "Abstract") come from its translations, which have
#: no "zh" (only zh-Hans and zh-Hant) and miss terms in others ("The term Abstract has no
#: translation defined."). Every word an edition shows is given from our own tables
#: (templates/i18n/) or not shown (no abstract), so these warnings say nothing a reader sees.
_NO_TRANSLATIONS = re.compile(r"Could not load translations for|The term \w+ has no translation")


def language_meta(settings: Settings, meta: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The Pandoc metadata of the text's language: its words for the table of contents, and
    for a right-to-left text ``dir`` (HTML) and the EPUB spine's page progression."""
    lang = str(meta.get("lang") or "en")
    fields = [("toc-title", words(settings, lang).contents)] if primary(lang) != "en" else []
    if direction(lang) == "rtl":
        fields += [("dir", "rtl"), ("page-progression-direction", "rtl")]
    return tuple(fields)


def html(
    source: str,
    settings: Settings,
    contents: bool = False,
    meta: Mapping[str, Any] | None = None,
    figures: Figures = (),
) -> Rendered:
    """The HTML edition; the notes section gets a heading (Pandoc gives it only a rule), in the
    text's language, and the page the text's direction.

    An anthology (``contents``) gets a table of contents and each article's notes after it.
    """
    toc = {"toc": True, "toc_depth": 1, "reference_location": "end-of-section"} if contents else {}
    # The stylesheet as a variable, from the first templates folder that has it: a user may
    # replace edition.css alone (a partial would come from beside edition.html).
    css = settings.template("pandoc/edition.css").read_text(encoding="utf-8")
    meta = meta or {}
    lang = str(meta.get("lang") or "en")
    # The date in the text's words, pasted as a variable (as metadata, Pandoc would wrap it
    # like prose); a variable is pasted as it is, so it is escaped here.
    shown = escape(human_date(meta["date"], lang)) if meta.get("date") else ""
    variables = (("stylesheet", css),) + ((("date-shown", shown),) if shown else ())
    fields = language_meta(settings, meta)
    request = _request(
        "html5", settings, "pandoc/edition.html", variables=variables, meta=fields, **toc
    )
    rendered = pandoc(source, request, figures)
    notes = escape(words(settings, lang).notes)
    heading = f'\n<h2 id="notes">{notes}</h2>'
    page = _NOTES_SECTION.sub(lambda m: m[1] + heading, rendered.data.decode(), count=1)
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


def epub(
    source: str, settings: Settings, meta: Mapping[str, Any], cover: bytes, figures: Figures = ()
) -> Rendered:
    """Pandoc writes the EPUB (the ``figures`` from its media bag); :func:`flows.render.epub.
    finish` adds what the sandbox kept out, the ``cover`` PNG among them."""
    # A text that names no publisher is published by the press (never left blank for a shop).
    name = settings.press.publisher_name
    own = (("publisher", name),) if name and not meta.get("publisher") else ()
    fields = ACCESSIBILITY + own + language_meta(settings, meta)
    rendered = pandoc(source, _request("epub3", settings, split_level=1, meta=fields), figures)
    title, author = plain(meta.get("title")), plain(meta.get("author"))
    lang = str(meta.get("lang") or "en")
    said = words(settings, lang)
    alt = (
        said.cover_alt_by.replace("{title}", title).replace("{author}", author)
        if author
        else said.cover_alt.replace("{title}", title)
    )
    extras = epub_finish.Finish(
        css=settings.template("pandoc/epub.css").read_bytes(),
        modified=f"{settings.build_date:%Y-%m-%d}T00:00:00Z",
        cover=epub_finish.Cover(cover, alt, lang, said.cover) if cover else None,
        source_url=str(meta.get("source_url") or ""),
        direction=direction(lang),
        landmarks=(said.cover, said.contents, said.start),
        certified_by=CERTIFIED_BY,
    )
    done = epub_finish.finish(rendered.data, extras)
    unclaimed = tuple(Message("a11y-001", f"no accessibility claim: {p}") for p in done.problems)
    return Rendered(done.data, rendered.warnings + unclaimed)


def pandoc_done(settings: Settings) -> None:
    """Pandoc has converted the source for the last time: a big one's memory goes back."""
    pandoc_server.release(settings.limits.pandoc_keep_bytes)


def typst_source(
    source: str,
    settings: Settings,
    fields: tuple[tuple[str, str], ...] = (),
    figures: Figures = (),
) -> Rendered:
    filters = (str(settings.template("pandoc/classes.lua")),)
    request = _request("typst", settings, "pandoc/edition.typ", filters=filters, meta=fields)
    return pandoc(source, request, figures)


#: The reading PDF is PDF/UA-1 (universal accessibility): typst tags it, checks it as it
#: writes it (a title, alternative text, headings in order) and says so in its metadata.
PDF_STANDARDS = ("ua-1",)


def pdf(
    source: str,
    settings: Settings,
    meta: Mapping[str, Any],
    contents: bool = False,
    figures: Figures = (),
) -> Rendered:
    """Pandoc writes Typst; the typst binding compiles it with templates/typst/ to PDF, the
    ``figures`` beside it in typst's root, in fonts for every script the text uses
    (:mod:`flows.render.fonts`). A character no font has is an ``fnt-001`` warning naming it."""
    typ = typst_source(source, settings, language_meta(settings, meta), figures)
    pandoc_done(settings)  # before typst compiles
    chosen = font_choice(meta, settings, source)
    data = typst_data(meta, settings, contents, chosen)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    files: dict[str, Path | bytes] = {**cover_files(meta), **{f.name: f.data for f in figures}}
    try:
        pdf_bytes, warnings = typst_compile(
            typ.data, settings, inputs, files, font_dirs=chosen.dirs, standards=PDF_STANDARDS
        )
    except PamphleteerError as exc:
        if "PDF/UA" not in str(exc):
            raise
        # What breaks PDF/UA (an image of the page without a description, say) costs the
        # claim, not the PDF: it is written tagged, without the identification, and reported.
        pdf_bytes, warnings = typst_compile(
            typ.data, settings, inputs, files, font_dirs=chosen.dirs
        )
        warnings += (Message("a11y-002", f"the PDF is not PDF/UA-1: {exc}"),)
    glyphs = fonts.glyph_warnings(pdf_bytes, source)
    return Rendered(pdf_bytes, typ.warnings + chosen.warnings + warnings + glyphs)
