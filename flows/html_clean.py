"""Cleaner for HTML pages: the article of a page saved from any CMS, as literal Pandoc Markdown.

1. The page is parsed with lxml. The comment section is cut (or, with ``keep_comments``, set
   aside), and so is furniture trafilatura tends to keep (share boxes, related posts…).
2. The notes are lifted out (:func:`lift_notes`): each marker that links to a note becomes the
   text ``[n]``, numbered in order of appearance, right after the word it followed; each note
   becomes ``[n] text``. trafilatura drops notes lists (those with "↩" back-links always), so
   they are put back after extraction, at the end of the body: the form that
   :mod:`flows.footnotes` links.
3. trafilatura finds the article and its metadata. Its XML is turned into Markdown through a
   dispatch table (:data:`BLOCKS`, :data:`INLINES`): every text node goes through
   :func:`flows.markdown.escape_inline`; the markup built here wraps escaped text, and a link
   keeps its URL only if it is http(s) or mailto. No HTML from the page reaches the Markdown.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from flows import html_patterns as hp
from flows import patterns
from flows.html_meta import page_metadata
from flows.markdown import escape_inline, protect_line_start, to_plain, unescape
from flows.model import PamphleteerError
from flows.settings import Settings
from flows.typography import curl_quotes, dashes_and_dots

#: Fewer words than this from trafilatura's fast pass, and its fallbacks are tried.
MIN_ARTICLE_WORDS = 25

# A note marker while the page is being cleaned: private-use characters no page contains.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"[ \t\u00a0]*{_MARK_OPEN}(\\d+){_MARK_CLOSE}")
# A line break (``<br>``) until a block is finished: two of them end a paragraph.
_BREAK = "\ue002"
_PARAGRAPH_BREAK = re.compile(
    f"(?:\\s*{_BREAK}){{2,}}\\s*|\\s*{_BREAK}\\s*(?=\\\\\\[\\d{{1,3}}\\\\\\]|{_MARK_OPEN})"
)
_BLOCK_MARKUP = re.compile(r"^(#+ |> ?)|\n> ?|^\|[-|]*\|$", re.M)
_HAS_TEXT = re.compile(r"[^\s*_\ue002]")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


@dataclass(frozen=True)
class CleanedPage:
    body: str  # Pandoc Markdown: the article, then the notes as "[n] …" paragraphs
    meta: dict[str, Any] = field(default_factory=dict)
    removed: tuple[tuple[str, str], ...] = ()
    responses: tuple[str, ...] = ()  # reader comments as Markdown blocks (``keep_comments``)


# -- text ---------------------------------------------------------------------------------------


def _text(s: str | None) -> str:
    """One text node of the page as escaped Markdown, typography normalised, spaces kept."""
    if not s:
        return ""
    if not s.isascii():
        s = _INVISIBLE.sub("", s)
    s = _SPACES.sub(" ", s)
    if "'" in s or '"' in s:
        s = curl_quotes(s)
    if "-" in s or "..." in s:
        s = dashes_and_dots(s)
    return escape_inline(s)


def _finish(md: str) -> str:
    """Inline Markdown of one block: spaces collapsed, markers as ``\\[n\\]``, line start safe."""
    md = _SPACES.sub(" ", md.replace(_BREAK, " ")).strip()
    md = _MARKER.sub(lambda m: f"\\[{m[1]}\\]", md)
    return protect_line_start(md) if md else ""


def plain_text(el: etree._Element) -> str:
    return _SPACES.sub(" ", "".join(el.itertext())).strip()


def _local(tag: Any) -> str:
    return tag.lower() if isinstance(tag, str) else ""


# -- inline conversion ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    settings: Settings
    in_link: bool = False
    flat_lists: bool = False  # lists as paragraphs (a comment thread)


def inline(el: etree._Element, ctx: _Ctx) -> str:
    """The Markdown of ``el``'s content (not its tail)."""
    parts = [_text(el.text)]
    for child in el:
        tag = _local(child.tag)
        tail = _text(child.tail)
        if tag:
            md = INLINES.get(tag, _inline_plain)(child, ctx)
            if md.startswith("_") and (parts[-1][-1:].isalnum() or tail[:1].isalnum()):
                md = _INTRAWORD.sub(lambda m: "*" * len(m[1]) + m[2] + "*" * len(m[1]), md)
            parts.append(md)
        parts.append(tail)
    return "".join(parts)


