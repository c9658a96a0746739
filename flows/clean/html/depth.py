"""Pages nested deeper than ``limits.nesting``: flattened before lxml parses them, never cut.

libxml2 stops building a tree 256 elements deep and drops everything after that point, the rest
of the article included, without an error; the cleaner's own walk recurses per level. So a page
whose tree reaches the limit is read again through the standard library's tokenizer (no tree,
no depth limit): tags deeper than the limit are left out and their text stays where it was, in
order; a block tag left out becomes a line break, so its words stay apart and two of them end a
paragraph (as ``<br><br>`` does, see :mod:`flows.clean.html.to_markdown`).
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from lxml import etree

from flows.clean.html.patterns import BLOCK_TAGS

#: libxml2's own depth limit (without XML_PARSE_HUGE), less room for the html and body it adds.
PARSER_DEPTH = 250
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})  # fmt: skip
#: Elements whose content is not text a reader sees.
_NOT_TEXT = frozenset({"script", "style", "template", "noscript"})
#: Tags a browser closes when the same tag opens again (``<p>a<p>b``): not nested by that.
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})


def depth(tree: etree._Element) -> int:
    """How deep the tree's elements go (the root is 1)."""
    deepest = level = 0
    for event, _ in etree.iterwalk(tree, events=("start", "end")):
        level += 1 if event == "start" else -1
        deepest = max(deepest, level)
    return deepest


class _Flattener(HTMLParser):
    def __init__(self, most: int) -> None:
        super().__init__(convert_charrefs=False)
        self.most = most
        self.out: list[str] = []
        self.open: list[str] = []  # the tags kept and not yet closed
        self.deep: list[str] = []  # the tags left out (inside the deepest kept) not yet closed
        self.names: Counter[str] = Counter()  # how many of each are in ``deep``

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.out.append(self.get_starttag_text() or "")
            return
        if tag in _SELF_CLOSING_SIBLINGS and self.deep and self.deep[-1] == tag:
            self._close_deep(tag)
        elif tag in _SELF_CLOSING_SIBLINGS and not self.deep and self.open[-1:] == [tag]:
            self.open.pop()
            self.out.append(f"</{tag}>")
        if len(self.open) >= self.most:
            self.deep.append(tag)
            self.names[tag] += 1
            if tag in BLOCK_TAGS:
                self._break()
            return
        self.open.append(tag)
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self.get_starttag_text() or "")

    def _close_deep(self, tag: str) -> None:
        while self.deep:
            name = self.deep.pop()
            self.names[name] -= 1
            if name == tag:
                break
        if tag in BLOCK_TAGS:
            self._break()

    def _break(self) -> None:
        """A line break for a block left out; two in a row are a paragraph's end already."""
        if self.out[-2:] != ["<br>", "<br>"]:
            self.out.append("<br>")

    def handle_endtag(self, tag: str) -> None:
        if self.names[tag] > 0:
            self._close_deep(tag)
            return
        self.deep.clear()  # closing an element kept: whatever was left out inside it ends too
        self.names.clear()
        if tag in self.open:
            while self.open:
                if self.open.pop() == tag:
                    break
            self.out.append(f"</{tag}>")
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.deep and self.deep[-1] in _NOT_TEXT:
            return  # a script left out: its code is no text of the page
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")


def flatten(page: str, most: int) -> str:
    """``page`` with every tag deeper than ``most`` left out, its text kept in place."""
    flattener = _Flattener(min(most, PARSER_DEPTH))
    flattener.feed(page)
    flattener.close()
    return "".join(flattener.out)
