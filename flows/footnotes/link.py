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
import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.footnotes import lists as notes
from flows.footnotes import patterns
from flows.footnotes import scattered as scattered_notes
from flows.limits import Limits
from flows.markdown import (
    div_class,
    join_blocks,
    label_view,
    plain_view,
    protect_line_start,
    split_blocks,
    unescape,
)
from flows.model import Document, Message, PamphleteerError, Report

SURE, LIKELY, WEAK = 10, 6, 2


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
# A number after a month is a day ("June 1, 2006").
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Words before which a number after a space is part of the sentence ("was 15 when").
_BEFORE_WEAK = (
    frozenset(
        "a an the and or but of to in on at by for from with than about around over under nearly "
        "almost only just some was were is are be been aged age approximately exactly least most "
        "all every each per".split()
    )
    | _NUMBER_CONTEXT
    | _MONTHS
)

_Style = tuple[str, int, re.Pattern[str]]
_STYLES: tuple[_Style, ...] = (
    ("bracket", SURE, re.compile(r"\s?\[(?P<n>\d+)\]")),
    ("superscript", SURE, re.compile(r"(?P<n>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")),
    ("caret", SURE, re.compile(r"\^(?P<n>\d+)(?!\d)")),
    ("brace", LIKELY, re.compile(r"\s?\{(?P<n>\d+)\}")),
    # "(3)" after a word or a number ("in 1893 (9)"); enumerations are weeded out below
    (
        "paren",
        LIKELY,
        re.compile(r"(?<=[^\W_]|[.,;:!?”’\"'»])(?P<space>\s?)\((?P<n>\d+)\)"),
    ),
    (
        "symbol",
        LIKELY,
        re.compile(
            r"(?<=[^\W_]|[.,;:!?”’)\]])(?P<n>\*{1,2}|†{1,2}|‡{1,2}|[§‖¶])(?=[\s.,;:!?)\]]|$)"
        ),
    ),
    ("glued", LIKELY, re.compile(r"(?<=[^\W\d_])(?P<n>\d+)(?!\w|[.,]\d)")),
    (
        "after-punctuation",
        LIKELY,
        # after punctuation that follows a word, or after emphasis closing on a word
        # ("_Kerenschina_7"), never after emphasis that opens ("__1) Can you…")
        re.compile(
            r"(?:(?<=[^\s\d][,.;:!?”’\"'»)\]])|(?<=[^\W\d_][*_])|(?<=[^\W\d_][*_]{2}))"
            r"(?P<n>\d+)(?=\s|$|[)\]—–])"
        ),
    ),
    (
        "spaced",
        WEAK,
        re.compile(
            r"(?<=[^\W\d_]|[”’\"'»)]) (?P<n>\d+)(?![.,]\d)"
            r"(?=(?P<punct>[),;:.!?])|\s+(?P<word>[a-z]+)\b)"
        ),
    ),
)

_SURE_STYLES = tuple(s for s in _STYLES if s[1] == SURE)


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

    def overlaps(self, other: Candidate) -> bool:
        return self.block == other.block and self.start < other.end and other.start < self.end

    def before(self, other: Candidate) -> bool:
        return (self.block, self.end) <= (other.block, other.start) and (
            self.block,
            self.start,
        ) < (other.block, other.start)


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"  # what ``\w`` matches


def _word_before(plain: str, pos: int) -> str:
    """The last word before ``pos``, lower-cased, whatever non-word characters follow it."""
    end = pos
    while end and not _is_word(plain[end - 1]):
        end -= 1
    start = end
    while start and _is_word(plain[start - 1]):
        start -= 1
    return plain[start:end].lower()


def _token_before(plain: str, pos: int) -> str:
    """The run of non-space characters that ends at ``pos``."""
    start = pos
    while start and not plain[start - 1].isspace():
        start -= 1
    return plain[start:pos]


