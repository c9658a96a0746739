"""Build settings: where templates are looked up, which formats, the date a build carries, and
how the printed edition looks (:class:`Press`: paper, fonts, colours, publisher's line, licence,
booklet options).

The press settings come from ``pamphleteer.yaml`` at the project root (beside ``raw/``); any of
them can be overridden per edition, in a document's sidecar or an edition of ``editions.yaml``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flows.limits import Limits
from flows.model import PamphleteerError
from flows.typography import printable
from flows.yamlfile import load_yaml


#: The templates shipped with pamphleteer (the repository's ``templates/``).
def _default_templates() -> Path:
    """Ours: package data in an installed pamphleteer, else the checkout's templates/."""
    here = Path(__file__).resolve().parent
    installed = here / "templates"
    return installed if installed.is_dir() else here.parent / "templates"


DEFAULT_TEMPLATES = _default_templates()

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


#: Page sizes of the reading edition (Typst's paper names), in points, and the sheet a booklet of
#: them is imposed on: two pages side by side on the next paper size.
PAPERS: dict[str, tuple[float, float]] = {
    "a6": (297.64, 419.53),
    "a5": (419.53, 595.28),
    "a4": (595.28, 841.89),
    "us-statement": (396.0, 612.0),  # half letter, 5.5 × 8.5 in
    "us-letter": (612.0, 792.0),
}
SHEETS: dict[str, str] = {
    "a6": "A5",
    "a5": "A4",
    "a4": "A3",
    "us-statement": "US Letter",
    "us-letter": "US Tabloid",
}
_PAPER_ALIASES = {"letter": "us-letter", "half-letter": "us-statement", "statement": "us-statement"}
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FONT = re.compile(r"^[\w][\w .\-]{0,62}$")


