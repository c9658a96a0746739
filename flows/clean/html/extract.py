"""Cleaner for HTML pages: the article of a page saved from any CMS, as literal Pandoc Markdown.

1. The page is parsed with lxml. The comment section is cut (or, with ``keep_comments``, set
   aside), and so is furniture trafilatura tends to keep (share boxes, related posts…), whatever
   the size of what CMSs mark as never the article (MediaWiki's "[edit]" links and tagline,
   consent banners, newsletter forms), and the teaser cards of other articles
   (:mod:`flows.clean.html.teasers`).
2. The notes are lifted out (:mod:`flows.clean.html.notes`) and put back, after extraction, at the
   end of the body, in the form :mod:`flows.footnotes.link` links.
   Formulas become placeholders (:mod:`flows.clean.html.math`), then Pandoc math. Text standing
   loose between a container's blocks is made paragraphs, as a browser lays it out
   (:mod:`flows.clean.html.loose`).
3. Three extractors find the article (trafilatura's precision and recall passes, readability);
   the one the other two agree with best is kept. Its XML becomes Markdown
   (:mod:`flows.clean.html.to_markdown`); the page's metadata comes from
   :mod:`flows.clean.html.meta`.
4. The text rules cut what trafilatura kept after the article: the comment thread, related
   posts, a post's footer, furniture lines.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from readability import Document as ReadabilityDocument

from flows.clean import patterns
from flows.clean.credit import find_bio, find_credit
from flows.clean.html import depth as html_depth
from flows.clean.html import patterns as hp
from flows.clean.html.figures import mark_captions
from flows.clean.html.loose import INLINE_TAGS, respace, wrap_loose_text
from flows.clean.html.math import keep_math
from flows.clean.html.meta import is_byline, page_metadata
from flows.clean.html.notes import lift_notes
from flows.clean.html.teasers import teaser_cards
from flows.clean.html.to_markdown import (
    SPACES,
    Ctx,
    blocks,
    local_name,
    plain_text,
    replace_with_text,
)
from flows.limits import Limits
from flows.markdown import to_plain, unescape
from flows.model import PamphleteerError
from flows.read.language import text_language
from flows.settings import Settings

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# Control characters are not text, and lxml refuses them in a tree's strings.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CleanedPage:
    body: str  # Pandoc Markdown: the article, then the notes as "[n] …" paragraphs
    meta: dict[str, Any] = field(default_factory=dict)
    removed: tuple[tuple[str, str], ...] = ()
    responses: tuple[str, ...] = ()  # reader comments as Markdown blocks (``keep_comments``)


# -- the page -----------------------------------------------------------------------------------


# HTML comments and processing instructions are not text (and confuse trafilatura).
_PARSER = lxml_html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)


def parse(page: str, name: str = "page", nesting: int | None = None) -> etree._Element:
    """The page's tree; one nested deeper than ``nesting`` (``limits.nesting``) is flattened
    there (:mod:`flows.clean.html.depth`): its deep text kept, in order."""
    most = min(nesting or Limits().nesting, html_depth.PARSER_DEPTH)
    page = _CONTROL.sub("", _XML_DECLARATION.sub("", page, count=1))
    try:
        tree = lxml_html.document_fromstring(page, parser=_PARSER)
        if html_depth.depth(tree) > most:
            tree = lxml_html.document_fromstring(html_depth.flatten(page, most), parser=_PARSER)
        return tree
    except (etree.ParserError, ValueError) as exc:
        raise PamphleteerError(f"{name}: not an HTML page ({exc})") from None


def _excerpt(el: etree._Element, size: int = 100) -> str:
    """The start of an element's text, for the report (it shortens it further); a space
    between blocks ("Headline" and "Its description" do not run together)."""
    parts: list[str] = []
    length = 0
    for t in _texts(el):
        parts.append(t)
        length += len(t.strip())
        if length > size:
            break
    return SPACES.sub(" ", "".join(parts)).strip()


def _texts(el: etree._Element) -> Iterator[str]:
    """An element's text in order, as ``itertext`` gives it, with a space around each block
    (walked, not recursed: ``limits.nesting`` may be set deeper than Python's stack)."""
    for event, node in etree.iterwalk(el, events=("start", "end")):
        if local_name(node.tag) not in INLINE_TAGS:
            yield " "
        if event == "start" and node.text and isinstance(node.tag, str):
            yield node.text
        elif event == "end" and node is not el and node.tail:
            yield node.tail


def _remove(elements: list[etree._Element]) -> list[str]:
    removed = []
    for el in elements:
        parent = el.getparent()
        if parent is None or local_name(el.tag) in ("body", "html"):
            continue
        removed.append(_excerpt(el))
        replace_with_text(el, "")
    return removed


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _link_density(el: etree._Element) -> float:
    text = len(plain_text(el)) or 1
    return sum(len(plain_text(a)) for a in el.iter("a")) / text


def _is_furniture(el: etree._Element) -> bool:
    """A share box, a related-posts list, a cookie notice: short, or mostly links."""
    if local_name(el.tag) in ("body", "html", "article", "main"):
        return False
    length = sum(len(t.strip()) for t in el.itertext())
    return length < 300 or (length < 3000 and _link_density(el) > 0.5)


def _chrome(tree: etree._Element) -> list[etree._Element]:
    """Elements whose class or id is one of :data:`hp.CHROME_NAMES`, whatever their tag."""
    found = []
    for el in tree.iter():
        names = f"{el.get('class') or ''} {el.get('id') or ''}".split()
        if names and not hp.CHROME_NAMES.isdisjoint(names):
            found.append(el)
    return [el for el in _outermost(found) if local_name(el.tag) not in ("body", "html")]


def _skip_links(tree: etree._Element) -> list[etree._Element]:
    """A screen reader's skip links, in any language ("Skip to content", "Následuje obsah vložený
    z jiného webu. Zde jej můžete přeskočit."): links of three words or more to another place on
    the same page, alone in their block (a pair around an embed shares one), whose words the
    page says nowhere else but in such links. A table of contents' entry says its section's
    title, which stands again at the section. A skip link's class seldom says what it is."""
    ids = {name for el in tree.iter() if (name := el.get("id") or el.get("name"))}
    inside: dict[etree._Element, list[tuple[etree._Element, str]]] = {}
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        text = " ".join(plain_text(a).split())
        if href[:1] == "#" and href[1:] in ids and (parent := a.getparent()) is not None:
            inside.setdefault(parent, []).append((a, text))
    alone = [
        (a, text.casefold())
        for parent, links in inside.items()
        if "".join(plain_text(parent).split()) == "".join("".join(t.split()) for _, t in links)
        for a, text in links
        if len(text.split()) >= 3
    ]
    count = Counter(text for _, text in alone)
    if len(count) > _SKIP_LINKS:  # an index of the page's parts, not a few skip links
        return []
    page = " ".join(plain_text(tree).split()).casefold()
    only_there = {text for text, n in count.items() if page.count(text) == n}
    return [a for a, text in alone if text in only_there]


#: The most different skip links a page has (one a search of the page's text each).
_SKIP_LINKS = 50


#: The most words a calendar widget holds beside its days: a month, the weekdays, "« Mar".
_CALENDAR_WORDS = 20
#: A day's number: ASCII digits, one or two ("³" is a digit to Python, and no number).
_DAY = re.compile(r"[0-9]{1,2}")


def _calendars(tree: etree._Element) -> list[etree._Element]:
    """A blog's calendar widget: a table whose numbers are a month's days, 1 to 28–31 in order,
    beside a month's and the weekdays' names, no more. Its rows would read as lines of numbers
    in the text."""
    found = []
    for table in tree.iter("table"):
        tokens = re.findall(r"\w+", " ".join(table.itertext()))  # cells apart: "1" "2", not "12"
        days = [int(t) for t in tokens if _DAY.fullmatch(t) and int(t) <= 31]
        if (
            28 <= len(days) <= 31
            and days == list(range(1, len(days) + 1))
            and len(tokens) - len(days) <= _CALENDAR_WORDS
        ):
            found.append(table)
    return _outermost(found)


def _overlays(tree: etree._Element) -> list[etree._Element]:
    """Consent banners, newsletter sign-ups, paywalls (:data:`hp.OVERLAY_WORDS` in a class or
    id, or a form asking for an e-mail address), whatever their size; not one that holds the
    article (a page-wide wrapper that happens to carry such a class)."""
    found = []
    page = len(plain_text(tree)) or 1
    for el in tree.iter(*hp.MARKED_TAGS, "form", "dialog"):
        names = _NAME_PARTS.split(hp.own_names(el.get("class"), el.get("id")).lower())
        overlay = not hp.OVERLAY_WORDS.isdisjoint(names)
        if not overlay and local_name(el.tag) == "form":
            overlay = any((i.get("type") or "").lower() == "email" for i in el.iter("input"))
        if (
            overlay
            and next(el.iter("article", "main"), None) is None
            and len(plain_text(el)) < 0.9 * page
        ):
            found.append(el)
    return _outermost(found)


_NAME_PARTS = re.compile(r"[\s_-]+")


def _marked(tree: etree._Element) -> tuple[list[etree._Element], list[etree._Element]]:
    """Elements whose class or id says "comments", and those that say "share", "related"…"""
    comments, furniture = [], []
    for el in tree.iter(*hp.MARKED_TAGS):
        names = hp.own_names(el.get("class"), el.get("id"))
        if not names:
            continue
        kind = hp.marked_kind(names)
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
        if local_name(el.tag) not in ("body", "html", "article", "main")
        and not _is_comment_heading(el)
    ]


