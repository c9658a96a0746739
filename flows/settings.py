"""Build settings: where templates are looked up, which formats, the date a build carries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from flows.model import PamphleteerError

#: The templates shipped with pamphleteer (the repository's ``templates/``).
DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

FORMATS = ("html", "epub", "pdf")


def build_date_from_env() -> dt.date:
    """The date a build carries: ``SOURCE_DATE_EPOCH`` if set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
        except ValueError:
            raise PamphleteerError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds"
            ) from None
    return dt.datetime.now(dt.UTC).date()


def parse_formats(text: str) -> tuple[str, ...]:
    wanted = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise PamphleteerError(
            f"unknown format {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}"
        )
    return tuple(f for f in FORMATS if f in wanted)


@dataclass(frozen=True)
class Settings:
    """Everything a build needs besides the documents. Immutable, passed down explicitly."""

    formats: tuple[str, ...] = FORMATS
    #: Folders searched for templates, first match wins: the user's overrides, then ours.
    template_dirs: tuple[Path, ...] = (DEFAULT_TEMPLATES,)
    build_date: dt.date = field(default_factory=build_date_from_env)
    #: Keep reader comments as a final "Responses" section (default: cut with the site).
    keep_comments: bool = False
    #: Keep a page's images (http/https only) in the text.
    images: bool = False

    def with_overrides(self, folder: Path | None) -> Settings:
        if folder is None:
            return self
        if not folder.is_dir():
            raise PamphleteerError(f"{folder}: no such templates folder")
        return dataclasses.replace(self, template_dirs=(folder.resolve(), *self.template_dirs))

    def template(self, name: str) -> Path:
        """The file ``name`` from the first templates folder that has it."""
        for folder in self.template_dirs:
            path = folder / name
            if path.is_file():
                return path
        raise PamphleteerError(
            f"template {name} not found in {', '.join(map(str, self.template_dirs))}"
        )

    @property
    def source_date_epoch(self) -> int:
        midnight = dt.datetime.combine(self.build_date, dt.time(), dt.UTC)
        return int(midnight.timestamp())