def _text(key: str, value: Any, where: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise PamphleteerError(f"{where}: '{key}' must be text, not {type(value).__name__}")
    return printable(str(value)).strip()


def _paper(value: Any, where: str) -> str:
    name = _text("paper", value, where).lower()
    name = _PAPER_ALIASES.get(name, name)
    if name not in PAPERS:
        raise PamphleteerError(f"{where}: unknown paper {value!r}: choose from {', '.join(PAPERS)}")
    return name


def _colour(key: str, value: Any, where: str) -> str:
    colour = _text(key, value, where)
    if not _COLOUR.match(colour):
        raise PamphleteerError(f"{where}: '{key}' must be a colour like \"#7a2e26\", not {value!r}")
    return colour.lower()


def _font(key: str, value: Any, where: str) -> str:
    font = _text(key, value, where)
    if not _FONT.match(font):
        raise PamphleteerError(f"{where}: '{key}' is not a font family name: {value!r}")
    return font


def _millimetres(key: str, value: Any, where: str) -> float:
    text = _text(key, value, where).removesuffix("mm").strip()
    try:
        amount = float(text)
    except ValueError:
        raise PamphleteerError(f"{where}: '{key}' must be millimetres, e.g. 0.1mm") from None
    if not 0 <= amount <= 5:
        raise PamphleteerError(f"{where}: '{key}' must be between 0 and 5 mm, not {value!r}")
    return amount


def _flag(key: str, value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PamphleteerError(f"{where}: '{key}' must be true or false, not {value!r}")
    return value


@dataclass(frozen=True)
class Press:
    """How the printed edition looks; every field can be overridden per edition."""

    paper: str = "a5"
    font: str = "Libertinus Serif"
    heading_font: str = "Libertinus Serif"
    cover_colour: str = "#7a2e26"  # the cover's ground
    cover_ink: str = "#f7f1e3"  # the cover's lettering
    accent: str = "#7a2e26"  # rules and links inside
    #: The press's name: the publisher an EPUB (and its colophon) names when the text names none
    #: (not `publisher`, which a sidecar sets as the text's own).
    publisher_name: str = ""
    publisher_line: str = ""  # printed in the colophon and on the back cover
    licence: str = ""  # used when a document's sidecar gives no `rights`
    creep: float = 0.0  # booklet: mm each sheet's pages move toward the spine, per sheet inward
    crop_marks: bool = False  # booklet: a larger sheet with trim and fold marks

    def override(self, data: Mapping[str, Any], where: str) -> Press:
        """These settings with the press keys found in ``data`` (a sidecar, an edition) on top."""
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in _PRESS_FIELDS or value is None:
                continue
            changes[key] = _PRESS_FIELDS[key](key, value, where)
        return dataclasses.replace(self, **changes) if changes else self

    @property
    def sheet(self) -> str:
        """The paper a booklet of these pages is printed on."""
        return SHEETS[self.paper]


_PRESS_FIELDS = {
    "paper": lambda _k, v, w: _paper(v, w),
    "font": _font,
    "heading_font": _font,
    "cover_colour": _colour,
    "cover_ink": _colour,
    "accent": _colour,
    "publisher_name": _text,
    "publisher_line": _text,
    "licence": _text,
    "creep": _millimetres,
    "crop_marks": _flag,
}
#: Other spellings users write, in settings files and sidecars.
PRESS_ALIASES = {"page_size": "paper", "papersize": "paper", "cover_color": "cover_colour",
                 "cover_text_colour": "cover_ink", "cover_text_color": "cover_ink",
                 "accent_color": "accent", "publisher_statement": "publisher_line",
                 "license": "licence"}  # fmt: skip
PRESS_KEYS = frozenset(_PRESS_FIELDS)


def press_key(key: str) -> str:
    key = key.lower().replace("-", "_")
    return PRESS_ALIASES.get(key, key)


def _settings_file(path: Path) -> dict[Any, Any]:
    # The file that sets the limits is held to their defaults.
    data = load_yaml(path, Limits(), "settings file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PamphleteerError(f"{path.name}: settings must be a mapping of keys to values")
    return data


def load_limits(path: Path) -> Limits:
    """The ``limits:`` of ``pamphleteer.yaml``; defaults where it says nothing."""
    limits = _settings_file(path).get("limits") or {}
    if not isinstance(limits, dict):
        raise PamphleteerError(f"{path.name}: 'limits' must be a mapping, e.g. raw_file_mb: 4")
    return Limits().override(limits, path.name)


#: Keys of ``pamphleteer.yaml`` that are not press settings.
BUILD_KEYS = frozenset({"limits", "images", "base_url"})


def load_images(path: Path) -> bool:
    """``images: true`` in ``pamphleteer.yaml``: keep a page's figures, as ``--images`` does."""
    value = _settings_file(path).get("images")
    return False if value is None else _flag("images", value, path.name)


def load_press(path: Path) -> Press:
    """The press settings of ``pamphleteer.yaml``; defaults where it says nothing."""
    data = {press_key(str(k)): v for k, v in _settings_file(path).items() if k not in BUILD_KEYS}
    unknown = sorted(set(data) - PRESS_KEYS)
    if unknown:
        raise PamphleteerError(
            f"{path.name}: unknown setting {', '.join(unknown)}: "
            f"known are {', '.join(sorted(PRESS_KEYS | BUILD_KEYS))}"
        )
    return Press().override(data, path.name)


def load_base_url(path: Path) -> str:
    """``base_url:`` of ``pamphleteer.yaml``: where build/ is published (``https://…/``, ending
    in a slash), for the catalogue's absolute links; "" when not given."""
    value = _settings_file(path).get("base_url")
    if value is None or value == "":
        return ""
    text = str(value).strip()
    parts = urlsplit(text)
    odd = any(c.isspace() or c in '<>"{}|\\^`' for c in text)  # not in an IRI unescaped
    if (not isinstance(value, str) or parts.scheme not in ("http", "https") or not parts.netloc
            or parts.query or parts.fragment or odd):  # fmt: skip
        raise PamphleteerError(
            f"{path.name}: base_url must be the http(s) address build/ is published at, e.g. "
            "https://example.org/editions/"
        )
    return text if text.endswith("/") else f"{text}/"


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
    press: Press = field(default_factory=Press)
    #: Run the validators (EPUBCheck) on each edition and put their verdict in the report.
    check: bool = True
    #: Sizes, times and counts every input and document is held to (``limits:``).
    limits: Limits = field(default_factory=Limits)
    #: Where build/ is published (``base_url:``): the catalogue's links are absolute under it.
    base_url: str = ""

    def with_overrides(self, folder: Path | None) -> Settings:
        if folder is None:
            return self
        if not folder.is_dir():
            raise PamphleteerError(f"{folder}: no such templates folder")
        return dataclasses.replace(self, template_dirs=(folder.resolve(), *self.template_dirs))

    def for_edition(self, meta: Mapping[str, Any], where: str) -> Settings:
        """These settings with an edition's own press keys (sidecar, editions.yaml) on top."""
        press = self.press.override(meta, where)
        return self if press is self.press else dataclasses.replace(self, press=press)

    def font_dirs(self) -> list[str]:
        """``fonts/`` folders beside the templates (ours: templates/fonts/), for typst."""
        return [str(d / "fonts") for d in self.template_dirs if (d / "fonts").is_dir()]

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
