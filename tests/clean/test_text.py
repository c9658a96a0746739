"""The cleaner on small browser copies: what goes, what stays, what structure comes back."""

from __future__ import annotations

from pathlib import Path

from flows.clean.text import clean, split_text
from flows.model import Document
from flows.settings import Settings

PROSE = (
    "The committees tried to turn themselves into councils that ran the factories, and for a "
    "few months in the winter they did, until the new state took the boards away from them."
)


def cleaned(text: str, **sidecar: str) -> Document:
    return clean(Document(source=Path("t.txt"), slug="t", text=text, sidecar=sidecar, meta=sidecar))


def test_title_heading_dateline_signature() -> None:
    doc = cleaned(
        f"A Title Line?\n\n{PROSE}\n\n\nJanuary 2017\n\nFive Months On\n\n{PROSE}\n\n"
        f"Karl Radek\n\nApril 1918\n"
    )
    assert doc.meta["title"] == "A Title Line?"
    assert doc.body.split("\n\n") == [
        PROSE,
        "::: dateline\nJanuary 2017\n:::",
        "## Five Months On",
        PROSE,
        "::: signature\nKarl Radek\n:::",
        "::: dateline\nApril 1918\n:::\n",
    ]


def test_the_sidecar_title_wins_and_the_first_line_becomes_the_subtitle() -> None:
    doc = cleaned(f"A Kicker Line\n\n{PROSE}\n", title="The Real Title")
    assert doc.meta["title"] == "The Real Title"
    assert doc.meta["subtitle"] == "A Kicker Line"
    assert [m.code for m in doc.report.messages] == ["cln-001"]


def test_comment_section_and_reply_form_are_cut() -> None:
    doc = cleaned(
        f"{PROSE}\n\n  1. I disagree with all of this.\n\n    Jane Roe,\n\nLeave a Reply\n\n"
        "Your email address will not be published. Required fields are marked *\n\nPost Comment\n"
    )
    assert doc.body == PROSE + "\n"
    assert doc.report.removed[0][0].startswith("comment section (5 blocks, 1 comment(s))")


def test_a_wordpress_thread_with_says_lines_is_cut() -> None:
    doc = cleaned(
        f"{PROSE}\n\n2 thoughts on “The Title”\n\nAlex says:\nMarch 19, 2021 at 10:02 am\n\n"
        "Great piece!\n\nReply\n"
    )
    assert doc.body == PROSE + "\n"


def test_short_quoted_claim_is_not_taken_for_a_comment() -> None:
    doc = cleaned(f"{PROSE}\n\nLenin says: the state will wither.\n\n{PROSE}\n")
    assert "Lenin says: the state will wither." in doc.body


def test_repeated_site_name_and_tagline_are_cut_at_the_end() -> None:
    doc = cleaned(f"{PROSE}\n\n[1] A note.\n\nThe Review\n\nThe Review\n\nJournal of Someone\n")
    assert doc.body.rstrip().endswith(r"\[1\] A note.")
    assert [r[1] for r in doc.report.removed] == ["The Review", "The Review", "Journal of Someone"]


def test_signature_at_the_end_of_an_article_is_kept() -> None:
    doc = cleaned(f"{PROSE}\n\nJane Doe\n")
    assert doc.body.endswith("::: signature\nJane Doe\n:::\n")


def test_spaces_are_normalised_without_changing_a_word() -> None:
    doc = cleaned("Even\u00a0 leftists  gave it\u2009sparse attention,\u00a0 with the exception.\n")
    assert doc.body == "Even leftists gave it sparse attention, with the exception.\n"


def test_hard_wrapped_lines_are_joined_and_long_lines_stay_paragraphs() -> None:
    blocks = split_text("short line one\nshort line two\n\n" + PROSE + "\n" + PROSE + "\n")
    assert [b.text for b in blocks] == ["short line one short line two", PROSE, PROSE]


def test_blogger_footer_and_thread_are_cut_and_the_post_title_follows_the_date() -> None:
    doc = cleaned(
        "My Blog\nA tagline of the blog\n\nTuesday, 15 May 2012\nThe Post Title\n\n"
        f"{PROSE}\n\nPosted by Marta at 10:02 AM\nEmail This\nBlogThis!\nLabels: a, b\n\n"
        "2 comments:\n\nAnonymous said...\nNice post, thank you for it.\n\n16 May 2012 at 09:14\n"
        "Post a Comment\n\nNewer Post Older Post Home\nSubscribe to: Post Comments (Atom)\n"
    )
    assert doc.meta["title"] == "The Post Title"
    assert str(doc.meta["date"]) == "2012-05-15"
    assert doc.body == PROSE + "\n"


def test_drupal_byline_breadcrumb_and_login_line() -> None:
    doc = cleaned(
        "Skip to main content\nHome » Topics\nThe Node Title\n"
        f"Submitted by Anna Gruber on Tue, 12/02/2019 - 10:00\n\n{PROSE}\n\nTags\nVienna\n"
        "Log in or register to post comments\nComments\nKarl (not verified)\nA comment.\n"
    )
    assert (doc.meta["title"], doc.meta["author"]) == ("The Node Title", "Anna Gruber")
    assert doc.body == PROSE + "\n"


def test_kept_comments_become_a_responses_section_before_the_notes() -> None:
    text = (
        f"{PROSE}[1]\n\n[1] A note.\n\n2 thoughts on “The Title”\n\nAlex says:\n"
        "March 19, 2021 at 10:02 am\n\nGreat piece!\n\nReply\n\nLeave a Reply Cancel reply\n\n"
        "Your email address will not be published.\n\n© 2021 The Review\n"
    )
    doc = clean(Document(source=Path("t.txt"), slug="t", text=text), Settings(keep_comments=True))
    assert doc.body.split("\n\n") == [
        PROSE + r"\[1\]",
        "## Responses",
        "Alex says:",
        "March 19, 2021 at 10:02 am",
        "Great piece!",
        "\\[1\\] A note.\n",
    ]
    assert "Great piece" not in cleaned(text).body


def test_lines_of_a_browser_copy_stay_apart_and_hard_wrapped_prose_is_joined() -> None:
    menu = split_text("Home\nAbout the Review\nArchive\n")
    assert [b.text for b in menu] == ["Home", "About the Review", "Archive"]
    wrapped = split_text(
        "Comrades, the question you raise about the form of our\n"
        "organisation cannot be settled by a vote. It needs a\ndiscussion.\n"
    )
    assert len(wrapped) == 1


def test_a_scraped_report_s_credit_line_goes_to_the_metadata_for_the_colophon() -> None:
    credit = "(Reporting by Jane Doe in Kronstadt; Editing by John Roe)"
    doc = cleaned(f"Kronstadt\n\n{PROSE}\n\n{PROSE}\n\n{credit}\n")
    assert doc.body.rstrip().endswith(PROSE)
    assert doc.meta["credit"] == credit
    assert (
        cleaned(f"Kronstadt\n\n{PROSE}\n\n{PROSE}\n\n{credit}\n", credit="Anna Roe").meta["credit"]
        == "Anna Roe"
    )  # the sidecar's wins


def test_a_breadcrumb_above_a_copied_article_is_cut() -> None:
    doc = cleaned(f"Sie sind hier: Startseite > Politik > Inland\nDer Streik\n\n{PROSE}\n")
    assert doc.meta["title"] == "Der Streik"
    assert doc.body == PROSE + "\n"
