"""The cleaner keeps the whole article and only the article, on invented pages shaped like the
ones it failed on (issue 20): inline code and emphasis, pull-quotes, prefaces, repeated
paragraphs, consent and newsletter boxes, tag lines and related-content lists."""

from __future__ import annotations

import pytest
from lxml import etree

from flows.clean.html.extract import _extract, cut_tail, html_to_markdown, parse, vote
from flows.clean.html.loose import wrap_loose_text
from flows.clean.html.teasers import teaser_cards
from flows.clean.html.to_markdown import Ctx, blocks
from flows.markdown import split_blocks, to_plain
from flows.settings import Settings

from .test_html import PROSE, body_of, page

ESSAY = [
    "The strike committee met every evening in the back room of the bakery on Mill Lane.",
    "Its minutes, kept in a school exercise book, record who came and what they decided.",
    "By the third week the bakers were feeding the pickets, and the pickets guarded the ovens.",
    "When the owners brought in carts from the next town, the carters turned back at the bridge.",
    "The settlement gave the bakers a shorter night and the right to elect their own foreman.",
    "Nobody in the town forgot that winter, and the exercise book is in the library still.",
]


def paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{t} {PROSE}</p>" for t in texts)


def plain(md: str) -> str:
    return " ".join(to_plain(md).split())


def test_a_run_of_inline_code_stays_in_its_sentence_and_the_article_goes_on() -> None:
    code = (
        "<p>To list the files run <code>ls</code> <code>-l</code> <code>-a</code>, then press "
        "<kbd>Ctrl</kbd>+<kbd>C</kbd> and type <code>exit</code> to leave.</p>"
    )
    md = body_of(page(paragraphs(ESSAY[:3]) + code + paragraphs(ESSAY[3:])))
    sentence = next(b for b in split_blocks(md) if "To list" in b)
    want = "To list the files run ls -l -a, then press Ctrl+C and type exit to leave."
    assert plain(sentence) == want
    assert ESSAY[-1] in plain(md)


def test_emphasis_and_links_keep_the_spaces_around_them() -> None:
    md = body_of(
        page(
            paragraphs(ESSAY[:2])
            + "<p>Das <em>Passing</em> spreche, das <i>Passing </i>spreche, das<b> fette</b> "
            'Wort und <a href="https://example.org/"><em>ein Link</em></a> hier.</p>'
            + paragraphs(ESSAY[2:])
        )
    )
    want = "Das Passing spreche, das Passing spreche, das fette Wort und ein Link hier."
    assert want in plain(md)


def test_a_pull_quote_does_not_end_the_article() -> None:
    quote = (
        '<aside class="pullquote"><blockquote><p>“The ovens were ours that winter.”</p>'
        "</blockquote></aside>"
    )
    md = body_of(page(paragraphs(ESSAY[:2]) + quote + paragraphs(ESSAY[2:])))
    assert all(t in plain(md) for t in ESSAY)


def test_the_essay_is_kept_not_only_its_preface() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>The Bakers' Winter</title></head><body>"
        '<div class="preface"><p>A preface: this essay first appeared in a union paper.</p></div>'
        '<div class="layout"><div class="col">'
        + "".join(f"<div class='para'>{t} {PROSE}</div>" for t in ESSAY)
        + "</div></div></body></html>"
    )
    assert all(t in plain(body_of(html)) for t in ESSAY)


def test_a_paragraph_the_article_repeats_is_kept_each_time() -> None:
    refrain = "Bread for the ovens, and the ovens for the town."
    body = "".join(f"<p>{t} {PROSE}</p><p>{refrain}</p>" for t in ESSAY[:3])
    md = body_of(page(body))
    assert plain(md).count(refrain) == 3


def test_a_consent_box_bigger_than_the_article_is_not_the_article() -> None:
    consent = (
        '<div id="consent-banner" class="cmp-dialog"><h2>We value your privacy</h2>'
        + "<p>We and our 842 partners store and access information on your device, such as "
        "cookies, and process personal data such as unique identifiers for personalised "
        "advertising, measurement and audience insights. You may accept or manage choices.</p>"
        * 6
        + "<button>Accept all</button><button>Manage options</button></div>"
    )
    html = (
        "<!DOCTYPE html><html><head><title>The Bakers' Winter</title></head><body>"
        f"{consent}<main>{paragraphs(ESSAY[:2])}</main></body></html>"
    )
    md = body_of(html)
    assert ESSAY[0] in plain(md) and "partners" not in md and "Accept all" not in md


def test_a_newsletter_form_inside_the_article_is_dropped() -> None:
    form = (
        '<form action="/subscribe"><p>Get the weekly digest of labour history in your inbox, '
        "every Friday morning, free of charge and easy to cancel.</p>"
        '<input type="email" name="e"><button>Sign me up</button></form>'
    )
    md = body_of(page(paragraphs(ESSAY[:3]) + form + paragraphs(ESSAY[3:])))
    assert "weekly digest" not in md and all(t in plain(md) for t in ESSAY)


def test_tag_lines_and_related_content_after_the_article_are_dropped() -> None:
    tail = (
        '<p>Topics: <a href="/t/bakers">Bakers</a>, <a href="/t/strikes">Strikes</a></p>'
        "<h2>Related content</h2><ul>"
        + "".join(f'<li><a href="/a/{n}">The dockers of {n}: a history</a></li>' for n in range(5))
        + "</ul>"
    )
    md = body_of(page(paragraphs(ESSAY) + tail))
    assert ESSAY[-1] in plain(md)
    assert "Topics" not in md and "Related content" not in md and "dockers" not in md