def _inline_plain(el: etree._Element, ctx: _Ctx) -> str:
    return inline(el, ctx)


def _wrap(md: str, mark: str) -> str:
    core = md.strip()
    if not _HAS_TEXT.search(core):  # nothing but spaces and emphasis marks inside
        return " " if md else ""
    if "\n" in core:
        return md
    lead = md[: len(md) - len(md.lstrip())]
    trail = md[len(md.rstrip()) :]
    return f"{lead}{mark}{core}{mark}{trail}"


# Emphasis is written with underscores: a ``*`` at the start of a paragraph or after a word is
# also how a page writes a note's symbol, and the footnote stage reads the text for those. Inside
# a word ("re*write*") only stars work, so there they are used.
_INTRAWORD = re.compile(r"^(_{1,2})(.*)\1$", re.S)


def _emphasis(el: etree._Element, ctx: _Ctx) -> str:
    return _wrap(inline(el, ctx), "_")


def _strong(el: etree._Element, ctx: _Ctx) -> str:
    return _wrap(inline(el, ctx), "__")


def _hi(el: etree._Element, ctx: _Ctx) -> str:
    rend = el.get("rend", "")
    if "#i" in rend:
        return _emphasis(el, ctx)
    if "#b" in rend:
        return _strong(el, ctx)
    return inline(el, ctx)


def safe_url(url: str | None) -> str | None:
    """``url`` if a reader may follow it (http, https, mailto), made safe for Markdown."""
    if not url:
        return None
    url = url.strip()
    if not hp.SAFE_URL.match(url):
        return None
    return url.replace("(", "%28").replace(")", "%29").replace("*", "%2A").replace("_", "%5F")


def _link(el: etree._Element, ctx: _Ctx) -> str:
    if ctx.in_link:
        return inline(el, ctx)
    text = inline(el, _Ctx(ctx.settings, in_link=True))
    url = safe_url(el.get("target") or el.get("href"))
    if url is None or not text.strip() or _MARK_OPEN in text:
        return text
    core = text.strip()
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}[{core}]({url}){trail}"


def _line_break(el: etree._Element, ctx: _Ctx) -> str:
    return _BREAK


def _paragraphs(md: str) -> list[str]:
    """One block's inline Markdown as paragraphs: split where the page left a blank line
    (``<br><br>``, as Blogger does) or where a line starts a note (``<br>[2] …``)."""
    if _BREAK not in md:
        return [p] if (p := _finish(md)) else []
    parts = _PARAGRAPH_BREAK.split(md)
    return [p for part in parts if (p := _finish(part))]


def _image_inline(el: etree._Element, ctx: _Ctx) -> str:
    return ""


INLINES: dict[str, Callable[[etree._Element, _Ctx], str]] = {
    "hi": _hi,
    "em": _emphasis,
    "i": _emphasis,
    "cite": _emphasis,
    "strong": _strong,
    "b": _strong,
    "ref": _link,
    "a": _link,
    "lb": _line_break,
    "br": _line_break,
    "graphic": _image_inline,
    "img": _image_inline,
}


# -- block conversion ----------------------------------------------------------------------------

_BLOCK_NAMES = frozenset({"p", "div", "head", "list", "item", "quote", "table", "row", "cell",
                          "code", "pre", "graphic", "img", "blockquote", "ul", "ol", "li",
                          "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main",
                          "aside", "header", "footer", "tr", "td", "th", "dl", "dt", "dd",
                          "figure", "figcaption", "body", "center", "tbody", "thead",
                          "hr", "details", "summary", "nav"})  # fmt: skip


def _has_blocks(el: etree._Element) -> bool:
    return any(_local(c.tag) in _BLOCK_NAMES for c in el.iterdescendants())