def _is_comment_heading(el: etree._Element) -> bool:
    text = plain_text(el)
    return len(text) < 60 and any(r.search(text) for r in patterns.COMMENT_SECTION_START)


def cut_tail(
    body: list[str], agreed: frozenset[str] = frozenset()
) -> tuple[list[str], list[str], str]:
    """The article's blocks, and what follows it: the comment section (cut at the block that
    opens the thread), other articles ("Related posts", "Also on …") or the blog after a post's
    footer ("Posted in … | Tagged …"). The last value says which. A box of related links or an
    invitation to comment with more of the article after it — paragraphs of prose that the
    extractors ``agreed`` on (:func:`extract_article`) — is inside the article: no cut there."""
    words = 0
    goes_on = _article_after(body, agreed)
    for i, md in enumerate(body):
        n = _count(md)
        if goes_on[i + 1] >= 100:
            words += n
            continue
        if words >= 100 and _LIST_START.match(md) and _related_list(md):
            return body[:i], body[i:], "related posts"
        if n > 40:  # too long to open a thread, whatever its markup
            words += n
            continue
        text = to_plain(md).strip()
        n = _count(text)
        if words >= 30 and n <= 25 and _opens_thread(text):
            return body[:i], body[i:], "comment section"
        if (
            words >= 100
            and n <= 8
            and patterns.RELATED_START.search(text)
            and (not patterns.MAYBE_RELATED.match(text) or _list_of_links(body[i + 1 :]))
        ):
            return body[:i], body[i:], "related posts"
        if words >= 50 and patterns.POST_FOOTER.search(text) and not _another_post(body[i + 1 :]):
            return body[:i], body[i:], "site chrome"
        words += n
    return body, [], ""


