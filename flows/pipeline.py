"""The stages composed, without any orchestration: what one document goes through.

The Prefect flow (:mod:`flows.build`) calls :func:`build_document` once per document; tests and
``pamphleteer clean`` call the same functions directly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flows import render
from flows.assemble import assemble, identifier, yaml_block
from flows.clean import clean
from flows.footnotes import link_notes
from flows.model import Document, Report
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "slug": self.slug,
            "title": self.title,
            "outputs": {fmt: p.name for fmt, p in self.outputs.items()},
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            **self.report.to_dict(),
        }


def prepare(path: Path, settings: Settings | None = None, timer: Timer | None = None) -> Document:
    """Read, clean and link the notes of one raw file."""
    timer = timer or Timer()
    doc = timer.run("read", read, path)
    doc = timer.run("clean", clean, doc, settings or Settings())
    return timer.run("footnotes", link_notes, doc)


def cleaned_markdown(doc: Document) -> str:
    """The document as ``pamphleteer clean`` prints it: YAML metadata, then the body."""
    meta = {**doc.meta, "identifier": identifier(doc)}
    return f"---\n{yaml_block(meta)}\n---\n\n{doc.body}"


def build_document(path: Path, out_dir: Path, settings: Settings) -> DocumentResult:
    """Every edition of one raw file, written into ``out_dir/<slug>/``. Raises on failure."""
    timer = Timer()
    doc = prepare(path, settings, timer)
    source = timer.run("assemble", assemble, doc, settings)
    report = doc.report
    outputs: dict[str, Path] = {}
    for fmt in settings.formats:
        if fmt == "html":
            rendered = timer.run("html", render.html, source, settings)
        elif fmt == "epub":
            rendered = timer.run("epub", render.epub, source, settings)
        else:
            rendered = timer.run("pdf", render.pdf, source, settings, doc.meta)
        target = render.output_path(out_dir, doc.slug, fmt)
        render.write_atomic(target, rendered.data)
        outputs[fmt] = target
        report = report.add(*rendered.warnings)
    result = DocumentResult(path, doc.slug, str(doc.meta.get("title", "")), outputs, report,
                            timer.seconds)  # fmt: skip
    report_path = render.output_path(out_dir, doc.slug, "report.json")
    render.write_atomic(report_path, json.dumps(result.to_dict(), indent=2).encode() + b"\n")
    return result
