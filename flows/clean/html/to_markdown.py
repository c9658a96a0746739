"""An HTML element (a page's, or trafilatura's XML of an article) as literal Pandoc Markdown.

The conversion goes through dispatch tables, tag → function: :data:`INLINES` for what stays
inside a paragraph, :data:`BLOCKS` for what makes paragraphs. Every text node goes through
:func:`flows.markdown.escape_inline`; the markup built here (``_em_``, ``**strong**``,
``[text](url)``, ``> quote``, ``## heading``, lists, pipe tables) wraps escaped text, and a link
keeps its URL only if it is http(s) or mailto. No HTML from the page reaches the Markdown.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, unquote

from lxml import etree

from flows.clean.html import patterns as hp
from flows.markdown import escape_inline, protect_line_start
from flows.markdown import math as markdown_math
from flows.settings import Settings
from flows.typography import collapse_spaces, curl_quotes, dashes_and_dots, punctuation_spaces

# A note marker while the page is being cleaned: private-use characters no page contains.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"[ \t\u00a0]*{MARK_OPEN}(\\d+){MARK_CLOSE}")
# Marks the key of a figure's caption (see Ctx.captions).
CAPTION_KEY = "\ue006"
# A formula (:mod:`flows.clean.html.math`): its TeX, hex-encoded, between these.
MATH_INLINE, MATH_DISPLAY, MATH_CLOSE = "\ue003", "\ue005", "\ue004"
_MATH = re.compile(f"([{MATH_INLINE}{MATH_DISPLAY}])([0-9a-f]*){MATH_CLOSE}")
# A line break (``<br>``) until a block is finished: two of them end a paragraph.
_BREAK = "\ue002"
_PARAGRAPH_BREAK = re.compile(
    f"(?:\\s*{_BREAK}){{2,}}\\s*|\\s*{_BREAK}\\s*(?=\\\\\\[\\d+\\\\\\]|{MARK_OPEN})"
)
_BLOCK_MARKUP = re.compile(r"^(#+ |> ?)|\n> ?|^\|[-|]*\|$", re.M)
_HAS_TEXT = re.compile(r"[^\s*_\ue002]")
SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# The breaking ones: a no-break space (U+00A0, U+202F) in the text is kept.
_BREAKING = re.compile(r"[^\S\u00a0\u202f]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


# -- text ---------------------------------------------------------------------------------------


def _text(s: str | None, lang: str | None = None) -> str:
    """One text node of the page as escaped Markdown, typography normalised by the rules of the
    page's language, spaces kept (a no-break one as it is)."""
    if not s:
        return ""
    if not s.isascii():
        s = collapse_spaces(_BREAKING.sub(" ", _INVISIBLE.sub("", s)))
    else:
        s = SPACES.sub(" ", s)
    if "'" in s or '"' in s:
        s = curl_quotes(s, lang)
    s = dashes_and_dots(s, lang)
    return escape_inline(punctuation_spaces(s, lang))


def _formula(m: re.Match[str]) -> str:
    tex = bytes.fromhex(m[2]).decode("utf-8", errors="replace")
    end = m.end()
    # "$x$2" is not math to Pandoc: before a digit, the formula stays text.
    if m.string[end : end + 1].isdigit() and m[1] == MATH_INLINE:
        return escape_inline(tex)
    return markdown_math(tex, display=m[1] == MATH_DISPLAY) or escape_inline(tex)


def formulas(md: str) -> str:
    """The formulas' placeholders in ``md`` as Pandoc math (or, where unsafe, escaped TeX)."""
    return _MATH.sub(_formula, md) if MATH_CLOSE in md else md


def _finish(md: str) -> str:
    """Inline Markdown of one block: spaces collapsed, markers as ``\\[n\\]``, formulas as
    math, line start safe."""
    md = collapse_spaces(_BREAKING.sub(" ", md.replace(_BREAK, " "))).strip()
    md = _MARKER.sub(lambda m: f"\\[{m[1]}\\]", md)
    md = formulas(md)
    return protect_line_start(md) if md else ""


def plain_text(el: etree._Element) -> str:
    return SPACES.sub(" ", "".join(el.itertext())).strip()


