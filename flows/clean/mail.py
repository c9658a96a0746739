"""E-mail and Usenet posts saved as text: their header block and signature are not the article.

A post starts with RFC 5322 headers ("From:", "Subject:", "Date:", "Newsgroups:"), which give
the post's title, author and date, and may end with a signature after the "-- " line. Both are
taken off the text here; the headers are read with the standard library's e-mail parser, which
knows folded lines, encoded words and the "(Jane Doe)" comment of old From lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

_HEADER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_FOLDED = re.compile(r"^[ \t]+\S")
#: Headers of which a post has at least one (a "Note:" or "Comrades:" line is no header block).
_POST_HEADERS = frozenset({"from", "subject", "date", "newsgroups", "to", "message-id"})
#: "Re:", "Fwd:", "AW:", "SV:" and list tags ("[Marxism]") before a subject.
_SUBJECT_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|sv|vs)\s*:\s*|\[[^\]]{1,40}\]\s*)+", re.I)
#: The signature separator ("-- "), and the most lines a signature has after it.
_SIGNATURE = re.compile(r"^-- ?$")
SIGNATURE_LINES = 8


@dataclass(frozen=True)
class Post:
    text: str  # the text without its headers and signature
    title: str | None = None
    author: str | None = None
    date: str | None = None  # ISO 8601
    headers: str = ""  # what was taken off, for the report
    signature: str = ""


def _header_block(lines: list[str]) -> int:
    """How many leading lines (blank lines before them included) are a post's headers."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    names: set[str] = set()
    while end < len(lines) and lines[end].strip():
        if _HEADER.match(lines[end]):
            names.add(lines[end].split(":", 1)[0].casefold())
        elif not (_FOLDED.match(lines[end]) and end > start):
            return 0
        end += 1
    return end if len(names) >= 2 and names & _POST_HEADERS else 0


def _iso_date(value: str) -> str | None:
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def read_post(text: str) -> Post:
    """``text`` without a post's headers and signature, and what the headers say."""
    lines = text.split("\n")
    found: dict[str, str | None] = {}
    headers = ""
    if end := _header_block(lines):
        headers = "\n".join(lines[:end]).strip()
        # compat32 keeps the From line's "(Jane Doe)" comment, which getaddresses reads as a name
        message = HeaderParser(policy=compat32).parsestr(headers + "\n\n")
        try:
            subject = str(make_header(decode_header(str(message.get("subject", "")))))
        except (ValueError, LookupError, UnicodeError):  # a malformed encoded word: as written
            subject = str(message.get("subject", ""))
        found["title"] = _SUBJECT_PREFIX.sub("", " ".join(subject.split())) or None
        senders = getaddresses([str(message.get("from", ""))])
        found["author"] = senders[0][0].strip() or None if senders else None
        found["date"] = _iso_date(str(message.get("date", "")))
        lines = lines[end:]
    signature = ""
    marks = [i for i, ln in enumerate(lines) if _SIGNATURE.match(ln)]
    if marks and sum(1 for ln in lines[marks[-1] + 1 :] if ln.strip()) <= SIGNATURE_LINES:
        signature = "\n".join(lines[marks[-1] :]).strip()
        lines = lines[: marks[-1]]
    return Post("\n".join(lines), headers=headers, signature=signature, **found)
