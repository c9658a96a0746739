"""Assemble stage: a Jinja template turns a document into the edition source (Pandoc Markdown).

Templates are found through a ``ChoiceLoader``: the user's templates folder first, then
pamphleteer's, so a user can replace one file and keep the rest. Every ``{{ value }}`` a template
prints is escaped for Markdown by default (see :func:`_finalize`); only values already in Markdown
(the body, the YAML block) pass through.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
import yaml

from flows.assemble.i18n import direction, human_date, text_direction, words
from flows.markdown import (
    NOTE_REF,
    escape,
    escape_inline,
    protect_line_start,
    split_blocks,
    to_plain,
)
from flows.model import Document, PamphleteerError
from flows.settings import Settings

#: The metadata keys that reach Pandoc, in the order they are written.
PANDOC_KEYS = ("title", "subtitle", "author", "date", "lang", "publisher", "publication",
               "rights", "description", "source_url")  # fmt: skip


class MarkdownText(str):
    """A string that is Markdown already and must not be escaped again."""


def _finalize(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, MarkdownText):
        return value
    # escape(), not escape_inline(): a template may print a value where a block starts (the
    # colophon's licence, publisher's line), and ": x" there is a definition list, "- x" a list.
    return escape(str(value))


def _markdown_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_markdown_value(v) for v in value]
    return escape(str(value))


#: libyaml's emitter when PyYAML has it (its wheels do): ~10 times faster, and it keeps the line
#: separators (U+0085, U+2028, U+2029) that the pure-Python emitter folds into spaces.
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):
    """Every string value in double quotes, the keys bare: Pandoc's YAML reads a bare "N", "y",
    "~" or "1e3" as a boolean, a null or a number (a title "N" was printed as "false"), where
    PyYAML's writer sees plain strings."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')

    def represent_dict(self, data: Mapping[str, Any]) -> yaml.MappingNode:
        pairs = [
            (yaml.ScalarNode("tag:yaml.org,2002:str", key), self.represent_data(value))
            for key, value in data.items()
        ]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=False)


_Dumper.add_representer(str, _Dumper.represent_str)
_Dumper.add_representer(dict, _Dumper.represent_dict)


def yaml_block(meta: Mapping[str, Any]) -> MarkdownText:
    """Metadata as the YAML of a Pandoc metadata block; Pandoc reads its strings as Markdown."""
    data = {k: _markdown_value(meta[k]) for k in PANDOC_KEYS if meta.get(k)}
    if meta.get("date"):
        # The date in the text's words, for the templates that print it ("18 March 2021",
        # "18. März 2021"); ``date`` stays ISO 8601, which Pandoc writes as the EPUB's dc:date
        # and the HTML's dcterms.date.
        data["date-shown"] = escape(human_date(meta["date"], meta.get("lang")))
    data["identifier"] = meta["identifier"]
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return MarkdownText(text.strip())


_SAFE_URL = re.compile(r"^https?://[^\s<>\"\\`]+$")


def autolink(url: Any) -> MarkdownText:
    """A web address as a Markdown link; anything but a plain http(s) URL is printed as text."""
    text = str(url)
    if _SAFE_URL.match(text):
        return MarkdownText(f"<{text}>")
    return MarkdownText(escape_inline(text))


@jinja2.pass_context
def _human_date(context: jinja2.runtime.Context, value: Any) -> str:
    return human_date(value, context.get("lang"))


_FIELD = re.compile(r"\{(\w+)\}")


def isolated(md: str, plain: str, text_dir: str) -> str:
    """A value's Markdown in a span of its own direction (an HTML bidi isolate, a typst box)
    where the text's direction could reorder it: every value in a right-to-left text ("18 March
    2021" would read "March 2021 18"), a right-to-left value in a left-to-right one."""
    own = text_direction(plain)
    if text_dir != "rtl" and own != "rtl":
        return md
    return f'[{md}]{{dir="{own or "ltr"}"}}'


@jinja2.pass_context
def _isolate_filter(context: jinja2.runtime.Context, value: Any) -> MarkdownText:
    md = value if isinstance(value, MarkdownText) else escape_inline(str(value))
    return MarkdownText(isolated(md, str(value), context.get("dir") or "ltr"))


class Filled(MarkdownText):
    """One of the editions' words, filled: in the text's language, never isolated from it."""


