"""A page's metadata: title, author, date, site name, language, canonical URL, description.

Read, in this order of trust, from JSON-LD (schema.org ``Article``…), OpenGraph and other
``<meta>`` tags, ``<link rel=canonical>``, then the page itself (``<h1>``, ``<title>``, a
``rel=author`` or byline element, ``<time datetime>``), then trafilatura's own metadata reader
(its title, author and htmldate's date) for what the page's markup does not say. Every value is
checked for what it is: a date is a :class:`flows.model.PartialDate` or nothing (never a recipe's
``PT15M`` or opening hours), an author a name without "By", a job title, "Twitter" or "2 hours
ago", a title without the site's name around it. The sidecar overrides all of it later
(:meth:`flows.model.Document.with_detected`).
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import re
from typing import Any

from lxml import etree

from flows.clean import patterns
from flows.clean.html import patterns as hp
from flows.clean.html.site import host, site_host, within
from flows.model import PartialDate
from flows.read.dates import parse_date
from flows.read.language import language_tag
from flows.typography import curl_quotes, normalise_spaces, printable

_META_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("og:title", "twitter:title", "dc.title", "citation_title", "parsely-title"),
    "author": ("author", "article:author", "dc.creator", "citation_author", "parsely-author",
               "sailthru.author", "byl"),
    "date": ("article:published_time", "datepublished", "dc.date.issued", "dc.date",
             "citation_publication_date", "pubdate", "publishdate", "parsely-pub-date",
             "og:published_time", "article.published", "date", "sailthru.date"),
    "publication": ("og:site_name", "og:site:name", "application-name", "twitter:site"),
    "source_url": ("og:url", "twitter:url"),
    "description": ("og:description", "description", "twitter:description", "dc.description"),
}  # fmt: skip
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|WebPage|CreativeWork|Posting", re.I)
_TITLE_SEPARATORS = re.compile(r"\s+[|–—·•:»-]\s+|(?<=\w): ")
#: The separators sites put between a title and their name or section ("Opinion | …").
_SITE_SEPARATORS = re.compile(r"\s+[|–—·•»]\s+|\s+-\s+")
#: A separator left at an end when a site's template had nothing to put there: "Title |".
_DANGLING = re.compile(r"^\s*[|–—·•»]\s+|\s+[|–—·•»]\s*$")


_BYLINE = etree.XPath(
    "//*[@rel='author' or @itemprop='author'] | "
    "//*[@class][contains(@class,'author') or contains(@class,'autor') or "
    "contains(@class,'auteur') or contains(@class,'byline')]"
)
#: A writer's own page on a site: "/author/jane-doe/", "/autoren/name/max-kolter".
_AUTHOR_PAGE = re.compile(
    r"/(?:authors?|autor(?:en|in|es|i|e)?|auteurs?|writers?|journalists?)/[^/?#]*[a-z][^?#]*$",
    re.I,
)
#: The fields of a byline: "Patricio Candia | Palma de Mallorca | 08/01/2014".
_BYLINE_FIELDS = re.compile(r"\s+[|•·]\s+")


def _clean(value: str) -> str:
    # Sites escape their metadata twice ("&amp;#8217;"): one level is left after parsing.
    return normalise_spaces(re.sub(r"\s+", " ", html.unescape(value) if "&" in value else value))


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD ``author`` (a string, an object, or a list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _json_ld(tree: etree._Element) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue  # a page's broken JSON-LD is no reason to refuse the page
        items = data if isinstance(data, list) else [data]
        items += [g for d in items if isinstance(d, dict) for g in d.get("@graph", [])]
        for item in items:
            if not isinstance(item, dict) or not _ARTICLE_TYPES.search(str(item.get("@type"))):
                continue
            for key, field in (("title", "headline"), ("date", "datePublished"),
                               ("description", "description"), ("source_url", "url")):  # fmt: skip
                if isinstance(item.get(field), str):
                    found.setdefault(key, item[field])
            names = _names(item.get("author"))
            if names:
                found.setdefault("author", names)
            publisher = item.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                found.setdefault("publication", publisher["name"])
    return found


def _meta_tags(tree: etree._Element) -> dict[str, str]:
    tags: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        content = meta.get("content")
        if key and content and content.strip():
            content = content.strip()
            if key in _SURNAME_FIRST:
                content = "; ".join(_SURNAME_COMMA.sub(r"\2 \1", n) for n in content.split(";"))
            tags.setdefault(key, content)
    return tags


#: Fields that write a name surname first: "Brazil, Rachel" (Dublin Core, Highwire Press).
_SURNAME_FIRST = frozenset({"dc.creator", "citation_author"})
_SURNAME_COMMA = re.compile(r"^\s*([^\s,]+(?: [^\s,]+)?),\s*([^\s,]+(?: [^\s,]+){0,2})\s*$")


def _first_text(tree: etree._Element, path: str) -> str | None:
    for el in tree.xpath(path):
        text = _clean("".join(el.itertext()) if isinstance(el, etree._Element) else str(el))
        if text:
            return text
    return None


def _byline(tree: etree._Element) -> str | None:
    """The text of the first author or byline element outside the comment section; of a byline
    that goes on with a place and a date ("Jane Doe | Palma | 08/01/2014"), its first field."""
    for el in _BYLINE(tree):
        if _in_comments(el):
            continue
        if text := _clean(_text(el)):
            return _without_dateline(text)
    return None


#: An element's text without its scripts' and styles' (a byline box may hold a tracker's).
_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")


def _text(el: etree._Element) -> str:
    return "".join(_TEXT(el))


def _author_link(tree: etree._Element, url: Any) -> str | None:
    """The text of the first link to a writer's own page on the site ("/author/jane-doe/", a
    WordPress author archive; "/autoren/name/max-kolter") outside the comment section."""
    site = site_host(tree, url if isinstance(url, str) else None)
    for el in tree.iterfind(".//a[@href]"):
        href = el.get("href", "")
        if not (_AUTHOR_PAGE.search(href) and within(href, site)) or _in_comments(el):
            continue
        if text := _clean(_text(el)):  # a portrait's link has none
            return text  # the first: a later one may be another post's writer
    return None


def _without_dateline(byline: str) -> str:
    """A byline's first field when it goes on with a place and a date ("Jane Doe | Palma |
    08/01/2014"); else the whole byline."""
    fields = _BYLINE_FIELDS.split(byline)
    if len(fields) > 1 and any(patterns.DATE_IN_LINE.fullmatch(f) for f in fields):
        return fields[0]
    return byline


