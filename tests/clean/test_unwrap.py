"""Hard-wrapped scrapes (e-mail, Usenet, PDF-to-text) unwrapped; texts that are not, left alone.
The texts are invented for these tests."""

from __future__ import annotations

from pathlib import Path

from flows.clean.mail import read_post
from flows.clean.text import clean, split_text
from flows.clean.unwrap import Lexicon, join_lines, wrap_width
from flows.footnotes.link import link_notes
from flows.markdown import split_blocks
from flows.model import Document

WRAPPED = (
    "The cooperatives of the eighteen-nineties were not the work of\n"
    "theorists. They were built by weavers and miners who had seen\n"
    "the friendly society go bankrupt and the union broken in the\n"
    "first strike, and who would not wait for the party any longer.\n"
)


def cleaned(text: str, **meta: str) -> Document:
    return clean(Document(source=Path("t.txt"), slug="t", text=text, meta=meta, sidecar=meta))


def joined(left: str, right: str, text: str = "", language: str = "en") -> str:
    return join_lines([left, right], Lexicon(text, language))


def test_a_word_split_at_a_line_end_is_joined_and_a_compound_keeps_its_hyphen() -> None:
    assert joined("seen every-", "thing fail") == "seen everything fail"
    assert joined("An ex-", "bourgeois friend") == "An ex-bourgeois friend"
    assert joined("the right of self-", "determination") == "the right of self-determination"
    assert joined("the anti-", "Soviet press") == "the anti-Soviet press"
    assert joined("die Arbeiter-", "bewegung", language="de") == "die Arbeiterbewegung"
    # a soft hyphen is where a word was split, always
    assert joined("organi\u00ad", "sation") == "organisation"
    # a dash is not a hyphen
    assert joined("has spoken --", "and") == "has spoken -- and"


def test_the_text_itself_decides_first() -> None:
    elsewhere = "Both sides called it non-violence in their leaflets."
    assert joined("their non-", "violence was", elsewhere) == "their non-violence was"
    elsewhere = "The cooperative ran a shoe factory."
    assert joined("the co-", "operative", elsewhere) == "the cooperative"


def test_a_wrapped_text_has_a_width_and_verse_or_a_browser_copy_has_none() -> None:
    assert 60 <= (wrap_width((WRAPPED * 2).split("\n")) or 0) <= 63
    verse = (
        "The looms are still, the lamps burn low,\nThe gate is shut at ten;\n"
        "We walk the road we always go,\nAnd tomorrow walk again.\n"
    )
    assert wrap_width((verse * 3).split("\n")) is None
    browser = (
        "A paragraph as a browser copies it, on one line, however long it is. " * 3 + "\n"
    ) * 4
    assert wrap_width(browser.split("\n")) is None


def test_paragraphs_by_indentation_and_short_last_lines() -> None:
    text = (
        "    "
        + WRAPPED.replace("\n", "\n", 3)
        + "    The first stores sold flour, tea and candles at cost, and\n"
        "paid the surplus back to their members in proportion to their\n"
        "purchases.\n"
        "The dividend was small, but it was paid in public, at a meeting\n"
        "where every member could ask where the money had gone, and did.\n"
    )
    blocks = [b.text for b in split_text(text)]
    assert len(blocks) == 3
    assert blocks[1].endswith("in proportion to their purchases.")
    assert blocks[2].startswith("The dividend was small")


def test_a_year_at_a_line_start_stays_text() -> None:
    text = (
        WRAPPED
        + "\n"
        + WRAPPED.replace("the union broken in the\n", "the union broken in\n1917. The\n")
    )
    body = cleaned("A Title\n\n" + text).body
    assert "in 1917. The first strike" in body
    assert "\n1917" not in body


def test_markers_at_a_line_start_or_end_link_every_note() -> None:
    lines = [
        "The strike began on the West India Dock over the plus money",
        "paid on a cargo (1). Within a week the whole port was out and",
        "the stevedores came out with the casual labourers rather than",
        "against them (2) and that alone was new: the old unions of the",
        "skilled had kept apart from the unskilled for forty years (3)",
        "and the committee met daily at the Wade's Arms in the autumn",
        "of 1889 (4). Its demands were three: (1) the tanner, (2) no",
        "contract work and (3) a minimum of four hours for every call,",
        "and the manifesto said so, on page 3 of the Labour Elector (5).",
    ]
    notes = "\n".join(f"({n}) Note {n}, a source of 1889, p. 4{n}." for n in range(1, 6))
    doc = link_notes(cleaned("The Strike\n\n" + "\n".join(lines) + "\n\nNotes\n\n" + notes))
    assert doc.report.notes_found == 5
    assert doc.report.notes_linked == 5
    assert "three: (1) the tanner, (2) no contract work and (3) a minimum" in doc.body
    assert "forty years[^3] and" in doc.body
    assert "1889[^4]." in doc.body
    assert "on page 3 of the Labour Elector[^5]." in doc.body


