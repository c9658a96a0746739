"""Selector and pattern constants for the HTML cleaner (:mod:`flows.clean.html.extract`), compiled
once.

They describe how CMSs mark up what is not the article (WordPress, Blogger, Drupal, Ghost,
Substack, Disqus…) and how pages mark up footnotes (WordPress plugins, MS Word exports,
MediaWiki, DPub-ARIA), not what one page contains.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

#: Containers with a class or an id (a comment section or a share box is one of these, never a
#: ``<span>`` or a link): :data:`COMMENT_SECTION` and :data:`FURNITURE` are matched against them.
MARKED_TAGS = ("div", "section", "aside", "ul", "ol", "dl", "footer", "nav", "form", "table",
               "h2", "h3", "h4", "header")  # fmt: skip
#: The whole comment section of a CMS (WordPress, Blogger, Drupal, Disqus, Substack…): whole
#: class or id names, so ``no-comments`` or ``comments-open`` on a ``<body>`` is spared.
COMMENT_NAMES = frozenset(
    "comment comments commentlist comment-list commentslist comments-area comments-section "
    "comments-wrapper comments-block comments-container comments-list comments-thread "
    "comment-respond respond reply-form disqus_thread comment-form commentform "
    "comment-wrapper blog-comments post-comments article-comments responses discussion "
    "talkback fb-comments comments_holder comments-page comment-section comentarios "
    "kommentare commentaires commenti reacties".split()
)
#: Cheap test before :data:`COMMENT_NAMES` is looked at.
COMMENT_HINT = ("omment", "respon", "disqus", "dsq-", "discussion", "talkback", "reply",
                "comentario", "reacties")  # fmt: skip

#: Site furniture trafilatura sometimes keeps next to an article: one word of a class or id
#: (split at spaces, hyphens and underscores) …
FURNITURE_WORDS = frozenset(
    "share sharing sharedaddy social addtoany a2a relatedposts related yarpp newsletter "
    "subscribe subscription cookie cookies consent gdpr printfriendly breadcrumb breadcrumbs "
    "sidebar widget advert sponsor sponsored promo byline paywall signup".split()
)
#: … or a phrase in one.
FURNITURE_PHRASES = ("print-friendly", "pf-button", "post-navigation", "nav-links",
                     "wp-block-buttons", "author-bio", "about-author", "ad-container",
                     "tags-links", "cat-links", "entry-meta", "post-meta")  # fmt: skip
_NAME_PARTS = re.compile(r"[\s_-]+")


def _prefixed_comment_name(name: str) -> bool:
    """A compound name of :data:`COMMENT_NAMES` behind a prefix of the site's: ``sf_comment_list``,
    ``td-comments-area``. One word alone (``no-comments`` on a post) does not count."""
    parts = name.replace("_", "-").split("-")
    return any("-".join(parts[i:]) in COMMENT_NAMES for i in range(1, len(parts) - 1))


#: The classes WordPress (``post_class``) and other CMSs give a post after its subjects:
#: ``tag-cookie-recipes``, ``category-social``. They say what the post is about, not what the
#: box is.
_TAXONOMY = re.compile(r"^(?:tag|category|topic|term)[-_]", re.I)


def own_names(element_class: str | None, element_id: str | None) -> str:
    """An element's class and id names, without the ones after its subjects."""
    names = f"{element_class or ''} {element_id or ''}".split()
    return " ".join(n for n in names if not _TAXONOMY.match(n))


def marked_kind(names: str) -> str | None:
    """ "comment", "furniture" or ``None`` for an element's ``id`` and ``class``."""
    lower = names.lower()
    if any(h in lower for h in COMMENT_HINT) and any(
        t in COMMENT_NAMES or t.startswith("dsq-") or _prefixed_comment_name(t)
        for t in lower.split()
    ):
        return "comment"
    if not FURNITURE_WORDS.isdisjoint(_NAME_PARTS.split(lower)) or any(
        p in lower for p in FURNITURE_PHRASES
    ):
        return "furniture"
    return None


#: Class or id names that mark an element as furniture whatever its tag and size: MediaWiki's
#: section "[edit]" links, its "From Wikipedia, the free encyclopedia" tagline and "Jump to"
#: links, its category bar, navigation boxes and the parts it marks ``noprint``; screen-reader
#: skip links.
CHROME_NAMES = frozenset(
    "mw-editsection siteSub contentSub contentSub2 jump-to-nav mw-jump-link catlinks "
    "printfooter navbox vertical-navbox mw-indicators noprint mw-cite-backlink-hidden "
    "skip-link screen-reader-text sr-only visually-hidden".split()
)


#: Words of a class or id that say what a box is for, whatever its size: a cookie or consent
#: banner (and the consent platforms' own names: the placeholder Sourcepoint leaves where it
#: blocked an embed), a newsletter sign-up. Such a box is never the article, even when it is the
#: biggest block of text on the page. ("paywall" and "subscription" are not here: news sites
#: wrap the article itself in those.)
OVERLAY_WORDS = frozenset(
    "cookie cookies consent gdpr newsletter onetrust didomi usercentrics cookiebot "
    "sourcepoint".split()
)


#: Containers of a notes list, by id, class or role (DPub-ARIA ``doc-endnotes``).
NOTES_CONTAINER = re.compile(
    r"(^|\s|-|_)(foot-?notes?|end-?notes?|references|reflist|doc-endnotes|easy-footnotes?|"
    r"fn-?list|notes)($|\s|-|_)",
    _I,
)

#: A marker's text: "1", "[1]", "(1)", "¹", "*", "†".
MARKER_TEXT = re.compile(r"^\s*[\[(]?\s*(?P<n>\d+|[*†‡§]|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)\s*[\])]?\s*$")

#: Back-links from a note to its marker: "↩", "↑", "^", "Back", "return to text".
BACKLINK_TEXT = re.compile(
    r"^\s*(?:[\[(]?\s*[↩↑^⤴︎\ufe0e]*\s*[\])]?|[a-z]|"
    r"(?:back|return|jump)(?: (?:up|to (?:text|top|content)))?)\s*$",
    _I,
)

#: A note's own number at its start, as the list shows it: "1.", "[1]", "1)", "1 ".
NOTE_NUMBER = re.compile(r"^\s*[\[(]?\s*\d+\s*[\]).:]?\s+")

#: Where a page links to one of its notes: Word's ``_ftn1``, ``fn1``, ``footnote-1``,
#: ``cite_note-1``, ``easy-footnote-bottom-1``, ``note-1``, ``endnote_1``.
NOTE_ID = re.compile(r"(ftn|fn|foot|note|cite_note|endnote|ref|sdfootnote|bottom)", _I)

#: Block-level HTML elements (a note is the block that holds its target).
BLOCK_TAGS = frozenset({"p", "li", "div", "dd", "dt", "aside", "section", "td", "blockquote",
                        "footer", "article", "ol", "ul", "dl", "table", "body", "h1", "h2",
                        "h3", "h4", "h5", "h6"})  # fmt: skip

#: URLs a reader may follow; every other link becomes its text.
SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s<>\"'`\\]+$", _I)