def blocks(el: etree._Element, ctx: _Ctx) -> list[str]:
    """The Markdown blocks of a container: runs of inline content become paragraphs."""
    out: list[str] = []
    run: list[str] = [_text(el.text)]

    def flush() -> None:
        out.extend(_paragraphs("".join(run)))
        run.clear()

    for child in el:
        tag = _local(child.tag)
        if tag in BLOCKS or (tag in _BLOCK_NAMES and tag not in INLINES):
            flush()
            out.extend(BLOCKS.get(tag, blocks)(child, ctx))
        elif tag:
            run.append(INLINES.get(tag, _inline_plain)(child, ctx))
        run.append(_text(child.tail))
    flush()
    return out


def _paragraph(el: etree._Element, ctx: _Ctx) -> list[str]:
    if _has_blocks(el):
        return blocks(el, ctx)
    return _paragraphs(inline(el, ctx))


def _heading(el: etree._Element, ctx: _Ctx) -> list[str]:
    level = (el.get("rend") or _local(el.tag))[-1:]
    md = _SPACES.sub(" ", inline(el, ctx).replace(_BREAK, " ")).strip()
    md = _MARKER.sub(lambda m: f"\\[{m[1]}\\]", md)
    if not md:
        return []
    hashes = {"1": "##", "2": "##", "3": "###"}.get(level, "####")
    return [f"{hashes} {md}"]


def _items(el: etree._Element) -> Iterator[etree._Element]:
    return (c for c in el if _local(c.tag) in ("item", "li"))


def _list(el: etree._Element, ctx: _Ctx, depth: int = 0) -> list[str]:
    ordered = _local(el.tag) == "ol" or el.get("rend") == "ol"
    lines: list[str] = []
    for n, item in enumerate(_items(el), start=1):
        nested = [c for c in item if _local(c.tag) in ("list", "ul", "ol")]
        for c in nested:
            item.remove(c)  # rendered below, indented
        # An item is one line: headings, quotes and tables inside it become its text.
        text = " ".join(_BLOCK_MARKUP.sub("", b).replace("\n", " ") for b in _paragraph(item, ctx))
        bullet = f"{n}." if ordered else "-"
        if text:
            lines.append("    " * depth + f"{bullet} {text}")
        for c in nested:
            lines.extend(_list(c, ctx, depth + 1))
    return ["\n".join(lines)] if lines and depth == 0 else lines


def _list_block(el: etree._Element, ctx: _Ctx) -> list[str]:
    if ctx.flat_lists:
        return blocks(el, ctx)
    return _list(el, ctx)


def _quote(el: etree._Element, ctx: _Ctx) -> list[str]:
    inner = blocks(el, ctx)
    return ["\n>\n".join("> " + b.replace("\n", "\n> ") for b in inner)] if inner else []


def _rows(el: etree._Element) -> list[etree._Element]:
    return [r for r in el.iter() if _local(r.tag) in ("row", "tr")]


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if _local(c.tag) in ("cell", "td", "th")]


def _table(el: etree._Element, ctx: _Ctx) -> list[str]:
    rows = _rows(el)
    width = max((len(_cells(r)) for r in rows), default=0)
    layout = width < 2 or len(rows) < 2 or any(_has_blocks(c) for r in rows for c in _cells(r))
    if layout:  # a table used for layout: its content is the text
        return [b for r in rows for c in _cells(r) for b in blocks(c, ctx)]
    lines = []
    for i, row in enumerate(rows):
        cells = [_finish(inline(c, ctx)).replace("\\|", "\\|") for c in _cells(row)]
        cells += [""] * (width - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "---|" * width)
    return ["\n".join(lines)]


def _code(el: etree._Element, ctx: _Ctx) -> list[str]:
    return [md for line in plain_text_lines(el) if (md := _finish(_text(line)))]


def plain_text_lines(el: etree._Element) -> list[str]:
    return "".join(el.itertext()).split("\n")


def _image(el: etree._Element, ctx: _Ctx) -> list[str]:
    if not ctx.settings.images:
        return []
    url = safe_url(el.get("src"))
    if url is None:
        return []
    alt = _finish(_text(el.get("alt") or el.get("title") or ""))
    return [f"![{alt}]({url})"]


