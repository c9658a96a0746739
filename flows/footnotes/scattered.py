"""Notes a page keeps in its text rather than in a notes list: "see point n) below".

Some pages cite with bare superscripts (``<sup>2</sup>``, kept as ``[2]``) and answer each number
further down, in a paragraph or a bold line that starts ``2) …`` (a short FAQ after a how-to),
sometimes in the middle of a paragraph ("Brilliant, eh? 1) You could also…"). This module
gathers such notes into a notes list at the end of the body, which :mod:`flows.footnotes.link` then
links as it links any other.

It is only tried when no notes list of the body was linked, and only accepted when everything
agrees: the sure markers cite exactly 1…k (k ≥ 2); after the last of them, the ``n)`` labels
that open a block or follow a sentence's end are exactly 1…k, each once and in order. A note runs
from its label to the end of its paragraph (or to the next label in it), with the lists right
after it (the steps of an answer). A heading left with nothing under it goes too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.markdown import EMPHASIS_MASK, plain_view, protect_line_start

#: "2) " at the start of a block, past emphasis (masked in the label view the notes are read in).
_AT_START = re.compile(rf"^{EMPHASIS_MASK}*(?P<n>\d+)\)\s+(?=\S)")
#: "1) " after the end of a sentence, inside a paragraph.
_AFTER_SENTENCE = re.compile(
    rf"(?<=[.?!…])[\"”’)]?\s+(?P<label>(?P<n>\d+)\)\s+)(?=[{EMPHASIS_MASK}A-Z“\"‘'(])"
)
_EMPHASIS_ONLY = re.compile(r"^[*_]*$")
#: A Markdown list (the cleaner writes "- " and "1. " items).
_LIST = re.compile(r"^(?:[-+] |\d+\. )")


@dataclass(frozen=True)
class _Label:
    number: int
    block: int
    start: int  # the label's span in the block's label view
    end: int


@dataclass(frozen=True)
class Gathered:
    blocks: list[str]  # the body, its notes moved to the end as "\[n\] …" paragraphs
    notes_start: int  # index of the first note's block
    headings: list[str]  # headings removed because nothing was left under them
    count: int  # notes gathered


def _labels(views: Sequence[str], first: int) -> list[_Label]:
    found = []
    for j in range(first, len(views)):
        if m := _AT_START.match(views[j]):
            found.append(_Label(int(m["n"]), j, m.start("n"), m.end()))
        for m in _AFTER_SENTENCE.finditer(views[j]):
            found.append(_Label(int(m["n"]), j, m.start("label"), m.end("label")))
    return sorted(found, key=lambda lab: (lab.block, lab.start))


def gather(
    blocks: Sequence[str], views: Sequence[str], markers: Sequence[tuple[int, int]]
) -> Gathered | None:
    """``blocks`` with their scattered notes moved to the end, or ``None`` when the page has none.

    ``views`` are the blocks as the footnote stage reads labels (emphasis masked), ``markers``
    the (block, number) of every sure marker in the text.
    """
    numbers = sorted({n for _, n in markers})
    if len(numbers) < 2 or numbers != list(range(1, numbers[-1] + 1)):
        return None
    labels = _labels(views, max(b for b, _ in markers) + 1)
    if [lab.number for lab in labels] != numbers:
        return None

    kept = dict(enumerate(blocks))
    notes: list[str] = []
    labelled = {lab.block for lab in labels}
    for j in sorted(labelled):
        here = [lab for lab in labels if lab.block == j]
        md = blocks[j]
        _, starts = plain_view(md)
        before = md[: starts[here[0].start]].rstrip()
        opening = ""  # emphasis the label stood in ("__2) How…?__") stays the note's
        if _EMPHASIS_ONLY.match(before):
            opening, before = before, ""
        if before:
            kept[j] = before
        else:
            del kept[j]
        for k, lab in enumerate(here):
            end = starts[here[k + 1].start] if k + 1 < len(here) else len(md)
            text = protect_line_start(opening + md[starts[lab.end] : end].strip())
            notes.append(f"\\[{lab.number}\\] {text}")
            opening = ""
        # the lists right after the block are the last note's further paragraphs
        nxt = j + 1
        while nxt < len(blocks) and _LIST.match(blocks[nxt]) and nxt not in labelled:
            notes.append(blocks[nxt])
            del kept[nxt]
            nxt += 1

    out: list[str] = []
    headings: list[str] = []
    order = sorted(kept)
    for pos, i in enumerate(order):
        following = order[pos + 1] if pos + 1 < len(order) else len(blocks)
        emptied = following > i + 1  # blocks under it were moved
        if (
            blocks[i].startswith("#")
            and emptied
            and (following == len(blocks) or blocks[following].startswith("#"))
        ):
            headings.append(blocks[i])
        else:
            out.append(kept[i])
    return Gathered(out + notes, len(out), headings, len(labels))
