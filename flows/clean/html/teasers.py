"""Teaser cards: the other articles a news page shows in and after its own, each a box of its
own holding a headline that is one link to another page of the site, and a line or two of
description ("Mehr zum Thema", a grid of related stories).

Extractors keep the descriptions (paragraphs, in the article's container or just after it)
and drop the linked headlines, so what is left reads as the article's last paragraphs. The
cards are found by their shape, not by class names, which differ from site to site:

- a heading (``h2``-``h6``) whose whole text is one link, to another page of the site;
- the card: the largest box around that heading (not the heading itself) holding no other
  heading and at most :data:`CARD_WORDS` words besides it;
- cards come in groups: a card counts only when a box beside it, under the same parent, is
  one too. A blog's post titles have a whole post under them; a listicle's headings mostly
  stand in one container with their paragraphs, and when each item is a box of its own, its
  headline links out of the site (to the book, the place), not to another of its articles.

A page that is mostly cards (a section's front page, a list of news) keeps them: they are
what it says.
"""

from __future__ import annotations

from collections import Counter

from lxml import etree

from flows.clean.html.site import site_host, within
from flows.clean.html.to_markdown import local_name, plain_text

_HEADINGS = ("h2", "h3", "h4", "h5", "h6")
#: Words of a card besides its headline: a kicker, a one- or two-sentence description, a
#: duration, a date. An article's section has more.
CARD_WORDS = 40
#: Boxes that are the page's article or its whole, never a card.
_NEVER_CARD = frozenset({"body", "html", "main", "article"})


def teaser_cards(tree: etree._Element, page_url: str | None) -> list[etree._Element]:
    """The page's teaser cards (see the module's notes); none when they hold half the page's
    words or more."""
    site = site_host(tree, page_url)
    cards: dict[etree._Element, etree._Element] = {}  # card -> its parent
    for heading in tree.iter(*_HEADINGS):
        if _links_within(heading, site) and (card := _card(heading)) is not None:
            parent = card.getparent()
            if parent is not None:
                cards[card] = parent
    grouped = Counter(cards.values())
    found = [card for card, parent in cards.items() if grouped[parent] >= 2]
    words = sum(len(plain_text(card).split()) for card in found)
    if 2 * words >= len(plain_text(tree).split()):
        return []
    return found


def _links_within(heading: etree._Element, site: str) -> bool:
    """The heading's whole text is one link, to another page of ``site`` (a grid of links out,
    to the books or places a listicle recommends, is the article)."""
    links = list(heading.iter("a"))
    if len(links) != 1 or not (text := plain_text(heading)) or plain_text(links[0]) != text:
        return False
    href = (links[0].get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return False
    return within(href, site)


def _card(heading: etree._Element) -> etree._Element | None:
    """The largest box around ``heading`` with no other heading in it and at most
    :data:`CARD_WORDS` words besides the heading's; None when that is the heading itself."""
    own = len(plain_text(heading).split())
    card = None
    box = heading.getparent()
    while box is not None and local_name(box.tag) not in _NEVER_CARD:
        headings = box.iter(*_HEADINGS)
        if next(headings, None) is not None and next(headings, None) is not None:
            break  # a second heading: the box holds more than this card
        if len(plain_text(box).split()) - own > CARD_WORDS:
            break
        card, box = box, box.getparent()
    return card