def local_name(tag: Any) -> str:
    return tag.lower() if isinstance(tag, str) else ""


# -- inline conversion ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    settings: Settings
    in_link: bool = False
    flat_lists: bool = False  # lists as paragraphs (a comment thread)
    #: Figure captions as Markdown, by the key :mod:`flows.clean.html.figures` put in their
    #: image's ``title`` (trafilatura keeps an image's title, and garbles a figcaption).
    captions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    lang: str | None = None  # the page's language: its typography rules


def inline(el: etree._Element, ctx: Ctx) -> str:
    """The Markdown of ``el``'s content (not its tail)."""
    parts = [_text(el.text, ctx.lang)]
    for child in el:
        tag = local_name(child.tag)
        tail = _text(child.tail, ctx.lang)
        if tag:
            md = INLINES.get(tag, _inline_plain)(child, ctx)
            if md.startswith("_") and (parts[-1][-1:].isalnum() or tail[:1].isalnum()):
                md = _INTRAWORD.sub(lambda m: "*" * len(m[1]) + m[2] + "*" * len(m[1]), md)
            parts.append(md)
        parts.append(tail)
    return "".join(parts)


def _inline_plain(el: etree._Element, ctx: Ctx) -> str:
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


def _emphasis(el: etree._Element, ctx: Ctx) -> str:
    return _wrap(inline(el, ctx), "_")


def _strong(el: etree._Element, ctx: Ctx) -> str:
    return _wrap(inline(el, ctx), "__")


def _hi(el: etree._Element, ctx: Ctx) -> str:
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


def _link(el: etree._Element, ctx: Ctx) -> str:
    if ctx.in_link:
        return inline(el, ctx)
    text = inline(el, dataclasses.replace(ctx, in_link=True))
    url = safe_url(el.get("target") or el.get("href"))
    if url is None or not text.strip() or MARK_OPEN in text:
        return text
    core = text.strip()
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}[{core}]({url}){trail}"


def _line_break(el: etree._Element, ctx: Ctx) -> str:
    return _BREAK


def _paragraphs(md: str) -> list[str]:
    """One block's inline Markdown as paragraphs: split where the page left a blank line
    (``<br><br>``, as Blogger does) or where a line starts a note (``<br>[2] …``)."""
    if _BREAK not in md:
        return [p] if (p := _finish(md)) else []
    parts = _PARAGRAPH_BREAK.split(md)
    return [p for part in parts if (p := _finish(part))]


def _image_inline(el: etree._Element, ctx: Ctx) -> str:
    return ""


