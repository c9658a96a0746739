"""A date as the model keeps it (:class:`flows.model.PartialDate`), from whatever a source wrote.

Pages and texts write dates every way there is: ISO 8601 with or without a time, a Unix time
(``1651035600``, or in milliseconds), RFC 2822 (``Tue, 13 Dec 2016 10:00:00 GMT``), Drupal's
``Tue, 12/02/2019 - 10:00``, a text's date line in its own language ("March 2019",
"12 février 2018", "Январь 2017"). Each becomes a year, a month or a day, as precise as written;
anything else (a recipe's ``PT15M``, opening hours ``Mo-Su 08:00-20:00``, "Spring 1921", "2 hours
ago") is no date at all. Nothing here reads the clock: a value without a year of its own is
refused rather than completed with this year's, so an undated text never gets the build's date.

Words are read by dateparser (already installed with htmldate, which trafilatura uses): it knows
month names and the day-month order of some 200 locales and says how precise the date was.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import re
from collections.abc import Mapping
from typing import Any

from flows.model import Message, PartialDate

#: Dates a source cannot mean: before printing, or far ahead (a price, a serial number).
FIRST_YEAR, LAST_YEAR = 1000, 2999

_ISO = re.compile(r"^(\d{4})(?:([-/.])(\d{1,2})(?:\2(\d{1,2}))?)?(?=$|[T ]\d|T|Z|[+-]\d\d:?\d\d$)")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EPOCH = re.compile(r"^\d{9,10}(?:\d{3})?(?:\.\d+)?$")
#: ISO 8601 durations (``PT15M``, ``P1DT2H``) and schema.org opening hours (``Mo-Su 08:00``).
_NOT_A_DATE = re.compile(
    r"^P(?:\d|T\d)|^(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:[-,](?:Mo|Tu|We|Th|Fr|Sa|Su))*\s+\d|^\d{1,2}:\d{2}",
    re.I,
)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_LETTER = re.compile(r"[^\W\d_]")
#: Longer is a sentence, not a date.
_MOST_CHARS = 64


def _in_range(date: PartialDate | None) -> PartialDate | None:
    return date if date is not None and FIRST_YEAR <= date.year <= LAST_YEAR else None


def _partial(year: int, month: int | None = None, day: int | None = None) -> PartialDate | None:
    try:
        return _in_range(PartialDate(year, month, day))
    except ValueError:
        return None


def parse_date(value: Any, lang: str | None = None) -> PartialDate | None:
    """``value`` as a :class:`PartialDate`, or None when it is no date. ``lang`` (a BCP 47 tag,
    the text's language) helps read a month's name; dates in other languages are read too."""
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        return _partial(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return _partial(value.year, value.month, value.day)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = " ".join(str(value).split())
    if not text or len(text) > _MOST_CHARS or _NOT_A_DATE.search(text):
        return None
    if m := _ISO.match(text):
        year, month, day = int(m[1]), m[3] and int(m[3]), m[4] and int(m[4])
        return _partial(year, month or None, day or None)
    if m := _COMPACT.match(text):
        return _partial(int(m[1]), int(m[2]), int(m[3]))
    if _EPOCH.match(text):
        seconds = float(text) / (1000 if len(text.split(".")[0]) > 10 else 1)
        when = dt.datetime.fromtimestamp(seconds, dt.UTC)
        return _partial(when.year, when.month, when.day)
    if not _YEAR.search(text) or not _LETTER.search(text) and "/" not in text:
        return None  # no year of its own: "12 février", "yesterday", "Mo-Fr"
    if found := _by_weekday(text):
        return found
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    else:
        return _partial(when.year, when.month, when.day)
    return _in_words(text, _language(lang))


def _by_weekday(text: str) -> PartialDate | None:
    """ "Tue, 12/02/2019": a day and a month in either order (Drupal writes m/d/Y, most of the
    world d/m/Y), told apart by the weekday written with them; None when it does not tell."""
    if not (m := _WEEKDAY_NUMERIC.match(text)):
        return None
    weekday = _WEEKDAYS.index(m[1][:3].casefold())
    readings = {(int(m[2]), int(m[3])), (int(m[3]), int(m[2]))}
    fitting = []
    for month, day in readings:
        try:
            if dt.date(int(m[4]), month, day).weekday() == weekday:
                fitting.append(_partial(int(m[4]), month, day))
        except ValueError:
            continue
    return fitting[0] if len(fitting) == 1 else None


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NUMERIC = re.compile(
    r"^(mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:rs|rsday)?|fri(?:day)?|sat(?:urday)?|"
    r"sun(?:day)?)\.?,?\s+(\d{1,2})/(\d{1,2})/(\d{4})\b",
    re.I,
)


def _language(lang: str | None) -> str | None:
    return lang.split("-")[0].lower() if lang else None


@functools.lru_cache(maxsize=256)
def _in_words(text: str, language: str | None) -> PartialDate | None:
    from dateparser.date import DateDataParser  # ~0.4 s to import: only when words need it

    # Absolute dates only: a relative one ("yesterday", "před 2 hodinami") would be read from the
    # clock, and a missing year taken from it.
    settings = {
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["year"],
        "PARSERS": ["custom-formats", "absolute-time"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    data = None
    if language:
        try:
            data = DateDataParser(languages=[language], settings=settings).get_date_data(text)
        except ValueError:  # a language dateparser does not know
            data = None
    if data is None or data.date_obj is None:
        data = DateDataParser(settings=settings).get_date_data(text)
    when = data.date_obj
    if when is None or str(when.year) not in _YEAR.findall(text):
        return None  # "12 février" read as the year 2012
    if data.period == "year":
        return _partial(when.year)
    if data.period == "month":
        return _partial(when.year, when.month)
    return _partial(when.year, when.month, when.day)


def checked_date(meta: Mapping[str, Any], where: str) -> tuple[dict[str, Any], tuple[Message, ...]]:
    """``meta`` with its ``date`` a :class:`PartialDate`; a value that is no date ("Spring 1921",
    "soon") is left out, with a ``met-002`` warning that starts with ``where``."""
    checked = dict(meta)
    if "date" not in checked:
        return checked, ()
    value = checked.pop("date")
    date = parse_date(value, checked.get("lang"))
    if date is not None:
        checked["date"] = date
        return checked, ()
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "…"
    text = f"{where}: the date {shown} is not a date (like 2019, 2019-03, 2019-03-18): not used"
    return checked, (Message("met-002", text, "warning"),)