def _in_comments(el: etree._Element) -> bool:
    return any("comment" in (a.get("class") or "") for a in (el, *el.iterancestors()))


def _a_commenter(name: str, tree: etree._Element) -> bool:
    """``name`` stands on the page only in its comments: a reader, not the author (trafilatura
    takes a comment's "comment-author" for the page's)."""
    key = name.casefold()
    found = [
        el
        for el in tree.iter()
        if isinstance(el.tag, str) and el.text and el.text.strip().casefold() == key
    ]
    return bool(found) and all(_in_comments(el) for el in found)


def _title_from_head(title: str, site: str | None, h1: str | None) -> str:
    """``<title>`` without the site's name around it: "Article | Site", "Blog: Article"."""
    site_key = (site or "").casefold()
    if h1 and h1.casefold() != site_key and h1.casefold() in title.casefold():
        return h1
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        rest = [p for p in parts if p.casefold() != site_key]
        if site_key and rest and len(rest) < len(parts):
            return " - ".join(rest)
        return max(parts, key=len)
    return title


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def without_site(title: str, site: str | None, h1: str | None) -> str:
    """A title (``og:title``, JSON-LD ``headline``) without the site's name or section the site
    puts around it: "Budget passed | India News", "Opinion | The case for trams". A part goes
    when it is the site's name (``og:site_name``), or when the page's only ``<h1>`` is the rest."""
    title = _DANGLING.sub("", title)
    parts = _SITE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_key = _key(site or "")
    h1_key = _key(h1 or "")
    if h1_key and h1_key != site_key:
        for i in range(len(parts)):
            for j in range(len(parts), i, -1):
                if (i, j) != (0, len(parts)) and _key(" ".join(parts[i:j])) == h1_key:
                    return _rejoin(title, i, j)
    if site_key:
        rest = [p for p in parts if _key(p) != site_key and not _site_like(p, site_key)]
        if rest and len(rest) < len(parts):
            return _rejoin_parts(title, rest)
    return title


