"""Cleaner for text copied out of a browser: cut comments and site chrome, recover structure.

The text is split into blocks (paragraphs as the page showed them). Then, in order:

1. the comment section is cut: from the first block that opens it ("Leave a Reply",
   "3 thoughts on …", "Jane says:") to the end, and the indented comment list just before it;
2. site chrome is cut at both ends: furniture (:data:`patterns.CHROME`), the site's name as the
   sidecar gives it, and short lines the page repeats (a site name in header and footer);
3. structure is recovered in the article (everything before the notes list): the title line,
   a byline, headings, datelines and signatures; a report's credit line at its end goes to the
   metadata (:mod:`flows.clean.credit`);
4. typography is normalised and each block becomes literal Pandoc Markdown.

Nothing here knows about footnotes beyond where the notes list starts: that is the next stage.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from flows.clean import mail, patterns, unwrap
from flows.clean.credit import find_credit
from flows.files import is_html, stem
from flows.footnotes import lists as notes
from flows.footnotes import patterns as notes_patterns
from flows.markdown import (
    escape,
    escape_inline,
    fenced_div,
    join_blocks,
    split_blocks,
    unescape,
)
from flows.model import Document, Message, PamphleteerError, Report
from flows.read.dates import parse_date
from flows.read.language import checked_language, text_language
from flows.settings import Settings
from flows.typography import normalise_spaces, typogrify

#: A block with at least this many words is article text, never chrome or a heading.
PROSE_WORDS = 25
#: A line at least this long is a whole paragraph as a browser copies it, not a hard-wrapped line.
PARAGRAPH_LINE = 100


@dataclass
class Block:
    text: str  # spaces normalised, lines joined
    indent: int = 0  # leading spaces of its first line
    blanks_before: int = 1  # blank lines before it in the scrape
    kind: str = "para"  # para, heading, dateline, signature, quote
    quote: int = 0  # how many ">" quote it (e-mail and Usenet)
    lines: tuple[str, ...] = ()  # a stanza's lines, kept as lines

    @property
    def words(self) -> int:
        return word_count(self.text)


#: Scripts written without spaces between words: Han and kana (about two characters a word),
#: and Thai, Lao, Khmer and Myanmar (about four).
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SOUTHEAST_ASIAN = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def word_count(text: str) -> int:
    """Words in ``text``, estimated for scripts that put no spaces between them."""
    if text.isascii():
        return len(text.split())
    cjk, southeast = len(_CJK.findall(text)), len(_SOUTHEAST_ASIAN.findall(text))
    if not cjk and not southeast:
        return len(text.split())
    rest = _SOUTHEAST_ASIAN.sub(" ", _CJK.sub(" ", text))
    return len(rest.split()) + -(-cjk // 2) + -(-southeast // 4)


# -- splitting ---------------------------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t\u00a0"))


def _hard_wrapped(lines: Sequence[str]) -> bool:
    """Lines of one paragraph wrapped at a fixed width: all but the last fill most of it.

    Lines a browser copies from a menu, a byline or a comment's header ("Home", "Jane said...")
    are short and uneven, and each stands for itself.
    """
    if len(lines) < 2:
        return True
    if any(_stands_alone(ln) for ln in lines):
        return False
    width = max(len(ln) for ln in lines)
    return all(len(ln) >= 0.6 * width for ln in lines[:-1]) and not is_verse(lines)


#: The longest line of verse taken as such.
VERSE_LINE = 60
_LINE_END_PUNCTUATION = re.compile(r"[,;:.!?—–-][\"'”’»)]*$")


def is_verse(lines: Sequence[str]) -> bool:
    """Short lines broken on purpose: a stanza, not a list. Most lines would have had room for
    the next line's first word, or every line after the first starts with a capital; half or
    more end with punctuation (a menu's or a byline's lines end with none)."""
    lines = [ln.strip() for ln in lines]
    if len(lines) < 3 or any(len(ln) > VERSE_LINE or _stands_alone(ln) for ln in lines):
        return False
    if any(
        patterns.NOTE_LABEL.match(ln) or notes.label(ln) or unwrap.ITEM.match(ln) for ln in lines
    ):
        return False
    if sum(1 for ln in lines if _LINE_END_PUNCTUATION.search(ln)) * 2 < len(lines):
        return False
    width = max(len(ln) for ln in lines)
    pairs = list(zip(lines, lines[1:], strict=False))
    room = sum(1 for a, b in pairs if len(a) + 1 + len(b.split()[0]) <= unwrap.FULL * width)
    capitals = all(b[:1].isupper() for b in lines[1:])
    return capitals or room * 2 > len(pairs)


def _stands_alone(line: str) -> bool:
    """A date, a byline, a comment's author line or furniture: a line of its own."""
    return bool(
        patterns.DATELINE.match(line)
        or patterns.BYLINE.match(line)
        or patterns.SUBMITTED_BY.match(line)
        or patterns.COMMENT_AUTHOR.match(line)
        or (len(line.split()) <= 8 and _matches(line, patterns.CHROME))
    )


