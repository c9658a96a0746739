"""Footnotes of an HTML page, lifted out before trafilatura (which drops notes lists).

Each marker that links to a note (``href="#fn1"``, Word's ``_ftn1``, ``cite_note``,
``doc-noteref``, Substack's ``footnote-anchor``) becomes the text ``[n]`` right after the word it
followed; a bare ``<sup>n</sup>`` keeps its number. Each note becomes Markdown paragraphs that the
cleaner puts at the end of the body, the first starting ``[n] ``: the form
:mod:`flows.footnotes.link` links. Notes are numbered in the order of the notes list; back-links
("↩") are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from flows.clean.html import patterns as hp
from flows.clean.html.to_markdown import (
    MARK_CLOSE,
    MARK_OPEN,
    Ctx,
    blocks,
    local_name,
    paragraph,
    plain_text,
    replace_with_text,
)
from flows.markdown import escape_inline, protect_line_start


@dataclass(frozen=True)
class Note:
    number: int
    paragraphs: tuple[str, ...]  # Markdown; the first without its label

    def markdown(self) -> list[str]:
        first, *rest = self.paragraphs or ("",)
        return [f"\\[{self.number}\\] {first}".rstrip(), *rest]


def _fragment(href: str | None) -> str | None:
    if not href or "#" not in href:
        return None
    return unquote(href.split("#", 1)[1]) or None


def _marker_element(a: etree._Element) -> etree._Element:
    """The marker as it stands in the text: ``a``, or the ``<sup>``/``<span>`` holding only it."""
    el = a
    text = plain_text(a)
    while (parent := el.getparent()) is not None and local_name(parent.tag) in (
        "sup",
        "span",
        "small",
    ):
        if plain_text(parent) != text:
            break
        el = parent
    return el


def _note_block(target: etree._Element) -> etree._Element:
    """The block a note's target stands in, grown while the parent adds nothing but the note."""
    el = target
    while local_name(el.tag) not in hp.BLOCK_TAGS and el.getparent() is not None:
        el = el.getparent()
    while (parent := el.getparent()) is not None and local_name(parent.tag) not in (
        "ol", "ul", "body", "html", "article", "main"
    ):  # fmt: skip
        if len(plain_text(parent)) > len(plain_text(el)) + 12:
            break
        el = parent
    return el


def _is_note_link(a: etree._Element, frag: str, target: etree._Element) -> bool:
    in_sup = any(local_name(x.tag) == "sup" for x in a.iterancestors()) or any(
        local_name(x.tag) == "sup" for x in a.iterdescendants()
    )
    role = (a.get("role") or "") + " " + (a.get("class") or "") + " " + (a.get("rel") or "")
    return bool(
        in_sup
        or "noteref" in role
        or "footnote" in role.lower()
        or hp.NOTE_ID.search(frag)
        or hp.NOTES_CONTAINER.search(" ".join(x.get("class", "") for x in target.iterancestors()))
    )


def _note_paragraphs(el: etree._Element, ctx: Ctx) -> tuple[str, ...]:
    for a in list(el.iter("a")):
        if _fragment(a.get("href")) and (
            hp.BACKLINK_TEXT.match(plain_text(a)) or hp.MARKER_TEXT.match(plain_text(a))
        ):
            replace_with_text(a, "")
    for sup in list(el.iter("sup")):
        if not plain_text(sup) and sup.getparent() is not None:
            replace_with_text(sup, "")
    if local_name(el.tag) in ("li", "dd", "p", "td", "span", "a", "sup"):
        paragraphs = paragraph(el, ctx)
    else:
        paragraphs = blocks(el, ctx)
    if paragraphs:
        first = re.sub(r"^(?:\\\^|\\\[\d+\\\]|[↩↑]|\d+[.):]?)\s*", "", paragraphs[0])
        paragraphs = [protect_line_start(first), *paragraphs[1:]]
    return tuple(p for p in paragraphs if p)


_FRAGMENT_LINKS = etree.XPath("//a[contains(@href,'#')]")
_TARGETS = etree.XPath("//*[@id or @name]")


