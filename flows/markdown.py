"""Scraped text is text: turn plain text into Pandoc Markdown that reads back as the same text.

Pandoc Markdown gives meaning to many characters (``*``, ``_``, ``[``, ``$``, ``@``, ``<!--``,
backticks, a line that starts ``1917.``). Everything the stages put into a document body goes
through :func:`escape` first, so nothing in a scraped page can become markup, raw HTML, math or a
citation.

The edition is read back with :data:`READER_FORMAT`, which also switches off raw HTML/TeX and
Pandoc's "smart" punctuation: typography is done once, by :mod:`flows.typography`, so the
three output formats carry the same characters.

:func:`plain_view` goes the other way for the footnote stage: it gives the text a reader would see
with a map back to positions in the Markdown: markers are searched in text, edited in Markdown.
"""

from __future__ import annotations

import re

#: How every edition source is read by Pandoc.
READER_FORMAT = "markdown-smart-raw_html-raw_tex-raw_attribute-tex_math_single_backslash"

# Characters escaped wherever they stand. Each one can start markup somewhere in Pandoc Markdown:
# \ (escapes, hard breaks), ` (code, raw attributes), * _ (emphasis), [ ] (links, notes, spans),
# { } (attributes), < > (raw HTML, autolinks, comments), # (headings, attributes), $ (math),
# @ (citations, example lists), ^ ~ (super/subscript, strikeout), | (tables, line blocks),
# & (entities).
_ESCAPE_ANYWHERE = re.compile(r"([\\`*_\[\]{}<>#$@^~|&])")

# At the start of a block only: list markers (``-``, ``+``, ``1.``, ``1)``, ``(1)``, ``a.``,
# ``iv.``), definition lists (``:``), fenced divs (``:::``), title blocks (``%``), setext/hr
# lines (``=``, ``-``).
_LINE_START = re.compile(
    r"^(?:(?P<sign>[-+:%=(])|(?P<label>\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+)(?=[.)](?:\s|$)))"
)

_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def escape_inline(text: str) -> str:
    """Escape every character that could start inline markup."""
    return _ESCAPE_ANYWHERE.sub(r"\\\1", text)


def protect_line_start(md: str) -> str:
    """Escape what would make ``md`` a list, definition or title line when it starts a block.

    ``md`` is Markdown already escaped inline; only its first characters are looked at.
    """
    md = md.lstrip()
    m = _LINE_START.match(md)
    if not m:
        return md
    if m["sign"]:  # a leading - + : % = ( character
        return "\\" + md
    end = m.end()  # a number, letter or roman numeral followed by . or )
    return md[:end] + "\\" + md[end:]


_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")


def escape(text: str) -> str:
    """Plain text of one block (a paragraph, heading text, note) to literal Markdown.

    A block is one line: a line break inside it could start a list, a definition or a table.
    """
    return protect_line_start(escape_inline(_LINE_BREAKS.sub(" ", text)))


def unescape(md: str) -> str:
    """Inverse of :func:`escape` for text that holds no markup."""
    return _UNESCAPE.sub(r"\1", md)


_LINK_TARGET = re.compile(r"(?<!\\)\]\([^)\s]*\)")
_MARKUP = re.compile(
    r"(?<!\\)(?:\*+|_+|^#+ |^> ?|^ *(?:[-+]|\d+\.) |^\|[-|]*$|(?<= )\|(?= )|^\| | \|$)", re.M
)


#: A note reference or definition label (``[^3]``, ``[^a1-3]``), not escaped: group 1 is the
#: even run of backslashes before it, group 2 the label.
NOTE_REF = re.compile(r"(?<!\\)((?:\\\\)*)\[\^([^\]\s]+)\]")


def to_plain(md: str) -> str:
    """The text a reader sees in a body built here: link targets, markup and escapes removed."""
    md = _LINK_TARGET.sub("]", md)
    md = re.sub(r"(?<!\\)!?[\[\]]", "", md)
    return unescape(_MARKUP.sub("", md))