def test_mediawiki_edit_links_and_tagline_are_not_text() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Bakers - Wiki</title></head><body>"
        '<div id="content"><h1>Bakers</h1><div id="siteSub">From the Wiki, the free '
        'encyclopedia</div><div class="mw-parser-output">'
        + paragraphs(ESSAY[:3])
        + '<h2><span class="mw-headline">History</span><span class="mw-editsection">'
        '<span class="mw-editsection-bracket">[</span><a href="/edit">edit</a>'
        '<span class="mw-editsection-bracket">]</span></span></h2>'
        + paragraphs(ESSAY[3:])
        + "</div></div></body></html>"
    )
    md = body_of(html)
    assert "## History\n" in md and "edit" not in md and "free encyclopedia" not in md


def test_a_read_more_link_inside_the_article_does_not_end_it() -> None:
    teaser = "<p><strong>Read more</strong></p>"
    md = body_of(page(paragraphs(ESSAY[:3]) + teaser + paragraphs(ESSAY[3:])))
    assert all(t in plain(md) for t in ESSAY)


def test_a_related_posts_list_after_the_article_is_still_cut() -> None:
    tail = (
        "<p>Read more</p><ul>"
        + "".join(f'<li><a href="/a/{n}">The dockers of {n}</a></li>' for n in range(1900, 1906))
        + "</ul>"
    )
    md = body_of(page(paragraphs(ESSAY) + tail))
    assert ESSAY[-1] in plain(md) and "dockers" not in md


@pytest.mark.parametrize(
    "label",
    [
        "Auch interessant",
        "Czytaj więcej",
        "À lire aussi",
        "Most read in Football",
        "Berita terkait",
    ],
)
def test_a_related_box_in_any_language_ends_the_article_only_when_headlines_follow(
    label: str,
) -> None:
    box = (
        f"<p><strong>{label}</strong></p><ul>"
        + "".join(f'<li><a href="/a/{n}">The dockers of {n}</a></li>' for n in range(1900, 1906))
        + "</ul>"
    )
    at_end = body_of(page(paragraphs(ESSAY) + box))
    assert ESSAY[-1] in plain(at_end) and label not in at_end and "dockers" not in at_end
    inside = body_of(
        page(paragraphs(ESSAY[:3]) + f"<p><strong>{label}</strong></p>" + paragraphs(ESSAY[3:]))
    )
    assert all(t in plain(inside) for t in ESSAY)


@pytest.mark.parametrize("pager", ["« Previous Post | Next post »", "[上一篇] [下一篇]"])
def test_a_line_pointing_to_the_posts_before_and_after_is_not_the_article(pager: str) -> None:
    md = body_of(page(paragraphs(ESSAY) + f"<p>{pager}</p>"))
    assert plain(md).endswith(f"{ESSAY[-1]} {PROSE}")


def test_a_blogs_back_and_print_links_between_its_posts_go_and_a_bare_next_stays() -> None:
    posts = [paragraphs(ESSAY[:2]), paragraphs(ESSAY[2:4]), paragraphs(ESSAY[4:])]
    between = ["<p>← 返回</p><p>[打印]</p>", "<p>« Older posts</p><p>［打印］［关闭］</p>"]
    md = body_of(page(posts[0] + between[0] + posts[1] + between[1] + posts[2]))
    assert plain(md) == " ".join(f"{t} {PROSE}" for t in ESSAY)
    steps = body_of(page(paragraphs(ESSAY[:3]) + "<h2>Next</h2>" + paragraphs(ESSAY[3:])))
    assert "## Next" in steps


_BAKERS = "面包师的罢工委员会每天晚上在磨坊巷面包店的后屋开会，记录谁来了、决定了什么。"


@pytest.mark.parametrize(
    ("crumbs", "article"),
    [
        ("You are here: Home &gt; Essays &gt; The Strike", [f"{t} {PROSE}" for t in ESSAY]),
        ("Bakers' Union » Archive » 1911", [f"{t} {PROSE}" for t in ESSAY]),
        ("当前位置：首页&gt;&gt;文章&gt;&gt;罢工", [f"第{n}段：{_BAKERS}" for n in range(1, 9)]),
        ("当前位置： 首页｜人物专访", [f"第{n}段：{_BAKERS}" for n in range(1, 9)]),
        ("You are here: Home / Essays", [f"{t} {PROSE}" for t in ESSAY]),
    ],
)
def test_the_sites_breadcrumbs_are_not_the_article_wherever_they_stand(
    crumbs: str, article: list[str]
) -> None:
    # A page copied whole: a breadcrumb above the article, and one between two of its parts.
    at, half = f"<p>{crumbs}</p>", len(article) // 2
    parts = ["".join(f"<p>{t}</p>" for t in part) for part in (article[:half], article[half:])]
    md = body_of(page(at + parts[0] + at + parts[1]))
    assert plain(md) == " ".join(article)


def test_a_line_of_the_article_with_angle_brackets_stays() -> None:
    lines = ["Open Tools > Options > Privacy.", "x > y > z", "Step one > step two: done"]
    md = body_of(page(paragraphs(ESSAY[:3]) + "".join(f"<p>{t}</p>" for t in lines)))
    assert all(line in plain(md) for line in lines)


