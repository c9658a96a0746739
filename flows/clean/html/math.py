"""Mathematics in an HTML page, kept as text before trafilatura (which drops ``<math>``).

A formula becomes the TeX the page gives for it — MathML's ``alttext`` or its
``<annotation encoding="application/x-tex">``, the ``alt`` of MediaWiki's fallback image — and
only without any of those the text of its MathML tokens. The element that renders the formula
(MediaWiki's ``mwe-math-element`` with its fallback image, KaTeX's ``katex`` with its HTML glyphs,
MathJax's ``mjx-container``) is replaced whole, so the formula is not read twice. The TeX is text
like any other: it goes through :func:`flows.markdown.escape_inline` with the rest of the
paragraph and is never read as Pandoc math.
"""

from __future__ import annotations

import re

from lxml import etree

from flows.clean.html.to_markdown import local_name, plain_text, replace_with_text

#: Classes of the elements that render one formula (and hold its MathML or its fallback image).
_RENDERER = re.compile(
    r"(^|\s)(mwe-math-element|katex|katex-display|mathjax|mjx-chtml)(\s|$)", re.I
)
#: MediaWiki's picture of a formula, whose ``alt`` is the formula's TeX.
_FALLBACK_IMAGE = re.compile(r"(^|\s)(mwe-math-fallback-image-\w+|tex)(\s|$)", re.I)
#: MediaWiki wraps every formula's TeX in ``{\displaystyle …}`` or ``{\textstyle …}``.
_STYLE_WRAPPER = re.compile(r"^\{\\(?:displaystyle|textstyle)\s*(?P<tex>.*)\}$", re.S)
_TEX = ("application/x-tex", "tex", "latex")


def _balanced(tex: str) -> bool:
    depth = 0
    for i, c in enumerate(tex):
        if c in "{}" and (i == 0 or tex[i - 1] != "\\"):
            depth += 1 if c == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def tex_text(tex: str) -> str:
    """The TeX of a formula as a reader gets it: spaces collapsed, MediaWiki's wrapper gone."""
    tex = " ".join(tex.split())
    if (m := _STYLE_WRAPPER.match(tex)) and _balanced(m["tex"]):
        tex = m["tex"].strip()
    return tex


def math_text(math: etree._Element) -> str:
    """One ``<math>`` element as text: its TeX if the page gives it, else its tokens."""
    tex = math.get("alttext")
    if not tex:
        for el in math.iter("annotation"):
            if (el.get("encoding") or "").lower() in _TEX and el.text:
                tex = el.text
                break
    if tex and tex.strip():
        return tex_text(tex)
    for el in list(math.iter("annotation", "annotation-xml")):
        el.getparent().remove(el)
    return plain_text(math)


def _renderer(math: etree._Element) -> etree._Element:
    """The outermost element that renders this formula and nothing else."""
    el = math
    for parent in math.iterancestors():
        if local_name(parent.tag) in ("p", "li", "dd", "td", "body", "html"):
            break
        names = f"{parent.get('class', '')} {local_name(parent.tag)}"
        if _RENDERER.search(names) or local_name(parent.tag) == "mjx-container":
            el = parent
    return el


def keep_math_as_text(tree: etree._Element) -> None:
    """Replace every formula of the page by its text (see the module's docstring)."""
    for math in list(tree.iter("math")):
        if tree in math.iterancestors():  # not inside a formula replaced already
            replace_with_text(_renderer(math), math_text(math))
    for img in list(tree.iter("img")):
        if _FALLBACK_IMAGE.search(img.get("class", "")) and (alt := img.get("alt", "").strip()):
            replace_with_text(img, tex_text(alt))
