"""Figures of a page (``--images``): each caption read before trafilatura sees the page.

trafilatura keeps an image of a ``<figure>`` but garbles its ``<figcaption>``: the text before
the first inline element is dropped and the spaces around emphasis go ("The <em>Petropavlovsk</em>
frozen" became "*Petropavlovsk*frozen"), and a caption of plain text is lost. So each caption is
made Markdown here, from the page, and taken out of the tree; its image carries a key to it in
its ``title`` (which trafilatura keeps), and :func:`flows.clean.html.to_markdown._image` writes
the figure with it. WordPress's older ``wp-caption`` blocks are figures too.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType

from lxml import etree

from flows.clean.html.to_markdown import (
    CAPTION_KEY,
    Ctx,
    blocks,
    local_name,
    replace_with_text,
)

_WP_CAPTION = re.compile(r"(^|\s)wp-caption(\s|$)")
_WP_CAPTION_TEXT = re.compile(r"(^|\s)wp-caption-text(\s|$)")


def _figures(tree: etree._Element) -> list[tuple[etree._Element, etree._Element]]:
    """(figure, caption) pairs: ``<figure>``/``<figcaption>``, and WordPress's ``div.wp-caption``
    with its ``.wp-caption-text``."""
    found = []
    for el in tree.iter("figure", "div"):
        if local_name(el.tag) == "figure":
            caption = next((c for c in el.iter("figcaption")), None)
        elif _WP_CAPTION.search(el.get("class", "")):
            caption = next((c for c in el.iter() if _WP_CAPTION_TEXT.search(c.get("class", ""))),
                           None)  # fmt: skip
        else:
            continue
        if caption is not None:
            found.append((el, caption))
    return found


def mark_captions(tree: etree._Element, ctx: Ctx) -> Ctx:
    """Every figure's caption as Markdown, taken out of ``tree`` and keyed from its image: the
    context the page is converted with. A figure with no image, or more than one, is left as it
    is (its caption is text of the article)."""
    captions: dict[str, str] = {}
    for figure, caption in _figures(tree):
        images = [i for i in figure.iter("img") if i.get("src")]
        if len(images) != 1 or caption.getparent() is None:
            continue
        # A caption's paragraphs, run together: a figure has one caption line.
        md = " ".join(blocks(caption, ctx)).replace("\n", " ").strip()
        replace_with_text(caption, "")
        if md:
            key = f"{CAPTION_KEY}{len(captions)}{CAPTION_KEY}"
            captions[key] = md
            images[0].set("title", key)
    return dataclasses.replace(ctx, captions=MappingProxyType(captions))
