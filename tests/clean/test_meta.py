"""A page's metadata as an edition prints it: dates that are dates, names that are names, titles
without the site's name, the text's own language. The pages are invented, each for one kind of
value sites get wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.clean.html.meta import author_names, without_site
from flows.clean.text import clean
from flows.model import Document, PartialDate

PROSE = (
    "The committees tried to turn themselves into councils that ran the factories, and for a "
    "few months in the winter they did, until the new state took the boards away from them. "
    "Nobody who was there in those weeks wrote it down as it happened."
)


def page(body: str, head: str = "<title>A Page</title>", body_attrs: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}</head>"
        f"<body{body_attrs}><article>{body}</article></body></html>"
    )


def cleaned(html: str, **sidecar: str) -> Document:
    doc = Document(source=Path("p.html"), slug="p", text=html, sidecar=sidecar, meta=sidecar)
    return clean(doc)


def ld(**fields: object) -> str:
    data = json.dumps({"@context": "https://schema.org", **fields})
    return f'<script type="application/ld+json">{data}</script>'


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "date"),
    [
        ("Tue, 13 Dec 2016 10:00:00 GMT", PartialDate(2016, 12, 13)),  # RFC 2822
        ("1651035600", PartialDate(2022, 4, 27)),  # Unix time
        ("1651035600000", PartialDate(2022, 4, 27)),  # in milliseconds
        ("Mon, 12/02/2019 - 10:00", PartialDate(2019, 12, 2)),  # Drupal's "D, m/d/Y - H:i"
        ("Tue, 12/02/2019 - 10:00", PartialDate(2019, 2, 12)),  # d/m/Y: 2 December was a Monday
        ("2019-03-18T10:00:00+01:00", PartialDate(2019, 3, 18)),
        ("2019-03", PartialDate(2019, 3)),
        ("2019", PartialDate(2019)),
    ],
)
def test_a_page_s_date_is_a_date_as_precise_as_written(written: str, date: PartialDate) -> None:
    head = f'<title>Kronstadt</title><meta property="article:published_time" content="{written}">'
    doc = cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p>", head))
    assert doc.meta["date"] == date


@pytest.mark.parametrize(
    "not_a_date",
    [
        '<time itemprop="cookTime" datetime="PT15M">15 minutes</time>',  # a recipe's duration
        '<time itemprop="openingHours" datetime="Mo-Su 08:00-20:00">daily</time>',
        '<time datetime="yesterday">yesterday</time>',
    ],
)
def test_a_duration_or_opening_hours_is_no_date(not_a_date: str) -> None:
    doc = cleaned(page(f"<h1>Soup</h1><p>{PROSE}</p><p>{not_a_date}</p>", "<title>Soup</title>"))
    assert "date" not in doc.meta


def test_a_recipe_s_json_ld_durations_are_no_date() -> None:
    head = "<title>Soup</title>" + ld(
        **{"@type": "Recipe", "name": "Soup", "totalTime": "PT15M", "datePublished": "PT15M"}
    )
    doc = cleaned(page(f"<h1>Soup</h1><p>{PROSE}</p>", head))
    assert "date" not in doc.meta


def test_an_undated_page_gets_no_date_and_the_colophon_says_so() -> None:
    doc = cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p>", "<title>Kronstadt</title>"))
    assert "date" not in doc.meta


def test_a_year_a_page_states_alone_is_a_year() -> None:
    head = "<title>Kronstadt</title>" + ld(
        **{"@type": "Article", "headline": "Kronstadt", "datePublished": "1921"}
    )
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["date"] == PartialDate(1921)


def test_the_articles_date_published_is_its_date_and_a_day_in_its_url_the_local_one() -> None:
    # A daily's page: the article went online the evening before the print edition's day.
    head = '<title>Kronstadt</title><meta name="date" content="2019-04-26">' + ld(
        **{"@type": "NewsArticle", "headline": "K", "datePublished": "2019-04-25T19:30+02:00"}
    )
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["date"] == PartialDate(2019, 4, 25)
    # In UTC, an evening story in California is already the next day; its URL has the day.
    head = (
        '<title>Kronstadt</title><link rel="canonical" href="https://example.com/2019/11/18/k/">'
        '<meta property="article:published_time" content="2019-11-18T23:03:25-08:00">'
        + ld(**{"@type": "NewsArticle", "headline": "K", "datePublished": "2019-11-19T07:03:25Z"})
    )
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["date"] == PartialDate(2019, 11, 18)


# -- authors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("By Jane Doe, Senior Editor", ["Jane Doe"]),
        ("Jane Doe | Twitter", ["Jane Doe"]),
        ("Jane Doe @janedoe", ["Jane Doe"]),
        ("Jana Nováková před 2 hodinami", ["Jana Nováková"]),
        ("Jana Nováková, před 2 hodinami", ["Jana Nováková"]),
        ("Von Max Mustermann, Redakteur", ["Max Mustermann"]),
        ("Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe is a reporter at The Review", ["Jane Doe"]),
        ("Twitter", []),
        ("Staff Writer", []),
        ("Reuters Staff", ["Reuters Staff"]),  # the newsroom's credit, when no one is named
        ("Senior Staff", []),
        ("Foto: Bild: SN / APA / Keystone", []),  # a picture's credit
        ("Photos by Jane Doe", ["Jane Doe"]),
        ("3 hours ago", []),
        ("Rivka @ 7", ["Rivka"]),
        ("About the Author", []),
        ("See more articles by Rosie Einhorn", []),
        ("The Associated Press", ["The Associated Press"]),
        ("A Kumar", ["A Kumar"]),
        ("Mark says:", []),
        ("Submitted by Anna Gruber", ["Anna Gruber"]),  # Drupal's byline
        ("Submitted", []),  # Drupal's, when the site hides the name
        ("TOM KRISHER", ["Tom Krisher"]),  # capitals are a style, not the name
        ("REUTERS", ["Reuters"]),
        ("LBCI", ["LBCI"]),  # a short word in capitals is an acronym: a broadcaster, an agency
    ],
)
def test_author_names_are_names(byline: str, names: list[str]) -> None:
    assert author_names(byline) == names


def test_a_byline_on_the_page_gives_the_author_without_its_role_and_links() -> None:
    body = (
        '<h1>Kronstadt</h1><p class="byline">By <a href="/jane">Jane Doe</a>, Staff Writer '
        '· <a href="https://twitter.com/jane">Twitter</a></p>'
        f"<p>{PROSE}</p>"
    )
    assert cleaned(page(body, "<title>Kronstadt</title>")).meta["author"] == "Jane Doe"


def test_an_author_field_that_names_the_site_gives_way_to_the_writer_the_page_names() -> None:
    head = (
        '<title>Kronstadt</title><meta name="author" content="KR">'
        '<meta property="og:site_name" content="Kronstadt Review">'
        '<link rel="canonical" href="https://www.kr.example/2021/kronstadt">'
    )
    body = (
        '<h1>Kronstadt</h1><p class="meta">von '
        '<a href="/autoren/name/jane-doe">Dr. Jane Doe</a></p>'
    )
    assert cleaned(page(body + f"<p>{PROSE}</p>", head)).meta["author"] == "Dr. Jane Doe"
    # With no writer named, the site's own credit stays; a writer's own field is not replaced.
    assert cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p>", head)).meta["author"] == "KR"
    mine = head.replace('content="KR"', 'content="John Roe"')
    assert cleaned(page(body + f"<p>{PROSE}</p>", mine)).meta["author"] == "John Roe"


def test_a_link_to_a_writer_s_page_names_the_author_but_a_list_of_writers_does_not() -> None:
    body = '<h1>Kronstadt</h1><p><a href="/author/jane-doe/">Jane Doe</a></p>'
    assert cleaned(page(body + f"<p>{PROSE}</p>", "<title>K</title>")).meta["author"] == "Jane Doe"
    menu = '<nav><a href="/authors/">Our Authors</a></nav><h1>Kronstadt</h1>'
    assert "author" not in cleaned(page(menu + f"<p>{PROSE}</p>", "<title>K</title>")).meta


def test_a_byline_s_script_is_not_its_text() -> None:
    body = (
        '<h1>Kronstadt</h1><div class="author">Jane Doe<script>window.q.push(function() '
        "{load('x')})</script></div>"
    )
    assert cleaned(page(body + f"<p>{PROSE}</p>", "<title>K</title>")).meta["author"] == "Jane Doe"


def test_json_ld_authors_are_cleaned_too() -> None:
    head = "<title>Kronstadt</title>" + ld(
        **{
            "@type": "NewsArticle",
            "headline": "Kronstadt",
            "author": [{"name": "By Jane Doe"}, {"name": "Twitter"}, {"name": "John Roe"}],
        }
    )
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["author"] == ["Jane Doe", "John Roe"]


def test_a_name_written_surname_first_is_the_name() -> None:
    # Dublin Core's and Highwire Press's fields put the surname first, as a journal's pages do.
    head = '<title>Kronstadt</title><meta name="dc.creator" content="Brazil, Rachel">'
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["author"] == "Rachel Brazil"
    head = '<title>Kronstadt</title><meta name="citation_author" content="Doe, Jane A.; Roe, John">'
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["author"] == ["Jane A. Doe", "John Roe"]
    # Elsewhere a comma parts two names, or a name and a place.
    head = '<title>Kronstadt</title><meta name="author" content="Jane Doe, John Roe">'
    assert cleaned(page(f"<p>{PROSE}</p>", head)).meta["author"] == ["Jane Doe", "John Roe"]


def test_no_author_is_no_author() -> None:
    assert "author" not in cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p>")).meta


# -- titles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "site", "h1", "expected"),
    [
        ("Budget passed | India News", "India News", None, "Budget passed"),
        ("Budget passed - India News", "India News", None, "Budget passed"),
        ("Opinion | The case for trams", None, "The case for trams", "The case for trams"),
        ("Opinion | Trams | The Review", "The Review", None, "Opinion | Trams"),
        ("Kronstadt: The Uprising", "The Review", None, "Kronstadt: The Uprising"),
        ("Left - Right - Left", None, None, "Left - Right - Left"),
    ],
)
def test_a_title_without_the_site_s_name(
    title: str, site: str | None, h1: str | None, expected: str
) -> None:
    assert without_site(title, site, h1) == expected


def test_og_title_loses_the_site_suffix() -> None:
    head = (
        "<title>Budget passed | India News</title>"
        '<meta property="og:title" content="Budget passed | India News">'
        '<meta property="og:site_name" content="India News">'
    )
    doc = cleaned(page(f"<h1>Budget passed</h1><p>{PROSE}</p>", head))
    assert doc.meta["title"] == "Budget passed"
    assert doc.meta["publication"] == "India News"


def test_a_section_prefix_goes_when_the_h1_is_the_rest() -> None:
    head = (
        "<title>Opinion | The case for trams</title>"
        '<meta property="og:title" content="Opinion | The case for trams">'
    )
    doc = cleaned(page(f"<h1>The case for trams</h1><p>{PROSE}</p>", head))
    assert doc.meta["title"] == "The case for trams"
    # A page that sets its headline in several <h1>s (one per screen size) has one headline.
    h1s = "<h1>The case for trams</h1>" * 3
    assert cleaned(page(f"{h1s}<p>{PROSE}</p>", head)).meta["title"] == "The case for trams"


def test_the_site_s_name_is_read_as_sites_misspell_its_property() -> None:
    head = (
        '<meta property="og:title" content="Rates rise | The Stock Paper">'
        '<meta property="og:site:name" content="The Stock Paper">'
    )
    doc = cleaned(page(f"<p>{PROSE}</p>", head))
    assert (doc.meta["title"], doc.meta["publication"]) == ("Rates rise", "The Stock Paper")


# -- language -----------------------------------------------------------------------------------


def test_a_word_export_s_body_lang_does_not_make_an_english_text_german() -> None:
    html = page(f"<h1>Kronstadt</h1><p>{PROSE}</p>", body_attrs=' lang="DE-CH"')
    assert cleaned(html).meta["lang"] == "en"


def test_the_page_s_lang_stays_when_the_text_agrees() -> None:
    html = page(f"<h1>Kronstadt</h1><p>{PROSE}</p>").replace("<html>", '<html lang="en-GB">')
    assert cleaned(html).meta["lang"] == "en-GB"


def test_a_short_text_keeps_the_page_s_lang() -> None:
    html = page("<h1>Hallo</h1><p>Ein kurzer Satz.</p>").replace("<html>", '<html lang="de">')
    assert cleaned(html).meta["lang"] == "de"


def test_the_sidecar_s_language_wins() -> None:
    html = page(f"<h1>Kronstadt</h1><p>{PROSE}</p>", body_attrs=' lang="de"')
    assert cleaned(html, lang="fr").meta["lang"] == "fr"


def test_a_commenters_name_is_not_the_author_and_a_bylines_place_and_date_are_not_names() -> None:
    comments = (
        '<div class="sf_comment"><p><span class="sf_comment_author">Alcalino</span></p>'
        "<p>Muy bien dicho, y hace falta decirlo más a menudo.</p></div>"
    )
    doc = cleaned(page(f"<p>{PROSE}</p><p>{PROSE}</p>" + comments))
    assert "author" not in doc.meta
    byline = (
        '<p class="autor"><strong>Patricio Candia</strong> | Palma de Mallorca | 08/01/2014</p>'
    )
    doc = cleaned(page(byline + f"<p>{PROSE}</p><p>{PROSE}</p>" + comments))
    assert doc.meta["author"] == "Patricio Candia"
    assert doc.body.lstrip().startswith("The committees")


# -- credit lines ---------------------------------------------------------------------------------


def test_a_report_s_credit_line_goes_from_its_end_to_the_colophon() -> None:
    from flows.assemble.edition import assemble
    from flows.settings import Settings

    credit = "(Reporting by Jane Doe in Kronstadt; Editing by John Roe)"
    doc = cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p><p>{PROSE}</p><p>{credit}</p>"))
    assert "Reporting by" not in doc.body
    assert doc.meta["credit"] == credit
    edition = assemble(doc, Settings())
    colophon = edition[edition.index("::: colophon") :]
    assert "(Reporting by Jane Doe in Kronstadt; Editing by John Roe)" in colophon


@pytest.mark.parametrize(
    "credit",
    ["(Quelle: APA/sda/dpa)", "SDA/sep", "SOURCE: Al Jazeera News", "Fuente: EFE", "(dpa)"],
)
def test_a_report_s_source_or_agency_tag_goes_to_the_colophon(credit: str) -> None:
    doc = cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p><p>{PROSE}</p><p>{credit}</p>"))
    assert doc.body.rstrip().endswith(PROSE)
    assert doc.meta["credit"] == credit


def test_a_line_about_the_author_at_the_end_goes_to_the_colophon_with_the_credit() -> None:
    from flows.assemble.edition import assemble
    from flows.settings import Settings

    head = '<meta name="author" content="Jane Doe">'
    bio = "Jane Doe is a senior producer for the Bakers' Gazette."
    credit = "(Reporting by John Roe)"
    article = "<h1>Kronstadt</h1>" + "".join(f"<p>Day {n}: {PROSE}</p>" for n in range(6))
    doc = cleaned(page(f"{article}<p>{bio}</p><p>{credit}</p>", head=head))
    assert doc.body.rstrip().endswith(PROSE)
    assert doc.meta["credit"] == "Jane Doe is a senior producer for the Bakers’ Gazette. " + credit
    edition = assemble(doc, Settings())
    assert "Jane Doe is a senior producer" in edition[edition.index("::: colophon") :]


@pytest.mark.parametrize("author", ["Jane Doe", None])
def test_a_last_paragraph_about_another_or_long_stays_the_article_s(author: str | None) -> None:
    head = f'<meta name="author" content="{author}">' if author else ""
    last = [
        "John Roe is a baker, and the committee met in his back room every evening.",
        "Jane Doe is " + " ".join(["the baker"] * 40) + ".",
    ]
    days = "".join(f"<p>Day {n}: {PROSE}</p>" for n in range(6))
    html = f"<h1>Kronstadt</h1>{days}" + "".join(f"<p>{t}</p>" for t in last)
    doc = cleaned(page(html, head=head))
    assert doc.body.rstrip().split("\n\n")[-2:] == last
    assert "credit" not in doc.meta


@pytest.mark.parametrize(
    "last",
    [
        "Reporting by the Review showed that the committees were dissolved in the spring.",
        "He contributed to the report of the commission.",
    ],
)
def test_a_sentence_about_reporting_is_the_article_s(last: str) -> None:
    doc = cleaned(page(f"<h1>Kronstadt</h1><p>{PROSE}</p><p>{PROSE}</p><p>{last}</p>"))
    assert doc.body.rstrip().split("\n\n")[-1] == last
    assert "credit" not in doc.meta
