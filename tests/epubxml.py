"""EPUB parts read as XML, with their namespaces: what a reading system parses.

Attribute names like ``epub:type`` are looked up by namespace URI, never by the prefix a parser
happens to keep (BeautifulSoup's "xml" mode keyed ``epub:type`` as ``type`` from lxml 6.2 on).
"""

from __future__ import annotations

from lxml import etree

NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}
EPUB_TYPE = f"{{{NS['epub']}}}type"

# No DTDs, no entities, no network: test data is read as plainly as a reading system would.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=_PARSER)


def xpath(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NS)


def one(node: etree._Element, path: str) -> etree._Element:
    found = xpath(node, path)
    assert len(found) == 1, (path, len(found))
    return found[0]


def text_of(node: etree._Element, sep: str = "") -> str:
    return sep.join(node.itertext())
