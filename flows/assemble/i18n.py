"""The editions' own words (colophon, title page, notes, contents, cover) and dates, in the
text's language.

The words are a table per language in the templates folder, ``i18n/<lang>.yaml`` (a user's
templates folder is searched first, so a word can be changed by copying one file); a word a
table lacks is taken from ``en.yaml``. ``{name}`` in a word is filled with a value
(:func:`fill`). Dates are formatted by babel with CLDR's patterns for the language.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from flows.model import PamphleteerError
from flows.settings import Settings

#: Languages written right to left (their primary subtags), and scripts that are.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "iw", "ur", "yi", "ps", "sd", "ug", "ckb", "dv"})
RTL_SCRIPTS = frozenset({"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm"})
_LATIN_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek"})


def primary(tag: str | None) -> str:
    """The language subtag of a BCP 47 tag, lower case ("pt-BR" -> "pt"); "en" if none."""
    return (tag or "en").replace("_", "-").split("-")[0].lower() or "en"


def direction(tag: str | None) -> str:
    """ "rtl" or "ltr" for a BCP 47 tag; a script subtag decides ("az-Arab" is right to left,
    "ku-Latn" left to right), else the language."""
    parts = (tag or "").replace("_", "-").split("-")
    scripts = [p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in RTL_SCRIPTS else "ltr"
    return "rtl" if primary(tag) in RTL_LANGUAGES else "ltr"


def text_direction(text: str) -> str | None:
    """The direction of a string's first strong character ("ltr"/"rtl"), None if it has none
    (digits and punctuation only)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


@dataclass(frozen=True)
class Words:
    """One language's words; ``words.notes`` or ``words["notes"]``."""

    lang: str
    table: Mapping[str, str]

    def __getattr__(self, key: str) -> str:
        try:
            return self.table[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> str:
        return self.table[key]


def words(settings: Settings, lang: str | None) -> Words:
    """The words of ``lang`` (its primary subtag's table). Each word from the first of: the
    user's table for the language, ours, the user's English one, ours."""
    code = primary(lang)
    codes = ["en"] + ([code] if code != "en" and re.fullmatch(r"[a-z]{2,3}", code) else [])
    table: dict[str, str] = {}
    for each in codes:  # English first, so the language's words overwrite it
        for folder in reversed(settings.template_dirs):  # ours first, the user's over it
            path = folder / "i18n" / f"{each}.yaml"
            if path.is_file():
                table.update(_table(path))
    return Words(code, MappingProxyType(table))


def _table(path: Path) -> dict[str, str]:
    return _read(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _read(path: Path, mtime: int) -> dict[str, str]:
    """A words file, read once (again when it changes)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PamphleteerError(f"template {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise PamphleteerError(f"template {path}: must map each word's key to text")
    return {str(k): v for k, v in data.items()}


_ISO_DATE = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?$")
_MONTHS = ("January February March April May June July August September October November "
           "December").split()  # fmt: skip


def human_date(value: Any, lang: str | None = None) -> str:
    """``2017-01`` as "January 2017", ``2017-01-05`` as "5 January 2017", in the words and
    order of ``lang`` ("5. Januar 2017", "2017年1月5日"); other text as it is."""
    if isinstance(value, dt.date):
        value = value.isoformat()[:10]
    m = _ISO_DATE.match(str(value))
    if not m or not 1 <= int(m["m"]) <= 12:
        return str(value)
    try:
        date = dt.date(int(m["y"]), int(m["m"]), int(m["d"] or 1))
    except ValueError:
        return str(value)
    code = primary(lang)
    if code != "en":
        formatted = _babel_date(date, str(lang).replace("-", "_"), bool(m["d"]))
        if formatted:
            return formatted
    month = _MONTHS[date.month - 1]
    return f"{date.day} {month} {date.year}" if m["d"] else f"{month} {date.year}"


def _babel_date(date: dt.date, locale: str, with_day: bool) -> str | None:
    # Here, not at the top: babel's date tables cost an import only a non-English text needs.
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date, format_skeleton

    try:
        parsed = Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        try:
            parsed = Locale.parse(primary(locale))
        except (UnknownLocaleError, ValueError, TypeError):
            return None
    if with_day:
        return format_date(date, "long", locale=parsed)
    return format_skeleton("yMMMM", date, locale=parsed)