_LIST_START = re.compile(r"^(?:[-*+]|\d+[.)]) ")


def _related_list(md: str) -> bool:
    """A list whose first item is a "Related posts" or "You might also like" heading, the
    headlines in the items after it: a widget built as one list, or a page laid out in list
    items, the article in one and the other articles in the next."""
    first = to_plain(md).strip().split("\n", 1)[0].strip()
    return _count(first) <= 8 and bool(patterns.RELATED_START.search(first))


def _another_post(tail: list[str]) -> bool:
    """What follows a post's footer is another post (a blog's home page, an archive) if it has
    prose and ends in a footer of its own; a single post's footer is followed by the comments,
    related posts or the sidebar."""
    for j, md in enumerate(tail):
        text = to_plain(md).strip()
        if len(text.split()) <= 40 and patterns.POST_FOOTER.search(text):
            post = tail[:j]
            prose = [b for b in post if len(to_plain(b).split()) > 15]
            return _words(prose) >= 40 and _link_words(post) < 0.5
    return False


def _list_of_links(tail: list[str]) -> bool:
    """What follows a "Related posts" or "Read more" line is other articles only if it is headlines
    (links, or short lines) or leads to the comment thread. A "READ MORE" link inside a news
    article is followed by more article."""
    words = _words(tail)
    if not words or any(_opens_thread(to_plain(b).strip()) for b in tail if len(b.split()) <= 25):
        return True  # nothing, or the comment thread, follows
    short = sum(len(to_plain(b).split()) for b in tail if len(to_plain(b).split()) <= 15)
    return (short + _link_words(tail) * words) / words >= 0.6


