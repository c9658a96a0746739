"""The build report: every unit's outcome as JSON, a Markdown table and table rows (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.outcome import STATUSES, Outcome


@dataclass
class BuildReport:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, *statuses: str) -> list[Outcome]:
        return sorted((o for o in self.outcomes if o.status in statuses), key=lambda o: o.label)

    @property
    def ok(self) -> bool:
        return not self.of("failed")

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(o.status for o in self.outcomes)
        return {s: c.get(s, 0) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
            "documents": [o.to_json() for o in self.of("built", "unchanged")],
            "failures": [{"source": o.source, "reason": o.reason} for o in self.of("failed")],
            "removed": [
                {"source": o.source, "outputs": list(o.removed_outputs)} for o in self.of("removed")
            ],
            "skipped": [{"source": o.source, "reason": o.reason} for o in self.of("skipped")],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per unit, for a Prefect table artifact and the HTML report."""
        return [row(o) for o in self.of(*STATUSES)]

    def markdown(self) -> str:
        c = self.counts
        head = (
            f"**{c['built']} built, {c['unchanged']} unchanged, {c['failed']} failed, "
            f"{c['removed']} removed, {c['skipped']} skipped** in {self.seconds:.1f} s\n\n"
        )
        cols = ("source", "status", "title", "notes", "warnings", "checks", "seconds")
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in self.rows():
            lines.append("| " + " | ".join(_cell(r[c]) for c in cols) + " |")
        return head + "\n".join(lines)


def row(o: Outcome) -> dict[str, Any]:
    notes, seconds = o.notes, o.seconds
    checks = [f"{f}: {c}" for f, c in sorted(o.output_checks.items())]
    checks += [
        f"{tool}: " + (f"skipped ({c['skipped']})" if c.get("skipped")
                       else f"{c.get('errors', 0)} error(s), {c.get('warnings', 0)} warning(s)")
        for tool, c in sorted(o.checks.items())
    ]  # fmt: skip
    return {
        "source": o.label,
        "status": o.status,
        "title": o.reason if o.status in ("failed", "skipped") else o.title,
        "notes": f"{notes.get('linked', 0)}/{notes.get('found', 0)}" if notes else "",
        "warnings": len(o.warnings),
        "removed": len(o.record.get("removed", [])),
        "outputs": ", ".join(sorted(o.outputs) or o.removed_outputs),
        "checks": "; ".join(checks),
        "seconds": round(sum(seconds.values()), 2) if seconds else "",
    }


def _cell(value: object) -> str:
    """A value as one Markdown table cell: pipes and line breaks cannot break the table."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def messages_of(outcomes: Sequence[Outcome]) -> list[tuple[str, str]]:
    return [(o.label, f"{m['code']} {m['text']}") for o in outcomes for m in o.warnings]