def _groups(lines: Sequence[str], width: int | None) -> list[list[str]]:
    """The lines of one run of non-blank lines, grouped into paragraphs."""
    if width is not None:
        return unwrap.breaks(lines, width, _stands_alone)
    one_per_line = any(len(ln.strip()) >= PARAGRAPH_LINE for ln in lines) or not (
        _hard_wrapped([ln.strip() for ln in lines])
    )
    starts = unwrap.note_starts(lines)
    groups: list[list[str]] = []
    for i, ln in enumerate(lines):
        starts_note = i in starts or patterns.NOTE_LABEL.match(ln.strip()) is not None
        if not groups or one_per_line or starts_note:
            groups.append([ln])
        else:
            groups[-1].append(ln)
    return groups


def split_text(text: str, language: str | None = None) -> list[Block]:
    """Blocks separated by blank lines; a block of long lines is one paragraph per line.

    A text hard-wrapped at a fixed width is unwrapped (:mod:`flows.clean.unwrap`): its
    paragraphs are found by blank lines, indentation and short last lines, ``>`` quotes are kept
    as quotes, and a word split by a line-end hyphen is joined (``language`` judges words).
    """
    raw = [ln.expandtabs(8).rstrip() for ln in text.split("\n")]
    quoting = sum(1 for ln in raw if unwrap.quote_depth(ln)[0]) >= 2
    width = unwrap.wrap_width(raw)
    if width is not None:
        raw, _ = unwrap.drop_page_breaks(raw, width)
    lexicon = unwrap.Lexicon(text, language)
    blocks: list[Block] = []
    lines: list[str] = []
    blanks = depth = 0

    def flush() -> None:
        nonlocal lines, blanks
        if not lines:
            return
        if is_verse(lines):
            verse = tuple(normalise_spaces(ln) for ln in lines)
            blocks.append(Block(" ".join(verse), _indent(lines[0]), blanks, "verse", depth, verse))
            lines, blanks = [], 0
            return
        for n, group in enumerate(_groups(lines, width)):
            joined = normalise_spaces(unwrap.join_lines(group, lexicon))
            if joined:
                blocks.append(
                    Block(joined, _indent(group[0]), blanks if n == 0 else 0, quote=depth)
                )
        lines, blanks = [], 0

    for line in raw:
        level, content = unwrap.quote_depth(line) if quoting else (0, line)
        if not normalise_spaces(content):
            flush()
            # a ">" line alone parts two paragraphs of one quote: no blank line between them
            blanks += 0 if level and level == depth else 1
            continue
        if level != depth:
            flush()
            depth = level
        lines.append(content)
    flush()
    return blocks


# -- what a block is ---------------------------------------------------------------------------


def _matches(text: str, regexes: Iterable[re.Pattern[str]]) -> bool:
    return any(r.search(text) for r in regexes)


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def _is_label(block: Block, max_words: int = 12) -> bool:
    """A short line that is not a sentence: a name, a menu item, a heading."""
    return (
        0 < block.words <= max_words
        and not patterns.CLAUSE_END.search(block.text)
        and not patterns.NOTE_LABEL.match(block.text)
    )


