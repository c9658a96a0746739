"""Footnote stage: join the note markers of a scrape to its notes list as Pandoc footnotes.

1. The notes list is found at the end of the body (``[1] …``, notes of several paragraphs).
2. Every place in the article where a note number *could* stand is a :class:`Candidate`, with a
   strength by style: ``[6]`` and ``¹`` are sure; a digit glued to a word (``translated1``) or
   after punctuation, a quote or emphasis (``months,8``, ``”.10``, ``_Kerenschina_7``) is likely;
   a number after a space (``Kommunist 2 the``, ``Poland 4)``) is weak.
3. Markers are chosen as one chain whose numbers and positions both increase, with the greatest
   total strength (:func:`choose`). A number that is part of the text (``After 5 months``,
   ``1917``, ``8 million``) would break the order or be outweighed, so it is never taken; a weak
   candidate is only kept between its two neighbours' markers.
4. Markers become ``[^n]``, notes become definitions; what is left over is reported and kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows import patterns
from flows.clean import find_notes_start
from flows.markdown import (
    div_class,
    join_blocks,
    plain_view,
    protect_line_start,
    split_blocks,
    unescape,
)
from flows.model import Document, Message

SURE, LIKELY, WEAK = 10, 6, 2

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

# Words after which a number is a page, a volume, an issue… and never a note marker.
_NUMBER_CONTEXT = frozenset(
    "p pp page pages no nos nr number vol vols volume chapter chap ch part issue art article "
    "section sec verse book act scene line lines fig figure table item para paragraph version "
    "v op n ed room route step phase stage level grade".split()
)
# Abbreviations after whose full stop a number is a page, a volume… ("p.33", "No.5").
_ABBREVIATIONS = frozenset("p pp no nos nr vol vols ch chap art sec fig op n ed para".split())
# Words before which a number after a space is a quantity ("5 months"), so only these
# (function words) may follow a weak marker.
_AFTER_WEAK = frozenset(
    "the a an and or but which who whom whose that he she it they we i you his her its their "
    "our in on of to is was were are has had have with by for as at from this these those while "
    "where when there then so not also".split()
)
# Words before which a number after a space is part of the sentence ("was 15 when").
_BEFORE_WEAK = (
    frozenset(
        "a an the and or but of to in on at by for from with than about around over under nearly "
        "almost only just some was were is are be been aged age approximately exactly least most "
        "all every each per".split()
    )
    | _NUMBER_CONTEXT
)

_STYLES: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("bracket", SURE, re.compile(r"\s?\[(?P<n>\d{1,3})\]")),
    ("superscript", SURE, re.compile(r"(?P<n>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})")),
    ("glued", LIKELY, re.compile(r"(?<=[^\W\d_])(?P<n>\d{1,3})(?!\w|[.,]\d)")),
    (
        "after-punctuation",
        LIKELY,
        re.compile(r"(?<=[^\s\d][,.;:!?”’\"'»)\]*_])(?P<n>\d{1,3})(?=\s|$|[)\]—–])"),
    ),
    (
        "spaced",
        WEAK,
        re.compile(
            r"(?<=[^\W\d_]|[”’\"'»)]) (?P<n>\d{1,3})"
            r"(?=(?P<punct>[),;:.!?])|\s+(?P<word>[a-z]+)\b)"
        ),
    ),
)


@dataclass(frozen=True)
class Note:
    number: int
    paragraphs: tuple[str, ...]  # Markdown
    block: int  # where its first paragraph stood


@dataclass(frozen=True)
class Candidate:
    number: int
    block: int
    start: int  # span in the block's Markdown that the [^n] replaces
    end: int
    strength: int
    style: str

    def before(self, other: Candidate) -> bool:
        return (self.block, self.end) <= (other.block, other.start) and (
            self.block,
            self.start,
        ) < (other.block, other.start)


def _word_before(plain: str, pos: int) -> str:
    m = re.search(r"(\w+)\W*$", plain[:pos])
    return m.group(1).lower() if m else ""


def find_candidates(md: str, block: int, numbers: set[int]) -> list[Candidate]:
    """Every place in one block's Markdown where a note number of ``numbers`` could stand."""
    plain, starts = plain_view(md)
    found: list[Candidate] = []
    for style, strength, regex in _STYLES:
        for m in regex.finditer(plain):
            n = int(m["n"].translate(_SUPERSCRIPTS))
            if n not in numbers:
                continue
            if style == "after-punctuation" and (
                plain[m.start("n") - 1] == "."
                and _word_before(plain, m.start("n")) in _ABBREVIATIONS
            ):
                continue
            if style == "spaced":
                if _word_before(plain, m.start("n")) in _BEFORE_WEAK:
                    continue
                if m["word"] and m["word"] not in _AFTER_WEAK:
                    continue
                strength = WEAK + (1 if m["punct"] else 0)
            found.append(Candidate(n, block, starts[m.start()], starts[m.end()], strength, style))
    return found