def _nothing(el: etree._Element, ctx: _Ctx) -> list[str]:
    return []


BLOCKS: dict[str, Callable[[etree._Element, _Ctx], list[str]]] = {
    "p": _paragraph,
    "head": _heading,
    **{f"h{n}": _heading for n in range(1, 7)},
    "list": _list_block,
    "ul": _list_block,
    "ol": _list_block,
    "quote": _quote,
    "blockquote": _quote,
    "table": _table,
    "code": _code,
    "pre": _code,
    "graphic": _image,
    "img": _image,
    "hr": _nothing,
}


# -- notes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    number: int
    paragraphs: tuple[str, ...]  # Markdown; the first without its label

    def markdown(self) -> list[str]:
        first, *rest = self.paragraphs or ("",)
        return [f"\\[{self.number}\\] {first}".rstrip(), *rest]


def _replace_with_text(el: etree._Element, text: str) -> None:
    """Remove ``el`` from the tree, leaving ``text`` (and its tail) where it stood."""
    parent = el.getparent()
    if parent is None:
        return
    text += el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(el)


def _fragment(href: str | None) -> str | None:
    if not href or "#" not in href:
        return None
    return unquote(href.split("#", 1)[1]) or None


def _marker_element(a: etree._Element) -> etree._Element:
    """The marker as it stands in the text: ``a``, or the ``<sup>``/``<span>`` holding only it."""
    el = a
    text = plain_text(a)
    while (parent := el.getparent()) is not None and _local(parent.tag) in ("sup", "span", "small"):
        if plain_text(parent) != text:
            break
        el = parent
    return el


def _note_block(target: etree._Element) -> etree._Element:
    """The block a note's target stands in, grown while the parent adds nothing but the note."""
    el = target
    while _local(el.tag) not in hp.BLOCK_TAGS and el.getparent() is not None:
        el = el.getparent()
    while (parent := el.getparent()) is not None and _local(parent.tag) not in (
        "ol", "ul", "body", "html", "article", "main"
    ):  # fmt: skip
        if len(plain_text(parent)) > len(plain_text(el)) + 12:
            break
        el = parent
    return el


def _is_note_link(a: etree._Element, frag: str, target: etree._Element) -> bool:
    in_sup = any(_local(x.tag) == "sup" for x in a.iterancestors()) or any(
        _local(x.tag) == "sup" for x in a.iterdescendants()
    )
    role = (a.get("role") or "") + " " + (a.get("class") or "") + " " + (a.get("rel") or "")
    return bool(
        in_sup
        or "noteref" in role
        or "footnote" in role.lower()
        or hp.NOTE_ID.search(frag)
        or hp.NOTES_CONTAINER.search(" ".join(x.get("class", "") for x in target.iterancestors()))
    )


def _note_paragraphs(el: etree._Element, ctx: _Ctx) -> tuple[str, ...]:
    for a in list(el.iter("a")):
        if _fragment(a.get("href")) and (
            hp.BACKLINK_TEXT.match(plain_text(a)) or hp.MARKER_TEXT.match(plain_text(a))
        ):
            _replace_with_text(a, "")
    for sup in list(el.iter("sup")):
        if not plain_text(sup) and sup.getparent() is not None:
            _replace_with_text(sup, "")
    if _local(el.tag) in ("li", "dd", "p", "td", "span", "a", "sup"):
        paragraphs = _paragraph(el, ctx)
    else:
        paragraphs = blocks(el, ctx)
    if paragraphs:
        first = re.sub(r"^(?:\\\^|\\\[\d{1,3}\\\]|[↩↑]|\d{1,3}[.):]?)\s*", "", paragraphs[0])
        paragraphs = [protect_line_start(first), *paragraphs[1:]]
    return tuple(p for p in paragraphs if p)


_FRAGMENT_LINKS = etree.XPath("//a[contains(@href,'#')]")
_TARGETS = etree.XPath("//*[@id or @name]")


