"""Typography as pure ``str -> str`` functions, applied to plain text before it becomes Markdown.

Nothing here changes a word: only spaces, quotes, dashes and dots. The same characters then reach
the HTML, EPUB and PDF editions, because Pandoc reads the Markdown without its "smart" extension.
"""

from __future__ import annotations

import re
import unicodedata

# Spaces a browser copy leaves behind: no-break, en/em/thin and other fixed-width spaces,
# the ideographic space. Zero-width spaces and the soft hyphen are dropped; the zero-width
# (non-)joiners stay: Persian spells with them ("می‌گوید"), Indic scripts and emoji join by them.
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t]")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff]")
_RUNS = re.compile(r" {2,}")
# What no XML part (an EPUB's, the HTML) may hold, or holds only as junk: control characters
# but tab and line breaks, lone surrogates (UTF-8 cannot even encode them), U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` without the characters no edition can carry (see ``_UNPRINTABLE``)."""
    return _UNPRINTABLE.sub("", text)


def normalise_spaces(text: str) -> str:
    """One ordinary space wherever the page had any run of spaces; no leading/trailing space."""
    # ASCII text has no invisible or special space to look for, only tabs.
    ascii_only = text.isascii()
    text = text.replace("\t", " ") if ascii_only else _SPACES.sub(" ", _INVISIBLE.sub("", text))
    return _RUNS.sub(" ", text).strip() if "  " in text else text.strip()


_OPENING_CONTEXT = r"(^|(?<=[\s(\[{\u2014\u2013/\u201c\u2018-]))"


def curl_quotes(text: str) -> str:
    """Straight quotes to curly ones; apostrophes inside and at the end of words to ’."""
    if '"' not in text and "'" not in text:  # most paragraphs: no regex to run
        return text
    text = re.sub(_OPENING_CONTEXT + '"', "\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(?<=\w)'(?=\w)", "\u2019", text)  # don't, workers'll
    text = re.sub(_OPENING_CONTEXT + "'", "\u2018", text)
    return text.replace("'", "\u2019")


def dashes_and_dots(text: str) -> str:
    """``---``/``--`` between words to an em dash, a spaced hyphen to a spaced en dash, ``...`` to
    an ellipsis. ``<!--`` and ``-->`` are not dashes and stay as they are."""
    if "--" not in text and " - " not in text and "..." not in text:
        return text
    text = re.sub(r"(?<=[\w\s])-{2,3}(?=[\w\s])", "\u2014", text)
    text = re.sub(r"(?<=\S) - (?=\S)", " \u2013 ", text)
    return re.sub(r"(?<!\.)\.\.\.(?!\.)", "\u2026", text)


def typogrify(text: str) -> str:
    """All of the above, in order, on one block of plain text (NFC-normalised)."""
    text = unicodedata.normalize("NFC", text)
    return dashes_and_dots(curl_quotes(normalise_spaces(text)))