def test_a_post_gives_title_author_and_date_and_loses_its_signature() -> None:
    post = read_post(
        "From: jdoe@example.org (Jane Doe)\nSubject: Re: [list] The strike\n"
        "Date: Thu, 14 Mar 1996 10:22:31 GMT\n\nThe text.\n\n-- \nJane\n"
    )
    assert (post.title, post.author, post.date) == ("The strike", "Jane Doe", "1996-03-14")
    assert post.text.strip() == "The text."
    # a text opening with a line like a header is no post
    assert read_post("Comrades: read this.\nIt matters.\n").headers == ""


def test_a_quoted_reply_keeps_its_quotes_and_is_not_a_comment_section() -> None:
    text = (
        "Subject: Printing\nFrom: Sam Roe <sam@example.net>\n\n" + WRAPPED + "\n"
        "On Tue, 1 Oct 2002, Ana Lima wrote:\n\n"
        "> We cannot afford another issue at the printer's rates. Either\n"
        "> we find a cheaper press or we go back to the duplicator.\n\n"
        "I agree with Ana, and I would add one thing: the duplicator\n"
        "puts the paper back in the hands of the people who write it.\n"
    )
    blocks = split_blocks(cleaned(text).body)
    assert blocks[-3] == "On Tue, 1 Oct 2002, Ana Lima wrote:"
    assert blocks[-2].startswith("> We cannot afford another issue")
    assert blocks[-2].endswith("go back to the duplicator.")
    assert blocks[-1].startswith("I agree with Ana")


def test_short_lines_of_verse_stay_lines() -> None:
    verse = (
        "The looms are still, the lamps burn low,\nThe gate is shut at ten;\n"
        "We walk the road we always go,\nAnd tomorrow walk again.\n"
    )
    doc = cleaned("Night Shift\n\n" + verse + "\n" + verse)
    assert split_blocks(doc.body)[0] == (
        "| The looms are still, the lamps burn low,\n| The gate is shut at ten;\n"
        "| We walk the road we always go,\n| And tomorrow walk again."
    )


def test_each_note_of_a_wrapped_notes_list_is_one_note() -> None:
    text = (
        "A Short Note\n\n"
        + WRAPPED.replace("theorists.", "theorists (1).").replace("longer.", "longer (2).")
        + "\nNotes\n\n(1) Smith, The Great Dock Strike, London 1889, p. 12, where the\n"
        "plus is explained at length.\n(2) ibid., p. 31.\n"
    )
    doc = link_notes(cleaned(text))
    assert doc.report.notes_linked == 2
    assert split_blocks(doc.body)[-2:] == [
        "[^1]: Smith, The Great Dock Strike, London 1889, p. 12, where the plus is explained "
        "at length.",
        "[^2]: ibid., p. 31.",
    ]


def test_running_heads_and_page_numbers_go_and_chapter_headings_stay() -> None:
    page_end = WRAPPED.replace("the union broken in the\n", "the union broken in the\n\n{}\n\n")
    text = (
        "Chapter 1\n\n"
        + page_end.format("12                         THE QUESTION")
        + "\nChapter 2\n\n"
        + page_end.format("THE QUESTION                         13")
        + "\n"
        + page_end.format("14")
    )
    blocks = [b.text for b in split_text(text)]
    assert blocks[0] == "Chapter 1" and blocks[2] == "Chapter 2"
    assert not any("QUESTION" in b or b == "14" for b in blocks)
    assert "in the first strike" in blocks[1]


def test_a_line_end_hyphen_in_a_language_wordfreq_cannot_read_alone() -> None:
    # Korean, Japanese and Chinese need tokenizers that are not installed; Zulu has no list
    for language in ("ko", "ja", "zh", "zu"):
        assert joined("정자지구-", "용도변경", language=language) == "정자지구용도변경"
