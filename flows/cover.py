"""A plain typographic cover for the EPUB: title, subtitle and author on a coloured field.

A stand-in until the print cover (issue 5) provides the same function; it keeps that signature,
``cover_png(meta, settings) -> bytes``. Metadata reaches Typst only through ``sys.inputs``, as
plain strings, so nothing in a title can be read as Typst markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typst

from flows.model import PamphleteerError
from flows.settings import Settings

#: 140 × 210 mm at 254 ppi: 1400 × 2100 pixels, the 2:3 shape stores ask for.
_PPI = 254

_COVER = b"""
#set page(width: 140mm, height: 210mm, margin: 14mm, fill: rgb("#7a2119"))
#set text(font: ("Libertinus Serif", "New Computer Modern"), fill: rgb("#f6efe2"), lang: "en")
#set par(justify: false)
#let field(key) = sys.inputs.at(key, default: "")
#align(center + horizon)[
  #block(width: 100%)[
    #line(length: 40%, stroke: 0.6pt + rgb("#f6efe2"))
    #v(8mm)
    #text(size: 30pt, weight: "bold")[#field("title")]
    #if field("subtitle") != "" [
      #v(4mm)
      #text(size: 16pt, style: "italic")[#field("subtitle")]
    ]
    #v(10mm)
    #text(size: 15pt, tracking: 0.06em)[#upper(field("author"))]
    #v(8mm)
    #line(length: 40%, stroke: 0.6pt + rgb("#f6efe2"))
  ]
]
#place(bottom + center, text(size: 10pt, tracking: 0.1em)[#field("publisher")])
"""


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value or "")


def cover_png(meta: Mapping[str, Any], settings: Settings) -> bytes:
    """A 1400 × 2100 PNG cover for the document described by ``meta``."""
    inputs = {k: _plain(meta.get(k)) for k in ("title", "subtitle", "author", "publisher")}
    try:
        return typst.compile(
            _COVER,
            format="png",
            ppi=_PPI,
            sys_inputs=inputs,
            timestamp=settings.source_date_epoch,
        )
    except RuntimeError as exc:
        raise PamphleteerError(f"typst could not draw the cover: {exc}") from None