def test_a_chinese_sites_licence_footer_goes_and_the_reports_editor_line_stays() -> None:
    sentence = "面包师的罢工委员会每天晚上在磨坊巷面包店的后屋开会，记录谁来了、决定了什么。"
    article = "".join(f"<p>第{n}段：{sentence}</p>" for n in range(1, 9))
    footer = (
        "<p>（编辑：王小明）</p><p>【责任编辑：李华】</p>"
        "<ul><li><a href='/x'>违法和不良信息举报</a></li>"
        "<li>京ICP备13028878号-6</li></ul>"
        "<p>某某网版权说明：凡注明来源为某某网的作品，"
        "版权均属某某网所有。</p>"
    )
    md = body_of(page(article + footer))
    assert "ICP" not in md and "版权" not in md and "举报" not in md
    assert plain(md).endswith(f"第8段：{sentence} （编辑：王小明） 【责任编辑：李华】")


def test_a_chinese_sites_row_of_buttons_goes_and_a_bracketed_section_label_stays() -> None:
    sentence = "面包师的罢工委员会每天晚上在磨坊巷面包店的后屋开会，记录谁来了、决定了什么。"
    buttons = (
        "<p>页面功能【<a href='/c'>我来说两句(0)</a>】 【 收藏本文】 【<a href='/r'>热点排行</a>】"
        "【字体：大 中 小】【打印】 【关闭】</p>"
    )
    article = "".join(f"<p>第{n}段：{sentence}</p>" for n in range(1, 5))
    rest = "".join(f"<p>第{n}段：{sentence}</p>" for n in range(5, 9))
    label, close = "<p>【背景】</p>", "<p>【打印本稿】</p>"
    md = body_of(page(buttons + article + label + rest + buttons + close))
    assert "收藏" not in md and "打印" not in md and "关闭" not in md
    assert f"第4段：{sentence}\n\n【背景】\n\n第5段" in md.replace("\\", "")


def test_a_layout_grid_of_empty_cells_leaves_no_empty_table() -> None:
    grid = "<table>" + "<tr><td> </td><td></td><td>&nbsp;</td></tr>" * 3 + "</table>"
    md = body_of(page(grid + paragraphs(ESSAY) + grid))
    assert "|" not in md and ESSAY[0] in plain(md)


def _post(title: str, texts: list[str]) -> str:
    footer = "<p>Posted by Ada at 10:15 AM | 2 comments</p>"
    return f"<div class='post'><h2>{title}</h2>{paragraphs(texts)}{footer}</div>"


def test_a_blogs_home_page_keeps_every_post_not_only_the_first() -> None:
    html = page(_post("The strike", ESSAY[:3]) + _post("The settlement", ESSAY[3:]))
    assert all(t in plain(body_of(html)) for t in ESSAY)


def test_what_follows_a_single_posts_footer_is_still_cut() -> None:
    sidebar = (
        "<ul>" + "".join(f'<li><a href="/t/{n}">Label {n}</a></li>' for n in range(8)) + "</ul>"
    )
    md = body_of(page(_post("The strike", ESSAY) + sidebar))
    assert ESSAY[-1] in plain(md) and "Label" not in md and "Posted by" not in md


def test_with_one_extractor_finding_nothing_the_longer_extraction_is_kept() -> None:
    whole = [f"{t} {PROSE}" for t in ESSAY]
    assert vote([whole[:1], whole, []]) == whole
    assert vote([[], whole[:1], whole]) == whole


def test_the_extraction_the_others_agree_with_wins_the_vote() -> None:
    article = [f"{t} {PROSE}" for t in ESSAY]
    with_sidebar = article + ["Archive: January February March April May June July August"] * 9
    assert vote([article, with_sidebar, article]) == article
    assert vote([with_sidebar, article, article]) == article


def test_a_post_tagged_with_a_furniture_word_is_still_the_article() -> None:
    # WordPress names a post's classes after its tags and categories: "tag-cookie-recipes" or
    # "category-social" say what the post is about, not that it is a cookie banner.
    post = (
        '<div class="post type-post hentry category-social tag-cookie-recipes tag-newsletter">'
        f"<h2>The Bakers' Winter</h2>{paragraphs(ESSAY)}</div>"
    )
    sidebar = "<div class='about'><p>" + "About this blog and its authors. " * 12 + "</p></div>"
    md = body_of(page(post + sidebar))
    assert all(t in plain(md) for t in ESSAY)


@pytest.mark.parametrize("heading", ["You may also like…", "Related posts...", "More stories:"])
def test_a_related_heading_ending_in_an_ellipsis_ends_the_article(heading: str) -> None:
    article = [f"{t} {PROSE}" for t in ESSAY]
    links = [f"[The dockers of {n}](https://example.org/{n})" for n in range(1900, 1904)]
    body, tail, what = cut_tail([*article, heading, *links])
    assert (body, what) == (article, "related posts")


def test_text_standing_in_a_layout_table_outside_its_cells_is_kept() -> None:
    # trafilatura's fallback extractors hand back a page's layout table as it stood, text and
    # paragraphs straight inside <table>, not in a cell.
    table = etree.fromstring(
        f"<div><table><hi>{ESSAY[0]}</hi><p>{ESSAY[1]}</p>"
        f"<tr><td><p>{ESSAY[2]}</p></td></tr><p>{ESSAY[3]}</p></table></div>"
    )
    md = "\n\n".join(blocks(table, Ctx(Settings())))
    assert [t for t in ESSAY if t in plain(md)] == ESSAY[:4]


def test_a_chinese_related_reports_list_ends_the_article() -> None:
    # Chinese writes no spaces: the article is counted in characters, not one word a paragraph.
    article = ["今年五月，双方最终确定了合作协议的框架，并在广州签署了基础协议。" * 3] * 4
    links = [f"v [相关新闻标题第{n}篇](https://example.org/{n}) 2005-07-13" for n in range(5)]
    body, tail, what = cut_tail([*article, "相关报道", *links])
    assert (body, what) == (article, "related posts")


