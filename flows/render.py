"""Render stage: the one place that runs Pandoc and Typst.

Pandoc (the binary bundled by pypandoc-binary) always runs with ``--sandbox``: the edition source
comes from scraped pages and may not make it read any file. Typst compiles in process through its
Python binding. Every output is written atomically (a temporary file, then a rename) inside the
output folder, so a crash never leaves half an EPUB behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypandoc
import typst

from flows import epub as epub_finish
from flows.assemble import human_date
from flows.markdown import READER_FORMAT
from flows.model import Message, PamphleteerError
from flows.settings import Settings

_PANDOC = pypandoc.get_pandoc_path()


@dataclass(frozen=True)
class Rendered:
    data: bytes
    warnings: tuple[Message, ...] = ()


def pandoc(source: str, to: str, settings: Settings, args: Sequence[str] = ()) -> Rendered:
    """Convert the edition source with Pandoc; its warnings come back as report messages."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(settings.source_date_epoch)}
    with tempfile.TemporaryDirectory(prefix="pamphleteer-") as tmp:
        out = Path(tmp) / f"out.{to}"
        cmd = [_PANDOC, "--sandbox", "-f", READER_FORMAT, "-t", to, "-o", str(out), *args]
        proc = subprocess.run(cmd, input=source.encode(), capture_output=True, env=env, check=False)
        stderr = proc.stderr.decode(errors="replace").strip()
        if proc.returncode != 0:
            raise PamphleteerError(
                f"pandoc could not write {to} (exit {proc.returncode}): {stderr}"
            )
        data = out.read_bytes()
    warnings = tuple(
        Message("pdc-001", f"pandoc ({to}): {line.removeprefix('[WARNING] ').strip()}")
        for line in stderr.splitlines()
        if line.startswith("[WARNING]")
    )
    return Rendered(data, warnings)


def _template_args(settings: Settings, template: str) -> list[str]:
    return ["--template", str(settings.template(template))]


_NOTES_SECTION = re.compile(r'(<section id="footnotes"[^>]*>)\s*<hr />')


def html(source: str, settings: Settings, contents: bool = False) -> Rendered:
    """The HTML edition; the notes section gets a heading (Pandoc gives it only a rule).

    An anthology (``contents``) gets a table of contents and each article's notes after it.
    """
    toc = ["--toc", "--toc-depth=1", "--reference-location=section"] if contents else []
    rendered = pandoc(
        source,
        "html5",
        settings,
        ["--standalone", *toc, *_template_args(settings, "pandoc/edition.html")],
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


def _metadata_args(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """``-M key=value`` per pair: no file for the sandbox to refuse; a repeated key is a list."""
    return [arg for key, value in pairs for arg in ("-M", f"{key}={value}")]


def epub(source: str, settings: Settings, meta: Mapping[str, Any], cover: bytes) -> Rendered:
    """Pandoc writes the EPUB; :func:`flows.epub.finish` adds what the sandbox kept out,
    the ``cover`` PNG among them."""
    args = ["--split-level=1", *_metadata_args(ACCESSIBILITY)]
    rendered = pandoc(source, "epub3", settings, args)
    title, author = plain(meta.get("title")), plain(meta.get("author"))
    alt = f"Cover: {title}" + (f", by {author}" if author else "")
    extras = epub_finish.Finish(
        css=settings.template("pandoc/epub.css").read_bytes(),
        modified=f"{settings.build_date:%Y-%m-%d}T00:00:00Z",
        cover=epub_finish.Cover(cover, alt, str(meta.get("lang") or "en")) if cover else None,
        source_url=str(meta.get("source_url") or ""),
    )
    return Rendered(epub_finish.finish(rendered.data, extras), rendered.warnings)


def typst_source(source: str, settings: Settings) -> Rendered:
    args = [
        "--standalone",
        *_template_args(settings, "pandoc/edition.typ"),
        "--lua-filter",
        str(settings.template("pandoc/classes.lua")),
    ]
    return pandoc(source, "typst", settings, args)


def plain(value: Any, sep: str = ", ") -> str:
    """A metadata value as one plain string (lists joined)."""
    if isinstance(value, list | tuple):
        return sep.join(map(str, value))
    return str(value or "")


#: The Typst files of the printed edition, copied beside the main file for each compile; each
#: comes from the first templates folder that has it, so a user can replace one.
TYPST_TEMPLATES = ("pamphlet.typ", "cover.typ", "cover-page.typ", "booklet.typ", "marks.typ")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


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
            data, warnings = typst.compile_with_warnings(
                root / main,
                root=root,
                format="png" if png_ppi else "pdf",
                ppi=png_ppi,
                font_paths=settings.font_dirs(),
                ignore_system_fonts=True,
                sys_inputs=dict(inputs),
                timestamp=settings.source_date_epoch,
            )
        except RuntimeError as exc:
            raise PamphleteerError(f"typst could not compile {main}: {exc}") from None
    if isinstance(data, list):  # one PNG per page: the first is the one asked for
        data = data[0]
    messages = tuple(Message("typ-001", f"typst: {w.message}") for w in warnings)
    return data, messages


def _names(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []


def typst_data(
    meta: Mapping[str, Any], settings: Settings, contents: bool = False
) -> dict[str, Any]:
    """What the Typst templates read from sys.inputs: plain strings, the press settings."""
    from flows.cover import cover_info  # cover.py compiles through this module

    press = settings.press
    title = plain(meta.get("title"))
    lang = str(meta.get("lang") or "en")
    return {
        "title": title,
        "authors": _names(meta.get("author")),
        "date": human_date(meta["date"]) if meta.get("date") else "",
        "lang": lang if _LANG.match(lang) else "en",
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
    from flows.cover import cover_files

    typ = typst_source(source, settings)
    data = typst_data(meta, settings, contents)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    pdf_bytes, warnings = typst_compile(typ.data, settings, inputs, cover_files(meta))
    return Rendered(pdf_bytes, typ.warnings + warnings)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are for sharing
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_path(out_dir: Path, slug: str, ext: str, variant: str = "") -> Path:
    """``out_dir/<slug>/<slug>.<ext>`` (``<slug>-<variant>.<ext>`` for a booklet, a cover),
    refusing anything that would land outside ``out_dir``."""
    root = out_dir.resolve()
    name = f"{slug}-{variant}" if variant else slug
    path = (root / slug / f"{name}.{ext}").resolve()
    if not path.is_relative_to(root) or path.parent == root:
        raise PamphleteerError(f"refusing to write outside {out_dir}: {slug!r}")
    return path