#: A line that only invites comments ("Post your comments", "Leave a reply").
_INVITATION = re.compile(
    r"^(leave|post|add|write|submit) (a |your )?(new )?(comment|reply|response)s?\b", re.I
)


def _article_after(body: list[str], agreed: frozenset[str]) -> list[int]:
    """For each position, the words of the article's prose from there on, up to the first line
    that opens a comment thread (a count of comments, a comment's author line; not a mere
    invitation to comment, which a box inside the article has too): paragraphs of over 40 words
    that every extractor kept (trafilatura, by its own comment detection, and readability). One
    more entry, 0, at the end."""
    after = [0] * (len(body) + 1)
    for i in range(len(body) - 1, -1, -1):
        line = to_plain(body[i]).strip()
        n = _count(line)
        if n <= 25 and _opens_thread(line) and not _INVITATION.match(line):
            after[i] = 0
        else:
            after[i] = after[i + 1] + (n if n > 40 and _key(body[i]) in agreed else 0)
    return after


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


def _drop_interstitials(body: list[str]) -> tuple[list[str], list[str]]:
    """The body without what a news site sets between its paragraphs, and their text: the
    advertisement labels and skip links (:data:`patterns.INTERSTITIAL`), the site's breadcrumbs
    (:data:`patterns.BREADCRUMB`: a page copied whole has them below its menus), a row of
    buttons (:data:`patterns.TOOLBAR`), links to the posts before and after (:func:`_pager`),
    teasers of other articles ending in a bare "more" (:data:`patterns.TEASER_MORE`), and lines
    that are only a labelled link to another article ("MORE: …", :data:`patterns.LINK_LABEL`).
    A page that is mostly teasers (a blog's front page, a list of news) keeps them: they are
    what it says."""
    texts = [to_plain(md).strip() for md in body]
    teasers = {
        i for i, text in enumerate(texts)
        if _count(text) <= 60 and patterns.TEASER_MORE.search(text)
    }  # fmt: skip
    if 2 * sum(_count(texts[i]) for i in teasers) >= sum(map(_count, texts)):
        teasers = set()
    drop = teasers | {
        i for i, (md, text) in enumerate(zip(body, texts, strict=True))
        if patterns.INTERSTITIAL.match(text.strip(".:…"))
        or (len(text) <= 300 and patterns.BREADCRUMB.match(text))
        or (len(text) <= 200 and (patterns.TOOLBAR.match(text) or _pager(text)))
        or _labelled_link(md, text)
    }  # fmt: skip
    return [md for i, md in enumerate(body) if i not in drop], [texts[i] for i in sorted(drop)]


def _pager(text: str) -> bool:
    """A line of links to the posts before and after, with its arrows or brackets ("← 返回",
    "« Previous Post | Next Post »"): between a blog's posts as at its ends. A bare "Next" in
    the middle may be the article's."""
    return bool(patterns.PAGER.match(text) and _PAGER_SIGN.search(text))


_PAGER_SIGN = re.compile(r"[«‹<←»›>→|\[【]")


def _labelled_link(md: str, text: str) -> bool:
    """ "MORE: <a headline>": a label, then (mostly) one link's words."""
    label = patterns.LINK_LABEL.match(text)
    if not label:
        return False
    linked = sum(_count(m) for m in _LINK_TEXT.findall(md))
    return linked >= 0.8 * _count(text[label.end() :]) > 0


