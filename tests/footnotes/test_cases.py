"""A table of footnote cases: one per marker style, notes layout and trap, run as text scrapes.

Each case is a scraped text (title line, paragraphs, notes) and the notes a reader must get: for
each linked marker, in order, the word it follows and the first words of its note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.clean.text import clean
from flows.footnotes.link import link_notes
from flows.markdown import escape, join_blocks, unescape
from flows.model import Document


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    notes: list[tuple[str, str]]  # (word before the marker, start of the note)
    codes: tuple[str, ...] = ()  # report codes that must appear
    kept: str = ""  # text that must stay exactly as written


def run(text: str) -> Document:
    doc = Document(source=Path("case.txt"), slug="case", text="A Case Title\n\n" + text)
    return link_notes(clean(doc))


def linked_notes(doc: Document) -> list[tuple[str, str]]:
    body, definitions = [], {}
    for block in doc.body.split("\n\n"):
        if m := re.match(r"\[\^([\w-]+)\]: (.*)", block, re.S):
            definitions[m[1]] = unescape(m[2]).strip()
        else:
            body.append(block)
    text = "\n\n".join(body)
    found = []
    for m in re.finditer(r"(\S*?)\[\^([\w-]+)\]", text):
        word = unescape(m[1]) or unescape(text[: m.start()].split()[-1])
        found.append((word, definitions[m[2]][: len("the note")]))
    return found


P = "The councils met every week in the winter, and the minutes they kept were"  # filler


def notes(*texts: str, style: str = "[{}] ") -> str:
    return "\n\n".join(style.format(i) + t for i, t in enumerate(texts, start=1))


CASES = [
    # -- marker styles -------------------------------------------------------------------------
    Case("bracket-glued", f"{P} a claim[1] here.\n\n{notes('The note.')}", [("claim", "The note")]),
    Case(
        "bracket-spaced", f"{P} a claim [1] here.\n\n{notes('The note.')}", [("claim", "The note")]
    ),
    Case(
        "paren", f"{P} a claim (1).\n\n{notes('The note.', style='({}) ')}", [("claim", "The note")]
    ),
    Case(
        "brace",
        f"{P} a claim{{1}} here.\n\n{notes('The note.', style='{{{}}} ')}",
        [("claim", "The note")],
    ),
    Case(
        "superscript",
        f"{P} a claim¹ and another².\n\n¹ The note.\n\n² Second one.",
        [("claim", "The note"), ("another", "Second o")],
    ),
    Case(
        "caret",
        f"{P} a claim^1 here.\n\n{notes('The note.', style='^{} ')}",
        [("claim", "The note")],
    ),
    Case("asterisk", f"{P} a claim* here.\n\n* The note.", [("claim", "The note")]),
    Case(
        "symbols",
        f"{P} first* and second† and third‡.\n\n* One.\n\n† Two.\n\n‡ Three.",
        [("first", "One."), ("second", "Two."), ("third", "Three.")],
    ),
    Case(
        "glued",
        f"{P} We have translated1 the piece.\n\n{notes('The note.')}",
        [("translated", "The note")],
    ),
    Case(
        "after-comma",
        f"{P} productive months,1 the facts.\n\n{notes('The note.')}",
        [("months,", "The note")],
    ),
    Case(
        "after-full-stop",
        f"{P} throughout Russia.1 By then.\n\n{notes('The note.')}",
        [("Russia.", "The note")],
    ),
    Case(
        "after-quote-and-stop",
        f"{P} the “conciliators”.1 The rest.\n\n{notes('The note.')}",
        [("“conciliators”.", "The note")],
    ),
    Case(
        "after-quote",
        f"{P} the “conciliators”1 and the rest.\n\n{notes('The note.')}",
        [("“conciliators”", "The note")],
    ),
    Case(
        "after-underscores",
        f"{P} to save the _Kerenschina_1 in the south.\n\n{notes('The note.')}",
        [("_Kerenschina_", "The note")],
    ),
    Case(
        "after-asterisks",
        f"{P} to save the *Kerenschina*1 in the south.\n\n{notes('The note.')}",
        [("*Kerenschina*", "The note")],
    ),
    Case(
        "after-bracket",
        f"{P} as we saw (see above)1 the rest.\n\n{notes('The note.')}",
        [("above)", "The note")],
    ),
    Case(
        "spaced-before-paren",
        f"{P} a claim1 and (Kowalski in Poland 2) and Osinsky3.\n\n"
        f"{notes('One.', 'Two.', 'Three.')}",
        [("claim", "One."), ("Poland", "Two."), ("Osinsky", "Three.")],
    ),
    Case(
        "spaced-before-word",
        f"{P} translated1 it. In re-founding Kommunist 2 the Left were. "
        f"Osinsky3 stayed.\n\n{notes('One.', 'Two.', 'Three.')}",
        [("translated", "One."), ("Kommunist", "Two."), ("Osinsky", "Three.")],
    ),
    Case(
        "hard-wrapped-line-start",
        "the first claim1 came\nfrom the old state\n2 which lasted\n"
        "until the third3 one.\n\n" + notes("One.", "Two.", "Three."),
        [("claim", "One."), ("state", "Two."), ("third", "Three.")],
    ),
    Case(
        "two-digit",
        f"{P} "
        + " ".join(f"w{chr(97 + i)}{i + 1}" for i in range(12))
        + ".\n\n"
        + notes(*[f"Note {i}." for i in range(1, 13)]),
        [(f"w{chr(97 + i)}", f"Note {i + 1}."[:8]) for i in range(12)],
    ),
    # -- notes lists ---------------------------------------------------------------------------
    Case(
        "list-dot",
        f"{P} a claim1 and another2.\n\n{notes('One.', 'Two.', style='{}. ')}",
        [("claim", "One."), ("another", "Two.")],
    ),
    Case(
        "list-close-paren",
        f"{P} a claim1 and another2.\n\n{notes('One.', 'Two.', style='{}) ')}",
        [("claim", "One."), ("another", "Two.")],
    ),
    Case(
        "list-paren",
        f"{P} a claim1 and another2.\n\n{notes('One.', 'Two.', style='({}) ')}",
        [("claim", "One."), ("another", "Two.")],
    ),
    Case(
        "list-bare",
        f"{P} a claim1 and another2.\n\n{notes('One.', 'Two.', style='{} ')}",
        [("claim", "One."), ("another", "Two.")],
    ),
    Case(
        "list-superscript",
        f"{P} a claim1 and another2.\n\n¹ One.\n\n² Two.",
        [("claim", "One."), ("another", "Two.")],
    ),
    *[
        Case(
            f"heading-{h.lower().rstrip(':')}",
            f"{P} a claim[1].\n\n{h}\n\n{notes('The note.')}",
            [("claim", "The note")],
        )
        for h in ("Notes", "Footnotes", "Endnotes:", "References", "Sources", "NOTES")
    ],
    Case(
        "multi-paragraph",
        f"{P} in the past [1] we wrote.\n\n[1] First part.\n\nSecond part.\n\nThird part.",
        [("past", "First pa")],
    ),
    Case(
        "per-section",
        f"{P} a claim[1].\n\n[1] First section note.\n\nSecond Section\n\n{P} "
        f"{P} another claim[1].\n\n[1] Second section note.",
        [("claim", "First se"), ("claim", "Second s")],
    ),
    Case(
        "several-articles",
        f"{P} one[1] two[2].\n\n[1] A1.\n\n[2] A2.\n\nThe Second Article\n\n{P} "
        f"{P} three[1].\n\n[1] B1.",
        [("one", "A1."), ("two", "A2."), ("three", "B1.")],
    ),
    Case(
        "cited-twice",
        f"{P} a claim[1], another[2] and the first again[1].\n\n{notes('One.', 'Two.')}",
        [("claim", "One."), ("another", "Two."), ("again", "One.")],
        ("fn-005",),
    ),
    Case(
        # WP-Footnotes points both markers of two identical notes at the first one
        "identical-notes-one-target",
        f"{P} a claim[1], another[2], again[2] and last[4].\n\n"
        f"{notes('One.', 'Hahn, p. 177.', 'Hahn, p. 177.', 'Four.')}",
        [("claim", "One."), ("another", "Hahn, p."), ("again", "Hahn, p."), ("last", "Four.")],
        ("fn-007",),
    ),
    Case(
        # the same repeat where the uncited note says something else stays a copy of the first
        "repeat-beside-a-different-uncited-note",
        f"{P} a claim[1], another[2], again[2] and last[4].\n\n"
        f"{notes('One.', 'Hahn, p. 177.', 'Marx, p. 3.', 'Four.')}",
        [("claim", "One."), ("another", "Hahn, p."), ("again", "Hahn, p."), ("last", "Four.")],
        ("fn-005", "fn-002"),
    ),
    Case(
        "ibid",
        f"{P} a claim[1] and another[2].\n\n{notes('Marx, Capital, p. 3.', 'Ibid.')}",
        [("claim", "Marx, Ca"), ("another", "Ibid.")],
    ),
    Case(
        "duplicate-number",
        f"{P} a claim[1] and another[2].\n\n{notes('One.', 'Two.')}\n\n[2] Two again.",
        [("claim", "One."), ("another", "Two.")],
        ("fn-003",),
    ),
    Case(
        "note-without-marker",
        f"{P} a claim[1].\n\n{notes('One.', 'Two.')}",
        [("claim", "One.")],
        ("fn-002",),
        r"[2] Two.",
    ),
    Case(
        "marker-without-note",
        f"{P} a claim[1] and another[3].\n\n{notes('One.')}",
        [("claim", "One.")],
        ("fn-001",),
        "another[3]",
    ),
    Case(
        "lost-link",
        f"{P} a claim[1].\n\n{notes('For more on the Left see')}",
        [("claim", "For more")],
        ("fn-004",),
    ),
    Case(
        "lost-link-download",
        f"{P} a claim[1].\n\n{notes('The text can be downloaded from')}",
        [("claim", "The text")],
        ("fn-004",),
    ),
    Case(
        # notes kept in the text as "n)" paragraphs, the first inside a paragraph
        "labelled-paragraphs-in-the-text",
        f"{P} install the tone[2], choose it[3] and set it[1], then choose the old one[3].\n\n"
        "Simple, is it not? 1) Continuous mode works too.\n\n"
        "2) How to install a tone? Drag it to the phone.\n\n"
        "3) How to choose a tone? Open the settings.",
        [("tone", "How to i"), ("it", "How to c"), ("it", "Continuo"), ("one", "How to c")],
        ("fn-008", "fn-006", "fn-005"),
        "Simple, is it not?",
    ),
    Case(
        # "1) … 2) … 3)" where the text cites only [1] and [2]: a numbered list, not notes
        "labelled-paragraphs-not-all-cited",
        f"{P} the first[1] and the second[2].\n\nThree demands. 1) Bread. 2) Land. 3) Peace.",
        [],
        ("fn-001",),
        "Three demands. 1) Bread. 2) Land. 3) Peace.",
    ),
    Case(
        # the labels come before the markers: they are not the markers' notes
        "labelled-paragraphs-before-the-markers",
        f"{P} and so. 1) Bread. 2) Land.\n\n{P} the first[1] and the second[2].",
        [],
        ("fn-001",),
        "the first[1] and the second[2]",
    ),
    Case(
        "out-of-order-sure",
        f"{P} install the tone[2], choose it[3] and set it[1].\n\n"
        f"{notes('One.', 'Two.', 'Three.')}",
        [("tone", "Two."), ("it", "Three."), ("it", "One.")],
        ("fn-006",),
    ),
    Case(
        "label-with-full-stop",
        f"{P} a claim[1] and another[2].\n\n[1]. One.\n\n[2]: Two.",
        [("claim", "One."), ("another", "Two.")],
    ),
    Case(
        "asterisk-note-beside-numbered-list",
        f"{P} a claim[1] and a vice skip* here.\n\n* A vice skip is a captain.\n\n[1] One.",
        [("claim", "One."), ("skip", "A vice s")],
    ),
    # -- traps: numbers that are not markers ----------------------------------------------------
    Case(
        "decimal-after-word",
        f"{P} rose AA 1.0 times and 2.0 times.1\n\n{notes('One.', 'Two.')}",
        [("times.", "One.")],
        kept="AA 1.0 times and 2.0 times",
    ),
    Case(
        "opening-emphasis-number",
        f"{P} the questions.\n\n__1) Can you help?__\n\n__2) Will you come?__\n\n"
        f"{notes('A list.', 'Of links.', style='{}. ')}",
        [],
        kept="1) Can you help?",
    ),
    Case(
        "year-before-marker",
        f"{P} in 1917[1] the war.\n\n{notes('One.')}",
        [("1917", "One.")],
        kept="in 1917",
    ),
    Case(
        "year-glued-trap",
        f"{P} In 1917 the war1 went on.\n\n{notes('One.')}",
        [("war", "One.")],
        kept="In 1917 the",
    ),
    Case(
        "year-dot-digit",
        f"{P} It fell in 1871.3 It lasted.1\n\n{notes('One.', 'Two.', 'Three.')}",
        [("lasted.", "One.")],
        kept="in 1871.3 It",
    ),
    Case(
        "quantity-glued",
        f"{P} One1 two2 three3. It lasted 72 days4 only.\n\n{notes('A.', 'B.', 'C.', 'D.')}",
        [("One", "A."), ("two", "B."), ("three", "C."), ("days", "D.")],
        kept="lasted 72 days",
    ),
    Case(
        "after-months",
        f"{P} After 5 months the army1 broke.\n\n{notes(*'ABCDE')}",
        [("army", "A")],
        kept="After 5 months",
    ),
    Case(
        "allied-powers",
        f"{P} backed by 14 Allied powers, fought.1\n\n" + notes(*[f"N{i}" for i in range(1, 15)]),
        [("fought.", "N1")],
        kept="by 14 Allied",
    ),
    Case(
        "millions",
        f"{P} the war1 and 8 million dead.\n\n{notes(*'ABCDEFGH')}",
        [("war", "A")],
        kept="and 8 million",
    ),
    Case(
        "age",
        f"{P} He was 15 when he joined.1\n\n" + notes(*[f"N{i}" for i in range(1, 16)]),
        [("joined.", "N1")],
        kept="was 15 when",
    ),
    Case(
        "aged",
        f"{P} aged 72 and still there.1\n\n" + notes(*[f"N{i}" for i in range(1, 73)]),
        [("there.", "N1")],
        kept="aged 72",
    ),
    Case(
        "page",
        f"{P} see Daniels (p.33) on this.1\n\n" + notes(*[f"N{i}" for i in range(1, 34)]),
        [("this.", "N1")],
        kept="(p.33)",
    ),
    Case(
        "pages",
        f"{P} in pp. 12 and the rest.1\n\n" + notes(*[f"N{i}" for i in range(1, 13)]),
        [("rest.", "N1")],
        kept="pp. 12 and",
    ),
    Case(
        "issue-number",
        f"{P} in No. 2 of the journal.1\n\n{notes('A', 'B')}",
        [("journal.", "A")],
        kept="No. 2 of",
    ),
    Case(
        "chapter-section",
        f"{P} read chapter 2 and section 3 of it.1\n\n{notes('A', 'B', 'C')}",
        [("it.", "A")],
        kept="chapter 2 and section 3",
    ),
    Case(
        "verse",
        f"{P} as in John 3:16 and the rest.1\n\n{notes('A', 'B', 'C')}",
        [("rest.", "A")],
        kept="John 3:16",
    ),
    Case(
        "time",
        f"{P} met at 10:30 in the hall.1\n\n{notes('A', 'B', 'C')}",
        [("hall.", "A")],
        kept="at 10:30",
    ),
    Case(
        "decimal",
        f"{P} rose by 3.5 percent in the year.1\n\n{notes('A', 'B', 'C')}",
        [("year.", "A")],
        kept="3.5 percent",
    ),
    Case(
        "money",
        f"{P} paid $5 and $10 for it.1\n\n{notes(*'ABCDEFGHIJ')}",
        [("it.", "A")],
        kept="$5 and $10",
    ),
    Case(
        "date",
        f"{P} speech (June 1, 2006) and more.1 Then.2\n\n{notes('A', 'B')}",
        [("more.", "A"), ("Then.", "B")],
        kept="June 1, 2006",
    ),
    Case(
        "enumeration",
        f"{P} three demands: (1) bread, (2) land and (3) peace.\n\n"
        f"{notes('A', 'B', 'C', style='({}) ')}",
        [],
        kept="(1) bread, (2) land and (3) peace",
    ),
    Case(
        "numbered-list-beside-notes",
        f"{P} a claim[1].\n\n1. bread\n\n2. land\n\n3. peace\n\n{notes('The note.')}",
        [("claim", "The note")],
        kept="1. bread",
    ),
    Case(
        "numbered-list-not-notes",
        f"{P} the steps are these.\n\n1. Take the bread.\n\n2. Share the land.",
        [],
        kept="1. Take the bread.",
    ),
    Case(
        "bibliography-not-notes",
        f"{P} as others wrote.\n\nReferences\n\nSmith, J. (2001). "
        "Councils. London.\n\nJones, K. (1999). Soviets. Paris.",
        [],
        kept="Smith, J. (2001)",
    ),
    Case(
        "handle",
        f"{P} Ward 1, @jimgrahamward1 and Ward 2, @jackevansward2.\n\n"
        f"{notes('A.', 'B.', style='{}) ')}",
        [],
        kept="@jimgrahamward1",
    ),
    Case(
        "editorial-brackets",
        f"{P} the [sic] and the […] and a claim[1].\n\n{notes('One.')}",
        [("claim", "One.")],
        kept="the [sic] and the […]",
    ),
    Case(
        "bracket-without-list",
        f"{P} a claim [1] and nothing else.",
        [],
        ("fn-001",),
        "claim [1] and",
    ),
    Case(
        "no-notes",
        f"{P} in 1917, 8 million soldiers2 deserted.",
        [],
        kept="in 1917, 8 million soldiers2 deserted.",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_footnote_case(case: Case) -> None:
    doc = run(case.text)
    assert linked_notes(doc) == case.notes
    codes = {m.code for m in doc.report.messages}
    assert set(case.codes) <= codes, [str(m) for m in doc.report.messages]
    if case.kept:
        assert case.kept in unescape(doc.body)


_WORDS = st.lists(
    st.one_of(
        st.from_regex(r"[A-Za-z]{1,10}[,.;:]?", fullmatch=True),
        st.integers(1000, 2099).map(str),  # years
        st.from_regex(r"[0-9]{1,3}(\.[0-9])? (men|days|percent|million)", fullmatch=True),
    ),
    min_size=1,
    max_size=30,
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=5))
def test_text_without_a_notes_list_passes_through_unchanged(paragraphs: list[str]) -> None:
    body = join_blocks([escape(p) for p in paragraphs])
    doc = link_notes(Document(source=Path("t.txt"), slug="t", body=body))
    assert doc.body == body


@settings(max_examples=60, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=5))
def test_years_and_quantities_never_become_markers(paragraphs: list[str]) -> None:
    blocks = [escape(p) for p in paragraphs] + [escape(f"[{n}] Note {n}.") for n in (1, 2, 3)]
    doc = link_notes(Document(source=Path("t.txt"), slug="t", body=join_blocks(blocks)))
    assert doc.report.notes_linked == 0
    assert doc.body.startswith(join_blocks([escape(p) for p in paragraphs]).rstrip("\n"))