INLINES: dict[str, Callable[[etree._Element, Ctx], str]] = {
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


#: Where a ``<code>`` is a word of the text (``ls -l`` in a sentence), not a listing.
_INLINE_PARENTS = frozenset({"p", "li", "item", "cell", "td", "th", "head", "quote", "dd", "dt",
                             "h1", "h2", "h3", "h4", "h5", "h6", "hi", "a", "ref", "span", "em",
                             "strong", "b", "i", "cite", "sup", "sub", "small"})  # fmt: skip


def _is_listing(el: etree._Element) -> bool:
    """A ``<code>`` (or trafilatura's ``<code>``) that is a block of its own: a listing of several
    lines, or a line alone in a container; inside a sentence it is a word like any other."""
    if local_name(el.tag) != "code":
        return True
    if "\n" in "".join(el.itertext()).strip():
        return True
    parent = el.getparent()
    if parent is None or local_name(parent.tag) in ("pre", "code"):
        return True
    if local_name(parent.tag) in _INLINE_PARENTS:
        return False
    prev = el.getprevious()
    before = prev.tail if prev is not None else parent.text
    return not ((before or "").strip() or (el.tail or "").strip())


def _is_block(el: etree._Element) -> bool:
    tag = local_name(el.tag)
    return (tag in BLOCKS or (tag in _BLOCK_NAMES and tag not in INLINES)) and _is_listing(el)


def _has_blocks(el: etree._Element) -> bool:
    return any(local_name(c.tag) in _BLOCK_NAMES and _is_listing(c) for c in el.iterdescendants())


def blocks(el: etree._Element, ctx: Ctx) -> list[str]:
    """The Markdown blocks of a container: runs of inline content become paragraphs."""
    out: list[str] = []
    run: list[str] = [_text(el.text, ctx.lang)]

    def flush() -> None:
        out.extend(_paragraphs("".join(run)))
        run.clear()

    for child in el:
        tag = local_name(child.tag)
        if _is_block(child):
            flush()
            out.extend(BLOCKS.get(tag, blocks)(child, ctx))
        elif tag and _has_blocks(child):
            # An inline element around paragraphs (``<i><p>…</p><p>…</p></i>``, as old pages
            # and page builders write): Markdown's emphasis cannot span paragraphs, so its
            # blocks are kept as blocks and the emphasis around them is let go.
            flush()
            out.extend(blocks(child, ctx))
        elif tag:
            run.append(INLINES.get(tag, _inline_plain)(child, ctx))
        run.append(_text(child.tail, ctx.lang))
    flush()
    return out


def paragraph(el: etree._Element, ctx: Ctx) -> list[str]:
    if _has_blocks(el):
        return blocks(el, ctx)
    return _paragraphs(inline(el, ctx))


def _heading(el: etree._Element, ctx: Ctx) -> list[str]:
    level = (el.get("rend") or local_name(el.tag))[-1:]
    md = collapse_spaces(_BREAKING.sub(" ", inline(el, ctx).replace(_BREAK, " "))).strip()
    md = formulas(_MARKER.sub(lambda m: f"\\[{m[1]}\\]", md))
    if not md:
        return []
    hashes = {"1": "##", "2": "##", "3": "###"}.get(level, "####")
    return [f"{hashes} {md}"]


_LISTS = ("list", "ul", "ol")


def _list(el: etree._Element, ctx: Ctx, depth: int = 0) -> list[str]:
    """A list as Markdown lines, nested lists indented under their item. What a page puts in a
    list but not in an item (a line of text, a paragraph, a list straight inside a list, as old
    pages indent with ``<ul>``) is kept, not lost: a paragraph of its own at the top level, which
    ends one list and begins the next (numbers go on), an item of its own inside."""
    ordered = local_name(el.tag) == "ol" or el.get("rend") == "ol"
    out: list[str] = []
    lines: list[str] = []
    stray = etree.Element("p")
    n = 0

    def line(text: str) -> None:
        nonlocal n
        n += 1
        lines.append("    " * depth + f"{f'{n}.' if ordered else '-'} {text}")

    def flush_stray() -> None:
        nonlocal stray
        if not (stray.text or "").strip() and not len(stray):
            return
        found = paragraph(stray, ctx)
        stray = etree.Element("p")
        if depth:
            if text := _one_line(found):
                line(text)
            return
        if found and lines:
            out.append("\n".join(lines))
            lines.clear()
        out.extend(found)

    _add_text(stray, el.text)
    for child in list(el):
        tag = local_name(child.tag)
        if tag in ("item", "li"):
            flush_stray()
            nested = [c for c in child if local_name(c.tag) in _LISTS]
            for c in nested:
                child.remove(c)  # rendered below, indented
            if text := _one_line(paragraph(child, ctx)):
                line(text)
            for c in nested:
                lines.extend(_list(c, ctx, depth + 1))
            _add_text(stray, child.tail)
        elif tag in _LISTS and lines and not len(stray) and not (stray.text or "").strip():
            tail, child.tail = child.tail, None
            lines.extend(_list(child, ctx, depth + 1))  # the last item's sub-list
            _add_text(stray, tail)
        elif tag:
            stray.append(child)  # moves it, with its tail
        else:
            _add_text(stray, child.tail)  # a comment's
    flush_stray()
    if lines:
        out.append("\n".join(lines)) if depth == 0 else out.extend(lines)
    return out


def _one_line(found: list[str]) -> str:
    """An item is one line: headings, quotes and tables inside it become its text."""
    return " ".join(_BLOCK_MARKUP.sub("", b).replace("\n", " ") for b in found)


def _add_text(el: etree._Element, text: str | None) -> None:
    """Text appended to ``el``'s content (after its last child, if it has one)."""
    if not text:
        return
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def _list_block(el: etree._Element, ctx: Ctx) -> list[str]:
    if ctx.flat_lists:
        return blocks(el, ctx)
    return _list(el, ctx)


def _quote(el: etree._Element, ctx: Ctx) -> list[str]:
    inner = blocks(el, ctx)
    return ["\n>\n".join("> " + b.replace("\n", "\n> ") for b in inner)] if inner else []


def _rows(el: etree._Element) -> list[etree._Element]:
    return [r for r in el.iter() if local_name(r.tag) in ("row", "tr")]


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if local_name(c.tag) in ("cell", "td", "th")]


