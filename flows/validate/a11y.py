"""The build's own accessibility audit of an EPUB: what DAISY Ace would find in a text.

The templates give every edition what Ace and axe ask of a book's structure (language, title,
landmarks, notes linked both ways, a cover with a text alternative, accessibility metadata); what
varies from one text to the next is checked here, in process, on the finished content documents:

- headings never skip a level on the way down (axe ``heading-order``: h1 then h3);
- no heading, link or image without a name (``empty-heading``, ``link-name``, ``image-alt``);
- every content document says its language (``html-has-lang``).

The EPUB claims conformance (EPUB Accessibility 1.1, WCAG 2.2 AA) only when this finds nothing;
the tests run Ace itself over every seed and case. Pure: members in, problems out.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_HEADINGS = {f"{XHTML}h{n}": n for n in range(1, 7)}


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _named(el: etree._Element) -> bool:
    """A link or heading a screen reader can say: its text, an image's alt or an aria-label."""
    return bool(
        _text(el)
        or el.get("aria-label", "").strip()
        or any(img.get("alt", "").strip() for img in el.iter(f"{XHTML}img"))
    )


def audit_page(name: str, data: bytes) -> list[str]:
    """What keeps one XHTML content document from passing Ace, one line each."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [f"{name}: not well-formed XHTML ({exc})"]
    problems = []
    if not (root.get("lang") or root.get(XML_LANG)):
        problems.append(f"{name}: no language (lang) on <html>")
    last = 0
    for el in root.iter(etree.Element):
        level = _HEADINGS.get(el.tag)
        if level is not None:
            if not _named(el):
                problems.append(f"{name}: an empty h{level}")
            if last and level > last + 1:
                problems.append(f"{name}: h{level} {_text(el)[:40]!r} follows an h{last}")
            last = level
        elif el.tag == f"{XHTML}img" and el.get("alt") is None:
            problems.append(f"{name}: an image without alt text ({el.get('src', '')[:60]})")
        elif el.tag == f"{XHTML}a" and el.get("href") is not None and not _named(el):
            problems.append(f"{name}: a link without text ({el.get('href', '')[:60]})")
    return problems


def audit(members: Mapping[str, bytes]) -> list[str]:
    """Every content document of an EPUB (its members by name) audited."""
    problems: list[str] = []
    for name, data in members.items():
        if name.endswith(".xhtml"):
            problems.extend(audit_page(name, data))
    return problems
