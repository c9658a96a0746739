"""What a build leaves beside the outputs: report.json, report.html and index.html."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows import report_html
from flows.files import write_atomic
from flows.index import entries_from_results, render_index
from flows.report import BuildReport
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
    data = report.to_json()
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "report.json", json.dumps(data, indent=2).encode() + b"\n")
    write_atomic(out_dir / "report.html", report_html.render(data).encode())
    listed = [Listed.of(d) for d in data["documents"]]
    index = render_index(
        entries_from_results(listed, out_dir),
        settings,
        report="report.html",  # type: ignore[arg-type]
    )
    write_atomic(out_dir / "index.html", index.encode())