def lift_notes(tree: etree._Element, ctx: Ctx) -> list[Note]:
    """Markers that link to notes become ``[n]`` text; the notes are taken out of the page."""
    links = [
        (a, frag)
        for a in _FRAGMENT_LINKS(tree)
        if (frag := _fragment(a.get("href"))) and hp.MARKER_TEXT.match(plain_text(a))
    ]
    if not links:
        notes = _title_notes(tree, 1)
        _bare_superscripts(tree)
        return notes
    order = {el: i for i, el in enumerate(tree.iter())}
    ids: dict[str, etree._Element] = {}
    for el in _TARGETS(tree):
        for key in (el.get("id"), el.get("name")):
            if key:
                ids.setdefault(key, el)
    pairs: list[tuple[etree._Element, etree._Element]] = []
    for a, frag in links:
        target = ids.get(frag)
        if target is None or target is a:
            continue
        if order.get(target, -1) <= order[a] or not _is_note_link(a, frag, target):
            continue
        block = _note_block(target)
        if a in set(block.iter()) or local_name(block.tag) in ("h1", "h2", "h3", "h4", "h5", "h6"):
            continue
        pairs.append((a, block))

    # Notes are numbered in the order of the notes list, which on a well-made page is the order
    # of their first markers; a note no marker links to keeps its place (and its number).
    note_blocks = {block for _, block in pairs}
    lists = set()  # each notes list once: a page of thousands of notes has one list of them
    for block in list(note_blocks):
        parent = block.getparent()
        if (
            local_name(block.tag) == "li"
            and parent is not None
            and parent not in lists
            and local_name(parent.tag) in ("ol", "ul")
        ):
            lists.add(parent)
            note_blocks.update(c for c in parent if local_name(c.tag) == "li")
    ordered = sorted(note_blocks, key=lambda b: order.get(b, 0))
    numbers = {block: n for n, block in enumerate(ordered, start=1)}
    for a, block in pairs:
        n = numbers[block]
        replace_with_text(_marker_element(a), f"{MARK_OPEN}{n}{MARK_CLOSE}")
    notes = [Note(n, _note_paragraphs(block, ctx)) for block, n in numbers.items()]
    for block in numbers:
        parent = block.getparent()
        if parent is not None:
            replace_with_text(block, "")
            if not plain_text(parent) and parent.getparent() is not None:
                replace_with_text(parent, "")
    notes += _title_notes(tree, len(notes) + 1)
    _bare_superscripts(tree)
    return notes


_TITLED_MARKERS = etree.XPath("//*[self::a or self::sup or self::span or self::abbr][@title]")


def _title_notes(tree: etree._Element, first: int) -> list[Note]:
    """Notes a page carries only in a marker's ``title`` (a tooltip): ``<sup title="…">1</sup>``.

    Each becomes ``[n]`` in the text and a note of its own, numbered after the page's other notes.
    """
    notes: list[Note] = []
    for el in _TITLED_MARKERS(tree):
        title = " ".join((el.get("title") or "").split())
        if el.getparent() is None or len(title) < 12 or not hp.MARKER_TEXT.match(plain_text(el)):
            continue
        marker = _marker_element(el)
        if not _after_word(marker):  # a calendar's day, a page number: a link, not a note
            continue
        number = first + len(notes)
        replace_with_text(marker, f"{MARK_OPEN}{number}{MARK_CLOSE}")
        notes.append(Note(number, (protect_line_start(escape_inline(title)),)))
    return notes


def _after_word(el: etree._Element) -> bool:
    """Whether ``el`` follows text in its line, not a number: where a note marker stands."""
    prev = el.getprevious()
    before = (prev.tail if prev is not None else el.getparent().text) or ""
    return bool(before.strip()) and not before[-1:].isdigit()


def _bare_superscripts(tree: etree._Element) -> None:
    """``<sup>3</sup>`` after a word, linking nowhere, keeps its number as ``[3]``."""
    for sup in list(tree.iter("sup")):
        m = hp.MARKER_TEXT.match(plain_text(sup))
        if not m or not m["n"].isdigit() or sup.find(".//a") is not None:
            continue
        if not _after_word(sup):
            continue
        replace_with_text(sup, f"{MARK_OPEN}{m['n']}{MARK_CLOSE}")
