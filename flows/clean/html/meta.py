"""A page's metadata: title, author, date, site name, language, canonical URL, description.

Read, in this order of trust, from JSON-LD (schema.org ``Article``…), OpenGraph and other
``<meta>`` tags, ``<link rel=canonical>``, then the page itself (``<h1>``, ``<title>``, a
``rel=author`` or byline element, ``<time datetime>``). The sidecar overrides all of it later
(:meth:`flows.model.Document.with_detected`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from flows.clean.html import patterns as hp
from flows.clean.typography import curl_quotes, normalise_spaces, printable
from flows.read.language import language_tag

_META_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("og:title", "twitter:title", "dc.title", "citation_title", "parsely-title"),
    "author": ("author", "article:author", "dc.creator", "citation_author", "parsely-author",
               "sailthru.author", "byl"),
    "date": ("article:published_time", "datepublished", "dc.date", "dc.date.issued", "date",
             "citation_publication_date", "pubdate", "publishdate", "parsely-pub-date",
             "og:published_time", "sailthru.date"),
    "publication": ("og:site_name", "application-name", "twitter:site"),
    "source_url": ("og:url", "twitter:url"),
    "description": ("og:description", "description", "twitter:description", "dc.description"),
}  # fmt: skip
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|WebPage|CreativeWork|Posting", re.I)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TITLE_SEPARATORS = re.compile(r"\s+[|–—·•:»-]\s+|(?<=\w): ")


_BYLINE = etree.XPath(
    "//*[@rel='author' or @itemprop='author'] | "
    "//*[@class][contains(@class,'author') or contains(@class,'byline')]"
)


def _clean(value: str) -> str:
    return normalise_spaces(re.sub(r"\s+", " ", value))


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
            tags.setdefault(key, content.strip())
    return tags


def _first_text(tree: etree._Element, path: str) -> str | None:
    for el in tree.xpath(path):
        text = _clean("".join(el.itertext()) if isinstance(el, etree._Element) else str(el))
        if text:
            return text
    return None


def _byline(tree: etree._Element) -> str | None:
    """The text of the first author or byline element outside the comment section."""
    for el in _BYLINE(tree):
        if any("comment" in (a.get("class") or "") for a in el.iterancestors()):
            continue
        if text := _clean("".join(el.itertext())):
            return text
    return None


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


def page_metadata(tree: etree._Element) -> dict[str, Any]:
    """Everything the page says about itself; values are plain text (typography applied)."""
    ld = _json_ld(tree)
    tags = _meta_tags(tree)
    meta: dict[str, Any] = {}
    for key, names in _META_KEYS.items():
        value = ld.get(key) or next((tags[n] for n in names if n in tags), None)
        if value:
            meta[key] = value
    h1s = [t for el in tree.iterfind(".//h1") if (t := _clean("".join(el.itertext())))]
    h1 = h1s[0] if len(h1s) == 1 else None
    if "title" not in meta:
        head = _first_text(tree, "//head/title")
        meta_title = _title_from_head(head, meta.get("publication"), h1) if head else h1
        if meta_title:
            meta["title"] = meta_title
    if "author" not in meta:
        byline = _byline(tree)
        byline = byline and re.sub(
            r"^((posted|written) )?(by|von|par|por):?\s+", "", byline, flags=re.I
        )
        if byline and len(byline.split()) <= 6:
            meta["author"] = byline
    if "date" not in meta:
        stamp = _first_text(tree, "//time/@datetime")
        if stamp:
            meta["date"] = stamp
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    if canonical:
        meta["source_url"] = canonical[0]
    return _normalised(meta, tree)


def _printable(value: Any) -> Any:
    """JSON-LD's escapes give a page's metadata any character: a NUL, a lone surrogate."""
    if isinstance(value, str):
        return printable(value)
    return [_printable(v) for v in value] if isinstance(value, list) else value


def _normalised(meta: dict[str, Any], tree: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    lang = _language(tree)  # the page's: its quotation marks for the title and names
    for key, value in meta.items():
        value = _printable(value)
        if key == "author":
            names = value if isinstance(value, list) else re.split(r"\s*[;|]\s*", str(value))
            names = [curl_quotes(_clean(n), lang) for n in names if n and not hp.SAFE_URL.match(n)]
            if names:
                out["author"] = names[0] if len(names) == 1 else names
        elif key == "date":
            m = _ISO_DATE.search(str(value))
            out["date"] = m.group(0) if m else _clean(str(value))
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
