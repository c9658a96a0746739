"""The cover: generated from templates/typst/cover.typ, or the user's own image.

The generated cover sets the title, author and publisher on the colours of the settings. It is
the printed edition's first page (pamphlet.typ calls the same Typst function) and, through
:func:`cover_png`, the EPUB's cover image. A sidecar (or an edition of ``editions.yaml``) may name
an image instead: ``cover: covers/kronstadt.jpg``, relative to ``raw/``; it must stay inside
``raw/`` and be a PNG or JPEG.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flows.model import PamphleteerError
from flows.read.sidecar import image_kind
from flows.render import formats as render
from flows.settings import Settings

#: The EPUB cover is drawn 6 × 9 in (2:3); at this resolution it is 1440 × 2160 pixels.
COVER_PPI = 240


def user_cover(meta: Mapping[str, Any]) -> Path | None:
    """The user's cover image, as read.py resolved it (an absolute path), or None."""
    value = meta.get("cover")
    if not value:
        return None
    path = Path(str(value))
    if not path.is_absolute() or not path.is_file():
        raise PamphleteerError(f"the cover {value!r} was not resolved inside raw/")
    image_kind(path)
    return path


def cover_files(meta: Mapping[str, Any]) -> dict[str, Path]:
    """The files a Typst compile needs beside the templates: the user's cover, if any."""
    path = user_cover(meta)
    return {f"cover-image{image_kind(path)}": path} if path else {}


def cover_info(meta: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The cover's words as plain strings (and the user's image's name inside typst's root)."""
    files = cover_files(meta)
    return {
        "title": render.plain(meta.get("title")),
        "subtitle": render.plain(meta.get("subtitle")),
        "author": render.plain(meta.get("author"), " · "),
        "publisher": render.plain(meta.get("publisher") or meta.get("publication")),
        "image": next(iter(files), None),
    }


def cover_png(meta: Mapping[str, Any], settings: Settings) -> bytes:
    """The cover as a PNG of 1440 × 2160 pixels (the user's PNG as it is), for the EPUB."""
    path = user_cover(meta)
    if path is not None and image_kind(path) == ".png":
        return path.read_bytes()
    settings = settings.for_edition(meta, str(meta.get("title") or "the cover"))  # its colours
    data = render.typst_data(meta, settings)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    png, _ = render.typst_compile("cover-page.typ", settings, inputs, cover_files(meta), COVER_PPI)
    return png