def _site_keys(site: str | None, url: Any) -> list[str]:
    """The site's names as keys: its ``og:site_name``, its address's host ("lto.de": "lto")."""
    keys = [_key(site)] if site else []
    if isinstance(url, str) and (name := host(url)):
        labels = name.split(".")
        keys.append(_key(labels[-2] if len(labels) > 1 else labels[0]))
    return [k for k in keys if k]


def _site_like(part: str, site_key: str) -> bool:
    """ "India News" on a page of "The Times of India", "NYTimes.com" of "The New York Times"."""
    key = _key(part)
    return bool(key) and (key.replace(" ", "") == site_key.replace(" ", ""))


def _rejoin(title: str, i: int, j: int) -> str:
    pieces = re.split(f"({_SITE_SEPARATORS.pattern})", title)
    return "".join(pieces[2 * i : 2 * j - 1]).strip()


def _rejoin_parts(title: str, keep: list[str]) -> str:
    pieces = re.split(f"({_SITE_SEPARATORS.pattern})", title)
    parts, seps = pieces[0::2], pieces[1::2]
    kept = [k for k, p in enumerate(parts) if p in keep]
    first, last = kept[0], kept[-1]
    if kept != list(range(first, last + 1)):
        return title  # the site's name between two parts: leave the title as it is
    return "".join(parts[k] + (seps[k] if k < last else "") for k in range(first, last + 1))


