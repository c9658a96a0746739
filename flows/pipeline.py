"""The stages composed, without any orchestration: what one document goes through.

The Prefect flow (:mod:`flows.build`) calls :func:`build_document` once per document; tests and
``pamphleteer clean`` call the same functions directly.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flows import booklet, cover, render
from flows.anthology import assemble_anthology
from flows.assemble import assemble, human_date, identifier, yaml_block
from flows.check import CheckResult, epubcheck
from flows.clean import clean
from flows.editions import Edition
from flows.files import output_path, write_atomic
from flows.footnotes import link_notes
from flows.model import Document, Message, PamphleteerError, Report
from flows.read import read
from flows.settings import Settings

T = TypeVar("T")


@dataclass
class Timer:
    """Seconds spent per step, in the order the steps ran."""

    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, step: str, fn: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - start


@dataclass(frozen=True)
class DocumentResult:
    source: Path
    slug: str
    title: str
    outputs: dict[str, Path]
    report: Report
    seconds: dict[str, float]
    printing: str = ""  # how to print the booklet, when there is one
    edition: str = ""  # the anthology's slug, for editions of editions.yaml
    #: What the index lists: the names and the date as the edition prints them.
    authors: tuple[str, ...] = ()
    date: str = ""
    #: Validators' verdicts by tool, e.g. ``{"epubcheck": CheckResult(...)}``.
    checks: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How reports name it: the raw file, or ``editions.yaml: <slug>``."""
        return f"{self.source.name}: {self.edition}" if self.edition else self.source.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.name,
            **({"edition": self.edition} if self.edition else {}),
            "slug": self.slug,
            "title": self.title,
            "outputs": {fmt: p.name for fmt, p in self.outputs.items()},
            **({"booklet": self.printing} if self.printing else {}),
            "authors": list(self.authors),
            "date": self.date,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "checks": {tool: c.to_dict() for tool, c in self.checks.items()},
            **self.report.to_dict(),
        }


def prepare(path: Path, timer: Timer | None = None, settings: Settings | None = None) -> Document:
    """Read, clean and link the notes of one raw file."""
    timer = timer or Timer()
    settings = settings or Settings()
    doc = timer.run("read", read, path, settings.limits)
    doc = timer.run("clean", clean, doc, settings)
    return timer.run("footnotes", link_notes, doc, settings.limits)


def cleaned_markdown(doc: Document) -> str:
    """The document as ``pamphleteer clean`` prints it: YAML metadata, then the body."""
    meta = {**doc.meta, "identifier": identifier(doc)}
    return f"---\n{yaml_block(meta)}\n---\n\n{doc.body}"


@dataclass(frozen=True)
class Edited:
    """An edition's source and what its outputs are made of, before rendering."""

    slug: str
    source: str  # the edition source (Pandoc Markdown)
    meta: Mapping[str, Any]
    settings: Settings  # with the edition's own press settings
    contents: bool = False  # a table of contents (anthologies)
    name: str = ""  # how messages name it: the raw file, or "editions.yaml: <slug>"


@dataclass(frozen=True)
class Rendition:
    """What rendering an edition wrote and found."""

    outputs: dict[str, Path]
    report: Report
    printing: str  # how to print the booklet ("" without one)
    checks: dict[str, CheckResult]


