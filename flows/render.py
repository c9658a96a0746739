"""Render stage: the one place that runs Pandoc and Typst.

Pandoc (the binary bundled by pypandoc-binary) always runs with ``--sandbox``: the edition source
comes from scraped pages and may not make it read any file. Typst compiles in process through its
Python binding. Every output is written atomically (a temporary file, then a rename) inside the
output folder, so a crash never leaves half an EPUB behind.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypandoc
import typst

from flows.markdown import READER_FORMAT
from flows.model import Message, PamphleteerError
from flows.settings import Settings

_PANDOC = pypandoc.get_pandoc_path()
_EPUB_STYLESHEET = "EPUB/styles/stylesheet1.css"


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


def html(source: str, settings: Settings) -> Rendered:
    return pandoc(
        source,
        "html5",
        settings,
        ["--standalone", *_template_args(settings, "pandoc/edition.html")],
    )


def replace_in_zip(data: bytes, name: str, content: bytes) -> bytes:
    """The same EPUB with one member's content replaced; order, dates and compression kept."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        if name not in names:
            raise PamphleteerError(f"pandoc's EPUB has no {name}")
        for info in src.infolist():
            dst.writestr(info, content if info.filename == name else src.read(info.filename))
    return out.getvalue()


def epub(source: str, settings: Settings) -> Rendered:
    # --sandbox keeps Pandoc from reading a --css file, so our stylesheet replaces its default.
    rendered = pandoc(source, "epub3", settings, ["--split-level=1"])
    css = settings.template("pandoc/epub.css").read_bytes()
    return Rendered(replace_in_zip(rendered.data, _EPUB_STYLESHEET, css), rendered.warnings)


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