def _opens_heading(text: str) -> bool:
    """A heading starts with a capital or a digit, past any opening quote or bracket; in a
    script without case (Arabic, Hebrew, Chinese, Japanese…) with any letter."""
    first = text.lstrip(patterns.OPENING_PUNCTUATION)[:1]
    return first.isdigit() or (first.isalpha() and not first.islower())


def is_dateline(block: Block) -> bool:
    return (
        not block.quote
        and not block.lines
        and block.words <= 8
        and patterns.DATELINE.match(block.text) is not None
    )


def is_name(block: Block) -> bool:
    """A personal name as a signature shows it: "Karl Radek", "— V. I. Lenin", "Jane Doe,"."""
    text = block.text.lstrip("—–-― ").rstrip(",")
    tokens = text.split()
    if not 1 <= len(tokens) <= 6 or re.search(r"\d", text):
        return False
    return all(
        t[0].isupper() or t.lower() in patterns.NAME_PARTICLES or re.fullmatch(r"(\w\.)+", t)
        for t in tokens
    )


def is_heading(block: Block, *, first: bool = False) -> bool:
    """A short line standing alone: a heading, or a question set as one.

    A question is a heading when the page set it apart with more space than its paragraphs
    (two blank lines in a browser copy), or when it is the first line (a title).
    """
    if block.quote or block.lines or not _opens_heading(block.text):
        return False
    if _is_label(block):
        return True
    question = bool(patterns.QUESTION_END.search(block.text)) and not patterns.NOTE_LABEL.match(
        block.text
    )
    if first:
        return question and block.words <= 20
    return question and block.words <= 25 and block.blanks_before >= 2


def _ends_note(blocks: Sequence[Block], i: int) -> bool:
    """Block ``i`` cannot continue a note: a dateline, or a heading with prose after it."""
    block = blocks[i]
    if is_dateline(block):
        return True
    nxt = blocks[i + 1] if i + 1 < len(blocks) else None
    return is_heading(block) and nxt is not None and nxt.words >= PROSE_WORDS


def _is_section_list(blocks: Sequence[Block], found: notes.NotesList) -> bool:
    """A numbered list whose items are short titles with prose between: sections, not notes."""
    items = [b for b in blocks[found.start : found.end] if notes.label(b.text)]
    titles = [b for b in items if b.words <= 12 and not re.search(r"[.;:,]$", b.text)]
    return found.style in notes.LIST_LIKE and len(titles) * 2 > len(items)


def notes_regions(blocks: Sequence[Block]) -> list[range]:
    """The blocks of each notes list, with the list's own heading ("Notes") when it has one."""
    found = notes.find_lists([b.text for b in blocks], lambda i: _ends_note(blocks, i))
    regions = []
    for nl in found:
        if _is_section_list(blocks, nl):
            continue
        start = nl.start
        if start > 0 and notes_patterns.NOTES_HEADING.match(blocks[start - 1].text):
            start -= 1
        regions.append(range(start, nl.end))
    return regions


# -- cutting -----------------------------------------------------------------------------------


def cut_comments(blocks: list[Block], report: Report) -> tuple[list[Block], list[Block], Report]:
    """Cut from the block that opens the comment section to the end: (article, cut, report).

    "Jane wrote:" before a ``>`` quote is a post quoting another, not a comment's header."""
    seen_prose = False
    for i, block in enumerate(blocks):
        seen_prose = seen_prose or block.words >= PROSE_WORDS
        if not seen_prose or block.words > PROSE_WORDS:
            continue
        quoted = i + 1 < len(blocks) and blocks[i + 1].quote > block.quote
        if _matches(block.text, patterns.COMMENT_SECTION_START) and not quoted:
            start = i
            # The comment list a browser copies just before the reply form is indented.
            while start > 0 and blocks[start - 1].indent > 0:
                start -= 1
            cut = blocks[start:]
            comments = sum(
                1
                for b in cut
                if (b.indent and patterns.COMMENT_LIST_ITEM.match(b.text))
                or patterns.COMMENT_AUTHOR.match(b.text)
            )
            what = f"comment section ({len(cut)} blocks, {comments} comment(s))"
            return blocks[:start], cut, report.remove(what, cut[0].text)
    return blocks, [], report


