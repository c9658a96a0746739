"""The marker matcher: every seed style, and the numbers in a text that are not markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.footnotes.link import link_notes
from flows.markdown import escape, join_blocks
from flows.model import Document


def linked(paragraphs: list[str], notes: list[str]) -> Document:
    """Link a body of plain-text paragraphs followed by a ``[n] text`` notes list."""
    blocks = [escape(p) for p in paragraphs]
    blocks += [escape(f"[{i}] {text}") for i, text in enumerate(notes, start=1)]
    return link_notes(Document(source=Path("t.txt"), slug="t", body=join_blocks(blocks)))


def markers(doc: Document) -> list[str]:
    """Each linked marker with the two words before it, as ``words[^n]``."""
    return re.findall(r"\S+ ?\S*\[\^\d+\]", doc.body.split("\n\n[^1]:")[0])


# (paragraph, expected text around the marker) for one note, in every style the seeds use.
STYLES = [
    ("We have translated1 the very first piece.", "have translated[^1]"),
    (
        "IP has published several articles about it in the past [1] but we want more.",
        "the past[^1]",
    ),
    (
        "owed less to clarity than to a more favourable situation.”[1] Capitalist growth",
        "favourable situation.”[^1]",
    ),
    ("Like Gorter in Holland, Kowalski-Grzech in Poland 1) he sees it clearly.", "in Poland[^1]"),
    ("the regime of the “conciliators”.1 The Mensheviks were there.", "the “conciliators”.[^1]"),
    ("as productive months,1 the facts contradict it.", "as productive months,[^1]"),
    ("who tried to save the _Kerenschina_1 in the south of Russia.", r"the \_Kerenschina\_[^1]"),
    (
        "Such is the fall of the Kerensky government [1] – which no sign foretold.",
        "Kerensky government[^1]",
    ),
    ("The Marxist canon¹ was never questioned by them.", "Marxist canon[^1]"),
]


@pytest.mark.parametrize(("paragraph", "expected"), STYLES, ids=[s[1] for s in STYLES])
def test_each_seed_style_is_linked_at_its_word(paragraph: str, expected: str) -> None:
    doc = linked([paragraph], ["The note."])
    assert doc.report.notes_linked == 1
    assert expected in doc.body
    assert "[^1]: The note." in doc.body


def test_spaced_number_is_a_marker_between_its_neighbours() -> None:
    doc = linked(
        [
            "We have translated1 the first piece.",
            "In re-founding Kommunist 2 the Left went on.",
            "Some like Osinsky3 retained the basic idea.",
        ],  # fmt: skip
        ["One.", "Two.", "Three."],
    )
    assert markers(doc) == ["have translated[^1]", "re-founding Kommunist[^2]", "like Osinsky[^3]"]


TRAPS = [
    # (paragraph, number of notes, the words the markers follow, a trap that stays as written)
    ("After 5 months of war, the army1 was exhausted.", 5, ["army"], "After 5 months"),
    ("The Whites, backed by 14 Allied powers, fought on.1", 14, ["on."], "by 14 Allied"),
    ("In 1917 the war1 went on, and 8 million died.", 8, ["war"], "and 8 million"),
    ("The Commune fell in 1871.3 It had lasted long enough.1", 3, ["enough."], "in 1871.3 It"),
    (
        "One1 two2 three3. It lasted 72 days4 and no more.",
        4,
        ["One", "two", "three", "days"],
        "lasted 72 days",
    ),
    ("See Daniels (p.33) on this.1", 33, ["this."], "(p.33)"),
    ("He was 15 when he joined.1", 15, ["joined."], "was 15 when"),
    ("Read chapter 2 and section 3 of the book.1", 3, ["book."], "chapter 2 and section 3"),
    ("A list: 1. bread, 2. land, 3. peace.1", 3, ["peace."], "1. bread, 2. land, 3. peace"),
]


@pytest.mark.parametrize(("paragraph", "count", "words", "kept"), TRAPS, ids=[t[3] for t in TRAPS])
def test_numbers_in_the_text_are_not_markers(
    paragraph: str, count: int, words: list[str], kept: str
) -> None:
    doc = linked([paragraph], [f"Note {i}." for i in range(1, count + 1)])
    body = doc.body.split("\n\n")[0]
    assert re.findall(r"(\S+?)\[\^\d+\]", body) == words
    assert kept in body


def test_years_and_quantities_are_never_linked() -> None:
    text = "After 5 months, in 1917, 14 Allied powers sent 8 million men."
    doc = linked([text], [f"Note {i}." for i in range(1, 15)])
    assert doc.report.notes_linked == 0
    assert text in doc.body  # the sentence is untouched


def test_unmatched_notes_and_markers_are_reported_and_kept() -> None:
    doc = linked(["A claim [1] and another [3]."], ["First.", "Second."])
    codes = [m.code for m in doc.report.messages]
    assert "fn-002" in codes  # note 2 has no marker
    assert "fn-001" in codes  # marker [3] has no note
    assert r"\[2\] Second." in doc.body  # the unlinked note is kept as a paragraph
    assert doc.report.notes_found == 2 and doc.report.notes_linked == 1


def test_a_note_ending_where_its_link_was_is_reported() -> None:
    doc = linked(["Text1 here."], ["For more on the Polish Communist Left see"])
    assert [m.code for m in doc.report.messages] == ["fn-004"]


def test_multi_paragraph_note_keeps_its_paragraphs() -> None:
    blocks = [
        escape("In the past [1] we wrote."),
        escape("[1] First part."),
        escape("Second part."),
    ]
    doc = link_notes(Document(source=Path("t.txt"), slug="t", body=join_blocks(blocks)))
    assert "[^1]: First part.\n\n    Second part." in doc.body


def test_no_notes_list_leaves_the_body_alone() -> None:
    body = join_blocks([escape("In 1917, 8 million soldiers2 deserted.")])
    doc = link_notes(Document(source=Path("t.txt"), slug="t", body=body))
    assert doc.body == body


def test_a_repeat_pointing_at_the_first_of_two_identical_notes_links_the_second() -> None:
    doc = linked(
        ["A claim[1] and another[2] then again[2] and the last[4]."],
        ["One.", "Hahn, 1991, p. 177.", "Hahn, 1991, p. 177.", "Four."],
    )
    assert markers(doc) == ["A claim[^1]", "and another[^2]", "then again[^3]", "the last[^4]"]
    assert doc.report.notes_linked == 4
    assert [m.code for m in doc.report.messages] == ["fn-007"]
    assert "[^3]: Hahn, 1991, p. 177." in doc.body
