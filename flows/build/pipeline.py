"""The stages composed, without any orchestration: what one document goes through.

The Prefect flow (:mod:`flows.prefect.build`) calls :func:`build_document` once per document; tests
and ``pamphleteer clean`` call the same functions directly.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flows.assemble.anthology import assemble_anthology
from flows.assemble.edition import assemble, identifier, yaml_block
from flows.assemble.i18n import direction, human_date
from flows.clean.text import clean
from flows.files import Stage
from flows.footnotes.link import link_notes
from flows.model import Document, Message, PamphleteerError, Report
from flows.read.dates import checked_date
from flows.read.decode import read
from flows.read.editions import Edition
from flows.read.language import checked_language
from flows.render import booklet, cover, typeset
from flows.render import formats as render
from flows.render.figures import Figure
from flows.render.figures import collect as collect_figures
from flows.settings import Settings
from flows.validate.jvm import CheckerStopped
from flows.validate.validators import CheckResult, epubcheck

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
    label: str = ""  # how messages name it: the raw file, or ``editions.yaml: <slug>``
    figures: tuple[Figure, ...] = ()  # the images the source names, checked (``images``)


@dataclass(frozen=True)
class Rendition:
    """What rendering an edition wrote and found."""

    outputs: dict[str, Path]
    report: Report
    printing: str  # how to print the booklet ("" without one)
    checks: dict[str, CheckResult]


def render_edition(edited: Edited, stage: Stage, timer: Timer) -> Rendition:
    """Every format of an edition, written into its ``stage`` (nothing is an output until the
    stage is committed): the PDF brings its booklet; the cover (a file of its own) is the EPUB's
    too. All are rendered in memory and the EPUB is checked (:func:`check_epub`, when the
    settings say so) before anything is staged: an edition whose EPUB fails its check raises,
    and its previous outputs stay as they were."""
    settings = edited.settings
    files: dict[str, tuple[str, bytes, str]] = {}  # key: extension, bytes, variant
    report, printing = Report(), ""
    checks: dict[str, CheckResult] = {}

    cover_png = b""
    if {"pdf", "epub"} & set(settings.formats):
        cover_png = timer.run("cover", cover.cover_png, edited.meta, settings)
        files["cover"] = ("png", cover_png, "cover")
    for fmt in settings.formats:
        figures = edited.figures
        if fmt == "html":
            rendered = timer.run(
                "html",
                render.html,
                edited.source,
                settings,
                edited.contents,
                edited.meta,
                figures,
            )
        elif fmt == "epub":
            rendered = timer.run(
                "epub", render.epub, edited.source, settings, edited.meta, cover_png, figures
            )
        else:
            rendered = timer.run(
                "pdf", render.pdf, edited.source, settings, edited.meta, edited.contents, figures
            )
        if fmt == "pdf":  # before it is staged, and before the booklet doubles it
            pages = booklet.page_count(rendered.data)
            if pages > settings.limits.pdf_pages:
                raise PamphleteerError(
                    f"{edited.label or edited.slug}: refused: the reading PDF has {pages} pages, "
                    f"more than {settings.limits.pdf_pages} (limits: pdf_pages)"
                )
        files[fmt] = (fmt, rendered.data, "")
        report = report.add(*rendered.warnings)
        if fmt == "pdf":
            rtl = direction(str(edited.meta.get("lang") or "en")) == "rtl"
            imposed = timer.run("booklet", booklet.impose, rendered.data, settings, rtl)
            files["booklet"] = ("pdf", imposed.data, "booklet")
            printing = imposed.instructions()
    render.pandoc_done(settings)  # whatever the formats, before EPUBCheck's JVM starts
    # The verdict: past this point the edition's outputs replace the previous ones.
    if settings.check and "epub" in files:
        checks["epubcheck"] = timer.run("epubcheck", check_epub, edited, files["epub"][1])
        report = report.add(*checks["epubcheck"].messages)
    outputs = {key: stage.write(ext, data, variant) for key, (ext, data, variant) in files.items()}
    return Rendition(outputs, report, printing, checks)


@dataclass(frozen=True)
class Staged:
    """An edition built into its stage: every output written and complete, none in place yet.

    Whatever must judge the files before they replace the previous outputs (the output checks,
    a validator's verdict) reads ``result.outputs`` here and raises to reject them; then
    :meth:`commit` swaps them in together, or :meth:`discard` drops them (the previous outputs
    stay as they were). ``units.build_unit`` is that hook."""

    result: DocumentResult  # its outputs are the staged files
    stage: Stage

    def commit(self) -> DocumentResult:
        """Swap the staged outputs in; the result, its outputs where they now are."""
        self.stage.commit()
        outputs = {fmt: self.stage.final(p) for fmt, p in self.result.outputs.items()}
        return dataclasses.replace(self.result, outputs=outputs)

    def discard(self) -> None:
        self.stage.discard()


def check_epub(edited: Edited, data: bytes) -> CheckResult:
    """EPUBCheck's verdict on an edition's freshly rendered EPUB (checked as ``<slug>.epub`` in
    a folder of its own): its warnings are reported, an error fails the edition, named in one
    line with the first error. Java missing: ``skipped``, never "passed"."""
    with tempfile.TemporaryDirectory(prefix="pamphleteer-check-") as tmp:
        path = Path(tmp) / f"{edited.slug}.epub"
        path.write_bytes(data)
        try:
            result = epubcheck(path, edited.settings.limits)
        except CheckerStopped as exc:  # not the text's fault: the next build tries again
            why = f"{edited.label}: EPUBCheck could not check {path.name}: {exc}"
            raise CheckerStopped(why) from None
    errors = [m for m in result.messages if m.level == "error"]
    if result.errors:
        first = " ".join(errors[0].text.removeprefix("epubcheck ").split()) if errors else "?"
        raise PamphleteerError(
            f"{edited.label}: EPUBCheck found {result.errors} error(s) in {path.name}, "
            f"the first: {first}"
        )
    return result


def _listing(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The authors and the date as the index lists them."""
    return {
        "authors": tuple(typeset.names(meta.get("author"))),
        "date": human_date(meta["date"]) if meta.get("date") else "",
    }


def _staged(out_dir: Path, slug: str, make: Callable[[Stage], DocumentResult]) -> Staged:
    """``make`` the result into a new stage for ``slug``, with the result's own report beside
    the outputs; a failure leaves nothing staged."""
    stage = Stage.open(out_dir, slug)
    try:
        result = make(stage)
        stage.write("report.json", json.dumps(result.to_dict(), indent=2).encode() + b"\n")
    except BaseException:
        stage.discard()
        raise
    return Staged(result, stage)


def _built(staged: Staged) -> DocumentResult:
    try:
        return staged.commit()
    finally:
        staged.discard()


def stage_document(path: Path, out_dir: Path, settings: Settings) -> Staged:
    """Every edition of one raw file, staged for ``out_dir/<slug>/``. Raises on failure."""
    timer = Timer()
    doc = prepare(path, timer, settings)
    settings = settings.for_edition(doc.meta, path.name)
    doc, figures = timer.run("figures", collect_figures, doc, out_dir, settings)
    source = timer.run("assemble", assemble, doc, settings)
    edited = Edited(doc.slug, source, doc.meta, settings, label=path.name, figures=figures)

    def make(stage: Stage) -> DocumentResult:
        done = render_edition(edited, stage, timer)
        return DocumentResult(
            path, doc.slug, str(doc.meta.get("title", "")), done.outputs,
            doc.report.add(*done.report.messages), timer.seconds, done.printing,
            **_listing(doc.meta), checks=done.checks,
        )  # fmt: skip

    return _staged(out_dir, doc.slug, make)


def build_document(path: Path, out_dir: Path, settings: Settings) -> DocumentResult:
    """:func:`stage_document`, committed: the outputs in ``out_dir/<slug>/``."""
    return _built(stage_document(path, out_dir, settings))


def stage_anthology(edition: Edition, out_dir: Path, settings: Settings) -> Staged:
    """An anthology of ``editions.yaml``: its documents as chapters, in every format, staged."""
    timer = Timer()
    meta, warnings = checked_language(edition.meta, edition.where)
    meta, undated = checked_date(meta, edition.where)
    warnings += undated
    edition = dataclasses.replace(edition, meta=meta)
    docs = [prepare(path, timer, settings) for path in edition.documents]
    settings = settings.for_edition(edition.meta, edition.where)
    figures: dict[str, Figure] = {}
    for i, doc in enumerate(docs):
        docs[i], found = timer.run("figures", collect_figures, doc, out_dir, settings)
        figures.update((f.name, f) for f in found)
    source = timer.run("assemble", assemble_anthology, edition, docs, settings)
    edited = Edited(edition.slug, source, edition.meta, settings, contents=True,
                    label=edition.where, figures=tuple(figures.values()))  # fmt: skip

    def make(stage: Stage) -> DocumentResult:
        done = render_edition(edited, stage, timer)
        report = done.report.add(*warnings)
        for doc in docs:  # the documents' own findings, named by their file
            report = report.add(*(Message(m.code, f"{doc.source.name}: {m.text}", m.level)
                                  for m in doc.report.messages))  # fmt: skip
        report = dataclasses.replace(
            report,
            notes_found=sum(d.report.notes_found for d in docs),
            notes_linked=sum(d.report.notes_linked for d in docs),
        )
        title = str(edition.meta.get("title", ""))
        return DocumentResult(Path("editions.yaml"), edition.slug, title, done.outputs, report,
                              timer.seconds, done.printing, edition.slug,
                              **_listing(edition.meta), checks=done.checks)  # fmt: skip

    return _staged(out_dir, edition.slug, make)


def build_anthology(edition: Edition, out_dir: Path, settings: Settings) -> DocumentResult:
    """:func:`stage_anthology`, committed."""
    return _built(stage_anthology(edition, out_dir, settings))