#: What bylines put around a name: "By", "Written by", "Von", "Par", "Door", "Af", "Autor:".
_AUTHOR_PREFIX = re.compile(
    r"^(?:(?:posted|submitted|published|written|words|reported|photos?|text|story|article)\s+)?"
    r"(?:by|von|par|por|door|af|av|di|da|de|de la|autor(?:in)?|author|auteur|por|text|"
    r"redakce|od|przez|tekst|written|posted)\s*[:\-–—]?\s+",
    re.I,
)
#: A picture's credit: "Foto: APA", "Photo: Jane Doe", "Bild: SN", "Credit: Reuters".
_PHOTO_CREDIT = re.compile(
    r"\s*(?:fotos?|photos?|photographs?|bild(?:er)?|images?|credits?|crédits?|picture)\s*[:©]",
    re.I,
)
#: Where a byline goes on past the name: "Jane Doe, Senior Editor", "Jane Doe | Twitter".
_AUTHOR_SPLIT = re.compile(
    r"\s*(?:[;|/•·,]|\s[–—-]\s|\s&\s|\s(?:and|und|et|y|e|i|en|og|och|ve|и)\s)\s*", re.I
)
#: "Jane Doe is a reporter at …": the name is what comes before.
_IS_A = re.compile(r"\s+(?:is|ist|est|es|è)\s+(?:a|an|the|ein|eine|un|une|el|la|il)\s")
#: Not a name: social networks and the links beside a byline.
_SOCIAL = frozenset(
    "twitter x facebook linkedin instagram youtube tiktok mastodon bluesky threads rss email "
    "e-mail mail follow share print contact website homepage more profile bio about".split()
)
#: Job titles and roles ("Senior Editor", "Redakteurin", "Staff Writer", "Correspondent").
_JOB = re.compile(
    r"(?:editors?|reporter|correspondent|writer|journalist|columnist|contributor|staff|desk|"
    r"team|producer|photographer|analyst|anchor|presenter|broadcaster|"
    r"redakteur(?:in)?|redaktion|korrespondent(?:in)?|autor(?:in)?|journalistin|reporterin|"
    r"rédact(?:eur|rice)|journaliste|correspondant(?:e)?|periodista|redactor(?:a)?|"
    r"corresponsal|giornalista|redattore|redaktør|author|authors|admin|administrator|"
    r"webmaster|moderator|guest|freelancer?|intern)$",
    re.I,
)
#: Words that start a job title: "senior political correspondent", "staff writer".
_ROLE_WORD = re.compile(
    r"(?:chief|senior|deputy|managing|executive|associate|assistant|contributing|political|"
    r"politics|business|economics|sports?|news|opinion|science|health|tech(?:nology)?|auto|"
    r"foreign|national|digital|special|local|online|staff)$",
    re.I,
)
#: A day in a URL: "/2019/11/18/", "2019-11-18".
_URL_DAY = re.compile(r"(?<!\d)(?:19|20)\d\d[/_-][01]\d[/_-][0-3]\d(?!\d)")
#: Drupal's "Submitted by … on Tue, 12/02/2019 - 10:00": its default format is m/d/Y.
_DRUPAL_DATE = re.compile(r"\b[A-Z][a-z]{2}, \d{2}/\d{2}/\d{4} - \d{2}:\d{2}\b")
#: A site's address as a name: "ORF.at", "Cleveland.com", "ndr.de".
_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$", re.I)
#: Relative times a byline shows beside the name: "2 hours ago", "před 2 hodinami", "vor 3 Tagen".
_RELATIVE = re.compile(
    r"\d|\b(?:ago|před|назад|geleden|sedan|siden|temu|önce|yesterday|today|gestern|heute|"
    r"aujourd'hui|ayer|hoy|včera|dnes)\b",
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
#: How a comment's header goes on after its writer's name: "Mark says:", "Jane wrote:".
_SAYS = re.compile(r"(?:says|said|wrote|writes|sagt|schreibt|dit|écrit|dice|escribió):?$", re.I)
#: A byline's label standing alone, its name left out.
_LABEL = re.compile(
    r"(?:submitted|posted|written|published|updated|author|autor|auteur|autore|by|von|par|por)$",
    re.I,
)
#: Words no name starts with but a phrase does, in English ("The" starts an agency's name, "A"
#: an initial, and other languages' articles surnames: "De Gaulle", "La Fontaine").
_PHRASE_START = re.compile(r"(?:an|about|this|these|our|your|see|more|all|it'?s)$", re.I)
#: A name is a few words of letters: longer is a sentence ("Jane Doe is a reporter at …").
_MOST_NAME_WORDS = 5


def author_names(value: Any) -> list[str]:
    """The people a byline or a metadata field names, without what goes around them: "By",
    roles and job titles, social links, e-mail addresses, relative times."""
    raw = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in raw:
        if not isinstance(item, str) or hp.SAFE_URL.match(item.strip()):
            continue
        if _PHOTO_CREDIT.match(item):  # "Foto: APA / Keystone": a picture's, not the text's
            continue
        text = _EMAIL.sub(" ", _clean(item))
        text = _IS_A.split(text)[0]
        for part in _AUTHOR_SPLIT.split(text):
            name = _name(part)
            if name and name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    return names


def is_byline(text: str, authors: Any) -> bool:
    """A line that only names the page's ``authors``: "By Jane Doe", "von Oliver Kring", "Jane
    Doe | Palma | 08/01/2014"."""
    known = {a.casefold() for a in author_names(authors)}
    if not known or len(text.split()) > 12:
        return False
    names = author_names(_without_dateline(text))
    return bool(names) and all(n.casefold() in known for n in names)


def _name(part: str) -> str | None:
    name = _clean(part).strip(" .:,-–—()[]\"'“”‘’@")
    while (m := _AUTHOR_PREFIX.match(name + " ")) and m.end() <= len(name):
        name = name[m.end() :].strip()
    name = re.sub(r"@\w+", "", name).strip(" .:,-–—")
    words = name.split()
    if not words or len(words) > _MOST_NAME_WORDS:
        return None
    if m := _RELATIVE.search(name):  # "Jana Nováková před 2 hodinami": the name before it
        name = name[: m.start()].strip(" .:,-–—()@")
        words = name.split()
    # A job title after the name ("Jane Doe Senior Editor", "Sameer Hashmi business reporter")
    # goes, from its first word on; a segment that is only one ("Staff Writer") is no name.
    # A newsroom's own credit ("Reuters Staff", "MND Staff") is the name the page gives.
    desk = len(words) == 2 and words[1].casefold() == "staff" and not _ROLE_WORD.match(words[0])
    if any(_JOB.match(w) for w in words) and not desk:
        k = next(i for i, w in enumerate(words) if _JOB.match(w) or _ROLE_WORD.match(w))
        # What is left must still look like a name: "AP" of "AP Auto Writer" does not.
        words = words[:k] if k >= 2 else []
        name = " ".join(words)
    if not words or name.casefold() in _SOCIAL or _RELATIVE.search(name):
        return None
    if _SAYS.match(words[-1]) and len(words) > 1:  # "Mark says:": a comment's header
        return None
    if _PHRASE_START.match(words[0]):  # "About the Author", "See more articles by …"
        return None
    if len(words) == 1 and _LABEL.match(name):  # Drupal's "Submitted on …" with no name
        return None
    if sum(c.isalpha() for c in name) < 2 or hp.SAFE_URL.match(name) or "www." in name:
        return None
    if _DOMAIN.match(name):
        return None
    # "TOM KRISHER": a name as people write it; one short word in capitals is an acronym
    # ("LBCI", "AFP", "ANSA"), which stays as it is.
    if name.isupper() and (len(words) > 1 or len(name) > 4):
        name = name.title()
    elif name.islower():  # "viktor hedlund", a slug "chuck-ross"
        slug = " " not in name
        name = " ".join(w.capitalize() for w in re.split(r"[\s-]+", name)) if slug else name.title()
    return name


def _trafilatura_metadata(tree: etree._Element, url: str | None, latest: dt.date | None) -> Any:
    """trafilatura's reading of the page (a copy: it prunes what it reads), with htmldate's
    date no later than ``latest`` (the build date: the same input gives the same date)."""
    from trafilatura.metadata import extract_metadata

    config = {
        "original_date": True,
        "extensive_search": True,
        "max_date": (latest or dt.date(2999, 12, 31)).isoformat(),
    }
    try:
        return extract_metadata(copy.deepcopy(tree), default_url=url, date_config=config)
    except Exception:  # noqa: BLE001 - a bug in a library's reading of one page is no reason to fail the page
        return None


def page_metadata(
    tree: etree._Element, latest: dt.date | None = None, url: str | None = None
) -> dict[str, Any]:
    """Everything the page says about itself; values are plain text (typography applied),
    the date a :class:`PartialDate`. ``latest``: no date after it (the build date)."""
    ld = _json_ld(tree)
    tags = _meta_tags(tree)
    meta: dict[str, Any] = {}
    for key, names in _META_KEYS.items():
        if key == "date":
            continue
        value = ld.get(key) or next((tags[n] for n in names if n in tags), None)
        if value:
            meta[key] = value
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    url = url or (canonical[0] if canonical else None) or meta.get("source_url")
    lib = _trafilatura_metadata(tree, url if isinstance(url, str) else None, latest)
    h1s = [t for el in tree.iterfind(".//h1") if (t := _clean(_text(el)))]
    h1 = h1s[0] if len(set(h1s)) == 1 else None  # one headline (a page may repeat it)
    site = meta.get("publication") if isinstance(meta.get("publication"), str) else None
    if isinstance(meta.get("title"), str):
        meta["title"] = without_site(_clean(meta["title"]), site, h1)
    else:
        head = _first_text(tree, "//head/title")
        meta_title = _title_from_head(head, site, h1) if head else h1
        if not meta_title and lib is not None and lib.title:
            meta_title = without_site(_clean(lib.title), site, h1)
        if meta_title:
            meta["title"] = meta_title
    # The page's own author field may name an organisation ("Associated Press", "Les Echos");
    # a name found elsewhere (trafilatura's guess, a byline element) that is the site's is none.
    authors = author_names(meta.pop("author", []))
    guessed: list[str] = []
    keys = _site_keys(site, url)
    if authors and all(any(_site_like(a, k) for k in keys) for a in authors):
        # The field names the site only ("LTO", "Lesotho Times"): a writer the page links to
        # ("von <a href=/autoren/name/max-kolter>Dr. Max Kolter</a>") is the author.
        linked = _author_link(tree, url)
        people = author_names(linked) if linked else []
        people = [p for p in people if not any(_site_like(p, k) for k in keys)]
        authors = people or authors
    if not authors and lib is not None and lib.author:
        guessed = [a for a in author_names(lib.author.split("; ")) if not _a_commenter(a, tree)]
    if not authors and not guessed:
        byline = _byline(tree) or _author_link(tree, url)
        if byline and len(byline.split()) <= 8:
            guessed = author_names(byline)
    if site:  # "Euronews" on euronews.com
        guessed = [a for a in guessed if not _site_like(a, _key(site))]
    authors = authors or guessed
    if authors:
        meta["author"] = authors
    date = _page_date(ld, tags, tree, lib, latest, url if isinstance(url, str) else None)
    if date:
        meta["date"] = date
    if canonical:
        meta["source_url"] = canonical[0]
    return _normalised(meta, tree)


def _page_date(
    ld: dict[str, Any],
    tags: dict[str, str],
    tree: etree._Element,
    lib: Any,
    latest: dt.date | None,
    url: str | None,
) -> PartialDate | None:
    """The publication date: JSON-LD's ``datePublished`` of the article when it gives a day and
    the URL none, else htmldate's (through trafilatura: it weighs the URL, the markup and the
    text, and prefers the original date to an update), else a ``<meta>`` that says "published",
    a ``<time datetime>``; the first that is a date no later than ``latest``. A page that states
    only a year or a month keeps that precision."""
    marked: list[Any] = [ld.get("date"), *(tags.get(n) for n in _META_KEYS["date"])]
    marked += _DRUPAL_DATE.findall(" ".join(tree.xpath("//body//text()[contains(., '/')]")[:200]))[
        :3
    ]
    stated = [d for v in marked if v and (d := parse_date(v)) is not None]
    candidates: list[PartialDate | None] = []
    declared = parse_date(ld["date"]) if ld.get("date") else None
    if declared is not None and declared.precision == "day" and not _URL_DAY.search(url or ""):
        # The article's own datePublished, before htmldate's guess (which may take an update's
        # or the print edition's day); but a day in the URL is the site's local day, where
        # datePublished is often a time in UTC, a day off in the Americas or in Asia.
        candidates.append(declared)
    if lib is not None and lib.date and (found := parse_date(lib.date)) is not None:
        # htmldate writes a year or a month it found alone as its first day.
        coarse = [d for d in stated if d.precision != "day" and found.iso().startswith(d.iso())]
        swapped = [
            d for d in stated if (d.year, d.day, d.month) == (found.year, found.month, found.day)
        ]
        if coarse:
            found = coarse[0]
        elif swapped:  # "12/02/2019": Drupal's m/d/Y that htmldate read as d/m/Y
            found = swapped[0]
        elif (found.month, found.day) == (1, 1) and not any(d == found for d in stated):
            found = PartialDate(found.year)  # "© 2006", "1995–2006": a year, not 1 January
        candidates.append(found)
    candidates += stated
    candidates += [parse_date(v) for v in tree.xpath("//time/@datetime")[:3]]
    for date in candidates:
        if date is not None and (latest is None or date.first_day() <= latest):
            return date
    return None


def _printable(value: Any) -> Any:
    """JSON-LD's escapes give a page's metadata any character: a NUL, a lone surrogate."""
    if isinstance(value, str):
        return printable(value)
    return [_printable(v) for v in value] if isinstance(value, list) else value


def _normalised(meta: dict[str, Any], tree: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lang = _language(tree)  # the page's: its quotation marks for the title and names
    for key, value in meta.items():
        if key == "date":
            out["date"] = value
            continue
        value = _printable(value)
        if key == "author":
            names = [curl_quotes(n, lang) for n in value]
            out["author"] = names[0] if len(names) == 1 else names
        elif key == "source_url":
            if hp.SAFE_URL.match(str(value).strip()):
                out["source_url"] = str(value).strip()
        else:
            text = curl_quotes(_clean(str(value)), lang)
            if text:
                out[key] = text
    if lang:
        out["lang"] = lang
    return out


def _language(tree: etree._Element) -> str | None:
    body = tree.find("body")
    values = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    values.append(body.get("lang") if body is not None else None)
    values += tree.xpath(
        "//meta[translate(@http-equiv,'CONTENTLAGU','contentlagu')='content-language' "
        "or @property='og:locale']/@content"
    )
    declared = [v.strip() for v in values if v and v.strip()]
    # The first well-formed tag; else the first declared, for the clean stage to name and refuse
    # (flows.read.language.checked_language).
    return next(
        (tag for v in declared if (tag := language_tag(v))), declared[0] if declared else None
    )