def _enumeration_or_reference(plain: str, m: re.Match[str]) -> bool:
    """A "(2)" that counts items ("demands: (1) bread, (2) land and (3) peace") or is part of a
    reference ("section 4(2)", "Article 12 (3)"), not a note marker."""
    before = plain[: m.start()].rstrip()
    lower_next = re.match(r"\s+[a-z]", plain[m.end() :]) is not None
    if lower_next and (before.endswith((":", ";", ",")) or _word_before(plain, m.start()) in (
        "and", "or", "namely")):  # fmt: skip
        return True
    if before[-1:].isdigit():
        tokens = before.split()
        if not m["space"] or (len(tokens) > 1 and tokens[-2].lower().strip(".") in _NUMBER_CONTEXT):
            return True
    return False


def find_candidates(
    md: str, block: int, numbers: set[int], styles: Sequence[_Style] = _STYLES
) -> list[Candidate]:
    """Every place in one block's Markdown where a note number of ``numbers`` could stand, in
    any of ``styles`` (all of them by default)."""
    plain, starts = plain_view(md)
    found: list[Candidate] = []
    for style, strength, regex in styles:
        for m in regex.finditer(plain):
            n = notes.number_of(m["n"])
            if n not in numbers:
                continue
            if style == "after-punctuation" and (
                plain[m.start("n") - 1] == "."
                and _word_before(plain, m.start("n")) in _ABBREVIATIONS
            ):
                continue
            if style == "paren" and _enumeration_or_reference(plain, m):
                continue
            if style == "glued" and re.search(r"[@#/_\d]", _token_before(plain, m.start("n"))):
                continue  # a handle, a tag, an address ("@ward1", "/page2"), not a word
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
    # The best chain ending before each candidate, found in a Fenwick tree of (score, -index)
    # by note number: a candidate enters it once every later candidate starts after its end,
    # so a text of thousands of notes is linked in n log n, not n². Ties go to the first.
    rank = {n: k for k, n in enumerate(sorted({c.number for c in cands}), start=1)}
    tree: list[tuple[int, int] | None] = [None] * (len(rank) + 1)
    waiting: list[tuple[int, int, int]] = []  # (block, end, index) of candidates not yet in

    def put(k: int, value: tuple[int, int]) -> None:
        while k < len(tree):
            if (old := tree[k]) is None or value > old:
                tree[k] = value
            k += k & -k

    def best_below(k: int) -> tuple[int, int] | None:
        found = None
        while k > 0:
            if (value := tree[k]) is not None and (found is None or value > found):
                found = value
            k -= k & -k
        return found

    for i, c in enumerate(cands):
        while waiting and (waiting[0][0], waiting[0][1]) <= (c.block, c.start):
            _, _, j = heapq.heappop(waiting)
            put(rank[cands[j].number], (best[j], -j))
        below = best_below(rank[c.number] - 1)
        score, prev = (c.strength, None) if below is None else (below[0] + c.strength, -below[1])
        best.append(score)
        back.append(prev)
        heapq.heappush(waiting, (c.block, c.end, i))
    if not cands:
        return []
    i: int | None = max(range(len(cands)), key=lambda k: (best[k], -k))
    chain: list[Candidate] = []
    while i is not None:
        chain.append(cands[i])
        i = back[i]
    chain.reverse()

    order = list(numbers)
    place = {n: k for k, n in reversed(list(enumerate(order)))}
    linked = {c.number for c in chain}

    def neighbours_linked(n: int) -> bool:
        k = place[n]
        left = k == 0 or order[k - 1] in linked
        right = k == len(order) - 1 or order[k + 1] in linked
        return left and right

    return [c for c in chain if c.strength > WEAK + 1 or neighbours_linked(c.number)]


