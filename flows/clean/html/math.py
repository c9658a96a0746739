"""Mathematics in an HTML page, kept before trafilatura (which drops ``<math>``) as a placeholder
that :mod:`flows.clean.html.to_markdown` writes as Pandoc math (:func:`flows.markdown.math`):
MathML in the HTML and EPUB, typst math in the PDF.

A formula becomes the TeX the page gives for it — MathML's ``alttext`` or its
``<annotation encoding="application/x-tex">``, the ``alt`` of MediaWiki's fallback image — and
only without any of those the text of its MathML tokens. The element that renders the formula
(MediaWiki's ``mwe-math-element`` with its fallback image, KaTeX's ``katex`` with its HTML glyphs,
MathJax's ``mjx-container``, MathJax 2's ``<script type="math/tex">`` and its preview) is replaced
whole, so the formula is not read twice. The placeholder carries the TeX hex-encoded between
private-use characters, so nothing on the way (trafilatura, escaping, typography) changes it;
TeX that cannot be Pandoc math safely becomes escaped text instead.
"""

from __future__ import annotations

import re

from lxml import etree

from flows.clean.html.to_markdown import (
    MATH_CLOSE,
    MATH_DISPLAY,
    MATH_INLINE,
    local_name,
    plain_text,
    replace_with_text,
)

#: Classes of the elements that render one formula (and hold its MathML or its fallback image).
_RENDERER = re.compile(
    r"(^|\s)(mwe-math-element|katex|katex-display|mathjax|mjx-chtml)(\s|$)", re.I
)
#: MediaWiki's picture of a formula, whose ``alt`` is the formula's TeX.
_FALLBACK_IMAGE = re.compile(r"(^|\s)(mwe-math-fallback-image-\w+|tex)(\s|$)", re.I)
#: MediaWiki wraps every formula's TeX in ``{\displaystyle …}`` or ``{\textstyle …}``.
_STYLE_WRAPPER = re.compile(r"^\{\\(?:displaystyle|textstyle)\s*(?P<tex>.*)\}$", re.S)
_TEX = ("application/x-tex", "tex", "latex")
#: MathJax 2 keeps each formula's TeX in a script (``math/tex; mode=display`` for display).
_MATHJAX_SCRIPT = re.compile(r"^\s*math/tex(?P<display>;\s*mode=display)?\s*$", re.I)
#: What MathJax 2 draws next to that script (its preview and its rendering).
_MATHJAX_RENDERING = re.compile(r"(^|\s)(MathJax_Preview|MathJax|MathJax_Display|MathJax_SVG|"
                                r"MathJax_CHTML|MJXc-display)(\s|$)")  # fmt: skip
_DISPLAY_CLASS = re.compile(r"(display|block)", re.I)


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


#: TeX's special characters, as a MathML token's text gives them.
_TEX_SPECIAL = {c: f"\\{c}" for c in "#$%&_{}"} | {
    "\\": "\\backslash ", "^": "\\hat{}", "~": "\\sim ",
}  # fmt: skip
_SCRIPTS = {"msub": "{}_{{{}}}", "msup": "{}^{{{}}}", "msubsup": "{}_{{{}}}^{{{}}}",
            "munder": "\\underset{{{1}}}{{{0}}}", "mover": "\\overset{{{1}}}{{{0}}}",
            "munderover": "\\underset{{{1}}}{{\\overset{{{2}}}{{{0}}}}}",
            "mfrac": "\\frac{{{}}}{{{}}}", "mroot": "\\sqrt[{1}]{{{0}}}"}  # fmt: skip


def _token(text: str | None) -> str:
    return "".join(_TEX_SPECIAL.get(c, c) for c in " ".join((text or "").split()))


