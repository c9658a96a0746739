"""Scraped text is text: whatever a scrape holds, Pandoc reads back exactly that text."""

from __future__ import annotations

import json
import subprocess

import pypandoc
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flows.assemble.edition import yaml_block
from flows.markdown import READER_FORMAT, escape, join_blocks, plain_view, unescape
from flows.typography import normalise_spaces

TRAPS = [
    "1917. The year the war ended was not 1917.",
    "1) first, 2) second",
    "(1) a list item?",
    "A. Martynov and i. roman",
    "- not a list",
    "+ not a list",
    "* not a list either",
    "# not a heading",
    "> not a quote",
    ": not a definition",
    "% not a title block",
    "::: not a div",
    "    four spaces: not code",
    "*stars* and _underscores_ and **double**",
    "@name and [@cite] and @cite2",
    "$x^2$ and $$y$$ and \\(z\\)",
    "<!-- a comment --> and <b>bold</b> and <script>alert(1)</script>",
    "`code` and ```fenced``` and `raw`{=html}",
    "[link](http://example.org) and ![img](x.png) and [^1] and <http://example.org>",
    "~strike~ and ^super^ and a|b|c",
    "back\\slash at the end\\",
    "&amp; and &lt; entities",
    "---",
    "| a | b |",
    "Term\n: definition",
]


def pandoc_texts(paragraphs: list[str]) -> list[str]:
    """What Pandoc reads from the escaped paragraphs: the text of each block, as plain strings."""
    source = join_blocks([escape(p) for p in paragraphs])
    out = subprocess.run(
        [pypandoc.get_pandoc_path(), "--sandbox", "-f", READER_FORMAT, "-t", "json"],
        input=source.encode(),
        capture_output=True,
        check=True,
    )
    doc = json.loads(out.stdout)

    def text(inlines: list[dict]) -> str:
        parts = []
        for i in inlines:
            if i["t"] == "Str":
                parts.append(i["c"])
            elif i["t"] in ("Space", "SoftBreak"):
                parts.append(" ")
            else:
                raise AssertionError(f"markup {i['t']} in {inlines}")
        return "".join(parts)

    blocks = doc["blocks"]
    assert all(b["t"] == "Para" for b in blocks), [b["t"] for b in blocks]
    return [text(b["c"]) for b in blocks]


def _norm(text: str) -> str:
    return text.replace("\n", " ").strip()


def test_every_trap_reads_back_as_plain_text() -> None:
    assert pandoc_texts(TRAPS) == [_norm(t) for t in TRAPS]


# Text as the cleaner hands it to escape(): spaces normalised, no control characters.
_TEXT = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=60,
    )
    .map(normalise_spaces)
    .filter(bool)
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8))
def test_any_text_reads_back_unchanged(paragraphs: list[str]) -> None:
    assert pandoc_texts(paragraphs) == [_norm(p) for p in paragraphs]


@given(_TEXT)
def test_unescape_inverts_escape(text: str) -> None:
    assert unescape(escape(text)) == text


@given(_TEXT)
def test_plain_view_maps_back_to_the_markdown(text: str) -> None:
    md = escape(text)
    plain, starts = plain_view(md)
    assert plain == text
    assert len(starts) == len(plain) + 1
    assert all(unescape(md[starts[i] : starts[i + 1]]) == plain[i] for i in range(len(plain)))


_ANY = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1)


@given(_ANY, _ANY)
@example("Part\x85two", "Ann\u2029Lee")  # the pure-Python YAML emitter made these spaces
def test_metadata_reaches_the_yaml_block_unchanged(title: str, author: str) -> None:
    """Line separators (U+2028, U+0085…), emoji, quotes: the YAML Pandoc reads holds the escaped
    text, character for character."""
    meta = {"title": title, "author": [author], "identifier": "urn:uuid:0"}
    data = yaml.safe_load(yaml_block(meta))
    assert data == {"title": escape(title), "author": [escape(author)], "identifier": "urn:uuid:0"}


@pytest.mark.parametrize("value", ["N", "y", "Off", "~", "null", "1e3", "0x1F", "2021-03-18"])
def test_a_metadata_value_yaml_could_read_as_no_string_reaches_pandoc_as_text(value: str) -> None:
    """Pandoc's YAML reads a bare N, y, ~ or 1e3 as a boolean, a null or a number (a title "N"
    was printed as "false"); as Pandoc reads the block, each value is the text."""
    block = yaml_block({"title": value, "author": [value], "identifier": "urn:uuid:0"})
    out = subprocess.run(
        [pypandoc.get_pandoc_path(), "--sandbox", "-f", READER_FORMAT, "-t", "json"],
        input=f"---\n{block}\n---\n".encode(),
        capture_output=True,
        check=True,
    )
    meta = json.loads(out.stdout)["meta"]
    assert meta["title"] == {"t": "MetaInlines", "c": [{"t": "Str", "c": value}]}
    assert meta["author"]["c"] == [{"t": "MetaInlines", "c": [{"t": "Str", "c": value}]}]