def test_trafilaturas_passes_stopping_alike_do_not_outvote_the_whole_article() -> None:
    # Its precision and recall passes stop at the same pull-quote or container: one voice.
    whole = [f"{t} {PROSE}" for t in ESSAY]
    assert vote([whole[:2], whole[:2], whole]) == whole
    # What readability adds must be the article's prose, not a sidebar of links.
    links = [f"[Label {n} of the archive of this blog](/t/{n})" for n in range(12)]
    assert vote([whole[:2], whole[:2], whole[:2] + links]) == whole[:2]


def test_emphasis_around_paragraphs_leaves_paragraphs_and_no_stray_marks() -> None:
    # Old pages and page builders put <b>/<i>/<font> around whole paragraphs; Markdown's
    # emphasis cannot span them, so the paragraphs stay paragraphs and no mark is left open.
    div = etree.fromstring(
        f"<div><b><font><i>{ESSAY[0]}<p>{ESSAY[1]}</p></i><hr/>"
        f"<center>{ESSAY[2]}</center></font></b><p>{ESSAY[3]}</p></div>"
    )
    md = blocks(div, Ctx(Settings()))
    texts = [plain(b) for b in md]
    assert texts == ESSAY[:4]
    assert not any("__" in b or b.count("_") % 2 for b in md)


def test_a_winner_that_only_adds_short_lines_gives_way_to_the_candidate_it_holds() -> None:
    # Two extractors keep the photo credits and the share line around the article; the third
    # stops where the prose stops. What the longer ones add is no paragraph of prose.
    article = [f"{t} {PROSE}" for t in ESSAY]
    credits = [article[0], "Photo: Jane Roe / Agency", *article[1:4], "Photo: Agency", *article[4:]]
    furnished = ["Share on Facebook", *credits, "Share on Facebook", "Print this page"]
    assert vote([furnished, furnished, article]) == article
    # The article twice over (a screen copy and a print copy of it) is the article once.
    assert vote([article, article + article, article + article]) == article
    # A winner that adds a paragraph of prose is the whole article: it stays.
    assert vote([article, article, article[:-1]]) == article
    # A site's menu bar is a long line, but of links; a Chinese page's source line is short.
    menu = " - ".join(
        f"[{w}](https://example.org/{w.lower()})"
        for w in "Home News Sport Culture Business Technology Travel Weather Video".split() * 2
    )
    assert vote([[menu, *article, menu], [menu, *article, menu], article]) == article
    chinese = [f"{n}、罢工委员会每天晚上都在米尔巷面包店的后屋开会，会议记录写在一本练习本上。"
               for n in "一二三四五六"]  # fmt: skip
    stamped = [
        "2005年08月16日 来源：新华网黑龙江频道 记者：伊琳 李清芬",
        *chinese,
        "（责任编辑：黄帅）",
        "【打印本稿】 【关闭】",
    ]
    assert vote([stamped, stamped, chinese]) == chinese
    # A list of links the article gives is a list of the article's, and keeps it.
    listed = [*article, *(f"- [{t}](https://example.org/{n})" for n, t in enumerate(ESSAY))]
    assert vote([listed, listed, article]) == listed


def test_the_articles_subheadings_stay_when_the_furniture_around_it_goes() -> None:
    # A live blog: each update under its own heading. readability dropped the headings (each
    # alone in its section); trafilatura kept them with the share lines around the article.
    article = [f"{t} {PROSE}" for t in ESSAY]
    headed = [article[0], "### The committee meets", *article[1:3],
              "## Week three", "### The pickets", *article[3:]]  # fmt: skip
    furnished = ["Share on Facebook", *headed, "### Read next", "Print this page"]
    assert vote([furnished, furnished, article]) == headed


def test_a_consent_platforms_placeholder_for_a_blocked_embed_is_not_text() -> None:
    placeholder = (
        '<div class="sourcepoint__social-placeholder"><h3>External content unavailable</h3>'
        "<p>Your privacy settings prevent all external content (for example graphics, tables "
        "and the subscription login) and social networks (for example YouTube, Twitter, "
        "Facebook and Instagram) from loading and showing here. To see this content, please "
        "allow it in your privacy settings.</p>"
        "<button>Change privacy settings</button></div>"
    )
    md = body_of(page(paragraphs(ESSAY[:2]) + placeholder + paragraphs(ESSAY[2:]) + placeholder))
    assert all(t in plain(md) for t in ESSAY)
    assert "privacy" not in md and "External content" not in md


def test_a_list_opening_with_a_related_heading_ends_the_article() -> None:
    # A page laid out in list items: the article in one, "You might also like" and the other
    # articles' teasers in the next.
    article = [f"{t} {PROSE}" for t in ESSAY]
    teasers = "\n".join(
        f"    - [The dockers of {n}](https://example.org/{n}) 2024-10-14 {PROSE}"
        for n in range(1900, 1904)
    )
    related = f"- You might also like\n{teasers}"
    body, tail, what = cut_tail([*article, related, "Copyright © 2024 The Daily"])
    assert (body, what) == (article, "related posts")
    # A list in the article whose first item merely mentions related work stays.
    listed = "- Related work on the strike is in the town library.\n- The minutes are online."
    assert cut_tail([*article, listed, *article])[0] == [*article, listed, *article]