def render_edition(edited: Edited, out_dir: Path, timer: Timer) -> Rendition:
    """Write every format of an edition: the PDF brings its booklet; the cover (a file of its
    own) is the EPUB's too; the EPUB is checked with EPUBCheck when the settings say so."""
    settings, slug = edited.settings, edited.slug
    outputs: dict[str, Path] = {}
    report, printing = Report(), ""
    checks: dict[str, CheckResult] = {}

    def write(key: str, ext: str, data: bytes, variant: str = "") -> None:
        target = output_path(out_dir, slug, ext, variant)
        write_atomic(target, data)
        outputs[key] = target

    cover_png = b""
    if {"pdf", "epub"} & set(settings.formats):
        cover_png = timer.run("cover", cover.cover_png, edited.meta, settings)
        write("cover", "png", cover_png, "cover")
    for fmt in settings.formats:
        if fmt == "html":
            rendered = timer.run("html", render.html, edited.source, settings, edited.contents)
        elif fmt == "epub":
            rendered = timer.run(
                "epub", render.epub, edited.source, settings, edited.meta, cover_png
            )
        else:
            rendered = timer.run(
                "pdf", render.pdf, edited.source, settings, edited.meta, edited.contents
            )
        if fmt == "pdf":  # before it is written, and before the booklet doubles it
            pages = booklet.page_count(rendered.data)
            if pages > settings.limits.pdf_pages:
                raise PamphleteerError(
                    f"{edited.name or slug}: refused: the reading PDF has {pages} pages, more "
                    f"than {settings.limits.pdf_pages} (limits: pdf_pages)"
                )
        write(fmt, fmt, rendered.data)
        report = report.add(*rendered.warnings)
        if fmt == "pdf":
            imposed = timer.run("booklet", booklet.impose, rendered.data, settings)
            write("booklet", "pdf", imposed.data, "booklet")
            printing = imposed.instructions()
    render.pandoc_done(settings)  # whatever the formats, before EPUBCheck's JVM starts
    if settings.check and "epub" in outputs:
        checks["epubcheck"] = timer.run("epubcheck", epubcheck, outputs["epub"])
        report = report.add(*checks["epubcheck"].messages)
    return Rendition(outputs, report, printing, checks)


def _listing(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The authors and the date as the index lists them."""
    return {
        "authors": tuple(render.names(meta.get("author"))),
        "date": human_date(meta["date"]) if meta.get("date") else "",
    }


def _finish(result: DocumentResult, out_dir: Path) -> DocumentResult:
    report_path = output_path(out_dir, result.slug, "report.json")
    write_atomic(report_path, json.dumps(result.to_dict(), indent=2).encode() + b"\n")
    return result


def build_document(path: Path, out_dir: Path, settings: Settings) -> DocumentResult:
    """Every edition of one raw file, written into ``out_dir/<slug>/``. Raises on failure."""
    timer = Timer()
    doc = prepare(path, timer, settings)
    settings = settings.for_edition(doc.meta, path.name)
    source = timer.run("assemble", assemble, doc, settings)
    edited = Edited(doc.slug, source, doc.meta, settings, name=path.name)
    done = render_edition(edited, out_dir, timer)
    result = DocumentResult(
        path, doc.slug, str(doc.meta.get("title", "")), done.outputs,
        doc.report.add(*done.report.messages), timer.seconds, done.printing,
        **_listing(doc.meta), checks=done.checks,
    )  # fmt: skip
    return _finish(result, out_dir)


def build_anthology(edition: Edition, out_dir: Path, settings: Settings) -> DocumentResult:
    """An anthology of ``editions.yaml``: its documents as chapters, in every format."""
    timer = Timer()
    docs = [prepare(path, timer, settings) for path in edition.documents]
    settings = settings.for_edition(edition.meta, edition.where)
    source = timer.run("assemble", assemble_anthology, edition, docs, settings)
    edited = Edited(edition.slug, source, edition.meta, settings, contents=True, name=edition.where)
    done = render_edition(edited, out_dir, timer)
    report = done.report
    for doc in docs:  # the documents' own findings, named by their file
        report = report.add(*(Message(m.code, f"{doc.source.name}: {m.text}", m.level)
                              for m in doc.report.messages))  # fmt: skip
    report = dataclasses.replace(
        report,
        notes_found=sum(d.report.notes_found for d in docs),
        notes_linked=sum(d.report.notes_linked for d in docs),
    )
    title = str(edition.meta.get("title", ""))
    result = DocumentResult(Path("editions.yaml"), edition.slug, title, done.outputs, report,
                            timer.seconds, done.printing, edition.slug, **_listing(edition.meta),
                            checks=done.checks)  # fmt: skip
    return _finish(result, out_dir)
