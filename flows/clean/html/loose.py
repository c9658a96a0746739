"""Loose text made paragraphs, as a browser sets it, before the extractors read the page.

A container that holds blocks (a ``<div>`` with a ``<blockquote>``, a ``<div>`` of an image) and,
between them, text of its own (``… to <a>fishing a diaper</a> from an embassy …<br><br>``) is
drawn by a browser as paragraphs: each run of inline content between two blocks is a block of
its own (CSS 2.1, §9.2.1.1, "anonymous block boxes"), and each ``<br>`` starts a line. trafilatura
reads such a run as separate pieces: it breaks the sentence at each link or emphasis and drops
the spaces around it ("a diaperfrom an embassy"). So each line of such a run is wrapped in a
``<p>`` here (trafilatura too made each line a paragraph: sites that write loose text write one
paragraph a line), and every extractor reads the same paragraphs. What spaces trafilatura still
drops inside a paragraph are put back after it (:func:`respace`).
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import defs

from flows.clean.html.to_markdown import local_name

#: Elements that are part of a line of text; any other element (or one of these holding such
#: an element: a card link around a ``<div>``) is a block and ends the run.
INLINE_TAGS = frozenset({"a", "abbr", "acronym", "b", "bdi", "bdo", "big", "br", "cite", "code",
                     "data", "del", "dfn", "em", "font", "i", "img", "ins", "kbd", "label",
                     "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
                     "sub", "sup", "time", "tt", "u", "var", "wbr"})  # fmt: skip

#: Pictures drawn in a line of text, whatever they hold (an icon's ``<path>``, a formula's
#: ``<mi>``).
_PICTURES = frozenset({"svg", "math", "picture"})

#: Containers whose loose text is laid out in paragraphs. Lists and table cells are left as
#: they are: an item's text beside its sublist is the item, not a paragraph of the page; and so
#: are quotes, which trafilatura reads whole (and drops, made of paragraphs, on some pages).
_CONTAINERS = ("div", "article", "section", "main", "body", "center", "aside",
               "header", "footer", "form")  # fmt: skip

#: HTML's own elements. Any other (a custom element, ``<article-body>``; an archive's wrapper,
#: ``<text>``) is laid out as a container too: a browser draws the text beside its blocks as
#: paragraphs whatever the element's name. (lxml's list lacks a few of HTML5's.)
_HTML_TAGS = frozenset(defs.tags) | {"main", "template", "picture", "dialog", "slot", "search"}
#: A name an author gave an element; not a typo's ("<align=middle>": an attribute lost its tag).
_ELEMENT_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*")
#: Elements whose children are not HTML: their "unknown" names are MathML's and SVG's.
_FOREIGN = ("math", "svg")


def _is_inline(el: etree._Element) -> bool:
    """A piece of a line: an inline element holding inline elements alone, or a picture."""
    stack = [el]
    while stack:
        name = local_name((node := stack.pop()).tag)
        if name in _PICTURES:
            continue
        if name not in INLINE_TAGS:
            return False
        stack.extend(node)
    return True


def wrap_loose_text(tree: etree._Element) -> None:
    """Each line of text and inline elements in a container that also holds blocks becomes a
    ``<p>``: a block or a ``<br>`` ends it. Containers of inline content alone,
    or of blocks alone, are left as they are. A container is a ``<div>`` and its kind, an
    element HTML does not know, or an inline element holding a block (but a link)."""
    for el in list(tree.iter()):
        if not _is_container(el):
            continue
        children = list(el)
        if not any(not _is_inline(c) for c in children):
            continue
        if not (el.text or "").strip() and not any((c.tail or "").strip() for c in children):
            continue
        _wrap(el, children)


def _is_container(el: etree._Element) -> bool:
    name = local_name(el.tag)
    if name in _CONTAINERS:
        return True
    if name in INLINE_TAGS:
        # A link holding a block is a card: its lines are one link, not paragraphs. Any other
        # inline element holding one (an old page's <font> or <a name> around its sections)
        # is split around it by a browser.
        return not (name == "a" and el.get("href"))
    return (
        bool(_ELEMENT_NAME.fullmatch(name))
        and name not in _HTML_TAGS
        and not any(local_name(a.tag) in _FOREIGN for a in el.iterancestors())
    )


def _wrap(el: etree._Element, children: list[etree._Element]) -> None:
    paragraph: etree._Element | None = None
    text, el.text = el.text, None

    def add_text(value: str | None) -> None:
        nonlocal paragraph
        if not value:
            return
        if paragraph is None:
            if not value.strip():
                return
            paragraph = etree.SubElement(el, "p")
        if len(paragraph):
            paragraph[-1].tail = (paragraph[-1].tail or "") + value
        else:
            paragraph.text = (paragraph.text or "") + value

    add_text(text)
    for child in children:
        tail, child.tail = child.tail, None
        if local_name(child.tag) == "br" or not _is_inline(child):
            paragraph = None
            if local_name(child.tag) == "br":
                el.remove(child)
            else:
                el.append(child)
        else:
            if paragraph is None:
                paragraph = etree.SubElement(el, "p")
            paragraph.append(child)
        add_text(tail)


_LAST_WORD = re.compile(r"(\w+)\W*$")
_FIRST_WORD = re.compile(r"^\W*(\w+)")
_WORDS_AND_GAPS = re.compile(r"\w+|\W+")


def respace(extracted: etree._Element, page_text: str) -> None:
    """The spaces trafilatura dropped next to a link or emphasis put back: it trims each piece of
    text it reads, and "Hugh Pickens</a> writes" came out as "Hugh Pickenswrites". Where the
    two words meet with no space between them in the extraction, the page sets them apart
    (``page_text``, its text with spaces collapsed) and never writes them as one word, the space
    goes back."""
    page = _PageWords(page_text)
    for el in extracted.iter():
        if not isinstance(el.tag, str) or el is extracted:
            continue
        inner = "".join(el.itertext())
        if el.tail and el.tail[:1].isalnum() and page.apart(inner, el.tail):
            el.tail = " " + el.tail
        before = el.getprevious()
        parent = el.getparent()
        if before is not None:
            if before.tail and page.apart(before.tail, inner):
                before.tail += " "
        elif parent is not None and parent.text and page.apart(parent.text, inner):
            parent.text += " "


class _PageWords:
    """The page's words and the pairs of them it writes with one space between, indexed on
    first use (most extractions have no glued words)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._words: set[str] | None = None
        self._pairs: set[tuple[str, str]] = set()

    def apart(self, left: str, right: str) -> bool:
        """``left`` ends and ``right`` starts with a word, glued, and the page sets them apart."""
        if not left[-1:].isalnum() or not right[:1].isalnum():
            return False
        a, b = _LAST_WORD.search(left[-100:]), _FIRST_WORD.match(right)
        if a is None or b is None:
            return False
        if self._words is None:
            tokens = _WORDS_AND_GAPS.findall(self._text)
            self._words = {t for t in tokens if t[0].isalnum() or t[0] == "_"}
            self._pairs = {
                (tokens[i], tokens[i + 2])
                for i in range(len(tokens) - 2)
                if tokens[i + 1] == " " and tokens[i] in self._words
            }
        return (a[1], b[1]) in self._pairs and a[1] + b[1] not in self._words