def test_the_precision_voice_does_not_stop_after_a_preface() -> None:
    # The preface in a paragraph of its own box, the essay as <br>-separated text in another:
    # trafilatura's precision settings alone keep the preface; its fallbacks find the essay.
    essay = "<br><br>".join(f"{t} {PROSE}" for t in ESSAY[1:])
    html = (
        f"<html><head><title>T</title></head><body><div class='intro'><p>{ESSAY[0]} {PROSE}</p>"
        f"</div><div class='x'><div><font>{essay}</font></div></div><div id='footer'>"
        "<a href='https://example.org/a'>About</a> <a href='https://example.org/b'>Contact</a></div></body></html>"
    )
    tree = parse(html)
    page_text = " ".join("".join(tree.itertext()).split())
    md = "\n\n".join(_extract(tree, Ctx(Settings()), page_text, precision=True))
    assert all(t in plain(md) for t in ESSAY)


def test_a_box_of_links_and_an_invitation_to_comment_inside_the_article_end_nothing() -> None:
    # A news page's sidebar box between two of the article's paragraphs: its "More Stories"
    # and "Post Your Comments" lines are not where the article ends; the thread after it is.
    box = (
        "<p>___ <b>Election Night</b> ___</p><p>On the night, the first results came in.</p>"
        '<ul><li><a href="/b">Vote counts are in for the state</a></li>'
        '<li><a href="/c">State results in full</a></li></ul><p><b>More Stories</b></p>'
        "<p>___ Message Boards ___</p><p>Post Your Comments</p>"
    )
    thread = (
        "<h3>2 Comments</h3><p>Ann says: March 3, 2005 at 10:15 am</p>"
        "<p>What a story, thank you for it.</p>"
    )
    html = page(paragraphs(ESSAY[:3]) + box + paragraphs(ESSAY[3:]) + thread)
    md = plain(body_of(html))
    for sentence in ESSAY:
        assert sentence in md
    assert "What a story" not in md


def test_advertisement_labels_and_skip_links_between_paragraphs_go() -> None:
    labels = ["Advertisement", "Continue reading the main story", "Story continues below",
              "Start Quote", "Anzeige"]  # fmt: skip
    pairs = zip(ESSAY[:5], labels, strict=True)
    mixed = "".join(f"<p>{t} {PROSE}</p><p>{label}</p>" for t, label in pairs)
    md = plain(body_of(page(mixed + "<p>Advertisement was their last resort.</p>")))
    for sentence in ESSAY[:5]:
        assert sentence in md
    for label in labels:
        assert f"{label} " not in md.replace("Advertisement was", "")
    assert "Advertisement was their last resort." in md


def test_teasers_ending_in_more_and_labelled_links_to_other_articles_go() -> None:
    teasers = [
        "<p>Der Minister war schon lange umstritten. <a href='https://example.org/a'>mehr</a></p>",
        "<p>The council voted again on Tuesday. <a href='https://example.org/b'>Read more</a></p>",
        "<p>MORE: <a href='https://example.org/c'>Bakers walk out in Leeds</a></p>",
        "<p><b>Lesen Sie auch:</b> <a href='https://example.org/d'>Die Bäckerei am Mühlweg</a></p>",
    ]
    mixed = "".join(
        f"<p>{t} {PROSE}</p>{teaser}" for t, teaser in zip(ESSAY, teasers, strict=False)
    )
    md = plain(body_of(page(mixed + paragraphs(ESSAY[4:]) + "<p>They wanted more.</p>")))
    for sentence in ESSAY:
        assert sentence in md
    for gone in ("umstritten", "voted again", "Leeds", "Mühlweg"):
        assert gone not in md
    assert "They wanted more." in md  # a sentence that ends in "more" is the article's


def test_the_pages_time_stamps_and_byline_go_and_a_forums_stay() -> None:
    head = '<title>A Page</title><meta name="author" content="Oliver Kring">'
    stamped = (
        "<p>Stand: 28.04.2023 16:11 Uhr</p><p>von Oliver Kring</p>"
        + paragraphs(ESSAY)
        + "<p>Last updated 3 March 2013 at 17:05 GMT</p>"
    )
    md = plain(body_of(page(stamped, head)))
    assert md.startswith(ESSAY[0])
    assert md.endswith(f"{ESSAY[-1]} {PROSE}")
    posts = "".join(
        f"<p>By Dana on Thursday, May {d}, 2003 – 12:3{d} pm:</p><p>{t} {PROSE}</p>"
        for d, t in enumerate(ESSAY, 1)
    )
    md = plain(body_of(page(posts, head)))
    assert md.count("By Dana on Thursday") == len(ESSAY)
    guns = "At 10:30 on 12 March 1921 the guns began."  # a sentence, not a stamp
    assert plain(body_of(page(f"<p>{guns}</p>" + paragraphs(ESSAY)))).startswith(guns)


def test_a_page_of_teasers_keeps_them() -> None:
    teasers = "".join(
        f"<p>{t} <a href='https://example.org/{i}'>Read more…</a></p>" for i, t in enumerate(ESSAY)
    )
    md = plain(body_of(page(teasers)))
    for sentence in ESSAY:
        assert sentence in md


def test_loose_text_between_blocks_keeps_its_sentences_and_spaces() -> None:
    # A CMS's article body: text straight in the <div>, paragraphs made with <br><br>, a quote
    # and an image's box among them, as a browser shows it.
    loose = "<br><br>".join(
        [
            f"{ESSAY[0]} {PROSE}",
            'The ongoing investigation went as far as <a href="/x">fishing a diaper</a> from an '
            "embassy trash can, and <em>nobody</em> <strong>denied it</strong> afterwards.",
            f"<strong>The minutes were kept.</strong> {ESSAY[1]} {PROSE}",
        ]
    )
    body = (
        f'<div class="article-body"><div class="image">A photograph</div>{loose}'
        f"<blockquote><p>{ESSAY[2]}</p></blockquote>{ESSAY[3]} {PROSE}<br><br>{ESSAY[4]}</div>"
    )
    texts = [plain(b) for b in split_blocks(body_of(page(body)))]
    assert (
        "The ongoing investigation went as far as fishing a diaper from an embassy trash can, "
        "and nobody denied it afterwards."
    ) in texts
    assert f"The minutes were kept. {ESSAY[1]} {PROSE}" in texts
    assert f"{ESSAY[3]} {PROSE}" in texts
    assert ESSAY[4] in texts


