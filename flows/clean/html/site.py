"""Which site a page is of, for rules that tell its own links from links out: its address's
host, else the host most of its links go to."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from lxml import etree


def host(url: str | None) -> str:
    """A link's host without "www.", lower case; "" for a relative link or a malformed one."""
    try:
        found = urlsplit((url or "").strip()).hostname or ""
    except ValueError:  # a page's href may be anything ("http://[")
        return ""
    return found.lower().removeprefix("www.")


def site_host(tree: etree._Element, page_url: str | None) -> str:
    """The page's site: its address's host, or, for a page that does not give its address, the
    host most of its links go to."""
    if found := host(page_url):
        return found
    hosts = Counter(host(a.get("href")) for a in tree.iter("a"))
    hosts.pop("", None)
    return hosts.most_common(1)[0][0] if hosts else ""


def within(href: str, site: str) -> bool:
    """A link to another page of ``site``: relative, or to a host of its domain
    ("seattle.example.com" and "blog.example.com" are one site)."""
    linked = host(href)
    return not linked or (bool(site) and domain(linked) == domain(site))


def domain(name: str) -> str:
    """A host's registered domain, near enough: its last two labels, three under a country's
    second level ("bbc.co.uk", "abc.net.au")."""
    labels = name.split(".")
    keep = 3 if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


#: Second-level labels under which countries register domains ("co.uk", "com.au", "ac.jp").
_SECOND_LEVEL = frozenset("co com org net gov edu ac or ne go gob nic mil".split())
