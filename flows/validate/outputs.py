"""Quick checks of each written output, for the build report (pure, milliseconds per file).

They catch a truncated or malformed file and anything active in the HTML; the full EPUB
validation (EPUBCheck, on Java) is a separate, slower step.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import lxml.html
from lxml import etree

_ACTIVE_TAGS = {"script", "iframe", "object", "embed", "frame", "applet"}


def _html(data: bytes) -> list[str]:
    problems = []
    if not data.lstrip().lower().startswith(b"<!doctype html"):
        problems.append("no <!DOCTYPE html>")
    if not data.rstrip().lower().endswith(b"</html>"):
        problems.append("does not end with </html>")
    try:
        tree = lxml.html.document_fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        return [*problems, f"cannot be parsed: {exc}"]
    for el in tree.iter(etree.Element):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in _ACTIVE_TAGS or any(a.lower().startswith("on") for a in el.attrib):
            problems.append(f"active content (<{tag}>)")
            break
    return problems


def _epub(data: bytes) -> list[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            first = z.infolist()[0]
            problems = []
            if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
                problems.append("mimetype is not the first, uncompressed entry")
            elif z.read(first) != b"application/epub+zip":
                problems.append("wrong mimetype")
            if "META-INF/container.xml" not in z.namelist():
                problems.append("no META-INF/container.xml")
            if bad := z.testzip():
                problems.append(f"damaged entry {bad}")
            return problems
    except (zipfile.BadZipFile, IndexError) as exc:
        return [f"not a ZIP file: {exc}"]


def _pdf(data: bytes) -> list[str]:
    problems = []
    if not data.startswith(b"%PDF-"):
        problems.append("no %PDF- header")
    if b"%%EOF" not in data[-1024:]:
        problems.append("no %%EOF trailer (truncated?)")
    return problems


CHECKS: dict[str, Callable[[bytes], list[str]]] = {"html": _html, "epub": _epub, "pdf": _pdf}


def check_file(fmt: str, path: Path) -> str:
    """:func:`check` on a written output; formats without a check are not read back."""
    return check(fmt, path.read_bytes()) if fmt in CHECKS else "ok"


def check(fmt: str, data: bytes) -> str:
    """``"ok"``, or the problems found, for an output of format ``fmt``."""
    problems = CHECKS[fmt](data) if fmt in CHECKS else []
    return "; ".join(problems) or "ok"