def test_a_time_stamp_goes_in_a_script_written_with_few_spaces() -> None:
    # Thai writes no spaces between words: its paragraphs are prose by their length.
    thai = (
        "คณะกรรมการนัดหยุดงานประชุมกันทุกเย็นในห้องหลังร้านขนมปังบนถนนมิลล์เลน "
        "บันทึกการประชุมเขียนไว้ในสมุดแบบฝึกหัดของโรงเรียนว่าใครมาและตัดสินใจอะไร "
        "เมื่อถึงสัปดาห์ที่สามคนทำขนมปังเลี้ยงอาหารผู้ประท้วงและผู้ประท้วงเฝ้าเตาอบให้"
    )
    body = "<p>Submitted on Mon, 2019-01-21 13:49</p>" + "".join(
        f"<p>{n}. {thai}</p>" for n in range(1, 7)
    )
    md = plain(body_of(page(body)))
    assert md.startswith(f"1. {thai}")


TITLE = "The Bakers of Mill Lane Win Their Strike"
CAPTION = (
    "Pickets stand at the bakery door on Mill Lane on the third morning of the strike, as the "
    "owners' carts turn back at the bridge behind them."
)


@pytest.mark.parametrize(
    "header",
    [
        # A news page: headline, byline, time, a gallery with its caption, the headline again.
        f"<h1>{TITLE}</h1><p>By Jane Doe</p><p>Updated 5:27 am, 20 November 2019</p>"
        f"<p>{CAPTION}</p><p>Photo: Jane Roe, Agency</p>",
        # A breadcrumb and a photo credit above the title.
        "<p>Home › News › Town</p><p>Photo: Jane Roe, Agency</p>",
    ],
)
def test_what_stands_above_the_title_line_is_the_pages_header(header: str) -> None:
    html = page(f"{header}<p>{TITLE}</p>{paragraphs(ESSAY)}", f"<title>{TITLE}</title>")
    cleaned = html_to_markdown(html, Settings())
    md = cleaned.body
    assert plain(md.split("\n\n")[0]).startswith(ESSAY[0])
    assert all(t in plain(md) for t in ESSAY)
    assert "Photo" not in md and "Jane" not in md and "Bakers" not in md
    assert ("page header", "Photo: Jane Roe, Agency") in cleaned.removed  # the report says so


def test_a_lead_paragraph_above_the_title_stays() -> None:
    lead = f"<p>{CAPTION} {CAPTION}</p><h2>{TITLE}</h2>"
    md = body_of(page(f"{lead}{paragraphs(ESSAY)}", f"<title>{TITLE}</title>"))
    assert md.startswith("Pickets stand")


def _cards(headlines: list[str], site: str = "") -> str:
    """A grid of teaser cards: each a box of its own, a linked headline and a line about it."""
    return "".join(
        f'<div class="card"><img src="t{i}.jpg" alt=""><div class="text">'
        f'<h3><a href="{site}/news/story-{i}">{h}</a></h3><p>{_about(h)}</p>'
        "</div></div>"
        for i, h in enumerate(headlines)
    )


def _about(headline: str) -> str:
    return f"What happened when {headline.lower()}, and what the town said about it on the quay."


HEADLINES = ["Harbour strike enters its third week", "Council votes on the new bridge",
             "Library reopens after the flood"]  # fmt: skip


def test_teaser_cards_amid_the_article_go_whole() -> None:
    grid = f"<h2>More on this</h2><div class='grid'>{_cards(HEADLINES)}</div>"
    html = page(paragraphs(ESSAY[:3]) + grid + paragraphs(ESSAY[3:]))
    cleaned = html_to_markdown(html, Settings())
    text = plain(cleaned.body)
    assert all(sentence in text for sentence in ESSAY)
    assert not any(h in text or _about(h) in text for h in HEADLINES)
    assert ("related posts", f"{HEADLINES[0]} {_about(HEADLINES[0])}") in cleaned.removed


def test_a_grid_of_links_out_of_the_site_is_no_cards() -> None:
    """A listicle's items, each a box, a headline linking to the place it recommends: not
    other articles of the site. (The extractors judge its lines as they judge any.)"""
    canonical = '<link rel="canonical" href="https://news.example/a-page">'
    for site, cards in (("https://elsewhere.example", 0), ("https://www.news.example", 3),
                        ("", 3)):  # fmt: skip
        tree = parse(page(paragraphs(ESSAY) + _cards(HEADLINES, site), head=canonical))
        assert len(teaser_cards(tree, "https://news.example/a-page")) == cards, site


def test_a_single_box_and_posts_under_linked_titles_are_no_cards() -> None:
    one = _cards(["A single box about another story"])
    posts = "".join(
        f'<div class="post"><h2><a href="/{i}">{h}</a></h2><p>{ESSAY[i]} {PROSE}</p>'
        "<p>Filed under news.</p></div>"
        for i, h in enumerate(HEADLINES)
    )
    text = plain(body_of(page(paragraphs(ESSAY) + one + posts)))
    assert _about("A single box about another story") in text
    assert all(f"{s} {PROSE}" in text for s in ESSAY[:3])