def responses(texts: Sequence[str], lang: str | None = None) -> list[str]:
    """The reader comments of a cut comment section as Markdown under a "Responses" heading,
    without the reply form and the thread's furniture ("Reply", "Leave a Reply", "3 comments")."""
    kept: list[str] = []
    for t in texts:
        if kept and patterns.REPLY_FORM_START.match(t):
            break  # the reply form, then the site's footer
        if (
            t.strip()
            and not _matches(t, patterns.COMMENT_FORM)
            and not (len(t.split()) <= PROSE_WORDS and _matches(t, patterns.CHROME))
        ):
            kept.append(escape(typogrify(t, lang)))
    return ["## Responses", *kept] if kept else []


def with_responses(body: Sequence[str], replies: Sequence[str]) -> list[str]:
    """``body`` with the Responses section before its notes list (the notes stay last)."""
    if not replies:
        return list(body)
    plains = [unescape(b) for b in body]
    lists = notes.find_lists(plains, lambda i: plains[i].startswith("#"))
    if not lists:
        return [*body, *replies]
    at = lists[-1].start
    if at > 0 and notes_patterns.NOTES_HEADING.match(plains[at - 1].lstrip("#").strip()):
        at -= 1
    return [*body[:at], *replies, *body[at:]]


def _chrome_names(meta: dict[str, object]) -> set[str]:
    names = {meta.get(k) for k in ("publication", "publisher", "site_name")}
    return {_key(n) for n in names if isinstance(n, str) and n.strip()}


def _is_chrome(block: Block, site_names: set[str], repeated: set[str]) -> bool:
    if block.words > PROSE_WORDS:
        return False
    key = _key(block.text)
    return (
        _matches(block.text, patterns.CHROME)
        or key in site_names
        or (key in repeated and _is_label(block, max_words=8))
    )


def cut_chrome(
    blocks: list[Block], site_names: set[str], report: Report
) -> tuple[list[Block], Report]:
    """Cut the site around the article: its header before the first prose, its footer after."""
    counts = Counter(_key(b.text) for b in blocks)
    repeated = {k for k, c in counts.items() if c > 1 and k}

    # Footer: from the end, over short lines, to the earliest one that is surely chrome.
    cut_at = len(blocks)
    for i in range(len(blocks) - 1, -1, -1):
        block = blocks[i]
        if _is_chrome(block, site_names, repeated):
            cut_at = i
        elif not _is_label(block):
            break
    for block in blocks[cut_at:]:
        report = report.remove("site chrome", block.text)
    blocks = blocks[:cut_at]

    # Header: chrome among the short lines before the first prose paragraph.
    kept: list[Block] = []
    in_head = True
    for block in blocks:
        in_head = in_head and block.words < PROSE_WORDS
        if in_head and _is_chrome(block, site_names, repeated):
            report = report.remove("site chrome", block.text)
        else:
            kept.append(block)
    return kept, report


# -- structure ---------------------------------------------------------------------------------


