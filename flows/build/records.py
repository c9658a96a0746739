"""The reports beside the cache records: whether ``report.json``, ``report.html`` and
``index.html`` still tell what the records do, and writing them again from the records when
they do not (a build killed between recording a unit and writing its reports)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from flows.build.cache import Entry
from flows.build.units import unchanged
from flows.report.files import write_reports
from flows.report.summary import BuildReport
from flows.settings import Settings


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
    report = BuildReport([unchanged(e) for e in entries])
    write_reports(out_dir, report, settings)
    return report
