"""The one structure that flows from stage to stage.

A :class:`Document` is metadata plus a Pandoc Markdown body. Every stage takes one and returns a
new one (``dataclasses.replace``); what a stage removed, matched or doubted goes into the document's
:class:`Report` as :class:`Message` values with a short code, in the style of a linter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

Level = Literal["info", "warning", "error"]


class PamphleteerError(Exception):
    """A problem with one input, worded for the user: it names the file and the reason."""


@dataclass(frozen=True)
class Message:
    code: str  # e.g. "fn-002"
    text: str
    level: Level = "warning"

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


@dataclass(frozen=True)
class Report:
    """What the stages did to one document."""

    messages: tuple[Message, ...] = ()
    removed: tuple[tuple[str, str], ...] = ()  # (what, text excerpt), e.g. ("comments", "…")
    notes_found: int = 0
    notes_linked: int = 0

    def add(self, *messages: Message) -> Report:
        return dataclasses.replace(self, messages=self.messages + messages)

    def remove(self, what: str, text: str) -> Report:
        excerpt = text if len(text) <= 80 else text[:77] + "…"
        return dataclasses.replace(self, removed=self.removed + ((what, excerpt),))

    @property
    def warnings(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.level != "info")

    def to_dict(self) -> dict[str, Any]:
        return {
            "notes": {"found": self.notes_found, "linked": self.notes_linked},
            "removed": [{"what": w, "text": t} for w, t in self.removed],
            "messages": [dataclasses.asdict(m) for m in self.messages],
        }


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as its source gives it: a year, a month of a year, or a day.

    It is what ``meta["date"]`` holds, never raw text: every writer prints it from these fields,
    as ISO 8601 (``2019``, ``2019-03``, ``2019-03-18``: the W3C forms EPUB's ``dc:date`` takes)
    or in words ("March 2019")."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        dt.date(self.year, self.month or 1, self.day or 1)  # ValueError for 2019-02-30, month 13

    def __str__(self) -> str:
        return self.iso()

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def first_day(self) -> dt.date:
        """The first day it can mean: 2019 is 1 January 2019 at the earliest."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        return "year" if self.month is None else "month" if self.day is None else "day"


def _frozen(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(meta))


@dataclass(frozen=True)
class Document:
    source: Path  # the raw file
    slug: str  # names the output folder and files: build/<slug>/<slug>.<ext>
    meta: Mapping[str, Any] = field(default_factory=dict)  # detected, then sidecar on top
    body: str = ""  # Pandoc Markdown, notes as [^n]
    text: str = ""  # the decoded raw text, kept for the clean stage
    sidecar: Mapping[str, Any] = field(default_factory=dict)  # what the user wrote; wins
    report: Report = field(default_factory=Report)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", _frozen(self.meta))
        object.__setattr__(self, "sidecar", _frozen(self.sidecar))

    def with_detected(self, **detected: Any) -> Document:
        """Add metadata found in the text; the sidecar's values still win. A detected ``date``
        is a :class:`PartialDate`: a stage parses what it found before it gets here."""
        date = detected.get("date")
        if date is not None and not isinstance(date, PartialDate):
            raise TypeError(f"a detected date must be a PartialDate, not {date!r}")
        meta = {**self.meta, **{k: v for k, v in detected.items() if v}, **self.sidecar}
        return dataclasses.replace(self, meta=meta)
