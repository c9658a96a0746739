"""Write the build report beside the outputs: ``report.json`` and ``report.html``."""

from __future__ import annotations

import json
from pathlib import Path

from flows import report_html
from flows.render import write_atomic
from flows.report import BuildReport


def write_reports(out_dir: Path, report: BuildReport) -> None:
    data = report.to_json()
    write_atomic(out_dir / "report.json", json.dumps(data, indent=2).encode() + b"\n")
    write_atomic(out_dir / "report.html", report_html.render(data).encode())