def _table(el: etree._Element, ctx: Ctx) -> list[str]:
    rows = _rows(el)
    width = max((len(_cells(r)) for r in rows), default=0)
    layout = width < 2 or len(rows) < 2 or any(_has_blocks(c) for r in rows for c in _cells(r))
    if layout:
        # A table used for layout: its content is the text, in order, with whatever stands in
        # it outside any cell (browsers show it; trafilatura's fallbacks keep it there).
        return blocks(el, ctx)
    lines = []
    # Rows with no text in any cell (a layout grid's spacers) are not read.
    rows = [r for r in rows if any(plain_text(c) for c in _cells(r))]
    if not rows:
        return []
    for i, row in enumerate(rows):
        cells = [_finish(inline(c, ctx)).replace("\\|", "\\|") for c in _cells(row)]
        cells += [""] * (width - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "---|" * width)
    return ["\n".join(lines)]


def _code(el: etree._Element, ctx: Ctx) -> list[str]:
    return [md for line in plain_text_lines(el) if (md := _finish(_text(line, ctx.lang)))]


def plain_text_lines(el: etree._Element) -> list[str]:
    return "".join(el.itertext()).split("\n")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def image_url(src: str | None) -> str | None:
    """Where an image is, as an edition source may name it: an http(s) address (one that starts
    ``//`` taken as https), or a path relative to the page (a file saved beside it, read at build
    time from inside raw/ only; or, from ``/``, the site's, found through the page's
    ``source_url``). Nothing else: ``data:``, ``file:``, ``javascript:``, a fragment.
    """
    src = (src or "").strip()
    if src.startswith("//"):
        src = "https:" + src
    if _SCHEME.match(src):
        return safe_url(src) if src.lower().startswith(("http:", "https:")) else None
    path = src.split("#", 1)[0].split("?", 1)[0]
    if not path or any(c in path for c in "\\\0"):
        return None
    # Percent-encoded once (a name with spaces, brackets or stars stays a name), then safe in a
    # Markdown link target.
    url = safe_url("http://x/" + quote(unquote(path), safe="/"))
    return url[len("http://x/") :] if url else None


def attribute(text: str) -> str:
    """Plain text as the value of a Pandoc attribute (``{alt="…"}``): backslash, quote and
    ampersand (an entity would be decoded) escaped, nothing else read."""
    return re.sub(r'([\\"&])', r"\\\1", text)


def _image(el: etree._Element, ctx: Ctx) -> list[str]:
    if not ctx.settings.images:
        return []
    url = image_url(el.get("src"))
    if url is None:
        return []
    title = (el.get("title") or "").strip()
    alt = el.get("alt") or ""
    if caption := ctx.captions.get(title):
        # A figure: its caption as Markdown (emphasis and spaces as the page set them), and
        # its image's description as plain text.
        described = SPACES.sub(" ", _INVISIBLE.sub("", alt)).strip()
        alt_attr = f'{{alt="{attribute(curl_quotes(described, ctx.lang))}"}}' if described else ""
        return [f"![{caption}]({url}){alt_attr}"]
    if title.startswith(CAPTION_KEY):  # a figure whose caption came to nothing
        title = ""
    return [f"![{_finish(_text(alt or title, ctx.lang))}]({url})"]


def _nothing(el: etree._Element, ctx: Ctx) -> list[str]:
    return []


BLOCKS: dict[str, Callable[[etree._Element, Ctx], list[str]]] = {
    "p": paragraph,
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


def replace_with_text(el: etree._Element, text: str) -> None:
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