def emphasis(value: Any) -> MarkdownText:
    """A value as emphasised Markdown (``*title*``), escaped."""
    return MarkdownText(f"*{escape_inline(str(value))}*")


@jinja2.pass_context
def fill(context: jinja2.runtime.Context, word: str, **values: Any) -> MarkdownText:
    """One of the editions' words (``t.source``: "Source: {url}") with its ``{fields}`` filled:
    the word escaped for Markdown, each value escaped (unless Markdown already) and isolated
    by :func:`isolated`. A value ending with a full stop takes the word's next one."""
    text_dir = context.get("dir") or "ltr"
    out: list[str] = []
    last = ""
    for i, part in enumerate(_FIELD.split(str(word))):
        if i % 2 == 0:
            if last.endswith(".") and part.startswith("."):
                part = part[1:]
            out.append(escape_inline(part))
            continue
        if part not in values:
            raise jinja2.TemplateError(f"the word {word!r} has no value for {{{part}}}")
        value = values[part]
        last = str(value)
        md = value if isinstance(value, MarkdownText) else escape_inline(last)
        out.append(md if isinstance(value, Filled) else isolated(md, last, text_dir))
    return Filled(protect_line_start("".join(out)))


def environment(settings: Settings) -> jinja2.Environment:
    """The Jinja environment of the settings' template folders, shared by every document: it
    compiles each template once, and again when its file changes (Jinja checks the date)."""
    return _environment(tuple(settings.template_dirs))


@functools.lru_cache(maxsize=8)
def _environment(template_dirs: tuple[Path, ...]) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in template_dirs])
    env = jinja2.Environment(
        loader=loader,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML: _finalize escapes instead
    )
    env.filters["yaml"] = yaml_block
    env.filters["autolink"] = autolink
    env.filters["human_date"] = _human_date
    env.filters["fill"] = fill
    env.filters["emphasis"] = emphasis
    env.filters["isolate"] = _isolate_filter
    # A macro's output is Markdown its own {{ }} already escaped:
    # `{{ macro(...) | macro_markdown }}` keeps it from being escaped twice. Never apply it to a
    # value from a scrape.
    env.filters["macro_markdown"] = MarkdownText
    return env


def identifier(doc: Document) -> str:
    """A stable identifier: the same document gives the same one on every build."""
    key = doc.meta.get("source_url") or f"pamphleteer:{doc.slug}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, str(key))}"


def summary(body: str, limit: int = 240) -> str:
    """A description when the sidecar gives none: the opening of the first real paragraph."""
    for block in split_blocks(body):
        if block.startswith(("#", ":::", "[^", ">")):
            continue
        # to_plain: a page's body has emphasis and links, which are not the description's text
        text = " ".join(to_plain(NOTE_REF.sub(lambda m: m[1], block)).split())
        if len(text) < 40:
            continue
        if len(text) <= limit:
            return text
        cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:–—")
        return cut if cut.endswith((".", "!", "?")) else f"{cut}…"
    return ""


class _Meta(dict[str, Any]):
    """Metadata for templates: a missing key is empty, not an error."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def render_template(settings: Settings, template: str, **context: Any) -> str:
    """Render an edition template with what every template sees: the build date, the press
    settings, the text's language (``lang``), direction (``dir``) and words (``t``)."""
    meta = context.get("meta") or {}
    lang = str(meta.get("lang") or "en")
    try:
        tpl = environment(settings).get_template(template)
        return tpl.render(
            **context,
            press=settings.press,
            build_date=human_date(settings.build_date, lang),
            lang=lang,
            dir=direction(lang),
            t=words(settings, lang),
        )
    except jinja2.TemplateError as exc:
        where = f"{exc.filename}:{exc.lineno}" if hasattr(exc, "lineno") else template
        raise PamphleteerError(f"template {where}: {exc}") from None


def assemble(doc: Document, settings: Settings, template: str = "edition.md.j2") -> str:
    """Stage 3: the edition source of one document."""
    meta = _Meta(doc.meta)
    meta["identifier"] = identifier(doc)
    if not meta.get("description"):
        meta["description"] = summary(doc.body)
    return render_template(
        settings, template, meta=meta, body=MarkdownText(doc.body.strip()),
        source_name=doc.source.name,
    )  # fmt: skip