def _drop_stamps(body: list[str], meta: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The body without the page's time stamps among its first or last lines, outside its
    prose ("Stand: 28.04.2023 16:11 Uhr", "Last updated at …"), and the byline among its first
    lines ("von Oliver Kring", when the metadata names the same author): the edition prints
    its date and authors on its title page. A page of more stamps than a publication and an
    update (a forum's posts, a live blog's entries) keeps them all."""
    texts = [to_plain(md).strip() for md in body]
    # Prose: many words, or many letters in a script that writes few spaces (Thai, Burmese).
    prose = [
        i
        for i, md in enumerate(body)
        if not md.startswith("#") and (_count(md) > 25 or len(texts[i]) > _PROSE_CHARACTERS)
    ]
    if not prose:
        return body, []
    stamps = {i for i, text in enumerate(texts) if _is_timestamp(text)}
    if len(stamps) > 2:  # a forum's posts, a live blog's entries: each has its own
        stamps = set()
    head = range(min(prose[0], _HEAD_LINES))
    tail = range(max(prose[-1] + 1, len(body) - _HEAD_LINES), len(body))
    drop = {i for i in stamps if i in head or i in tail}
    drop |= {
        i for i in range(_HEAD_LINES) if i < len(body) and is_byline(texts[i], meta.get("author"))
    }
    return [md for i, md in enumerate(body) if i not in drop], [texts[i] for i in sorted(drop)]


def _take_credit(body: list[str], authors: Any) -> tuple[list[str], str | None]:
    """The body without the report's credit line and the line about its author among its last
    blocks (a heading is neither), and those lines as one (:mod:`flows.clean.credit`)."""
    taken = []
    for find in (find_credit, lambda texts: find_bio(texts, _names_of(authors))):
        texts = ["" if md.startswith("#") else to_plain(md).strip() for md in body]
        if (i := find(texts)) is not None:
            body = body[:i] + body[i + 1 :]
            taken.insert(0, texts[i])
    return body, " ".join(taken) or None


def _names_of(authors: Any) -> list[str]:
    if isinstance(authors, str):
        return [authors]
    return [a for a in authors or () if isinstance(a, str)]


#: The first (last) lines of a body, where its byline and time stamps stand.
_HEAD_LINES = 5
#: A line this long is a paragraph of prose in any script (in English some 35 words).
_PROSE_CHARACTERS = 200


def _is_timestamp(text: str) -> bool:
    """A date and a clock time, with a few labels at most ("Last updated at", "Uhr", "GMT")."""
    if _count(text) > 15 or not patterns.DATE_IN_LINE.search(text):
        return False
    if not patterns.CLOCK.search(text):
        return False
    rest = patterns.CLOCK.sub(" ", patterns.DATE_IN_LINE.sub(" ", text))
    rest = patterns.CLOCK_WORDS.sub(" ", rest)
    # "At 10:30 on 12 March 1921 the guns began." is a sentence: it ends in a word and a stop.
    return len(_WORD.findall(rest)) <= 6 and not re.search(r"[^\W\d_][.!?…]$", rest.strip())


def _extract(tree: etree._Element, ctx: Ctx, page_text: str, *, precision: bool) -> list[str]:
    """trafilatura's article, by its precision or its recall settings; both with its fallback
    extractors, which it runs when its own extraction looks short or thin (the precision pass
    alone stops at a page's first container and misses most of a many-part page). The spaces it
    drops are put back as the page's text (``page_text``) has them."""
    doc = trafilatura.bare_extraction(
        tree,
        fast=False,
        favor_precision=precision,
        favor_recall=not precision,
        include_comments=False,
        include_tables=True,
        include_images=ctx.settings.images,
        include_formatting=True,
        include_links=True,
        with_metadata=False,
    )
    if doc is None or doc.body is None:
        return []
    respace(doc.body, page_text)
    return blocks(doc.body, ctx)


def _words(body: list[str]) -> int:
    return sum(_count(to_plain(b)) for b in body)


def _count(text: str) -> int:
    """A text's words; in Chinese and Japanese, which write no spaces, its characters (as the
    corpora count them): a Chinese article is not one word per paragraph."""
    return len(_CJK.sub(" c ", text).split()) if _CJK.search(text) else len(text.split())


def _readability(tree: etree._Element, ctx: Ctx) -> list[str]:
    """The article as readability-lxml finds it: the page's densest block of paragraphs and its
    siblings. (trafilatura's own copy of it, kept as its fallback, joins fewer siblings: it
    stops where a magazine splits its article into several containers.)"""
    try:
        summary = ReadabilityDocument(copy.deepcopy(tree), min_text_length=25).summary(
            html_partial=True
        )
        root = lxml_html.fragment_fromstring(summary, create_parent="div", parser=_PARSER)
    except (etree.ParserError, ValueError, TypeError):
        return []
    return blocks(root, ctx)


def _link_words(body: list[str]) -> float:
    """The share of the words that are link text: a list of links is not an article."""
    words = _words(body) or 1
    linked = sum(_count(m) for b in body for m in _LINK_TEXT.findall(b))
    return linked / words


_LINK_TEXT = re.compile(r"(?<!\\)\[([^\]]*)\]\(")


def _bag(body: list[str]) -> Counter[str]:
    """The words of a candidate, as a bag; Chinese and Japanese by character (they write no
    spaces, so a "word" would be a whole clause)."""
    bag: Counter[str] = Counter()
    for word in _WORD.findall(to_plain("\n".join(body)).lower()):
        bag.update(word if _CJK.search(word) else [word])
    return bag


_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _agreement(one: Counter[str], other: Counter[str]) -> float:
    """How far two extractions of a page say the same: the F1 of their bags of words."""
    total = sum(one.values()) + sum(other.values())
    return 2 * sum((one & other).values()) / total if total else 0.0


def vote(candidates: list[list[str]]) -> list[str]:
    """The candidate the others agree with best; a tie goes to the first. With one extractor
    finding nothing there is no third voice to settle the vote: the longer of the two is kept,
    as trafilatura itself falls back to the longer extraction when its own is short.

    The candidates are trafilatura's two passes, then readability (:func:`extract_article`).
    trafilatura's passes often stop at the same place, and agree with each other as one voice
    would: when they do, and readability holds what they found and half as much again in
    paragraphs of prose, readability's whole article is kept (:func:`_goes_on`). The other
    way round, a winner that only adds short lines to a candidate it holds gives way to it
    (:func:`_without_furniture`)."""
    found = [c for c in candidates if c]
    if len(found) < len(candidates):
        return max(found, key=_words, default=[])
    bags = [_bag(c) for c in candidates]
    best, score = 0, -1.0
    for i in range(len(candidates)):
        votes = sum(_agreement(bags[i], bags[j]) for j in range(len(bags)) if j != i)
        if votes > score:
            best, score = i, votes
    if (
        len(candidates) == 3
        and best != 2
        and _agreement(bags[0], bags[1]) >= _ONE_VOICE
        and _goes_on(candidates[best], bags[best], candidates[2], bags[2])
    ):
        best = 2
    return _without_furniture(best, candidates, bags)


def _without_furniture(
    best: int, candidates: list[list[str]], bags: list[Counter[str]]
) -> list[str]:
    """The winner, or a shorter candidate it holds whole when all the winner adds to it is short
    lines (a caption credit, "Share", a list of headlines, a byline) or the same paragraphs
    again: the other extractor saw where the article's prose stops and the page's furniture
    starts. Of several such candidates, the longest, with the winner's headings that stand
    inside it (:func:`_with_subheadings`)."""
    size = sum(bags[best].values())
    held = [
        i
        for i, bag in enumerate(bags)
        if i != best
        and size >= _FURNITURE_MORE * sum(bag.values())
        and sum((bag & bags[best]).values()) >= _HELD * sum(bag.values())
        and _adds_no_prose(candidates[i], candidates[best])
    ]
    if not held:
        return candidates[best]
    shorter = max(held, key=lambda i: sum(bags[i].values()))
    return _with_subheadings(candidates[shorter], candidates[best])


def _with_subheadings(short: list[str], long: list[str]) -> list[str]:
    """``short`` with the headings ``long`` sets between two of ``short``'s paragraphs: a
    subheading inside the article is its structure, not furniture, though it is a short line
    (readability drops a heading that is a section's only child)."""
    kept = {_key(b) for b in short}

    def added_heading(block: str) -> bool:
        return block.startswith("#") and _key(block) not in kept

    before: dict[str, list[str]] = {}
    j = 1
    while j < len(long):
        if not added_heading(long[j]):
            j += 1
            continue
        end = j  # a run of headings: a section's and its first subsection's
        while end < len(long) and added_heading(long[end]):
            end += 1
        if end < len(long) and _key(long[j - 1]) in kept and (after := _key(long[end])) in kept:
            before.setdefault(after, []).extend(long[j:end])
        j = end
    out: list[str] = []
    for block in short:
        out.extend(before.pop(_key(block), []))
        out.append(block)
    return out


#: How much longer the winner must be than a candidate it holds for the difference to count,
#: and how much of that candidate it must hold.
_FURNITURE_MORE, _HELD = 1.05, 0.95


def _adds_no_prose(short: list[str], long: list[str]) -> bool:
    """``long`` adds to ``short`` no paragraph of prose (:func:`_is_prose`)."""
    kept = {_key(b) for b in short}
    return all(not _is_prose(b) for b in long if _key(b) not in kept)


def _is_prose(md: str) -> bool:
    """A paragraph, not a line of furniture: more than 15 words (in Chinese and Japanese, whose
    words :func:`_count` counts by character, one to three each, more than 40 characters), most
    of them not links: a site's menu bar is a long line of links (a list of links the article
    gives is a list, and counts as its words)."""
    text = to_plain(md).strip()
    if _count(text) <= (_PROSE_CJK_CHARACTERS if _CJK.search(md) else 15):
        return False
    if patterns.TOOLBAR.match(text):
        return False
    return bool(_LIST_ITEM.match(md)) or _link_words([md]) <= 0.5


_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d+[.)])\s")
#: The longest line of Chinese or Japanese that is furniture: a source, an editor, a menu.
_PROSE_CJK_CHARACTERS = 40


