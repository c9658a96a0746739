"""Where the notes lists of a text are: their labels and their extent.

A notes list is a run of blocks whose labels share one style (``[1]``, ``1.``, ``(1)``, ``¹``,
``*``…), starts at note 1 and goes on in increasing numbers; blocks without a label inside the run
continue the note before them. A page may hold several lists (notes at the end of each section, or
several articles each numbered from 1): each list belongs to the text between it and the list
before it.

Both the cleaner (which must not read a notes list as headings) and the footnote stage (which
links it) use this module; it works on plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Symbols used instead of numbers, in their conventional order: * is note 1, † note 2…
SYMBOLS = ("*", "†", "‡", "§", "‖", "¶", "**", "††", "‡‡")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

#: Label styles of a notes list, most specific first: (style, pattern on the start of a block).
LABELS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bracket", re.compile(r"^\[(?P<n>\d+)\]\s*(?:[.:)]\s+)?")),  # "[1] ", "[1]. ", "[1] : "
    ("paren", re.compile(r"^\((?P<n>\d+)\)\s*(?:[.:]\s+)?")),
    ("brace", re.compile(r"^\{(?P<n>\d+)\}\s*(?:[.:]\s+)?")),
    ("caret", re.compile(r"^\^(?P<n>\d+)\s*")),
    ("superscript", re.compile(r"^(?P<n>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*")),
    ("dot", re.compile(r"^(?P<n>\d+)\.\s+(?=\S)")),
    ("close-paren", re.compile(r"^(?P<n>\d+)\)\s+(?=\S)")),
    ("symbol", re.compile(r"^(?P<n>\*{1,2}|†{1,2}|‡{1,2}|[§‖¶])\s*(?=\S)")),
    ("bare", re.compile(r"^(?P<n>\d+)\s+(?=[A-Z“\"‘'(])")),
)
#: Styles a numbered list in the text also uses: a list of these is only notes if markers cite it.
LIST_LIKE = frozenset({"dot", "close-paren", "bare"})


@dataclass(frozen=True)
class Label:
    style: str
    number: int
    end: int  # where the note's text starts in the block


def number_of(token: str) -> int:
    """``12``, ``¹²`` or a note symbol as the note's number."""
    if token in SYMBOLS:
        return SYMBOLS.index(token) + 1
    return int(token.translate(_SUPERSCRIPTS))


def label(text: str) -> Label | None:
    """The note label that opens ``text``, if any."""
    for style, pattern in LABELS:
        if m := pattern.match(text):
            return Label(style, number_of(m["n"]), m.end())
    return None


def is_text(last: int, number: int) -> bool:
    """Whether a label ``number`` in a list whose last note is ``last`` is the note's own text:
    a number longer than any the list could reach next ("1917. The year…" in note 4) is a
    year or a quantity, not the next note. Labels have as many digits as the list needs."""
    return len(str(number)) > len(str(last + 3))


@dataclass(frozen=True)
class NotesList:
    start: int  # index of the block holding note 1
    end: int  # index after its last block
    style: str


def find_lists(texts: Sequence[str], ends_run: Callable[[int], bool]) -> list[NotesList]:
    """Every notes list in ``texts`` (plain text of the blocks), in order.

    ``ends_run(i)`` says whether block ``i`` (which has no label) cannot continue a note: a
    heading, a dateline, the title of the next article.
    """
    labels = [label(t) for t in texts]
    lists: list[NotesList] = []
    i = 0
    while i < len(texts):
        first = labels[i]
        if first is None or first.number != 1:
            i += 1
            continue
        last, j = 1, i + 1
        while j < len(texts):
            lab = labels[j]
            if lab is not None and lab.style == first.style:
                if is_text(last, lab.number):
                    j += 1
                    continue
                if lab.number == 1 or not last <= lab.number <= last + 3:
                    break  # a new list starts, or this is not a note of this one
                last = lab.number
            elif lab is not None and lab.number == 1:
                break  # a list in another style starts
            elif ends_run(j):
                break
            j += 1
        lists.append(NotesList(i, j, first.style))
        i = j
    return lists