def take_title(blocks: list[Block]) -> tuple[dict[str, str], list[Block], list[Block]]:
    """The title line, byline and date at the head of the article, if the text has them.

    Returns what was found, the blocks left, and the menu lines dropped before the title: a run
    of two or more one-to-three-word lines ("Home", "About", "Archive") before it.
    """
    found: dict[str, str] = {}
    menu: list[Block] = []
    i = 0
    while i < len(blocks) and blocks[i].words <= 3 and _is_label(blocks[i]):
        i += 1
    if i >= 2 and i < len(blocks) and is_heading(blocks[i], first=True):
        menu, blocks = blocks[:i], blocks[i:]
    # Blogger and others: the blog's name and tagline, the post's date, then its title.
    for k in range(min(len(blocks) - 2, 4)):
        if (
            is_dateline(blocks[k])
            and is_heading(blocks[k + 1], first=True)
            and blocks[k + 2].words >= PROSE_WORDS
            and all(_is_label(b) for b in blocks[:k])
        ):
            found["date"] = patterns.DATELINE.match(blocks[k].text)["date"]  # type: ignore[index]
            menu, blocks = menu + blocks[:k], blocks[k + 1 :]
            break
    if len(blocks) > 1 and is_heading(blocks[0], first=True) and not is_dateline(blocks[0]):
        found["title"], blocks = blocks[0].text, blocks[1:]
    if len(blocks) > 1:
        if m := patterns.BYLINE.match(blocks[0].text):
            found["author"] = m["name"].strip()
            if m["date"]:
                found["date"] = m["date"].strip()
            blocks = blocks[1:]
        elif m := patterns.SUBMITTED_BY.match(blocks[0].text):
            found["author"], found["date"] = m["name"].strip(), m["date"].strip()
            blocks = blocks[1:]
        elif m := patterns.POSTED_ON.match(blocks[0].text):
            found["date"], blocks = m["date"].strip(), blocks[1:]
    return found, blocks, menu


def classify(blocks: list[Block]) -> None:
    """Set each article block's kind: dateline, signature, heading or paragraph."""
    for block in blocks:
        if block.kind != "verse":
            block.kind = "quote" if block.quote else "dateline" if is_dateline(block) else "para"
    for i, block in enumerate(blocks):
        if block.kind != "para":
            continue
        prev = blocks[i - 1] if i > 0 else None
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        after_text = prev is not None and prev.kind in ("para", "dateline")
        if is_name(block) and after_text and (nxt is None or nxt.kind == "dateline"):
            block.kind = "signature"
        elif (
            is_heading(block)
            and nxt is not None
            and nxt.kind == "para"
            and nxt.words > block.words
            and (prev is None or prev.kind != "heading")
        ):
            block.kind = "heading"


def to_markdown(block: Block, lang: str | None = None) -> str:
    text = typogrify(block.text, lang)
    prefix = "> " * block.quote
    if block.lines:  # a Pandoc line block: the stanza keeps its lines
        return "\n".join(f"{prefix}| {escape(typogrify(ln, lang))}" for ln in block.lines)
    if block.quote:
        return prefix + escape(text)
    if block.kind == "heading":
        return "## " + escape_inline(text)
    if block.kind in ("dateline", "signature"):
        return fenced_div(block.kind, escape(text))
    return escape(text)


def _markdown(blocks: Sequence[Block], lang: str | None = None) -> list[str]:
    """Each block as Markdown; the paragraphs of one ``>`` quote as one quote (a quote it
    quotes nested in it)."""
    out: list[str] = []
    for i, block in enumerate(blocks):
        md = to_markdown(block, lang)
        prev = blocks[i - 1] if i else None
        if prev and block.quote and prev.quote and not block.blanks_before:
            out[-1] += "\n" + ("> " * min(prev.quote, block.quote)).rstrip() + "\n" + md
        else:
            out.append(md)
    return out


# -- the stage ---------------------------------------------------------------------------------


def _same_title(a: str, b: str) -> bool:
    return _key(a) == _key(b)


def clean_html(doc: Document, settings: Settings) -> Document:
    """Stage 1 for an HTML page: the article as Markdown, the page's metadata under the sidecar."""
    # Here, not at the top: trafilatura and its kin cost ~85 ms of CPU to import, which a build
    # of text files need not pay (the workers' fork server imports it when a build has HTML).
    from flows.clean.html.extract import html_to_markdown

    page = html_to_markdown(doc.text, settings, doc.source.name, doc.meta.get("lang"))
    report = doc.report
    for what, text in page.removed:
        report = report.remove(what, text)
    if not page.body.strip():
        raise PamphleteerError(f"{doc.source.name}: nothing is left of the page after cleaning")
    body = page.body
    if settings.keep_comments and page.responses:
        body = join_blocks(with_responses(split_blocks(body), ["## Responses", *page.responses]))
    detected, warnings = checked_language(page.meta, doc.source.name)
    report = report.add(*warnings)
    if "lang" not in doc.sidecar:
        detected["lang"] = text_language(detected.get("lang"), body)
    detected["date"] = parse_date(detected.get("date"), detected.get("lang"))
    doc = doc.with_detected(**detected)
    if "title" not in doc.meta:
        report = report.add(
            Message("cln-002", "the page has no title and the sidecar gives none", "warning")
        )
        doc = doc.with_detected(title=stem(doc.source))
    return dataclasses.replace(doc, body=body, report=report)


