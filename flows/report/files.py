"""What a build leaves beside the outputs: report.json, report.html, index.html, and the
catalogue (opds.xml, opds/, feed.atom)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.files import write_atomic
from flows.report import html as report_html
from flows.report.summary import BuildReport
from flows.settings import Settings


@dataclass(frozen=True)
class Listed:
    """What the index needs of an edition, from its recorded result (built now or before)."""

    slug: str
    title: str
    authors: tuple[str, ...]
    date: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> Listed:
        return cls(data["slug"], data.get("title", ""), tuple(data.get("authors", ())),
                   data.get("date", ""))  # fmt: skip


def write_reports(out_dir: Path, report: BuildReport, settings: Settings) -> None:
    """report.html and index.html, then report.json: the one written last says the three
    agree (see :func:`current`)."""
    from flows.report.index import (  # jinja2: not to say "up to date"
        entries_from_results,
        render_index,
    )

    data = report.to_json()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "report.html", report_html.render(data).encode())
    from flows.report.catalogue import CATALOGUE, FEED, write_catalogue

    listed = [Listed.of(d) for d in data["documents"]]
    write_catalogue(out_dir, data["documents"], settings)
    index = render_index(
        entries_from_results(listed, out_dir),
        settings,
        report="report.html",
        catalogue=CATALOGUE,
        feed=FEED,
    )
    write_atomic(out_dir / "index.html", index.encode())
    write_atomic(out_dir / "report.json", json.dumps(data, indent=2).encode() + b"\n")
