"""Render stage: the one place that runs Pandoc and Typst.

Pandoc (the binary bundled by pypandoc-binary) runs as long-lived processes
(:mod:`flows.render.pandoc`), sandboxed as ``pandoc --sandbox`` would be: the edition source comes
from scraped pages and may not make it read any file. Typst compiles in process through its
Python binding. Every output is written atomically (a temporary file, then a rename) inside the
output folder, so a crash never leaves half an EPUB behind.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typst

from flows.assemble.edition import human_date
from flows.model import Message, PamphleteerError
from flows.render import epub as epub_finish
from flows.render import pandoc as pandoc_server
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
    return pandoc_server.Request(
        to, settings.source_date_epoch, path, remote_images=settings.images, **options
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


def epub(source: str, settings: Settings, meta: Mapping[str, Any], cover: bytes) -> Rendered:
    """Pandoc writes the EPUB; :func:`flows.render.epub.finish` adds what the sandbox kept out,
    the ``cover`` PNG among them."""
    rendered = pandoc(source, _request("epub3", settings, split_level=1, meta=ACCESSIBILITY))
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


def typst_source(source: str, settings: Settings) -> Rendered:
    filters = (str(settings.template("pandoc/classes.lua")),)
    return pandoc(source, _request("typst", settings, "pandoc/edition.typ", filters=filters))


def plain(value: Any, sep: str = ", ") -> str:
    """A metadata value as one plain string (lists joined)."""
    if isinstance(value, list | tuple):
        return sep.join(map(str, value))
    return str(value or "")


#: The Typst files of the printed edition, copied beside the main file for each compile; each
#: comes from the first templates folder that has it, so a user can replace one.
TYPST_TEMPLATES = ("pamphlet.typ", "cover.typ", "cover-page.typ", "booklet.typ", "marks.typ")
_LANG = re.compile(r"^(?P<lang>[A-Za-z]{2,3})(?:-[A-Za-z0-9]{2,8})*$")
_REGION = re.compile(r"-(?P<region>[A-Za-z]{2})(?=-|$)")
_SINGLETON = re.compile(r"-[A-Za-z0-9](?=-|$)")  # extensions and private use follow: "-u-co-…"


def typst_language(tag: str) -> tuple[str, str | None]:
    """A BCP 47 tag ("en-US", "pt_BR", "zh-Hant-TW") as typst takes it: the language alone
    ("en"; typst refuses "en-US") and the region, if the tag has one ("US"). Not a tag: English.
    """
    tag = _SINGLETON.split(tag.strip().replace("_", "-"), maxsplit=1)[0]
    m = _LANG.match(tag)
    if not m:
        return "en", None
    region = _REGION.search(tag, m.end("lang"))
    return m["lang"].lower(), region["region"].upper() if region else None


_COMPILERS = threading.local()


def _compiler(font_dirs: tuple[str, ...]) -> typst.Compiler:
    """This thread's typst compiler for these font folders: it loads the fonts once, and keeps
    typst's caches from one document to the next (each compile still gets its own root)."""
    cache: dict[tuple[str, ...], typst.Compiler] = _COMPILERS.__dict__.setdefault("by_fonts", {})
    if font_dirs not in cache:
        cache[font_dirs] = typst.Compiler(font_paths=list(font_dirs), ignore_system_fonts=True)
    return cache[font_dirs]


def typst_compile(
    main: bytes | str,
    settings: Settings,
    inputs: Mapping[str, str],
    files: Mapping[str, Path | bytes],
    png_ppi: float | None = None,
) -> tuple[bytes, tuple[Message, ...]]:
    """Compile Typst in a private folder holding only our templates and ``files``.

    ``main`` is a template name (``cover-page.typ``) or Typst source; ``inputs`` reach the
    document as ``sys.inputs`` (plain strings). The folder is typst's root: a document cannot
    read anything outside it; ``files`` are copied (a path) or written (bytes) into it. System
    fonts are ignored so every machine sets the same bytes. A PDF, or with ``png_ppi`` the first
    page as a PNG of that resolution.
    """
    with tempfile.TemporaryDirectory(prefix="pamphleteer-typst-") as tmp:
        root = Path(tmp)
        for name in TYPST_TEMPLATES:
            shutil.copyfile(settings.template(f"typst/{name}"), root / name)
        for name, file in files.items():
            if isinstance(file, bytes):
                (root / name).write_bytes(file)
            else:
                shutil.copyfile(file, root / name)
        if isinstance(main, bytes):
            (root / "main.typ").write_bytes(main)
            main = "main.typ"
        try:
            data, warnings = _compiler(tuple(settings.font_dirs())).compile_with_warnings(
                str(root / main),
                root=str(root),
                format="png" if png_ppi else "pdf",
                ppi=png_ppi,
                sys_inputs=dict(inputs),
                timestamp=settings.source_date_epoch,
            )
        except RuntimeError as exc:
            raise PamphleteerError(f"typst could not compile {main}: {exc}") from None
    if isinstance(data, list):  # one PNG per page: the first is the one asked for
        data = data[0]
    messages = tuple(Message("typ-001", f"typst: {w.message}") for w in warnings)
    return data, messages


def names(value: Any) -> list[str]:
    """A metadata value as a list of names (one author, or several)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []


def typst_data(
    meta: Mapping[str, Any], settings: Settings, contents: bool = False
) -> dict[str, Any]:
    """What the Typst templates read from sys.inputs: plain strings, the press settings."""
    from flows.render.cover import cover_info  # cover.py compiles through this module

    press = settings.press
    title = plain(meta.get("title"))
    language, region = typst_language(str(meta.get("lang") or "en"))
    return {
        "title": title,
        "authors": names(meta.get("author")),
        "date": human_date(meta["date"]) if meta.get("date") else "",
        "lang": language,
        "region": region,
        # Left-hand pages: an article's author, or an anthology's title; right: the (chapter) title.
        "running": {
            "verso": title if contents else (plain(meta.get("author"), " · ") or title),
            "recto": title,
        },
        "contents": contents,
        "cover": cover_info(meta, settings),
        "press": dataclasses.asdict(press),
    }


def pdf(
    source: str, settings: Settings, meta: Mapping[str, Any], contents: bool = False
) -> Rendered:
    """Pandoc writes Typst; the typst binding compiles it with templates/typst/ to PDF."""
    from flows.render.cover import cover_files

    typ = typst_source(source, settings)
    pandoc_done(settings)  # before typst compiles
    data = typst_data(meta, settings, contents)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    pdf_bytes, warnings = typst_compile(typ.data, settings, inputs, cover_files(meta))
    return Rendered(pdf_bytes, typ.warnings + warnings)