def choose(candidates: Sequence[Candidate], numbers: Sequence[int]) -> list[Candidate]:
    """The chain of markers, increasing in number and position, of greatest total strength.

    Weak candidates survive only with both neighbouring notes' markers around them.
    """
    cands = sorted(candidates, key=lambda c: (c.block, c.start, -c.strength))
    best: list[int] = []
    back: list[int | None] = []
    for i, c in enumerate(cands):
        score, prev = c.strength, None
        for j in range(i):
            p = cands[j]
            if p.number < c.number and p.before(c) and best[j] + c.strength > score:
                score, prev = best[j] + c.strength, j
        best.append(score)
        back.append(prev)
    if not cands:
        return []
    i: int | None = max(range(len(cands)), key=lambda k: (best[k], -k))
    chain: list[Candidate] = []
    while i is not None:
        chain.append(cands[i])
        i = back[i]
    chain.reverse()

    order = list(numbers)
    linked = {c.number for c in chain}

    def neighbours_linked(n: int) -> bool:
        k = order.index(n)
        left = k == 0 or order[k - 1] in linked
        right = k == len(order) - 1 or order[k + 1] in linked
        return left and right

    return [c for c in chain if c.strength > WEAK + 1 or neighbours_linked(c.number)]


def _parse_notes(blocks: Sequence[str], first: int) -> tuple[list[Note], list[int]]:
    """Notes from ``blocks[first:]``; also the numbers given twice."""
    notes: list[Note] = []
    duplicates: list[int] = []
    for i in range(first, len(blocks)):
        md = blocks[i]
        plain, starts = plain_view(md)
        m = patterns.NOTE_LABEL.match(plain)
        if m:
            n = int(m["n"])
            if any(note.number == n for note in notes):
                duplicates.append(n)
            notes.append(Note(n, (protect_line_start(md[starts[m.end()] :]),), i))
        elif notes:
            last = notes[-1]
            notes[-1] = dataclasses.replace(last, paragraphs=last.paragraphs + (md,))
    return notes, duplicates


def _definition(number: int, paragraphs: Sequence[str]) -> str:
    first, *rest = paragraphs
    lines = [f"[^{number}]: {first}"]
    lines += ["    " + p.replace("\n", "\n    ") for p in rest]
    return "\n\n".join(lines)


def _sure_markers(blocks: Sequence[str]) -> list[Candidate]:
    """Bracketed and superscript numbers in the text, whatever their number."""
    every = set(range(1, 1000))
    return [
        c for i, b in enumerate(blocks) for c in find_candidates(b, i, every) if c.strength == SURE
    ]


def _is_notes_heading(md: str) -> bool:
    plain = unescape(md.lstrip("#").strip())
    return patterns.NOTES_HEADING.match(plain) is not None


def link_notes(doc: Document) -> Document:
    """Stage 2: Pandoc footnotes from the markers and the notes list of the body."""
    blocks = split_blocks(doc.body)
    plains = [plain_view(b)[0] for b in blocks]
    notes_at = find_notes_start(plains)
    report = doc.report
    if notes_at is None:
        for c in _sure_markers(blocks):
            report = report.add(
                Message("fn-001", f"marker [{c.number}] has no note (no notes list found)")
            )
        return dataclasses.replace(doc, report=report)

    notes, duplicates = _parse_notes(blocks, notes_at)
    heading_at = notes_at - 1 if notes_at > 0 and _is_notes_heading(blocks[notes_at - 1]) else None
    body_end = heading_at if heading_at is not None else notes_at

    first_of = {}  # number -> the note that gets linked (the first one with that number)
    for note in notes:
        first_of.setdefault(note.number, note)
    numbers = sorted(first_of)
    candidates = [
        c
        for i in range(body_end)
        if div_class(blocks[i]) is None
        for c in find_candidates(blocks[i], i, set(numbers))
    ]
    chain = choose(candidates, numbers)
    linked = {c.number for c in chain}

    out = list(blocks[:body_end])
    for c in sorted(chain, key=lambda c: (c.block, c.start), reverse=True):
        md = out[c.block]
        out[c.block] = f"{md[: c.start]}[^{c.number}]{md[c.end :]}"

    # Notes without a marker stay in the text, as the page had them.
    unlinked = [
        note for note in notes if first_of[note.number] is not note or note.number not in linked
    ]
    if unlinked and heading_at is not None:
        out.append(blocks[heading_at])
    elif heading_at is not None:
        report = report.remove("notes heading", unescape(blocks[heading_at]))
    for note in unlinked:
        out.extend(blocks[note.block : note.block + len(note.paragraphs)])
    out.extend(_definition(n, first_of[n].paragraphs) for n in numbers if n in linked)

    for n in duplicates:
        report = report.add(
            Message("fn-003", f"note number {n} is given twice; the first is linked")
        )
    for note in unlinked:
        if first_of[note.number] is note:
            report = report.add(
                Message(
                    "fn-002",
                    f"note [{note.number}] has no marker in the text; "
                    "kept as a paragraph at the end",
                )  # fmt: skip
            )
    for c in _sure_markers(out[:body_end]):
        if c.number not in linked:
            report = report.add(Message("fn-001", f"marker [{c.number}] has no note"))
    for n in numbers:
        last = unescape(first_of[n].paragraphs[-1])
        if m := patterns.LOST_LINK_END.search(last):
            report = report.add(
                Message(
                    "fn-004",
                    f"note [{n}] ends with {m.group(0).strip()!r}: "
                    "the link it pointed to was lost in the scrape",
                )  # fmt: skip
            )
    report = dataclasses.replace(report, notes_found=len(numbers), notes_linked=len(linked))
    return dataclasses.replace(doc, body=join_blocks(out), report=report)