def clean(doc: Document, settings: Settings | None = None) -> Document:
    """Stage 1: decoded text (or an HTML page) to a Markdown body with the article only."""
    settings = settings or Settings()
    if is_html(doc.source):
        return clean_html(doc, settings)
    language = doc.meta.get("language")
    post = mail.read_post(doc.text)
    blocks = split_text(post.text, language if isinstance(language, str) else None)
    if not blocks:
        raise PamphleteerError(f"{doc.source.name}: no text in the file")
    report = doc.report
    if post.headers:
        report = report.remove("mail headers", post.headers)
    if post.signature:
        report = report.remove("signature", post.signature)
    blocks, thread, report = cut_comments(blocks, report)
    blocks, report = cut_chrome(blocks, _chrome_names(dict(doc.sidecar)), report)

    in_notes = {i for r in notes_regions(blocks) for i in r}
    # The article text: the runs of blocks between notes lists (several articles may share a page).
    texts = [
        [blocks[i] for i in run]
        for is_note, run in groupby(range(len(blocks)), key=in_notes.__contains__)
        if not is_note
    ] or [[]]
    found, texts[0], menu = take_title(texts[0])
    for block in menu:
        report = report.remove("site menu", block.text)
    title = found.get("title")
    given = doc.sidecar.get("title")
    subtitle = None
    if title and isinstance(given, str) and not _same_title(title, given):
        report = report.add(
            Message(
                "cln-001",
                f"first line {title!r} differs from the sidecar's title; kept as the subtitle",
                "info",
            )  # fmt: skip
        )
        subtitle, title = title, None
    if not title and not given and post.title:
        title = post.title  # a post's subject, when its text has no title line
    if not any(texts):
        raise PamphleteerError(f"{doc.source.name}: nothing is left of the text after cleaning")
    credit = None
    if (i := find_credit([b.text for b in texts[-1]])) is not None and len(texts[-1]) > 1:
        credit = texts[-1].pop(i).text  # for the colophon
    for part in texts:
        classify(part)
    if not (title or given):
        report = report.add(
            Message("cln-002", "no title line found and the sidecar gives none", "warning")
        )
    article = [b for part in texts for b in part]
    kept = {id(b) for b in article}
    ordered = [b for i, b in enumerate(blocks) if i in in_notes or id(b) in kept]

    dates = [
        m["date"]
        for b in article
        if b.kind == "dateline" and (m := patterns.DATELINE.match(b.text))
    ]
    # The sidecar's language, else the text's own (its typography follows it).
    lang = doc.meta.get("lang") or text_language(None, "\n\n".join(b.text for b in article))
    body_blocks = _markdown(ordered, lang)
    if settings.keep_comments:
        body_blocks = with_responses(body_blocks, responses([b.text for b in thread], lang))
    body = join_blocks(body_blocks)
    doc = doc.with_detected(
        title=typogrify(title, lang) if title else None,
        subtitle=typogrify(subtitle, lang) if subtitle else None,
        author=found.get("author") or post.author,
        date=next(
            (d for v in (found.get("date"), post.date, *dates) if v and (d := parse_date(v, lang))),
            None,
        ),
        lang=lang,
        credit=typogrify(credit, lang) if credit else None,
    )
    if "title" not in doc.meta:
        doc = doc.with_detected(title=stem(doc.source))
    return dataclasses.replace(doc, body=body, report=report)