def lift_notes(tree: etree._Element, ctx: _Ctx) -> list[Note]:
    """Markers that link to notes become ``[n]`` text; the notes are taken out of the page."""
    links = [
        (a, frag)
        for a in _FRAGMENT_LINKS(tree)
        if (frag := _fragment(a.get("href"))) and hp.MARKER_TEXT.match(plain_text(a))
    ]
    if not links:
        _bare_superscripts(tree)
        return []
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
        if a in set(block.iter()) or _local(block.tag) in ("h1", "h2", "h3", "h4", "h5", "h6"):
            continue
        pairs.append((a, block))

    # Notes are numbered in the order of the notes list, which on a well-made page is the order
    # of their first markers; a note no marker links to keeps its place (and its number).
    note_blocks = {block for _, block in pairs}
    for block in list(note_blocks):
        parent = block.getparent()
        if _local(block.tag) == "li" and parent is not None and _local(parent.tag) in ("ol", "ul"):
            note_blocks.update(c for c in parent if _local(c.tag) == "li")
    ordered = sorted(note_blocks, key=lambda b: order.get(b, 0))
    numbers = {block: n for n, block in enumerate(ordered, start=1)}
    for a, block in pairs:
        n = numbers[block]
        _replace_with_text(_marker_element(a), f"{_MARK_OPEN}{n}{_MARK_CLOSE}")
    notes = [Note(n, _note_paragraphs(block, ctx)) for block, n in numbers.items()]
    for block in numbers:
        parent = block.getparent()
        if parent is not None:
            _replace_with_text(block, "")
            if not plain_text(parent) and parent.getparent() is not None:
                _replace_with_text(parent, "")
    _bare_superscripts(tree)
    return notes


def _bare_superscripts(tree: etree._Element) -> None:
    """``<sup>3</sup>`` after a word, linking nowhere, keeps its number as ``[3]``."""
    for sup in list(tree.iter("sup")):
        m = hp.MARKER_TEXT.match(plain_text(sup))
        if not m or not m["n"].isdigit() or sup.find(".//a") is not None:
            continue
        prev = sup.getprevious()
        before = (prev.tail if prev is not None else sup.getparent().text) or ""
        if before[-1:].isdigit() or not before.strip():
            continue
        _replace_with_text(sup, f"{_MARK_OPEN}{m['n']}{_MARK_CLOSE}")


# -- the page -----------------------------------------------------------------------------------


# HTML comments and processing instructions are not text (and confuse trafilatura).
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)