def _parse_notes(blocks: Sequence[str], found: notes.NotesList) -> tuple[list[Note], list[int]]:
    """The notes of one list; also the numbers given twice."""
    parsed: list[Note] = []
    duplicates: list[int] = []
    seen: set[int] = set()
    for i in range(found.start, found.end):
        md = blocks[i]
        plain, starts = plain_view(md)
        lab = notes.label(label_view(md))
        if (
            lab is not None
            and lab.style == found.style
            and not (parsed and notes.is_text(parsed[-1].number, lab.number))
        ):
            if lab.number in seen:
                duplicates.append(lab.number)
            seen.add(lab.number)
            parsed.append(Note(lab.number, (protect_line_start(md[starts[lab.end] :]),), i))
        elif parsed:
            last = parsed[-1]
            parsed[-1] = dataclasses.replace(last, paragraphs=last.paragraphs + (md,))
    return parsed, duplicates


def _definition(label: str, paragraphs: Sequence[str]) -> str:
    first, *rest = paragraphs
    lines = [f"[^{label}]: {first}"]
    lines += ["    " + p.replace("\n", "\n    ") for p in rest]
    return "\n\n".join(lines)


def _is_notes_heading(md: str) -> bool:
    plain = unescape(md.lstrip("#").strip())
    return patterns.NOTES_HEADING.match(plain) is not None


def _sure_markers(blocks: Sequence[str], most: int, first: int = 0) -> list[Candidate]:
    """Bracketed, superscript and caret numbers in the text, up to ``most``."""
    every = set(range(1, most + 1))
    return [
        c for i, b in enumerate(blocks) for c in find_candidates(b, first + i, every, _SURE_STYLES)
    ]


def _most(numbers: Sequence[int]) -> int:
    """The largest number a marker without a note can have and still be taken for a marker:
    as many digits as the notes have (at least three), so "[1917]" is a year unless the text
    has a thousand notes."""
    digits = max(3, len(str(max(numbers, default=1))))
    return 10**digits - 1


def _ends_run(block: str) -> bool:
    """A heading, dateline or signature ends a note: the cleaner set them apart as such."""
    return block.startswith("#") or div_class(block) is not None


@dataclass
class _Linking:
    """The state of one pass over a body: blocks being edited and what is reported."""

    blocks: list[str]
    report: Report
    definitions: list[str] = dataclasses.field(default_factory=list)
    found: int = 0
    linked: int = 0
    drop: set[int] = dataclasses.field(default_factory=set)  # blocks that became definitions
    edits: list[tuple[Candidate, str]] = dataclasses.field(default_factory=list)

    def overlaps(self, c: Candidate) -> bool:
        return any(e.overlaps(c) for e, _ in self.edits)

    def warn(self, code: str, text: str, level: str = "warning") -> None:
        self.report = self.report.add(Message(code, text, level))  # type: ignore[arg-type]


def _cited_enough(chain: Sequence[Candidate], count: int) -> bool:
    """A list numbered like any list ("1.", "1)") is notes only if most of it is cited,
    at least once by more than a bare number after a space."""
    return len(chain) * 2 >= count and any(c.strength > WEAK + 1 for c in chain)


@dataclass(frozen=True)
class _Context:
    """What every list of a body is linked against."""

    styles: frozenset[str]  # the label styles of the body's lists
    notes_blocks: frozenset[int]  # blocks inside some notes list: never searched for markers


def _in_family(c: Candidate, list_style: str) -> Candidate:
    """A marker in the style of its notes list's labels ("[1]" for "[1] …") counts a little more.
    (Marker styles that lists share: bracket, paren, brace, caret, superscript, symbol.)"""
    if c.style == list_style:
        return dataclasses.replace(c, strength=c.strength + 2)
    return c


def _note_text(note: Note) -> str:
    return " ".join(unescape(" ".join(note.paragraphs)).split()).casefold()


def _twin(
    c: Candidate, chain: Sequence[Candidate], first_of: dict[int, Note], linked: set[int]
) -> int | None:
    """The note a repeated marker stands for when the page numbered two identical notes but
    pointed both markers at the first (WP-Footnotes combines identical notes that way): an
    uncited note with the same text as the one cited, whose number fits the marker's place in
    the sequence of markers around it."""
    text = _note_text(first_of[c.number])
    before = max((o.number for o in chain if o.before(c)), default=0)
    after = min((o.number for o in chain if c.before(o)), default=10**6)
    for n, note in sorted(first_of.items()):
        if n not in linked and before < n < after and _note_text(note) == text:
            return n
    return None