def plain_view(md: str) -> tuple[str, list[int]]:
    """The characters of ``md`` a reader sees, with where each starts in ``md``.

    Returns ``(plain, starts)`` where ``plain[i]`` comes from ``md[starts[i]:starts[i + 1]]``
    (an escaped character spans its backslash too); ``starts`` has one extra entry,
    ``len(md)``, so a plain span ``[a, b)`` is the Markdown span ``[starts[a], starts[b])``.
    Markup (unescaped ``*``, ``[``, …) is kept as characters: the footnote stage treats it as
    punctuation, which it is to a reader.
    """
    n = len(md)
    if "\\" not in md:
        return md, list(range(n + 1))
    plain: list[str] = []
    starts: list[int] = []
    done = 0
    for m in _UNESCAPE.finditer(md):  # left to right, as a reader's eye: "\\\\" is one "\\"
        plain += (md[done : m.start()], m[1])
        starts += range(done, m.start() + 1)
        done = m.end()
    plain.append(md[done:])
    starts += range(done, n + 1)
    return "".join(plain), starts


#: What :func:`label_view` puts in place of a Markdown emphasis mark.
EMPHASIS_MASK = "\x00"
_EMPHASIS_MARK = re.compile(r"[*_]")


def label_view(md: str) -> str:
    """The block as :func:`plain_view` shows it, but with Markdown emphasis (an unescaped ``*``
    or ``_``) masked as :data:`EMPHASIS_MASK`: emphasis that opens a block is not a note's
    ``*`` label."""
    plain, starts = plain_view(md)
    chars = list(plain)
    for m in _EMPHASIS_MARK.finditer(plain):
        if md[starts[m.start()]] != "\\":
            chars[m.start()] = EMPHASIS_MASK
    return "".join(chars)


#: An unescaped ``$`` (one not after an odd run of backslashes): it would end the formula.
_BARE_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$")
_TRAILING_BACKSLASH = re.compile(r"(?<!\\)(?:\\\\)*\\$")


def math(tex: str, display: bool = False) -> str | None:
    """A formula the cleaner found (MathML, MediaWiki, KaTeX, MathJax) as Pandoc math, or
    ``None`` if its TeX cannot be one safely (then it stays text, escaped).

    This is the one place where a page's characters become markup: only TeX the page marks as a
    formula comes here, never scraped text. The TeX is one line, has no ``$`` that would end the
    math and no trailing backslash that would escape the closing ``$``; an inline formula ends
    in a non-space character (``{}`` after a final ``\\$``), as Pandoc's ``$…$`` requires.
    """
    tex = " ".join(tex.split())
    if not tex or _BARE_DOLLAR.search(tex) or _TRAILING_BACKSLASH.search(tex):
        return None
    if display:
        return f"$$ {tex} $$"
    if tex.endswith("\\$"):
        tex += "{}"
    return f"${tex}$"


def split_blocks(md: str) -> list[str]:
    """Split a body into its top-level blocks (separated by blank lines)."""
    return [b for b in re.split(r"\n[ \t]*\n", md.strip("\n")) if b.strip()]


def join_blocks(blocks: list[str]) -> str:
    return "\n\n".join(blocks) + "\n" if blocks else ""


def fenced_div(css_class: str, md: str) -> str:
    """A block with a class, e.g. a dateline; Pandoc keeps the class in HTML and EPUB."""
    return f"::: {css_class}\n{md}\n:::"


_DIV = re.compile(r"^::: (?P<cls>[\w-]+)\n(?P<body>.*)\n:::$", re.S)


def div_class(block: str) -> tuple[str, str] | None:
    """``(class, inner Markdown)`` if ``block`` is a fenced div made by :func:`fenced_div`."""
    m = _DIV.match(block)
    return (m["cls"], m["body"]) if m else None