def test_a_page_of_teaser_cards_keeps_them() -> None:
    """A section's front page is its cards: they are what it says."""
    assert teaser_cards(parse(page(paragraphs(ESSAY[:1]) + _cards(HEADLINES * 3))), None) == []
    assert len(teaser_cards(parse(page(paragraphs(ESSAY) + _cards(HEADLINES * 3))), None)) == 9


@pytest.mark.parametrize("depth", [1, 300])
def test_a_removed_boxs_excerpt_keeps_its_blocks_apart_however_deep(depth: int) -> None:
    box = (
        '<div class="share-box">' + "<div>" * depth + "Deep<b>er</b>" + "</div>" * depth
        + "<p>Share this:</p><ul><li>Twitter</li><li>Face<i>book</i></li></ul></div>"
    )  # fmt: skip
    cleaned = html_to_markdown(page(paragraphs(ESSAY) + box), Settings())
    assert ("site chrome", "Deeper Share this: Twitter Facebook") in cleaned.removed


@pytest.mark.parametrize(
    "footer",
    ["Fehler gefunden? Jetzt melden.", "Our Standards: The Review's Trust Principles."],
)
def test_a_corrections_or_standards_footer_is_not_the_article(footer: str) -> None:
    md = body_of(page(paragraphs(ESSAY) + f"<p>{footer}</p>"))
    assert plain(md).endswith(f"{ESSAY[-1]} {PROSE}")


@pytest.mark.parametrize("label", ["Lesedauer: 4 Minuten", "Tempo de leitura: 2 minutos"])
def test_a_reading_time_is_not_the_article(label: str) -> None:
    md = body_of(
        page(f"<p>{label}</p>" + paragraphs(ESSAY[:3]) + f"<p>{label}</p>" + paragraphs(ESSAY[3:]))
    )
    assert "Minuten" not in md and "minutos" not in md and all(t in plain(md) for t in ESSAY)


def test_the_space_between_a_link_and_the_next_word_is_kept() -> None:
    # trafilatura trims each piece of text: "Hugh Pickens</a> writes" came out glued.
    slashdot = (
        f"<div class='p'><a href='http://x.org/'>Hugh Pickens</a> writes "
        f'<i>"{ESSAY[0]} {PROSE}"</i></div>'
    )
    md = body_of(page(paragraphs(ESSAY[1:4]) + slashdot + paragraphs(ESSAY[4:])))
    assert "[Hugh Pickens](http://x.org/) writes" in md


def test_respacing_adds_only_the_spaces_the_page_has() -> None:
    from flows.clean.html.loose import respace

    extracted = etree.fromstring(
        '<body><p><ref target="/a">Jane Roe</ref>writes on the 25<hi rend="#sup">th</hi></p></body>'
    )
    respace(extracted, "Jane Roe writes on the 25th")
    assert "".join(extracted.itertext()) == "Jane Roe writes on the 25th"


@pytest.mark.parametrize("label", ["Baca juga", "اقرأ أيضا", "ये भी पढ़ें", "Xem thêm"])
def test_a_read_also_link_in_more_languages_is_not_the_article(label: str) -> None:
    link = f"<p>{label}: <a href='https://example.org/a/1917'>The dockers of Kronstadt</a></p>"
    md = body_of(page(paragraphs(ESSAY[:3]) + link + paragraphs(ESSAY[3:])))
    assert "dockers" not in md and all(t in plain(md) for t in ESSAY)


def test_a_hostile_line_of_pager_words_is_read_at_once_and_kept() -> None:
    # The pager pattern once let two runs of gaps share the spaces between its words: a line of
    # 12 "next |" took six seconds to refuse, each one more four times as long.
    line = "next | " * 12 + "time."
    md = body_of(page(paragraphs(ESSAY) + f"<p>{line}</p>"))
    assert plain(md).endswith("next | next | time.")


def _month_table(caption: str, days: list[str], nav: str = "") -> str:
    cells = [""] * 3 + days  # the month starts on a Wednesday
    rows = ["".join(f"<td>{d}</td>" for d in cells[i : i + 7]) for i in range(0, len(cells), 7)]
    head = "".join(f"<th>{d}</th>" for d in ("M", "T", "W", "T", "F", "S", "S"))
    return (
        f"<table><caption>{caption}</caption><tr>{head}</tr>"
        + "".join(f"<tr>{r}</tr>" for r in rows)
        + f"<tr><td colspan=7>{nav}</td></tr></table>"
    )


def test_a_blogs_calendar_widget_is_not_the_article_and_a_table_of_numbers_is() -> None:
    days = [str(d) for d in range(1, 31)]
    calendar = _month_table("November 2017", days, nav="<a href='/2017/10'>« Oct</a>")
    # The article's own table: a count per day, and a page whose digits are no numbers.
    counts = _month_table("Pickets per day", [f"{d}: {d * 3}" for d in range(1, 31)])
    odd = _month_table("Powers", ["³", "9" * 5000, *days[2:]])
    md = body_of(page(paragraphs(ESSAY[:3]) + calendar + paragraphs(ESSAY[3:]) + counts + odd))
    text = plain(md)
    assert "November 2017" not in text and "« Oct" not in text
    assert all(t in text for t in ESSAY) and "30: 90" in text and "³" in text


@pytest.mark.parametrize(
    "button", ["Teilen", "Copier le lien", "Link copied to clipboard", "ABONE OL", "Udostępnij"]
)
def test_a_share_copy_or_subscribe_buttons_words_between_paragraphs_go(button: str) -> None:
    md = body_of(page(paragraphs(ESSAY[:3]) + f"<p>{button}</p>" + paragraphs(ESSAY[3:])))
    assert plain(md) == " ".join(f"{t} {PROSE}" for t in ESSAY)


