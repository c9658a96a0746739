"""Selector and pattern constants for the HTML cleaner (:mod:`flows.html_clean`), compiled once.

They describe how CMSs mark up what is not the article (WordPress, Blogger, Drupal, Ghost,
Substack, Disqus…) and how pages mark up footnotes (WordPress plugins, MS Word exports,
MediaWiki, DPub-ARIA), not what one page contains.
"""

from __future__ import annotations

import re

from lxml.etree import XPath

_I = re.IGNORECASE

#: Every element with a class or an id: :data:`COMMENT_SECTION` and :data:`FURNITURE` are
#: matched against those.
MARKED = XPath("//*[@class or @id]")
#: A cheap first test of a class or id: can it be one of those at all?
MARKED_HINT = re.compile(
    r"omment|respon|reply|disqus|dsq|discuss|talkback|shar|social|a2a|addtoany|related|yarpp|"
    r"newsletter|subscri|cookie|consent|gdpr|print|pf-|breadcrumb|navigation|nav-links|button|"
    r"author|sidebar|widget|advert|ad-|sponsor|promo|links|meta|byline|paywall|signup",
    _I,
)


#: The whole comment section of a CMS: the thread, the reply form, Disqus, Blogger, Drupal.
#: Matched against a whole class or id (word boundaries), so ``no-comments`` on a body is spared.
COMMENT_SECTION = re.compile(
    r"(^|\s)(comments?|comment-?list|comments-?(area|section|wrapper|block|container|list|"
    r"thread|link)|comment-respond|respond|reply-form|disqus_thread|dsq-[\w-]+|"
    r"comment-form|commentform|comment-wrapper|blog-comments|post-comments|"
    r"article-comments|responses|discussion|talkback|fb-comments|comments_holder)($|\s)",
    _I,
)

#: Site furniture that trafilatura sometimes keeps next to an article.
FURNITURE = re.compile(
    r"(^|\s|-|_)(share|sharing|sharedaddy|social|addtoany|a2a|jp-relatedposts|related|"
    r"yarpp|newsletter|subscribe|subscription|cookie|consent|gdpr|printfriendly|"
    r"print-friendly|pf-button|breadcrumbs?|post-navigation|nav-links|wp-block-buttons|"
    r"author-bio|about-author|sidebar|widget|advert|ad-container|sponsor|promo|"
    r"tags-links|cat-links|entry-meta|post-meta|byline|paywall|signup)($|\s|-|_)",
    _I,
)

#: Containers of a notes list, by id, class or role (DPub-ARIA ``doc-endnotes``).
NOTES_CONTAINER = re.compile(
    r"(^|\s|-|_)(foot-?notes?|end-?notes?|references|reflist|doc-endnotes|easy-footnotes?|"
    r"fn-?list|notes)($|\s|-|_)",
    _I,
)

#: A marker's text: "1", "[1]", "(1)", "¹", "*", "†".
MARKER_TEXT = re.compile(r"^\s*[\[(]?\s*(?P<n>\d{1,3}|[*†‡§]|[¹²³⁴⁵⁶⁷⁸⁹⁰]{1,3})\s*[\])]?\s*$")

#: Back-links from a note to its marker: "↩", "↑", "^", "Back", "return to text".
BACKLINK_TEXT = re.compile(
    r"^\s*(?:[↩↑^⤴︎\ufe0e]+|(?:back|return|jump)(?: (?:up|to (?:text|top|content)))?|[a-z])\s*$",
    _I,
)

#: A note's own number at its start, as the list shows it: "1.", "[1]", "1)", "1 ".
NOTE_NUMBER = re.compile(r"^\s*[\[(]?\s*\d{1,3}\s*[\]).:]?\s+")

#: Where a page links to one of its notes: Word's ``_ftn1``, ``fn1``, ``footnote-1``,
#: ``cite_note-1``, ``easy-footnote-bottom-1``, ``note-1``, ``endnote_1``.
NOTE_ID = re.compile(r"(ftn|fn|foot|note|cite_note|endnote|ref|sdfootnote|bottom)", _I)

#: Block-level HTML elements (a note is the block that holds its target).
BLOCK_TAGS = frozenset({"p", "li", "div", "dd", "dt", "aside", "section", "td", "blockquote",
                        "footer", "article", "ol", "ul", "dl", "table", "body", "h1", "h2",
                        "h3", "h4", "h5", "h6"})  # fmt: skip

#: URLs a reader may follow; every other link becomes its text.
SAFE_URL = re.compile(r"^(https?://|mailto:)[^\s<>\"'`\\]+$", _I)

#: Bylines trafilatura may keep as the first paragraph of the body.
BYLINE_BLOCK = re.compile(r"^(by|posted by|written by|von|par|por)\s+\S.{0,60}$", _I)
