"""What became of one unit of a build: a typed, frozen value (pure; it pickles, so it travels
from the worker processes and Dask workers back to the build).

``record`` is what the cache records of a built unit (:func:`flows.build.cache.record`) and what
``report.json`` lists: its title, slug, outputs, notes, messages, checks and timings. The other
fields say what happened; :meth:`Outcome.to_json` gives the report's entry for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["built", "unchanged", "failed", "removed", "skipped"]
STATUSES: tuple[Status, ...] = ("built", "unchanged", "failed", "removed", "skipped")


@dataclass(frozen=True)
class Outcome:
    status: Status
    key: str  # the unit's key (its cache manifest), unique in a build
    source: str  # the raw file's name, or "editions.yaml" for an anthology
    edition: str = ""  # an anthology's slug
    reason: str = ""  # why it failed, or why it was skipped
    #: A built (or unchanged) unit's record, as the cache keeps it and report.json lists it.
    record: Mapping[str, Any] = field(default_factory=dict)
    #: Outputs of a previous build removed: the unit's input was deleted, or it no longer makes
    #: them (a changed slug or list of formats).
    removed_outputs: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How reports name a unit: the raw file, or ``editions.yaml: <slug>``."""
        return label({"source": self.source, "edition": self.edition})

    @property
    def slug(self) -> str:
        return str(self.record.get("slug", ""))

    @property
    def title(self) -> str:
        return str(self.record.get("title", ""))

    @property
    def outputs(self) -> Mapping[str, str]:
        """Each format's output, relative to the output folder."""
        return self.record.get("outputs", {})

    @property
    def notes(self) -> Mapping[str, int]:
        return self.record.get("notes", {})

    @property
    def messages(self) -> Sequence[Mapping[str, Any]]:
        return self.record.get("messages", [])

    @property
    def warnings(self) -> list[Mapping[str, Any]]:
        return [m for m in self.messages if m.get("level") != "info"]

    @property
    def checks(self) -> Mapping[str, Mapping[str, Any]]:
        """Each validator's verdict (EPUBCheck, Nu)."""
        return self.record.get("checks", {})

    @property
    def output_checks(self) -> Mapping[str, str]:
        return self.record.get("output_checks", {})

    @property
    def seconds(self) -> Mapping[str, float]:
        """Seconds each stage took."""
        return self.record.get("seconds", {})

    @property
    def booklet(self) -> str:
        """How to print the booklet, when there is one."""
        return str(self.record.get("booklet", ""))

    def with_removed(self, paths: Sequence[str]) -> Outcome:
        return dataclasses.replace(self, removed_outputs=(*self.removed_outputs, *paths))

    def to_json(self) -> dict[str, Any]:
        """The unit as report.json lists it (and as a failure is recorded in the cache)."""
        if self.status in ("built", "unchanged"):
            extra = {"replaced": list(self.removed_outputs)} if self.status == "built" else {}
            return {**self.record, "status": self.status, "key": self.key, **extra}
        data: dict[str, Any] = {"status": self.status, "key": self.key, "source": self.source}
        if self.edition:
            data["edition"] = self.edition
        if self.status == "removed":
            data["removed_outputs"] = list(self.removed_outputs)
        else:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_record(cls, key: str, result: Mapping[str, Any]) -> Outcome:
        """A unit the plan found up to date, from its cache record; a recorded failure stays a
        failure."""
        source, edition = str(result.get("source", key)), str(result.get("edition", ""))
        if result.get("status") == "failed":
            return cls("failed", key, source, edition, str(result.get("reason", "")))
        record = {k: v for k, v in result.items() if k not in ("status", "key", "replaced")}
        return cls("unchanged", key, source, edition, record=record)


def label(entry: Mapping[str, Any]) -> str:
    """:attr:`Outcome.label` of a unit as report.json lists it."""
    edition = entry.get("edition")
    return f"{entry['source']}: {edition}" if edition else str(entry["source"])