#: How far trafilatura's two passes must agree to count as one voice.
_ONE_VOICE = 0.98


def _goes_on(short: list[str], short_bag: Counter[str], long: list[str],
             long_bag: Counter[str]) -> bool:  # fmt: skip
    """``long`` is ``short`` and more of the article: it holds nearly all of ``short``'s words,
    half as many again, and what it adds is prose (paragraphs of more than 15 words, few of them
    links), not a sidebar, a gallery or a list of headlines."""
    size = sum(short_bag.values()) or 1
    if sum((short_bag & long_bag).values()) < 0.9 * size or sum(long_bag.values()) < 1.5 * size:
        return False
    kept = {_key(b) for b in short}
    added = [b for b in long if _key(b) not in kept]
    words = _words(added) or 1
    prose = sum(n for b in added if (n := _words([b])) > 15)
    return prose >= 0.9 * words and _link_words(added) <= 0.15


def extract_article(tree: etree._Element, ctx: Ctx) -> tuple[list[str], frozenset[str]]:
    """The article's blocks, as three extractors find it: trafilatura's precision and recall
    passes (each with its own readability and jusText fallbacks), and readability alone. The one
    that agrees best with the other two is kept, as a vote: each extractor fails in its own way
    (trafilatura cuts an article short at a pull-quote, a run of code or after its preface, or
    keeps a list of links; readability takes the comments or the whole page), and two seldom
    fail alike (:func:`vote`). Nothing found by any: the whole page. With the blocks, the
    paragraphs trafilatura and readability both kept (as :func:`_key` gives them)."""
    page_text = " ".join("".join(tree.itertext()).split())
    candidates = [
        _extract(tree, ctx, page_text, precision=True),
        _extract(tree, ctx, page_text, precision=False),
        _readability(tree, ctx),
    ]
    trafilatura_keeps = {_key(b) for b in candidates[0] + candidates[1]}
    agreed = frozenset(k for b in candidates[2] if (k := _key(b)) in trafilatura_keeps)
    if best := vote(candidates):
        return best, agreed
    root = tree.find("body")
    return blocks(root if root is not None else tree, ctx), agreed