def parse(page: str, name: str = "page") -> etree._Element:
    page = _XML_DECLARATION.sub("", page, count=1)
    try:
        return lxml_html.document_fromstring(page, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise PamphleteerError(f"{name}: not an HTML page ({exc})") from None


def _excerpt(el: etree._Element, size: int = 100) -> str:
    """The start of an element's text, for the report (it shortens it further)."""
    parts: list[str] = []
    length = 0
    for t in el.itertext():
        parts.append(t)
        length += len(t)
        if length > size:
            break
    return _SPACES.sub(" ", "".join(parts)).strip()


def _remove(elements: list[etree._Element]) -> list[str]:
    removed = []
    for el in elements:
        parent = el.getparent()
        if parent is None or _local(el.tag) in ("body", "html"):
            continue
        removed.append(_excerpt(el))
        _replace_with_text(el, "")
    return removed


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _link_density(el: etree._Element) -> float:
    text = len(plain_text(el)) or 1
    return sum(len(plain_text(a)) for a in el.iter("a")) / text


def _is_furniture(el: etree._Element) -> bool:
    """A share box, a related-posts list, a cookie notice: short, or mostly links."""
    if _local(el.tag) in ("body", "html", "article", "main"):
        return False
    length = sum(len(t.strip()) for t in el.itertext())
    return length < 300 or (length < 3000 and _link_density(el) > 0.5)


def _marked(tree: etree._Element) -> tuple[list[etree._Element], list[etree._Element]]:
    """Elements whose class or id says "comments", and those that say "share", "related"…"""
    comments, furniture = [], []
    for el in tree.iter(*hp.MARKED_TAGS):
        names = el.get("class"), el.get("id")
        if names == (None, None):
            continue
        kind = hp.marked_kind(f"{names[0] or ''} {names[1] or ''}")
        if kind == "comment":
            comments.append(el)
        elif kind == "furniture":
            furniture.append(el)
    return comments, furniture


def _comment_sections(marked: list[etree._Element]) -> list[etree._Element]:
    found = _outermost(marked)
    # A heading alone ("Comments", "3 Responses") is left in: it tells where the thread starts,
    # when the thread itself is not marked up as one.
    return [
        el
        for el in found
        if _local(el.tag) not in ("body", "html", "article", "main") and not _is_comment_heading(el)
    ]


def _is_comment_heading(el: etree._Element) -> bool:
    text = plain_text(el)
    return len(text) < 60 and any(r.search(text) for r in patterns.COMMENT_SECTION_START)


def cut_tail(body: list[str]) -> tuple[list[str], list[str], str]:
    """The article's blocks, and what follows it: the comment section (cut at the block that
    opens the thread), other articles ("Related posts", "Also on …") or the blog after a post's
    footer ("Posted in … | Tagged …"). The last value says which."""
    words = 0
    for i, md in enumerate(body):
        n = md.count(" ") + 1
        if n > 40:  # too long to open a thread, whatever its markup
            words += n
            continue
        text = to_plain(md).strip()
        n = len(text.split())
        if words >= 30 and n <= 25 and _opens_thread(text):
            return body[:i], body[i:], "comment section"
        if words >= 100 and n <= 8 and patterns.RELATED_START.search(text):
            return body[:i], body[i:], "related posts"
        if words >= 50 and patterns.POST_FOOTER.search(text):
            return body[:i], body[i:], "site chrome"
        words += n
    return body, [], ""


def _opens_thread(text: str) -> bool:
    """A line that opens the comment section. "Kurt wrote:" alone may introduce a quotation in
    the article: an author line counts only with a date or time in it, or a "says:"."""
    if patterns.COMMENT_SIGNATURE.search(text):
        return True
    if patterns.COMMENT_AUTHOR.match(text):
        return bool(re.search(r"\d|says:$|said\s?(\.\.\.|…)$", text))
    return any(r.search(text) for r in patterns.COMMENT_SECTION_START[:-1])


def trim_chrome(body: list[str]) -> tuple[list[str], list[str]]:
    """Short furniture lines ("Share this:", "Related", "© 2021 …") at either end of the body."""
    removed: list[str] = []

    def chrome(md: str) -> bool:
        text = to_plain(md).strip()
        return len(text.split()) <= 25 and any(r.search(text) for r in patterns.CHROME)

    while body and chrome(body[-1]):
        removed.append(body.pop())
    while body and chrome(body[0]):
        removed.append(body.pop(0))
    return body, removed


def _extract(tree: etree._Element, ctx: _Ctx, *, fast: bool) -> list[str]:
    doc = trafilatura.bare_extraction(
        tree,
        fast=fast,
        favor_recall=not fast,
        include_comments=False,
        include_tables=True,
        include_images=ctx.settings.images,
        include_formatting=True,
        include_links=True,
        with_metadata=False,
    )
    return blocks(doc.body, ctx) if doc is not None and doc.body is not None else []


def extract_article(tree: etree._Element, ctx: _Ctx) -> list[str]:
    """The article's blocks: trafilatura's fast pass; its fallbacks (readability, jusText) only
    when that finds next to nothing; the whole page as a last resort."""
    body = _extract(tree, ctx, fast=True)
    if sum(b.count(" ") + 1 for b in body) >= MIN_ARTICLE_WORDS:
        return body
    body = _extract(tree, ctx, fast=False) or body
    if body:
        return body
    root = tree.find("body")
    return blocks(root if root is not None else tree, ctx)


def _key(md: str) -> str:
    return re.sub(r"\W+", " ", unescape(md.lstrip("#")).casefold()).strip()


def _drop_title(body: list[str], meta: dict[str, Any]) -> list[str]:
    """Headings that repeat the title (it is in the metadata) or the page's description before
    the first paragraph (kept as the subtitle)."""
    title, description = _key(meta.get("title", "")), _key(meta.get("description", ""))
    # A blog's header (its name, its tagline), then the post's date as a heading, then the post.
    for k in range(min(len(body) - 2, 6)):
        heading = unescape(body[k].lstrip("#").strip())
        if (
            body[k].startswith("#")
            and (dateline := patterns.DATELINE.match(heading))
            and body[k + 1].startswith("#")
            and all(len(b.split()) <= 12 for b in body[:k])
        ):
            meta.setdefault("date", dateline["date"])
            del body[: k + 1]
            break
    i = 0
    while i < len(body) and (body[i].startswith("#") or len(body[i].split()) <= 20):
        key = _key(body[i])
        if key and key == title:
            del body[i]
        elif key and key == description:
            meta["subtitle"] = meta["description"]
            del body[i]
        elif body[i].startswith("#"):
            i += 1
        else:
            break
    return body


def _drop_trailing_headings(body: list[str], meta: dict[str, Any]) -> list[str]:
    """Headings after the last paragraph head nothing: the title again, or the post's date."""
    title = _key(meta.get("title", ""))
    while body and body[-1].startswith("#"):  # headings after the text head nothing
        heading = unescape(body[-1].lstrip("#").strip())
        dateline = patterns.DATELINE.match(heading)
        if _key(heading) != title and not dateline:
            break
        if dateline:
            meta.setdefault("date", dateline["date"])
        body.pop()
    return body


def _is_thread_furniture(md: str) -> bool:
    """ "Reply", "Leave a Reply", "3 comments:", the reply form's labels."""
    text = to_plain(md).strip()
    return not text or (
        len(text.split()) <= 25
        and any(r.search(text) for r in (*patterns.COMMENT_FORM, *patterns.CHROME))
    )


def _comments_markdown(sections: list[etree._Element], ctx: _Ctx) -> list[str]:
    """Each comment as paragraphs (a thread's list is not a list in the text), without the
    reply form and the "Reply" links."""
    out: list[str] = []
    flat = _Ctx(ctx.settings, flat_lists=True)
    for section in copy.deepcopy(sections):
        for el in list(section.iter("form", "button", "input", "textarea", "label")):
            _replace_with_text(el, "")
        for el in list(section.iter()):
            names = f"{el.get('class', '')} {el.get('id', '')}".lower()
            if el is not section and ("reply" in names or "respond" in names):
                _replace_with_text(el, "")
        out.extend(blocks(section, flat))
    return out


def html_to_markdown(page: str, settings: Settings, name: str = "page") -> CleanedPage:
    """One page's article as Markdown, its metadata, and what was cut."""
    tree = parse(page, name)
    ctx = _Ctx(settings)
    meta = page_metadata(tree)
    for el in list(tree.iter("script", "style", "noscript", "template")):
        _replace_with_text(el, "")
    marked_comments, marked_furniture = _marked(tree)
    sections = _comment_sections(marked_comments)
    responses = _comments_markdown(sections, ctx) if settings.keep_comments else []
    removed = [("comment section", t) for t in _remove(sections) if t]
    notes = lift_notes(tree, ctx)
    furniture = [
        el
        for el in _outermost(marked_furniture)
        if el.getparent() is not None and _is_furniture(el)
    ]
    removed += [("site chrome", t) for t in _remove(furniture) if t]

    body = extract_article(tree, ctx)
    body = _drop_title(body, meta)
    body, tail, what = cut_tail(body)
    if tail:
        removed.append((what, to_plain(tail[0])))
        if settings.keep_comments and what == "comment section":
            responses = tail[1:] + responses
    body, chrome = trim_chrome(body)
    removed += [("site chrome", to_plain(md)) for md in chrome]
    body = _drop_trailing_headings(body, meta)
    for note in notes:
        body.extend(note.markdown())
    replies = tuple(md for md in responses if not _is_thread_furniture(md))
    return CleanedPage("\n\n".join(body) + "\n", meta, tuple(removed), replies)