@pytest.mark.parametrize("label", ["Etiketler :", "Mots-clés :", "Palavras-chave:"])
def test_a_tags_label_in_another_language_is_not_the_article(label: str) -> None:
    # Its tags were links, which went with the site's menus; the label stays behind.
    md = body_of(page(f"<p>{label}</p>" + paragraphs(ESSAY) + f"<p>{label}</p>"))
    assert plain(md) == " ".join(f"{t} {PROSE}" for t in ESSAY)


@pytest.mark.parametrize(
    "promo",
    [
        "Union Notes: Sign up for our weekly newsletter to get it in your inbox every Monday.",
        "Get the latest news from example.org in your inbox.",
    ],
)
def test_a_newsletters_sign_up_line_between_paragraphs_goes_and_a_sentence_on_email_stays(
    promo: str,
) -> None:
    kept = "Get your inbox under control, the committee wrote, and answer the bakers first."
    md = body_of(
        page(paragraphs(ESSAY[:3]) + f"<p>{promo}</p><p>{kept}</p>" + paragraphs(ESSAY[3:]))
    )
    text = plain(md)
    assert promo not in text and kept in text and all(t in text for t in ESSAY)


@pytest.mark.parametrize(
    "wrapper",
    ['<article-body class="story">', '<font face="Arial">', '<a name="top">', '<text id="p1">'],
)
def test_an_old_pages_paragraphs_beside_its_headings_are_read_in_any_wrapper(
    wrapper: str,
) -> None:
    # A 1990s page: <p> as a separator, text straight after each heading, the whole in an element
    # a browser lays out as a container though HTML has no such one (a custom element, an
    # archive's <text>) or an inline one around blocks (<font>, a named anchor). trafilatura's
    # precision pass read only the <p>s in it, half of the article.
    name = wrapper[1:].split()[0].rstrip(">")
    html = (
        f"<html><head><title>The Strike</title></head><body>{wrapper}<h1>The Strike</h1>"
        f'<img src="loaf.gif" alt="[ A loaf ]"><p><hr><h2>Summary</h2>'
        f"<i>{ESSAY[0]}</i><p>{ESSAY[1]} {PROSE}<p><h2>The Pickets</h2>"
        f"The <i>bakers</i> wrote: {ESSAY[2]} {PROSE}<p>{ESSAY[3]} {PROSE}<p>"
        f"<h3>The Carters</h3>{ESSAY[4]} {PROSE}<p>{ESSAY[5]} {PROSE}</{name}></body></html>"
    )
    tree = parse(html)
    wrap_loose_text(tree)
    page_text = " ".join("".join(tree.itertext()).split())
    md = plain("\n\n".join(_extract(tree, Ctx(Settings()), page_text, precision=True)))
    assert [t for t in ESSAY if t in md] == ESSAY
    assert f"The bakers wrote: {ESSAY[2]}" in md


def test_a_link_with_an_icon_stays_in_its_sentence_and_a_card_link_stays_whole() -> None:
    # An icon (an <svg>) is drawn in the line like an image: the link holding it is no block
    # to break the paragraph at. A card, a link around a block, is not split into paragraphs.
    icon = '<svg viewBox="0 0 32 32"><path d="M15 6c.6 0 1 .4 1 1"/></svg>'
    body = (
        f"<div>The <a href='https://example.org/report.pdf'>report{icon}</a> by the"
        f" committee found what the minutes said. {PROSE}</div>"
        + "".join(f"<p>{t}</p>" for t in ESSAY)
        + "<div class='more'><a href='/next'><div class='thumb'><img src='t.jpg'></div>"
        "The next chapter</a></div>"
    )
    texts = [plain(b) for b in split_blocks(body_of(page(body)))]
    assert f"The report by the committee found what the minutes said. {PROSE}" in texts
    assert "The next chapter" not in " ".join(texts)


def test_skip_links_in_any_language_go_and_a_table_of_contents_stays() -> None:
    # A screen reader's skip links around each embed (Czech: "Embedded content from another site
    # follows. You can skip it here." / "Back before the embedded content."): in-page links
    # whose words the page says nowhere else. A contents list's entries are its sections' titles,
    # which stay where the sections start.
    embed = (
        "<div><a id='e{n}-before' href='#e{n}-after'>Následuje obsah vložený z jiného webu. "
        "Zde jej můžete přeskočit.</a><div class='frame'></div>"
        "<a id='e{n}-after' href='#e{n}-before'>Přejít před obsah vložený z jiného webu.</a></div>"
    )
    contents = (
        "<ul><li><a href='#pickets'>The pickets at the ovens</a></li>"
        "<li><a href='#carters'>The carters at the bridge</a></li></ul>"
    )
    body = (
        "<a href='#main'>Skip to main content</a>"
        + contents
        + "<h2 id='pickets'>The pickets at the ovens</h2>"
        + paragraphs(ESSAY[:3])
        + embed.format(n=1)
        + "<h2 id='carters'>The carters at the bridge</h2>"
        + f"<div id='main'>{paragraphs(ESSAY[3:])}</div>"
        + embed.format(n=2)
    )
    cleaned = html_to_markdown(page(body), Settings())
    md = cleaned.body
    assert "vložený" not in md and "Skip to" not in md
    chrome = [text for why, text in cleaned.removed if why == "site chrome"]
    assert chrome.count("Přejít před obsah vložený z jiného webu.") == 2
    assert "Skip to main content" in chrome
    assert "## The pickets at the ovens" in md and "## The carters at the bridge" in md
    assert all(t in plain(md) for t in ESSAY)