def _key(md: str) -> str:
    return re.sub(r"\W+", " ", unescape(md.lstrip("#")).casefold()).strip()


def _drop_title(body: list[str], meta: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Headings that repeat the title (it is in the metadata) or the page's description before
    the first paragraph (kept as the subtitle), and the page's header above the title's line
    (returned, as text, for the report)."""
    header: list[str] = []
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
    # The title's line a few blocks on starts the article: what stood above it was the page's
    # header, either between the title and the title again (a byline, a gallery's captions, a
    # photo credit) or a few short lines (a breadcrumb, a section's name, a photo credit).
    limit = min(len(body) - 1, _MOST_ABOVE_TITLE) if len(title.split()) >= _TITLE_WORDS else 0
    at = next((k for k in range(1, limit) if _key(body[k]) == title), None)
    if at is not None:
        twice = _key(body[0]) == title
        if twice or at <= _MOST_LINES_ABOVE_TITLE and not any(_is_prose(b) for b in body[:at]):
            header = body[int(twice) : at]
            del body[:at]
    i = 0
    while i < len(body) and (body[i].startswith("#") or len(body[i].split()) <= 20):
        key = _key(body[i])
        if key and (key == title or body[i].startswith("#") and _kicker_and(title, key)):
            del body[i]
        elif key and key == description:
            meta["subtitle"] = meta["description"]
            del body[i]
        elif body[i].startswith("#"):
            i += 1
        else:
            break
    return body, [to_plain(b).strip() for b in header]


#: How far from the page's title its second showing may be and still start the article; how
#: many short lines (no prose) may stand above the title and be the page's header; the fewest
#: words a title has for a line or a heading to be taken for it by those rules (a title of one
#: or two words is too often a heading of the text too).
_MOST_ABOVE_TITLE, _MOST_LINES_ABOVE_TITLE, _TITLE_WORDS = 10, 6, 3


def _kicker_and(title: str, heading: str) -> bool:
    """``heading`` is the title of several words after a kicker of a few ("Premiere in
    Eisenhüttenstadt – Hotel Lunik opens again"), as news sites set the two in one heading."""
    kicker = heading.removesuffix(f" {title}")
    return len(title.split()) >= _TITLE_WORDS and kicker != heading and len(kicker.split()) <= 6


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


def _comments_markdown(sections: list[etree._Element], ctx: Ctx) -> list[str]:
    """Each comment as paragraphs (a thread's list is not a list in the text), without the
    reply form and the "Reply" links."""
    out: list[str] = []
    flat = dataclasses.replace(ctx, flat_lists=True)
    for section in copy.deepcopy(sections):
        for el in list(section.iter("form", "button", "input", "textarea", "label")):
            replace_with_text(el, "")
        for el in list(section.iter()):
            names = f"{el.get('class', '')} {el.get('id', '')}".lower()
            if el is not section and ("reply" in names or "respond" in names):
                replace_with_text(el, "")
        out.extend(blocks(section, flat))
    return out


def _page_text(tree: etree._Element) -> str:
    """The page's words, enough of them to tell its language."""
    body = tree.find("body")
    return " ".join((body if body is not None else tree).itertext())[:_LANGUAGE_SAMPLE]


#: Characters of a page read to tell its language (the detector is sure long before).
_LANGUAGE_SAMPLE = 20_000


def html_to_markdown(
    page: str, settings: Settings, name: str = "page", lang: str | None = None
) -> CleanedPage:
    """One page's article as Markdown, its metadata, and what was cut; its typography by the
    rules of ``lang`` (the sidecar's), else of the language the page declares."""
    tree = parse(page, name, settings.limits.nesting)
    meta = page_metadata(tree, settings.build_date)
    keep_math(tree)
    for el in list(tree.iter("script", "style", "noscript", "template")):
        replace_with_text(el, "")
    # The typography follows the text's language: a Word export's <body lang=DE-CH> over an
    # English letter must not give it German quotes.
    ctx = Ctx(settings, lang=lang or text_language(meta.get("lang"), _page_text(tree)))
    removed = [("site chrome", t) for t in _remove(_chrome(tree)) if t]
    removed += [("site chrome", t) for t in _remove(_overlays(tree)) if t]
    removed += [("site chrome", t) for t in _remove(_calendars(tree)) if t]
    marked_comments, marked_furniture = _marked(tree)
    sections = _comment_sections(marked_comments)
    responses = _comments_markdown(sections, ctx) if settings.keep_comments else []
    removed += [("comment section", t) for t in _remove(sections) if t]
    removed += [("site chrome", t) for t in _remove(_skip_links(tree)) if t]
    notes = lift_notes(tree, ctx)
    furniture = [
        el
        for el in _outermost(marked_furniture)
        if el.getparent() is not None and _is_furniture(el)
    ]
    removed += [("site chrome", t) for t in _remove(furniture) if t]
    url = meta.get("source_url")
    cards = teaser_cards(tree, url if isinstance(url, str) else None)
    removed += [("related posts", t) for t in _remove(cards) if t]

    if settings.images:
        ctx = mark_captions(tree, ctx)
    wrap_loose_text(tree)
    body, agreed = extract_article(tree, ctx)
    body, header = _drop_title(body, meta)
    removed += [("page header", text) for text in header if text]
    body, tail, what = cut_tail(body, agreed)
    if tail:
        removed.append((what, to_plain(tail[0])))
        if settings.keep_comments and what == "comment section":
            responses = tail[1:] + responses
    body, chrome = trim_chrome(body)
    removed += [("site chrome", to_plain(md)) for md in chrome]
    body, between = _drop_interstitials(body)
    removed += [("site chrome", text) for text in between]
    body, stamps = _drop_stamps(body, meta)
    removed += [("site chrome", text) for text in stamps]
    body = _drop_trailing_headings(body, meta)
    body, credit = _take_credit(body, meta.get("author"))
    if credit and not meta.get("credit"):
        meta["credit"] = credit
    for note in notes:
        body.extend(note.markdown())
    replies = tuple(md for md in responses if not _is_thread_furniture(md))
    return CleanedPage("\n\n".join(body) + "\n", meta, tuple(removed), replies)
