"""Hard-wrapped text (e-mail, Usenet, mailing-list archives, PDF-to-text copies) back to paragraphs.

A browser copy has one paragraph per line. A text wrapped at a fixed width (60–76 columns for
mail and news, more for PDF-to-text) has a paragraph over several lines, and its paragraphs
are told apart by blank lines, by indentation (a first-line indent), or by a short last line:
a line that ends a sentence with room left for the next line's first word was ended on purpose.

This module says whether a text is wrapped at all (:func:`wrap_width`), where the lines of one
run of non-blank lines break into paragraphs (:func:`breaks`), and how lines are joined
(:func:`join_lines`): a line-end hyphen is dropped when the joined word is a word ("every-
thing"), kept when the halves form a compound ("ex- bourgeois" → "ex-bourgeois"). Words are
judged first by the text itself (the joined or the hyphenated form elsewhere in it), then by
word frequencies (:mod:`wordfreq`) in the text's language.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flows.footnotes import lists as notes

#: The narrowest and widest wrap widths taken for a hard-wrapped text. Narrower texts with even
#: lines are verse or columns as often as prose; a line of 100 or more is a browser's paragraph.
MIN_WIDTH, MAX_WIDTH = 55, 100
#: Share of consecutive line pairs that must be "full" (the next word would not have fitted).
FULL_SHARE = 0.6
#: A line is full when it and the next line's first word reach this share of the width.
FULL = 0.85
#: Above this share of continuation lines starting with a capital, short even lines are verse.
VERSE_CAPITALS = 0.75

_QUOTE = re.compile(r"^[ \t]*((?:>[ \t]?)+)")
#: A list item: a bullet, or a small number or letter with "." or ")".
ITEM = re.compile(r"^(?:[-*•–+]|\d{1,2}[.)]|[a-z]\))\s+\S")
#: A line ending a sentence (maybe inside quotes or brackets), or a colon.
_SENTENCE_END = re.compile(r"[.!?:。！？؟।…][\"'”’»)\]]*$")
#: A letter, then a line-end hyphen (not a dash: "--", " -").
_HYPHEN_END = re.compile(r"(?<=[^\W\d_])[-\u2010\u00ad]$")
_WORD_PART = re.compile(r"[^\W\d_]+$")
_WORD_START = re.compile(r"^[^\W\d_]+")
_TOKENS = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)*")
#: A word at least this common (Zipf scale: 3 is once per million words) is a word; halves
#: both at least this common, whose join is rarer, make a compound.
COMMON = 3.0
#: A word at least this common (once in ten million words) is a word at all.
RARE = 1.0


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t\u00a0"))


def quote_depth(line: str) -> tuple[int, str]:
    """How many ``>`` quote the line (e-mail and Usenet style), and the line without them."""
    m = _QUOTE.match(line)
    if not m:
        return 0, line
    return m[1].count(">"), line[m.end() :]


def _first_word(line: str) -> str:
    words = line.split()
    return words[0] if words else ""


def wrap_width(lines: Sequence[str]) -> int | None:
    """The width a text was hard-wrapped at, or ``None`` for a text that is not.

    Wrapped prose fills its lines: a line ends where the next word would not have fitted.
    Lines of verse are broken on purpose (most would have room) or, when they are even, start
    with capitals; a browser copy's lines are whole paragraphs, longer than any wrap.
    """
    texts = [ln.rstrip() for ln in lines]
    lengths = sorted(len(t) for t in texts if t.strip())
    if len(lengths) < 4:
        return None
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if not MIN_WIDTH <= width < MAX_WIDTH:
        return None
    # pairs within a paragraph: a line indented more than the text's margin opens one
    margin = min(indent(t) for t in texts if t.strip())
    pairs = [
        (a, b)
        for a, b in zip(texts, texts[1:], strict=False)
        if a.strip() and b.strip() and indent(b) == margin
    ]
    if len(pairs) < 3:
        return None
    full = [b for a, b in pairs if len(a) + 1 + len(_first_word(b)) > FULL * width]
    if len(full) < FULL_SHARE * len(pairs):
        return None
    starts = [quote_depth(b)[1].lstrip()[:1] for b in full]
    capitals = sum(1 for c in starts if c.isupper())
    if capitals > VERSE_CAPITALS * len(starts):
        return None
    return width


#: A line holding only a page number, as PDF-to-text leaves between pages: "12", "- 12 -", "[12]".
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*\d{1,4}\s*[-–—]|\d{1,4}|\[\d{1,4}\]|page \d{1,4})\s*$", re.I
)


def _running_headers(lines: Sequence[str]) -> set[int]:
    """Running heads of a PDF-to-text copy: short lines that repeat but for a page number that
    changes, set apart from it ("12      THE COOPERATIVE QUESTION", "THE QUESTION      14")."""
    numbered: dict[str, list[tuple[int, str]]] = {}
    for k, line in enumerate(lines):
        text = " ".join(line.replace("\f", "").split())
        numbers = re.findall(r"\b\d{1,4}\b", text)
        # set apart from its number by a wide gap, as a layout keeps it ("Chapter 2" is not)
        gap = re.search(r"\d\s{3,}\S|\S\s{3,}\d", line.strip())
        if len(numbers) == 1 and gap and 2 <= len(text.split()) <= 10:
            key = " ".join(re.sub(r"\b\d{1,4}\b", " ", text).split()).casefold()
            numbered.setdefault(key, []).append((k, numbers[0]))
    return {
        k
        for found in numbered.values()
        if len(found) >= 2 and len({n for _, n in found}) == len(found)
        for k, _ in found
    }


def drop_page_breaks(lines: Sequence[str], width: int) -> tuple[list[str], list[str]]:
    """``lines`` without the page numbers and form feeds of a PDF-to-text copy, and the page
    numbers dropped. A paragraph that a page break cut in two (a full line without a sentence's
    end before it, a lower-case word after it) is whole again."""
    out: list[str] = []
    dropped: list[str] = []
    page_break = False  # since the last line of text
    headers = _running_headers(lines)
    for k, raw in enumerate(lines):
        feed = "\f" in raw
        line = raw.replace("\f", "")
        if k in headers:
            dropped.append(line.strip())
            page_break = True
            continue
        if _PAGE_NUMBER.match(line) and (not out or not out[-1].strip() or feed):
            dropped.append(line.strip())
            page_break = True
            continue
        page_break = page_break or feed
        if line.strip() and page_break:
            k = len(out)
            while k and not out[k - 1].strip():
                k -= 1
            prev = out[k - 1].rstrip() if k else ""
            if (
                len(prev) > FULL * width
                and not _SENTENCE_END.search(prev)
                and line.strip()[:1].islower()
            ):
                del out[k:]
            page_break = False
        out.append(line)
    return out, dropped


def note_starts(lines: Sequence[str]) -> set[int]:
    """Lines that open a note of a notes list (or an item of a numbered list): labels of one
    style numbered n, n+1, … at the start of at least two lines ("(2) ibid., p. 4" too)."""
    labelled: list[tuple[int, notes.Label]] = []
    for i, line in enumerate(lines):
        text = line.strip()
        lab = notes.label(text)
        if lab is not None and lab.style != "bare":
            labelled.append((i, lab))
    starts: set[int] = set()
    run: list[int] = []
    last: notes.Label | None = None
    for i, lab in labelled:
        if last is not None and lab.style == last.style and lab.number == last.number + 1:
            run.append(i)
        else:
            if len(run) >= 2:
                starts.update(run)
            run = [i]
        last = lab
    if len(run) >= 2:
        starts.update(run)
    return starts


def breaks(
    lines: Sequence[str], width: int, stands_alone: Callable[[str], bool] | None = None
) -> list[list[str]]:
    """The lines of one run of non-blank lines of a text wrapped at ``width``, grouped into
    paragraphs (and list items, notes, indented blocks)."""
    alone = stands_alone or (lambda _line: False)
    starts_note = note_starts(lines)
    base = min(indent(ln) for ln in lines)
    # paragraphs by first-line indents: an indented line always opens one, even after another
    indents = [indent(ln) for ln in lines]
    first_lines = sum(
        1 for a, b in zip(indents, indents[1:], strict=False) if a > base and b == base
    )
    groups: list[list[str]] = [[lines[0]]]
    # a list item or a note, whose further lines may hang indented under its first
    hanging = bool(ITEM.match(lines[0].strip())) or 0 in starts_note
    for i in range(1, len(lines)):
        prev, line = lines[i - 1], lines[i]
        text, before = line.strip(), prev.strip()
        starts_group = len(groups[-1]) == 1
        room = len(prev.rstrip()) + 1 + len(_first_word(line)) <= FULL * width
        item = ITEM.match(text) is not None and (room or hanging or before.endswith(":"))
        new = (
            i in starts_note
            or item
            or alone(text)
            or alone(before)
            or (room and _SENTENCE_END.search(before) is not None)
            or (len(prev.rstrip()) < width / 2 and not text[:1].islower())
        )
        if not new and first_lines >= 2 and indent(line) > base and not hanging:
            new = True
        elif not new and indent(line) > indent(prev):
            # a first-line indent opens a paragraph; an item's further lines hang under it
            new = not (hanging and starts_group)
        elif not new and indent(line) < indent(prev):
            # back from a first-line indent continues its paragraph; from a block, ends it
            new = not (starts_group and indent(prev) > base)
        if new:
            groups.append([line])
            hanging = item or i in starts_note
        else:
            groups[-1].append(line)
    return groups


@dataclass
class Lexicon:
    """Which words a text uses, and the language whose word list judges the rest."""

    text: str
    language: str | None = None
    _counts: Counter[str] | None = field(default=None, repr=False)

    def count(self, word: str) -> int:
        if self._counts is None:
            # a hyphenated form at a line end is not evidence for itself
            self._counts = Counter(
                t.casefold().replace("\u2010", "-")
                for t in _TOKENS.findall(re.sub(r"-[ \t]*\n[ \t>]*", " ", self.text))
            )
        return self._counts[word.casefold()]

    def zipf(self, word: str) -> float:
        from wordfreq import available_languages, zipf_frequency  # ~0.5 s: only when needed

        lang = (self.language or "en").split("-")[0].casefold()
        # Chinese, Japanese and Korean need a tokenizer wordfreq does not bring (jieba, MeCab);
        # their words are not split by hyphens anyway
        if lang in ("zh", "ja", "ko") or lang not in available_languages():
            return 0.0
        return float(zipf_frequency(word, lang))

    def hyphen_kept(self, left: str, right: str) -> bool:
        """Whether ``left``-``right``, split at a line end, keeps its hyphen."""
        joined, hyphenated = left + right, f"{left}-{right}"
        with_hyphen, without = self.count(hyphenated), self.count(joined)
        if with_hyphen != without:
            return with_hyphen > without
        if right[:1].isupper() and not (left.isupper() and right.isupper()):
            return True  # "anti-Soviet", "Marx-Engels"; not "PERMA-NENT"
        known = self.zipf(joined)
        if known >= COMMON:
            return False
        if known > 0:  # a rare word, or the rare spelling of a compound with common halves
            return self.zipf(left) >= COMMON and self.zipf(right) >= COMMON
        # no such word: a compound if what follows the hyphen is a word ("noncomplement-
        # binding"), else a rare word or a name split by the typesetter ("Zimmerwald-ists")
        return self.zipf(right) >= RARE


def join_lines(lines: Sequence[str], lexicon: Lexicon | None) -> str:
    """The lines of one paragraph as one line: a space between them, or, after a line-end
    hyphen, the word joined (with its hyphen if it is a compound)."""
    out = ""
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if not out:
            out = text
            continue
        m = _HYPHEN_END.search(out)
        right = _WORD_START.match(text)
        if m and right and (left := _WORD_PART.search(out[: m.start()])):
            soft = m[0] == "\u00ad"
            keep = not soft and (lexicon is None or lexicon.hyphen_kept(left[0], right[0]))
            out = (out[: m.start()] + ("-" if keep else "")) + text
        else:
            out = f"{out} {text}"
    return out