def _link_list(
    state: _Linking, found: notes.NotesList, text_start: int, prefix: str, context: _Context
) -> bool:
    """Link one notes list to the markers in ``blocks[text_start:]`` before it.

    Returns False, changing nothing, for a list that turns out not to be notes."""
    blocks = state.blocks
    parsed, duplicates = _parse_notes(blocks, found)
    heading = found.start - 1 if found.start > text_start and _is_notes_heading(
        blocks[found.start - 1]
    ) else None  # fmt: skip
    text_end = heading if heading is not None else found.start
    first_of: dict[int, Note] = {}
    for note in parsed:
        first_of.setdefault(note.number, note)
    numbers = sorted(first_of)
    candidates = [
        _in_family(c, found.style)
        for i in range(text_start, text_end)
        if div_class(blocks[i]) is None and i not in context.notes_blocks
        for c in find_candidates(blocks[i], i, set(numbers))
        # "[1]" belongs to the page's "[1] …" list, not to a "1." list beside it (styles that
        # are no list's, "glued"…, are in no page's styles); "*" and "†" only mark notes
        # labelled with the same symbols; a place already linked stays so
        if (c.style == found.style or c.style not in context.styles)
        and (c.style != "symbol" or found.style == "symbol")
        and not state.overlaps(c)
    ]
    chain = choose(candidates, numbers)
    if found.style in notes.LIST_LIKE and not _cited_enough(chain, len(numbers)):
        return False  # a numbered list the text does not cite: not notes
    linked = {c.number for c in chain}
    # Sure markers ("[3]", "¹") the chain left out are linked by their number: a note cited
    # again after its first citation, or markers a page put out of order.
    first = {c.number: c for c in chain}
    extra: list[Candidate] = []
    taken: dict[int, list[Candidate]] = {}  # the chain's and the extra markers, by block
    for c in chain:
        taken.setdefault(c.block, []).append(c)
    for c in sorted(candidates, key=lambda c: (c.block, c.start)):
        if c.strength < SURE or any(o.overlaps(c) for o in taken.get(c.block, ())):
            continue
        if c.number in first and first[c.number].before(c):
            if (twin := _twin(c, chain, first_of, linked)) is not None:
                state.warn("fn-007", f"marker [{c.number}] cites note [{c.number}] again where "
                           f"note [{twin}], the same text, has no marker: linked to [{twin}]",
                           "info")  # fmt: skip
                c = dataclasses.replace(c, number=twin)
                first[twin] = c
                linked.add(twin)
                extra.append(c)
                taken.setdefault(c.block, []).append(c)
                continue
            state.warn("fn-005", f"note [{c.number}] is cited again; the repeat carries a copy",
                       "info")  # fmt: skip
        elif c.number not in first:
            state.warn("fn-006", f"marker [{c.number}] is out of order; linked by its number",
                       "info")  # fmt: skip
            first[c.number] = c
            linked.add(c.number)
        else:
            continue
        extra.append(c)
        taken.setdefault(c.block, []).append(c)
    state.edits += [(c, f"[^{prefix}{c.number}]") for c in chain + extra]

    unlinked = [
        note for note in parsed if first_of[note.number] is not note or note.number not in linked
    ]
    for note in parsed:
        if note not in unlinked:
            state.drop.update(range(note.block, note.block + len(note.paragraphs)))
    if heading is not None and not unlinked:
        state.drop.add(heading)
        state.report = state.report.remove("notes heading", unescape(blocks[heading]))
    state.definitions += [
        _definition(f"{prefix}{n}", first_of[n].paragraphs) for n in numbers if n in linked
    ]
    state.found += len(numbers)
    state.linked += len(linked)

    for n in duplicates:
        state.warn("fn-003", f"note number {n} is given twice; the first is linked")
    for note in unlinked:
        if first_of[note.number] is note:
            state.warn(
                "fn-002", f"note [{note.number}] has no marker in the text; kept where it was"
            )
    for c in _sure_markers(blocks[text_start:text_end], _most(numbers), text_start):
        if c.number not in linked:
            state.warn("fn-001", f"marker [{c.number}] has no note")
    for n in numbers:
        if n in linked and (
            m := patterns.LOST_LINK_END.search(unescape(first_of[n].paragraphs[-1]))
        ):
            state.warn("fn-004", f"note [{n}] ends with {m.group(0).strip()!r}: "
                       "the link it pointed to was lost in the scrape")  # fmt: skip
    return True


