"""Render stage: the one place that runs Pandoc and Typst.

Pandoc (the binary bundled by pypandoc-binary) always runs with ``--sandbox``: the edition source
comes from scraped pages and may not make it read any file. Typst compiles in process through its
Python binding. Every output is written atomically (a temporary file, then a rename) inside the
output folder, so a crash never leaves half an EPUB behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypandoc
import typst

from flows import epub as epub_finish
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


def html(source: str, settings: Settings) -> Rendered:
    """The HTML edition; the notes section gets a heading (Pandoc gives it only a rule)."""
    rendered = pandoc(
        source,
        "html5",
        settings,
        ["--standalone", *_template_args(settings, "pandoc/edition.html")],
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


def epub(source: str, settings: Settings, meta: Mapping[str, Any]) -> Rendered:
    """Pandoc writes the EPUB; :func:`flows.epub.finish` adds what the sandbox kept out."""
    from flows.cover import cover_png  # issue 5's module replaces the stand-in

    args = ["--split-level=1", *_metadata_args(ACCESSIBILITY)]
    rendered = pandoc(source, "epub3", settings, args)
    title, author = _plain(meta.get("title")), _plain(meta.get("author"))
    alt = f"Cover: {title}" + (f", by {author}" if author else "")
    extras = epub_finish.Finish(
        css=settings.template("pandoc/epub.css").read_bytes(),
        modified=f"{settings.build_date:%Y-%m-%d}T00:00:00Z",
        cover=epub_finish.Cover(cover_png(meta, settings), alt, str(meta.get("lang") or "en")),
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


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value or "")


def pdf(source: str, settings: Settings, meta: Mapping[str, Any]) -> Rendered:
    """Pandoc writes Typst; the typst binding compiles it to PDF in process."""
    typ = typst_source(source, settings)
    fonts = [str(d / "fonts") for d in settings.template_dirs if (d / "fonts").is_dir()]
    try:
        data = typst.compile(
            typ.data,
            format="pdf",
            font_paths=fonts,
            sys_inputs={"title": _plain(meta.get("title")), "author": _plain(meta.get("author"))},
            timestamp=settings.source_date_epoch,
        )
    except RuntimeError as exc:
        raise PamphleteerError(f"typst could not compile the PDF: {exc}") from None
    return Rendered(data, typ.warnings)


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


def output_path(out_dir: Path, slug: str, ext: str) -> Path:
    """``out_dir/<slug>/<slug>.<ext>``, refusing anything that would land outside ``out_dir``."""
    root = out_dir.resolve()
    path = (root / slug / f"{slug}.{ext}").resolve()
    if not path.is_relative_to(root) or path.parent == root:
        raise PamphleteerError(f"refusing to write outside {out_dir}: {slug!r}")
    return path
