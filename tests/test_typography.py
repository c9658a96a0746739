"""Typography per language: what a reader of each language expects from straight quotes,
spaces and dashes typed on a keyboard."""

from __future__ import annotations

import pytest

from flows.clean.html.extract import html_to_markdown
from flows.settings import Settings
from flows.typography import typogrify
from flows.typography_rules import NBSP, NNBSP, rules_for

SAID = "She said \"they told me 'no' twice\" and left."


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "She said “they told me ‘no’ twice” and left."),
        ("de", "She said „they told me ‚no‘ twice“ and left."),
        ("de-AT", "She said „they told me ‚no‘ twice“ and left."),
        ("de-CH", "She said «they told me ‹no› twice» and left."),
        ("fr", f"She said «{NNBSP}they told me “no” twice{NNBSP}» and left."),
        ("ru", "She said «they told me „no“ twice» and left."),
        ("es", "She said «they told me “no” twice» and left."),
        ("it", "She said «they told me “no” twice» and left."),
        ("pl", "She said „they told me «no» twice” and left."),
        ("cs", "She said „they told me ‚no‘ twice“ and left."),
        ("nl", "She said “they told me ‘no’ twice” and left."),
        ("sv", "She said ”they told me ’no’ twice” and left."),
        ("el", "She said «they told me “no” twice» and left."),
        ("tr", "She said “they told me ‘no’ twice” and left."),
        ("ja", "She said 「they told me 『no』 twice」 and left."),
        ("zh-Hant-TW", "She said 「they told me 『no』 twice」 and left."),
        ("xx-unknown", "She said “they told me ‘no’ twice” and left."),
        (None, "She said “they told me ‘no’ twice” and left."),
    ],
)
def test_quotes_follow_the_language(lang: str | None, expected: str) -> None:
    assert typogrify(SAID, lang) == expected


def test_nested_double_quotes_alternate() -> None:
    assert typogrify('"He wrote "all power" in red"', "de") == "„He wrote ‚all power‘ in red“"


def test_apostrophes_are_not_quotes() -> None:
    assert typogrify("Don't touch the workers' union, 'he said'", "de") == (
        "Don’t touch the workers’ union, ‚he said‘"
    )


def test_french_spaces_before_punctuation_and_inside_guillemets() -> None:
    text = typogrify('Il dit : "Quoi ?" Puis; enfin! Voir http://a.fr/?x=1 à 10:30.', "fr")
    assert text == (
        f"Il dit{NBSP}: «{NNBSP}Quoi{NNBSP}?{NNBSP}» Puis{NNBSP}; enfin{NNBSP}! "
        "Voir http://a.fr/?x=1 à 10:30."
    )
    # Guillemets typed with ordinary spaces get the narrow no-break ones, spaces typed before
    # punctuation too; English keeps what was typed.
    assert typogrify("« Oui » ?", "fr") == f"«{NNBSP}Oui{NNBSP}»{NNBSP}?"
    assert typogrify("Yes ? No !", "en") == "Yes ? No !"


def test_no_break_spaces_in_the_text_are_kept() -> None:
    assert typogrify(f"10{NBSP}000 roubles, p.{NNBSP}3") == f"10{NBSP}000 roubles, p.{NNBSP}3"
    # A run of spaces is padding, not a binding: one ordinary space.
    assert typogrify(f"end.{NBSP} Next") == "end. Next"


def test_a_line_or_paragraph_separator_inside_a_block_is_a_space() -> None:
    # Pandoc reads them as spaces: typeset as one, a spaced hyphen after one is a dash.
    assert typogrify("war\u2028- and\u2029peace") == "war – and peace"


def test_dashes_follow_the_language() -> None:
    assert typogrify("war - and peace", "en") == "war – and peace"
    assert typogrify("война - и мир", "ru") == f"война{NBSP}— и мир"


def test_persian_zero_width_non_joiner_is_kept() -> None:
    assert typogrify("می\u200cخواهم") == "می\u200cخواهم"


def test_rules_for_odd_tags() -> None:
    assert rules_for("pt_BR") == rules_for("en")
    assert rules_for("") == rules_for("en")
    assert rules_for("zh-Hant").primary == ("「", "」")


def test_an_html_page_is_set_by_its_language() -> None:
    page = (
        '<html lang="de"><head><title>Titel</title></head><body><article><h1>Titel</h1>'
        + '<p>Er sagte: "Alle Macht den R\u00e4ten" und ging. ' * 6
        + "</p></article></body></html>"
    )
    body = html_to_markdown(page, Settings(), "seite.html").body
    assert "„Alle Macht den Räten“" in body
    assert "“Alle" not in body