def mathml_tex(el: etree._Element) -> str | None:
    """Presentation MathML as TeX, for a formula that gives no TeX of its own; ``None`` for an
    element this does not know (the formula then stays text)."""
    tag = local_name(el.tag).rpartition(":")[2] or local_name(el.tag)
    kids = [c for c in el if local_name(c.tag) not in ("annotation", "annotation-xml")]
    if tag in ("mi", "mn", "mo"):
        return _token(el.text) + " "
    if tag == "mtext":
        return f"\\text{{{_token(el.text)}}}"
    if tag in ("mspace", "mphantom", "none"):
        return " "
    parts = [mathml_tex(c) for c in kids]
    if any(p is None for p in parts):
        return None
    if tag in _SCRIPTS:
        want = _SCRIPTS[tag].count("{}") or len(set(re.findall(r"\{(\d)\}", _SCRIPTS[tag])))
        return _SCRIPTS[tag].format(*[p.strip() for p in parts]) if len(parts) == want else None
    if tag == "msqrt":
        return f"\\sqrt{{{''.join(parts).strip()}}}"
    if tag in ("math", "semantics", "mrow", "mstyle", "mpadded", "menclose"):
        return "".join(parts)
    return None


def _page_tex(math: etree._Element) -> str | None:
    """The TeX the page gives beside a ``<math>`` element (``alttext``, a TeX annotation)."""
    tex = math.get("alttext")
    if not tex:
        for el in math.iter("annotation"):
            if (el.get("encoding") or "").lower() in _TEX and el.text:
                tex = el.text
                break
    return tex_text(tex) if tex and tex.strip() else None


def math_text(math: etree._Element) -> str:
    """One ``<math>`` element as text: its TeX if the page gives it, else its tokens."""
    if tex := _page_tex(math):
        return tex
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


def math_tex(math: etree._Element) -> str | None:
    """One ``<math>`` element's TeX: the page's own, else its MathML's; ``None`` if neither."""
    if tex := _page_tex(math):
        return tex
    converted = mathml_tex(math)
    return " ".join(converted.split()) if converted and converted.strip() else None


def placeholder(tex: str, display: bool) -> str:
    """The formula's stand-in in the tree (see the module's docstring)."""
    opener = MATH_DISPLAY if display else MATH_INLINE
    return f"{opener}{tex.encode('utf-8').hex()}{MATH_CLOSE}"


def _is_display(math: etree._Element, renderer: etree._Element) -> bool:
    if (math.get("display") or "").lower() == "block":
        return True
    names = " ".join(f"{el.get('class', '')} {el.get('display', '')}"
                     for el in (renderer, *renderer.iterdescendants()))  # fmt: skip
    return bool(re.search(r"katex-display|mathml-display|fallback-image-display|"
                          r"(^|\s)true(\s|$)", names))  # fmt: skip


def _mathjax_scripts(tree: etree._Element) -> None:
    """MathJax 2: the TeX in ``<script type="math/tex">``; its preview and rendering before it
    are the same formula drawn."""
    for script in list(tree.iter("script")):
        m = _MATHJAX_SCRIPT.match(script.get("type") or "")
        if not m or not (script.text or "").strip():
            continue
        prev = script.getprevious()
        while prev is not None and _MATHJAX_RENDERING.search(prev.get("class", "")):
            before = prev.getprevious()
            replace_with_text(prev, "")
            prev = before
        replace_with_text(script, placeholder(tex_text(script.text), bool(m["display"])))


def keep_math(tree: etree._Element) -> None:
    """Replace every formula of the page by its placeholder (see the module's docstring).
    Runs before the page's scripts are removed (MathJax 2 keeps its TeX in them)."""
    _mathjax_scripts(tree)
    for math in list(tree.iter("math")):
        if tree in math.iterancestors():  # not inside a formula replaced already
            renderer = _renderer(math)
            display = _is_display(math, renderer)
            tex = math_tex(math)
            text = placeholder(tex, display) if tex else math_text(math)
            replace_with_text(renderer, text)
    for img in list(tree.iter("img")):
        if _FALLBACK_IMAGE.search(img.get("class", "")) and (alt := img.get("alt", "").strip()):
            display = "display" in img.get("class", "")
            replace_with_text(img, placeholder(tex_text(alt), display))
