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
from typing import Any

from flows.read.sidecar import image_kind
from flows.render.typeset import (
    cover_files,
    font_choice,
    typst_compile,
    typst_data,
    user_cover,
)
from flows.settings import Settings

#: The EPUB cover is drawn 6 × 9 in (2:3); at this resolution it is 1440 × 2160 pixels.
COVER_PPI = 240


def cover_png(meta: Mapping[str, Any], settings: Settings) -> bytes:
    """The cover as a PNG of 1440 × 2160 pixels (the user's PNG as it is), for the EPUB."""
    path = user_cover(meta)
    if path is not None and image_kind(path) == ".png":
        return path.read_bytes()
    settings = settings.for_edition(meta, str(meta.get("title") or "the cover"))  # its colours
    chosen = font_choice(meta, settings)
    data = typst_data(meta, settings, chosen=chosen)
    inputs = {"pamphlet": json.dumps(data, ensure_ascii=False)}
    png, _ = typst_compile(
        "cover-page.typ", settings, inputs, cover_files(meta), COVER_PPI, chosen.dirs
    )
    return png
