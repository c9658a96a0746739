"""Dates as sources write them, read as the model keeps them: a year, a month or a day, or none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.assemble.edition import human_date
from flows.clean.text import clean
from flows.model import Document, PartialDate
from flows.read.dates import parse_date
from flows.read.decode import read

PROSE = (
    "The committees tried to turn themselves into councils that ran the factories, and for a "
    "few months in the winter they did, until the new state took the boards away from them."
)


@pytest.mark.parametrize(
    ("written", "date"),
    [
        ("March 2019", PartialDate(2019, 3)),
        ("12 février 2018", PartialDate(2018, 2, 12)),
        ("Январь 2017", PartialDate(2017, 1)),
        ("18 марта 2017 г.", PartialDate(2017, 3, 18)),
        ("12. März 2019", PartialDate(2019, 3, 12)),
        ("March 18, 2021", PartialDate(2021, 3, 18)),
        ("18th March 1921", PartialDate(1921, 3, 18)),
        ("1917", PartialDate(1917)),
        (1917, PartialDate(1917)),
        (dt.date(1921, 3, 18), PartialDate(1921, 3, 18)),
        ("20190318", PartialDate(2019, 3, 18)),
    ],
)
def test_a_date_in_words_or_numbers(written: object, date: PartialDate) -> None:
    assert parse_date(written) == date


@pytest.mark.parametrize(
    "written",
    [
        "PT15M",
        "P1DT2H",
        "Mo-Su 08:00-20:00",
        "Mo,Tu 09:00",
        "Spring 1921",
        "12 février",  # no year of its own: never this year's
        "yesterday",
        "2 hours ago",
        "před 2 hodinami",
        "2019-02-30",
        "",
        "a sentence that mentions 1921 and goes on for a long while after it, too long for a date",
        None,
        True,
    ],
)
def test_what_is_no_date_is_none(written: object) -> None:
    assert parse_date(written) is None


@pytest.mark.parametrize(
    ("date", "iso", "words"),
    [
        (PartialDate(2019), "2019", "2019"),
        (PartialDate(2019, 3), "2019-03", "March 2019"),
        (PartialDate(2019, 3, 8), "2019-03-08", "8 March 2019"),
    ],
)
def test_every_writer_prints_the_date_at_its_precision(
    date: PartialDate, iso: str, words: str
) -> None:
    assert str(date) == iso
    assert human_date(date) == words


def test_a_day_without_a_month_or_a_day_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError):
        PartialDate(2019, None, 3)
    with pytest.raises(ValueError):
        PartialDate(2019, 2, 30)


def test_a_detected_date_must_be_a_partial_date() -> None:
    doc = Document(source=Path("a.txt"), slug="a")
    with pytest.raises(TypeError):
        doc.with_detected(date="March 2019")


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("12 février 2018", PartialDate(2018, 2, 12)),
        ("Январь 2017", PartialDate(2017, 1)),
        ("March 2019", PartialDate(2019, 3)),
    ],
)
def test_a_text_s_date_line_is_its_date(tmp_path: Path, line: str, date: PartialDate) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"The Title\n\n{PROSE}\n\n{line}\n")
    assert clean(read(path)).meta["date"] == date


def test_a_sidecar_date_in_words_is_read_and_one_that_is_none_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(f"The Title\n\n{PROSE}\n")
    (tmp_path / "a.yaml").write_text("date: March 2019\n")
    assert read(tmp_path / "a.txt").meta["date"] == PartialDate(2019, 3)
    (tmp_path / "a.yaml").write_text("date: Spring 1921\n")
    doc = read(tmp_path / "a.txt")
    assert "date" not in doc.meta
    assert [m.code for m in doc.report.messages] == ["met-002"]
    assert "a.yaml" in doc.report.messages[0].text and "Spring 1921" in doc.report.messages[0].text


def test_an_undated_text_has_no_date(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"The Title\n\n{PROSE}\n")
    assert "date" not in clean(read(path)).meta
