"""``build/index.html``: one page listing every edition, with links to its formats.

:func:`render_index` is pure (entries in, HTML out) and the template (``templates/index.html.j2``,
overridable like the others) is rendered with HTML autoescaping on: titles and names from a
scrape are text. :func:`entries_from_results` turns a build's results into entries; it only
looks on disk for the booklet, which another stage may have written beside the PDF.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jinja2

from flows.model import PamphleteerError
from flows.settings import Settings


class Edition(Protocol):
    """What the index needs of a built edition (a build's result, or one recorded before)."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def authors(self) -> tuple[str, ...]: ...
    @property
    def date(self) -> str: ...


#: The formats the index links to, in this order: (label, file name for a slug).
FORMAT_FILES = (
    ("Read online", "{slug}.html"),
    ("EPUB", "{slug}.epub"),
    ("PDF", "{slug}.pdf"),
    ("Booklet PDF", "{slug}-booklet.pdf"),
)


@dataclass(frozen=True)
class Entry:
    title: str
    authors: tuple[str, ...]
    date: str
    #: (label, path relative to the index), only for files that exist.
    links: tuple[tuple[str, str], ...]


def entries_from_results(results: Iterable[Edition], out_dir: Path) -> list[Entry]:
    """One entry per built document, sorted by title; links only to files that are there."""
    entries = []
    for r in results:
        links = tuple(
            (label, f"{r.slug}/{name.format(slug=r.slug)}")
            for label, name in FORMAT_FILES
            if (out_dir / r.slug / name.format(slug=r.slug)).is_file()
        )
        entries.append(Entry(r.title or r.slug, r.authors, r.date, links))
    return sorted(entries, key=lambda e: e.title.casefold())


def render_index(
    entries: list[Entry],
    settings: Settings,
    title: str = "Editions",
    report: str | None = None,
    catalogue: str | None = None,
    feed: str | None = None,
) -> str:
    """The index page; ``report``, ``catalogue`` and ``feed``: the links to the build report,
    the OPDS catalogue and the Atom feed beside it, if there are ones."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in settings.template_dirs])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    try:
        css = settings.template("pandoc/edition.css").read_text(encoding="utf-8")
        return env.get_template("index.html.j2").render(
            entries=entries,
            title=title,
            css=css,
            report=report,
            catalogue=catalogue,
            feed=feed,
            build_date=f"{settings.build_date:%-d %B %Y}",
        )
    except jinja2.TemplateError as exc:
        raise PamphleteerError(f"template index.html.j2: {exc}") from None
