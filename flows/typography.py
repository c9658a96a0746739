"""Typography as pure ``str -> str`` functions, applied to plain text before it becomes Markdown.

Nothing here changes a word: only spaces, quotes, dashes and dots. The same characters then reach
the HTML, EPUB and PDF editions, because Pandoc reads the Markdown without its "smart" extension.
Which quotation marks, which spaces around them and which dash depend on the text's language:
the rules are one table, :mod:`flows.typography_rules`.
"""

from __future__ import annotations

import re
import unicodedata

from flows.typography_rules import Rules, rules_for

# Spaces a browser copy leaves behind: en/em/thin and other fixed-width spaces, the ideographic
# space. The no-break spaces (U+00A0, U+202F) are kept: the text (or the language's rules) put
# them where a line must not break, inside « » and before "; : ! ?" in French, in "10 000".
# Zero-width spaces, word joiners, BOMs and the soft hyphen are dropped; the zero-width
# (non-)joiners are kept, as Persian and the Indic scripts spell with them. Unicode's line and
# paragraph separators (U+2028, U+2029) inside a block are spaces too, as Pandoc reads them:
# "a\u2028- b" is the spaced hyphen of "a - b", in a title as in the page that shows it.
_SPACES = re.compile(r"[\u1680\u2000-\u200a\u2028\u2029\u205f\u3000\t]")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff]")
_RUNS = re.compile(r"[ \u00a0\u202f]{2,}")
# What no XML part (an EPUB's, the HTML) may hold, or holds only as junk: control characters
# but tab and line breaks, lone surrogates (UTF-8 cannot even encode them), U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` without the characters no edition can carry (see ``_UNPRINTABLE``)."""
    return _UNPRINTABLE.sub("", text)


def blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only spaces, control and format characters (a NUL, a
    bidirectional override)."""
    return all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in text)


def collapse_spaces(text: str) -> str:
    """Runs of ordinary and no-break spaces as one ordinary space: a run is padding (``&nbsp; ``
    after a full stop), a lone no-break space binds two words and stays."""
    return _RUNS.sub(" ", text) if "  " in text or not text.isascii() else text


def normalise_spaces(text: str) -> str:
    """One space wherever the page had a run of spaces; a lone no-break space kept; no
    leading/trailing space."""
    # ASCII text has no invisible or special space to look for, only tabs.
    ascii_only = text.isascii()
    text = text.replace("\t", " ") if ascii_only else _SPACES.sub(" ", _INVISIBLE.sub("", text))
    return collapse_spaces(text).strip()


#: What may stand before an opening quotation mark: the start, a space, a bracket, a dash, a
#: slash, or another opening mark.
_OPENERS = frozenset("([{\u2014\u2013/-\u201c\u2018\u201e\u201a\u00ab\u2039\u300c\u300e")


def _opening(text: str, i: int, opened: set[int]) -> bool:
    if i == 0:
        return True
    before = text[i - 1]
    return before.isspace() or before in _OPENERS or (i - 1) in opened


def curl_quotes(text: str, lang: str | None = None) -> str:
    """Straight quotes to the language's marks, nested ones alternating (“‘’” in English,
    „‚‘“ in German, « “ ” » in French); an apostrophe inside or at the end of a word to ’."""
    if '"' not in text and "'" not in text:  # most paragraphs: no work
        return text
    rules = rules_for(lang)
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # the open quotations: (straight mark, level)
    opened: set[int] = set()  # positions where an opening mark was put
    for i, ch in enumerate(text):
        if ch not in "\"'":
            out.append(ch)
            continue
        after = text[i + 1] if i + 1 < len(text) else ""
        opening = _opening(text, i, opened)
        open_doubles = [k for k, (mark, _) in enumerate(stack) if mark == ch]
        if ch == "'" and i and text[i - 1].isalnum() and after.isalnum():
            out.append("\u2019")  # don't, workers'll
        elif opening and after and not after.isspace():
            level = 1 if ch == "'" else sum(1 for m, _ in stack if m == '"') % 2
            stack.append((ch, level))
            opened.add(i)
            out.append((rules.secondary if level else rules.primary)[0])
        elif open_doubles:  # closes the innermost quotation it opened (and what it left open)
            _, level = stack[open_doubles[-1]]
            del stack[open_doubles[-1] :]
            out.append((rules.secondary if level else rules.primary)[1])
        elif ch == "'":
            out.append("\u2019")  # the workers' union
        elif opening or (ch == '"' and after.isalnum()):
            # « " Bonjour " » typed with spaces; or nothing open and a word follows, as after
            # a colon in Chinese and Japanese, which put no space before a quotation
            stack.append((ch, 0))
            opened.add(i)
            out.append(rules.primary[0])
        else:
            out.append(rules.primary[1])
    return "".join(out)


def _inside_space(text: str, rules: Rules) -> str:
    """The language's space inside its first-level marks (French « … »), wherever they are."""
    if not rules.inside or rules.primary[0] not in text:
        return text
    start, end = (re.escape(m) for m in rules.primary)
    text = re.sub(f"{start}[ \u00a0\u202f]*(?=\\S)", rules.primary[0] + rules.inside, text)
    return re.sub(f"(?<=\\S)[ \u00a0\u202f]*{end}", rules.inside + rules.primary[1], text)


def punctuation_spaces(text: str, lang: str | None = None) -> str:
    """The spaces the language wants inside its quotation marks and before ``; : ! ?`` (French:
    narrow no-break ones, a full one before a colon), only where the mark ends a word:
    ``http://`` and ``10:30`` stay."""
    rules = rules_for(lang)
    text = _inside_space(text, rules)
    if not rules.before or not any(p in text for p, _ in rules.before):
        return text
    spaces = dict(rules.before)
    marks = re.escape("".join(spaces))
    pattern = rf"(?<=[^\s{marks}])[ \u00a0\u202f]*([{marks}])(?=$|[\s{marks}»”’)\].,…])"
    return re.sub(pattern, lambda m: spaces[m[1]] + m[1], text)


def dashes_and_dots(text: str, lang: str | None = None) -> str:
    """``---``/``--`` between words to an em dash, a spaced hyphen to the language's spaced dash
    (an en dash; an em dash after a no-break space in Russian), ``...`` to an ellipsis.
    ``<!--`` and ``-->`` are not dashes and stay as they are."""
    rules = rules_for(lang)
    if rules.dash_space != " " and (" \u2014 " in text or " \u2013 " in text):
        text = re.sub(r" (?=[\u2013\u2014] )", rules.dash_space, text)
    if "--" not in text and " - " not in text and "..." not in text:
        return text
    text = re.sub(r"(?<=[\w\s])-{2,3}(?=[\w\s])", "\u2014", text)
    text = re.sub(r"(?<=\S) - (?=\S)", f"{rules.dash_space}{rules.dash} ", text)
    return re.sub(r"(?<!\.)\.\.\.(?!\.)", "\u2026", text)


def typogrify(text: str, lang: str | None = None) -> str:
    """All of the above, in order, on one block of plain text (NFC-normalised), by the rules of
    the language ``lang`` (a BCP 47 tag; None: English)."""
    text = unicodedata.normalize("NFC", text)
    text = curl_quotes(normalise_spaces(text), lang)
    return punctuation_spaces(dashes_and_dots(text, lang), lang)