def link_notes(doc: Document, limits: Limits | None = None) -> Document:
    """Stage 2: Pandoc footnotes from the markers and the notes lists of the body; a text with
    more notes than ``limits.notes`` is refused."""
    most = (limits or Limits()).notes
    blocks = split_blocks(doc.body)
    plains = [label_view(b) for b in blocks]
    lists = notes.find_lists(plains, lambda i: _ends_run(blocks[i]))
    count = sum(
        1
        for found in lists
        for i in range(found.start, found.end)
        if (lab := notes.label(plains[i])) is not None and lab.style == found.style
    )
    if count > most:
        raise PamphleteerError(
            f"{doc.source.name}: refused: {count} notes, more than {most} (limits: notes)"
        )
    state = _Linking(list(blocks), doc.report)
    context = _Context(
        frozenset(found.style for found in lists),
        frozenset(i for found in lists for i in range(found.start, found.end)),
    )
    # A list's markers are in the text since the last list of its own style: lists of several
    # articles or sections follow each other; lists of different kinds (a "*" note and a "[1]"
    # list) share the text.
    since: dict[str, int] = {}
    linked_lists = 0
    for found in lists:
        prefix = f"{linked_lists + 1}-" if linked_lists else ""
        if _link_list(state, found, since.get(found.style, 0), prefix, context):
            since[found.style] = found.end
            linked_lists += 1
    if not linked_lists:
        markers = _sure_markers(blocks, _most(()))
        gathered = scattered_notes.gather(blocks, plains, [(c.block, c.number) for c in markers])
        if gathered is not None:
            return _link_gathered(doc, gathered)
        for c in markers:
            state.warn("fn-001", f"marker [{c.number}] has no note (no notes list found)")

    return _finish(doc, state)


def _finish(doc: Document, state: _Linking) -> Document:
    out = list(state.blocks)
    for c, ref in sorted(state.edits, key=lambda e: (e[0].block, e[0].start), reverse=True):
        out[c.block] = f"{out[c.block][: c.start]}{ref}{out[c.block][c.end :]}"
    out = [b for i, b in enumerate(out) if i not in state.drop] + state.definitions
    report = dataclasses.replace(state.report, notes_found=state.found, notes_linked=state.linked)
    return dataclasses.replace(doc, body=join_blocks(out), report=report)


def _link_gathered(doc: Document, gathered: scattered_notes.Gathered) -> Document:
    """Link the notes :mod:`flows.footnotes.scattered` gathered at the end of the body."""
    state = _Linking(list(gathered.blocks), doc.report)
    for heading in gathered.headings:
        state.report = state.report.remove("notes heading", unescape(heading))
    found = notes.NotesList(gathered.notes_start, len(gathered.blocks), "bracket")
    context = _Context(frozenset({"bracket"}), frozenset(range(found.start, found.end)))
    state.warn("fn-008", f"notes [1] to [{gathered.count}] are paragraphs in the text labelled "
               "\"n)\": moved to the end as notes", "info")  # fmt: skip
    _link_list(state, found, 0, "", context)
    return _finish(doc, state)
