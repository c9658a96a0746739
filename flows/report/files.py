"""What a build leaves beside the outputs: report.json, report.html, index.html, and the
catalogue (opds.xml, opds/, feed.atom)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.build.cache import Entry
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
        entries_from_results(listed, out_dir),  # type: ignore[arg-type]
        settings,
        report="report.html",
        catalogue=CATALOGUE,
        feed=FEED,
    )
    write_atomic(out_dir / "index.html", index.encode())
    write_atomic(out_dir / "report.json", json.dumps(data, indent=2).encode() + b"\n")


def current(out_dir: Path, entries: Sequence[Entry]) -> bool:
    """Whether report.json, report.html and index.html tell what the cache records do: written
    after every record, listing the same units. A build killed after it recorded a unit but
    before its reports were written leaves them behind (the next plan finds nothing to do)."""
    report = out_dir / "report.json"
    # The catalogue too: a build/ from before it existed gets one at the next build.
    written_too = ("report.html", "index.html", "opds.xml", "feed.atom")
    if not all((out_dir / name).is_file() for name in written_too):
        return False
    try:
        with report.open("rb") as f:
            data = json.loads(f.read())
            written = os.fstat(f.fileno()).st_mtime_ns
        listed = sorted(str(d["key"]) for d in data["documents"])
        failures = len(data["failures"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    built = sorted(e.key for e in entries if e.result.get("status") != "failed")
    failed = len(entries) - len(built)
    newest = max((e.written for e in entries), default=0)
    return written >= newest and listed == built and failures == failed


def from_records(out_dir: Path, entries: Sequence[Entry], settings: Settings) -> BuildReport:
    """The reports of a build that had nothing to build, written from the cache records."""
    from flows.build.units import unchanged

    report = BuildReport([unchanged(e) for e in entries])
    write_reports(out_dir, report, settings)
    return report
