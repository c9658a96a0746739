"""The HTML cleaner on small pages: nothing of the page's markup leaks, links and notes survive."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from flows.clean.html.extract import html_to_markdown
from flows.clean.html.to_markdown import Ctx, blocks, safe_url
from flows.clean.text import clean
from flows.cli.main import main
from flows.footnotes.link import link_notes
from flows.markdown import to_plain
from flows.model import Document, PartialDate
from flows.settings import Settings

from ..conftest import CASES

PROSE = (
    "The committees tried to turn themselves into councils that ran the factories, and for a "
    "few months in the winter they did, until the new state took the boards away from them."
)


def page(body: str, head: str = "<title>A Page</title>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{body}</article></body></html>"


def body_of(html: str, **settings: bool) -> str:
    return html_to_markdown(html, Settings(**settings)).body


def cleaned(html: str, **sidecar: str) -> Document:
    doc = Document(source=Path("p.html"), slug="p", text=html, sidecar=sidecar, meta=sidecar)
    return clean(doc)


def test_no_markup_of_the_page_reaches_the_markdown() -> None:
    md = body_of(
        page(
            f"<p>{PROSE}</p><script>alert(1)</script><style>p{{}}</style><p>A <b>bold</b> one.</p>"
            "<p>A claim &lt;script&gt;x&lt;/script&gt; *not emphasis* "
            '<img src="x" onerror="alert(1)"> <iframe src="https://evil.example"></iframe>'
            "<!-- a comment --> $5 and @name.</p>"
        )
    )
    assert "alert" not in md and "iframe" not in md and "onerror" not in md
    assert r"\<script\>x\</script\>" in md
    assert r"\*not emphasis\*" in md and r"\$5" in md and r"\@name" in md
    assert "__bold__" in md
    assert not re.search(r"(?<!\\)<", md)


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("https://example.org/a_b(c)", "https://example.org/a%5Fb%28c%29"),
        ("mailto:jane@example.org", "mailto:jane@example.org"),
        ("javascript:alert(1)", None),
        ("/relative/path", None),
        ("data:text/html,<script>", None),
        ("https://x.org/a b", None),
    ],
)
def test_links_keep_only_urls_a_reader_may_follow(href: str, kept: str | None) -> None:
    assert safe_url(href) == kept
    md = body_of(page(f'<p>{PROSE} See <a href="{href}">the source</a> here.</p>'))
    if kept:
        assert f"[the source]({kept})" in md
    else:
        assert "See the source here." in md


def test_images_only_when_asked_and_only_from_http() -> None:
    html = page(
        f'<p>{PROSE}</p><figure><img src="https://example.org/a.jpg" alt="The *works*"></figure>'
        f'<p>{PROSE}</p><img src="javascript:x" alt="bad">'
    )
    assert "![" not in body_of(html)
    with_images = body_of(html, images=True)
    assert r"![The \*works\*](https://example.org/a.jpg)" in with_images
    assert "javascript" not in with_images


def test_a_figure_keeps_its_caption_as_the_page_set_it() -> None:
    """trafilatura alone drops a caption's first words and the spaces around its emphasis
    ("*Petropavlovsk*frozen"), and loses a caption of plain text."""
    prose = [f"<p>{PROSE} Part {n}.</p>" for n in range(4)]
    html = page(
        f"{prose[0]}<figure><img src='https://example.org/ice.jpg' alt='A \"ship\" & ice'>"
        "<figcaption>The <em>Petropavlovsk</em> frozen in, <b>March</b> 1921.</figcaption>"
        f"</figure>{prose[1]}<figure><img src='photos/map%20one.png' alt='A map'>"
        "<figcaption>Kotlin island.</figcaption></figure>"
        f"{prose[2]}<div class='wp-caption'><img src='https://example.org/x.png'>"
        "<p class='wp-caption-text'>A <i>wp</i> caption</p></div>"
        f"{prose[3]}<img src='data:image/png;base64,AAAA' alt='inline'>"
        "<img src='file:///etc/passwd' alt='a file'>"
    )
    md = body_of(html, images=True)
    assert (
        "![The _Petropavlovsk_ frozen in, __March__ 1921.](https://example.org/ice.jpg)"
        '{alt="A \u201cship\u201d \\& ice"}'
    ) in md
    assert '![Kotlin island.](photos/map%20one.png){alt="A map"}' in md
    assert "![A _wp_ caption](https://example.org/x.png)" in md
    assert "data:" not in md and "passwd" not in md
    assert md.count("![") == 3
    assert md.count("Kotlin island") == 1  # as the caption, not as text too


def test_headings_lists_quotes_and_tables() -> None:
    md = body_of(
        page(
            f"<p>{PROSE}</p><h2>Part Two</h2><p>{PROSE}</p><ol><li>first</li><li>1917. second"
            f"</li></ol><blockquote><p>{PROSE}</p></blockquote>"
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>x | y</td></tr></table>"
        )
    )
    blocks = md.strip().split("\n\n")
    assert "## Part Two" in blocks
    assert "1. first\n2. 1917\\. second" in blocks
    assert f"> {PROSE}" in blocks
    assert "| a | b |\n|---|---|\n| 1 | x \\| y |" in blocks


def test_the_comment_section_goes_and_can_be_kept_as_responses() -> None:
    source = CASES / "html-wordpress" / "in" / "factory-committees.html"
    html = source.read_text(encoding="utf-8")
    default = body_of(html)
    assert "Great piece" not in default and "Leave a Reply" not in default
    assert "Share this" not in default and "Like Loading" not in default
    doc = clean(Document(source=source, slug="f", text=html), Settings(keep_comments=True))
    responses = doc.body.split("## Responses", 1)[1]
    assert "Great piece! Smith is still the best book on this." in responses
    assert "Reply" not in responses and "Your email address" not in responses
    # the notes stay last, where the footnote stage looks for them
    assert link_notes(doc).report.notes_linked == 2


def test_linked_notes_become_bracketed_numbers_after_the_word_and_a_list_at_the_end() -> None:
    md = body_of(
        page(
            f'<p>{PROSE} as Smith says<sup id="r1"><a href="#n1">1</a></sup> and others '
            f'deny.<a href="#n2" role="doc-noteref">[2]</a></p><p>{PROSE}</p>'
            '<ol class="footnotes"><li id="n1">Smith, p. 1. <a href="#r1">↩</a></li>'
            '<li id="n2"><p>Jones, p. 2.</p><p>And a second paragraph.</p></li></ol>'
        )
    )
    blocks = md.strip().split("\n\n")
    assert r"as Smith says\[1\] and others deny.\[2\]" in blocks[0]
    assert blocks[-3:] == [r"\[1\] Smith, p. 1.", r"\[2\] Jones, p. 2.", "And a second paragraph."]
    assert "↩" not in md


def test_notes_are_numbered_in_the_order_of_the_list_and_unlinked_notes_stay() -> None:
    md = body_of(
        page(
            f'<p>{PROSE}<sup><a href="#fn-b">7</a></sup> then<sup><a href="#fn-b">7</a></sup>'
            f' more.</p><div class="footnotes"><ol><li id="fn-a">First note.</li>'
            '<li id="fn-b">Second note.</li></ol></div>'
        )
    )
    assert r"\[2\] then\[2\] more." in md
    assert md.rstrip().endswith("\\[1\\] First note.\n\n\\[2\\] Second note.")


def test_bare_superscripts_keep_their_number_and_exponents_stay_text() -> None:
    md = body_of(page(f"<p>{PROSE} it grew<sup>3</sup> to 10<sup>6</sup> tons.</p>"))
    assert r"it grew\[3\] to 106 tons." in md


def test_metadata_comes_from_the_page_and_the_sidecar_wins() -> None:
    head = (
        "<title>Kronstadt | The Review</title>"
        '<meta property="og:site_name" content="The Review">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Kronstadt",'
        ' "datePublished": "2021-03-18T10:00:00Z", "author": {"name": "Jane Doe"}}</script>'
        '<link rel="canonical" href="https://example.org/kronstadt">'
    )
    html = page(f"<h1>Kronstadt</h1><p>{PROSE}</p>", head).replace("<html>", '<html lang="en">')
    doc = cleaned(html)
    assert dict(doc.meta) == {
        "title": "Kronstadt", "author": "Jane Doe", "date": PartialDate(2021, 3, 18),
        "publication": "The Review", "source_url": "https://example.org/kronstadt", "lang": "en",
    }  # fmt: skip
    assert doc.body.strip() == PROSE  # the title is not repeated in the text
    assert cleaned(html, title="Kronstadt, 1921").meta["title"] == "Kronstadt, 1921"


def test_the_title_without_the_site_name_when_the_page_says_nothing_else() -> None:
    head = (
        "<title>Notes from the Front: Letters, 1937</title>"
        '<meta property="og:site_name" content="Notes from the Front">'
    )
    doc = cleaned(page(f"<p>{PROSE}</p>", head))
    assert doc.meta["title"] == "Letters, 1937"


def test_a_heading_of_the_title_after_its_kicker_is_the_title_not_text() -> None:
    head = "<title>The Hotel Lunik Opens Its Doors Again</title>"
    kicker = "<h1>Premiere in Eisenhüttenstadt – The Hotel Lunik Opens Its Doors Again</h1>"
    doc = cleaned(page(f"{kicker}<p>{PROSE}</p>", head))
    assert doc.meta["title"] == "The Hotel Lunik Opens Its Doors Again"
    assert "Premiere" not in doc.body and doc.body.strip() == PROSE
    # A heading that merely ends with a short title is a heading of the text.
    head = "<title>Opens Again</title>"
    doc = cleaned(page(f"<h2>The Theatre Opens Again</h2><p>{PROSE}</p>", head))
    assert "The Theatre Opens Again" in doc.body


def test_pamphleteer_clean_prints_a_page_with_its_title(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.html"
    path.write_text(page(f"<h1>Letters</h1><p>{PROSE}</p>", "<title>Letters</title>"))
    assert main(["clean", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith('---\ntitle: "Letters"\n')
    assert to_plain(out.split("---", 2)[2]).strip() == PROSE


def test_emphasis_around_nothing_leaves_no_markup() -> None:
    md = body_of(
        page(f"<p>{PROSE}</p><p><b><i><br></i></b></p><p><b><i> </i></b></p><p>{PROSE}</p>")
    )
    assert md == f"{PROSE}\n\n{PROSE}\n"  # not "*** ***", which Pandoc reads as a rule


def test_a_list_item_is_one_line_whatever_blocks_the_page_put_in_it() -> None:
    md = body_of(
        page(
            f"<p>{PROSE}</p><ul><li><h4>Death Panels</h4><p>The only thing.</p></li>"
            "<li><blockquote><p>q1</p><p>q2</p></blockquote></li></ul>"
        )
    )
    assert md.endswith("\n\n- Death Panels The only thing.\n- q1 q2\n")


def test_what_a_list_holds_outside_its_items_is_kept() -> None:
    # Old pages indent with lists: a line of text, and a list straight inside a list.
    html = (
        "<div><ol><b>Before you start, read these pages:</b>"
        "<ol><li>Virtual Australia</li><li>Fifty Years of Migration</li></ol>"
        "<li>Meet your group.</li>Then, together:<li>Write the letter.</li></ol>"
        "<ul><li>One point</li><ul><li>and what it means</li></ul><li>Another</li></ul></div>"
    )
    assert blocks(lxml_html.fragment_fromstring(html), Ctx(Settings(), lang="en")) == [
        "__Before you start, read these pages:__",
        "1. Virtual Australia\n2. Fifty Years of Migration",
        "1. Meet your group.",
        "Then, together:",
        "2. Write the letter.",
        "- One point\n    - and what it means\n- Another",
    ]


def test_notes_carried_only_in_a_title_attribute_become_notes() -> None:
    html = page(
        f"<p>{PROSE} The minutes were read aloud"
        '<sup title="Minutes of the Petrograd council, 1917, p. 3.">1</sup> and later printed'
        '<a href="#" title="Printed by the Smolny press in 1918 as a pamphlet.">2</a>.</p>'
        f"<p>{PROSE}</p>"
    )
    doc = link_notes(cleaned(html))
    assert "read aloud[^1] and later printed[^2]." in doc.body
    assert "[^1]: Minutes of the Petrograd council, 1917, p. 3." in doc.body
    assert "[^2]: Printed by the Smolny press in 1918 as a pamphlet." in doc.body
    assert doc.report.notes_linked == 2


def test_titled_links_that_are_not_after_a_word_are_not_notes() -> None:
    # A sidebar calendar's days and an archive's page links carry titles too.
    html = page(
        f"<p>{PROSE}</p><p>{PROSE}</p>"
        '<table class="wp-calendar"><tr><td><a href="/2021/03/05" '
        'title="Posts published on March 5, 2021">5</a></td></tr></table>'
        '<div class="nav-links"><a href="/page/2" title="Go to page 2 of the archive">2</a> '
        '<a href="/page/3" title="Go to page 3 of the archive">3</a></div>'
    )
    doc = link_notes(cleaned(html))
    assert "Posts published" not in doc.body and "Go to page" not in doc.body
    assert doc.report.notes_found == 0


_WIKI_MATH = (
    '<span class="mwe-math-element"><span class="mwe-math-mathml-inline" style="display: none;">'
    '<math alttext="{\\displaystyle x_{i}^{2}}"><semantics><msubsup><mi>x</mi><mi>i</mi><mn>2</mn>'
    '</msubsup><annotation encoding="application/x-tex">{\\displaystyle x_{i}^{2}}</annotation>'
    '</semantics></math></span><img src="https://wikimedia.org/math/1.svg" '
    'class="mwe-math-fallback-image-inline" alt="x_{i}^{2}"></span>'
)
_KATEX = (
    '<span class="katex"><span class="katex-mathml"><math><semantics><mi>$y</mi>'
    '<annotation encoding="application/x-tex">\\$y</annotation></semantics></math></span>'
    '<span class="katex-html" aria-hidden="true"><span class="mord">$y</span></span></span>'
)


@pytest.mark.parametrize("images", [False, True])
def test_formulas_become_math_once(images: bool) -> None:
    md = body_of(
        page(
            f"<p>{PROSE} The square {_WIKI_MATH} grows, and so does {_KATEX} in dollars, while "
            "<math><mi>a</mi><mo>+</mo><msub><mi>b</mi><mn>1</mn></msub></math> stays a sum.</p>"
        ),
        images=images,
    )
    # Pandoc math (MathML in HTML and EPUB, typst math in the PDF), each formula once.
    assert "The square $x_{i}^{2}$ grows, and so does $\\$y$ in dollars, while $a + b_{1}$" in md
    assert md.count("x_{i}") == 1 and md.count("$y") == 1
    assert "displaystyle" not in md and "![" not in md and "wikimedia" not in md


def test_mathjax_script_tex_is_math_and_its_preview_is_not_read_twice() -> None:
    md = body_of(
        page(
            f"<p>{PROSE} Energy is</p><div><span class='MathJax_Preview'>E=mc2</span>"
            "<span class='MathJax_Display'><span>E = m c 2</span></span>"
            '<script type="math/tex; mode=display">E = mc^2</script></div>'
            f"<p>and {PROSE}</p>"
        )
    )
    assert "$$ E = mc^2 $$" in md and "mc2" not in md and "m c 2" not in md


def test_tex_that_could_end_the_math_stays_literal_text() -> None:
    md = body_of(page(f"<p>{PROSE} Cost <math alttext='a$ *b* $c'><mi>a</mi></math> here.</p>"))
    assert "Cost a\\$ \\*b\\* \\$c here." in md
